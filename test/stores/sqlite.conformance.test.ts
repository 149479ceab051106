import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import { runStoreConformance } from "../conformance/index.js";
import { sqliteDrivers } from "./fixtures/sqlite-drivers.js";

const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-conformance-"));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A real file per test, so WAL, locking and migrations are exercised as in production; once per
// driver this Node has (better-sqlite3, and node:sqlite from Node 22.16).
for (const driver of sqliteDrivers) {
  runStoreConformance(`sqlite (${driver})`, () => new SqliteStore({ filename: join(dir, `store-${++n}.db`), driver }));
}
