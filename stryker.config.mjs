// Mutation testing of the core: `npm run test:mutation`. See docs/testing.md (what runs, how
// often, where the report goes) and stryker.equivalent.md (survivors that change no behaviour).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.ts" },
  plugins: ["@stryker-mutator/vitest-runner"],
  coverageAnalysis: "perTest",
  mutate: [
    "src/query.ts", // parsing and validation
    "src/limits.ts",
    "src/batcher.ts",
    "src/events/wire.ts",
    "src/events/cursor.ts", // the event page's cursor arithmetic
    "src/logs/json.ts",
    "src/logs/text.ts",
    "src/http/event-page.ts",
    "src/http/log-page.ts",
    "src/csv/escape.ts",
    "src/csv/timezone.ts",
    "src/csv/export.ts",
    "src/wait/state-waiter.ts",
  ],
  // Reruns test only mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: "reports/mutation/stryker-incremental.json",
  reporters: ["clear-text", "progress", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".tmp/stryker",
  cleanTempDir: "always",
  concurrency: 2,
  timeoutMS: 10000,
  // The bar (90% per module, equivalent mutants left out) is checked by scripts/mutation-score.mjs.
  thresholds: { high: 95, low: 90, break: null },
};
