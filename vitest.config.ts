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
