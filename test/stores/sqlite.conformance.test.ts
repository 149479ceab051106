import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runStoreConformance } from "log-event-hub/conformance";
import { SqliteStore } from "log-event-hub/sqlite";
import { afterAll, describe, it } from "vitest";
import { TSX_ARGS } from "../helpers/tsx.js";
import { sqliteDrivers } from "./fixtures/sqlite-drivers.js";

const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-conformance-"));
const writer = fileURLToPath(new URL("./fixtures/conformance-writer.ts", import.meta.url));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A real file per test, so WAL, locking and migrations are exercised as in production; once per
// driver this Node has (better-sqlite3, and node:sqlite from Node 22.16). Shared: several
// connections (and processes) on one file.
for (const driver of sqliteDrivers) {
  runStoreConformance(
    { describe, it },
    {
      name: `sqlite (${driver})`,
      makeStore: () => new SqliteStore({ filename: join(dir, `store-${++n}.db`), driver }),
      shared: {
        create: () => join(dir, `shared-${++n}.db`),
        open: (file) => new SqliteStore({ filename: file, driver }),
        writerProcess: { command: process.execPath, args: [...TSX_ARGS, writer], env: { LEH_TEST_WRITER_STORE: `sqlite:${driver}` } },
      },
    },
  );
}
