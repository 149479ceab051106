import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^log-event-hub\/sqlite$/, replacement: src("stores/sqlite/index.ts") },
      { find: /^log-event-hub\/postgres$/, replacement: src("stores/postgres/index.ts") },
      { find: /^log-event-hub\/docker$/, replacement: src("runtimes/docker/index.ts") },
      { find: /^log-event-hub\/lxd$/, replacement: src("runtimes/lxd/index.ts") },
      { find: /^log-event-hub\/testing$/, replacement: src("testing/index.ts") },
      { find: /^log-event-hub\/console$/, replacement: src("console/index.ts") },
      // The tests import the suite as a store author would; it resolves to the source, so
      // `npm test` needs no build and Stryker's mutants reach it (the package test runs the built one).
      { find: /^log-event-hub\/conformance$/, replacement: src("conformance/index.ts") },
      { find: /^log-event-hub\/store-kit$/, replacement: src("store-kit/index.ts") },
      { find: /^log-event-hub\/openapi\.json$/, replacement: fileURLToPath(new URL("./openapi.json", import.meta.url)) },
      { find: /^log-event-hub$/, replacement: src("index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    typecheck: { enabled: true, include: ["test/**/*.test-d.ts"] },
  },
});
