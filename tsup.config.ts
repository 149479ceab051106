import { defineConfig } from "tsup";

const entry = {
  index: "src/index.ts",
  sqlite: "src/stores/sqlite/index.ts",
  postgres: "src/stores/postgres/index.ts",
  docker: "src/runtimes/docker/index.ts",
  lxd: "src/runtimes/lxd/index.ts",
  testing: "src/testing/index.ts",
  console: "src/console/index.ts",
  conformance: "src/conformance/index.ts",
  "store-kit": "src/store-kit/index.ts",
  // The SQLite store's reader thread, loaded by file name next to the entry points (not an export).
  "sqlite-reader": "src/stores/sqlite/reader-worker.ts",
};

// Drivers stay external (optional peers); p-timeout is ESM-only, so the CommonJS build bundles
// it to keep `require("log-event-hub")` working on Node 20.
const external = ["better-sqlite3", "pg", "ws"];

export default defineConfig([
  {
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    external,
    splitting: true,
  },
  {
    entry,
    format: ["cjs"],
    dts: true,
    sourcemap: true,
    target: "node20",
    external,
    noExternal: ["p-timeout"],
    // import.meta.url for the console's asset folder (src/console/index.ts).
    shims: true,
    splitting: false,
    // `import.meta.url` from `__filename` (the SQLite reader finds its worker file by it).
    shims: true,
  },
]);
