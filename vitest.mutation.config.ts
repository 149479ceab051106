// The test run Stryker mutates against: only the fast unit tests of the core (no PostgreSQL,
// no container engine, no HTTP servers), so each mutant is judged in well under a second.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    // Replaces the base list (mergeConfig would append to it).
    include: [
      "test/core/**/*.test.ts",
      // Not judging any mutated module, and slow to load: a child process, a shared-store relay.
      "!test/core/exit.test.ts",
      "!test/core/hub.relay.test.ts",
      "test/csv/**/*.test.ts",
      "test/wait/**/*.test.ts",
      "test/http/handler.test.ts",
      "test/stores/memory.conformance.test.ts",
    ],
    typecheck: { enabled: false },
  },
});
