/**
 * The tamper suite on the SQLite store (direct SQL on the file through a second connection),
 * the migration of an unchained file, and several writer processes keeping one chain.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import type { ChainedRecord } from "../../src/integrity/chain.js";
import { SqliteStore, type SqliteDatabaseLike, type SqliteDriverLike } from "../../src/stores/sqlite/index.js";
import { batch, readAll, tamperSuite } from "./tamper.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteDriverLike;
const dir = mkdtempSync(join(tmpdir(), "leh-integrity-"));
let n = 0;
const file = () => join(dir, `chain-${++n}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COLUMNS: Record<string, string> = { message: "message", level: "level", user: "user", timeUs: "time_us" };

function sqlTamper(filename: string) {
  const open = (): SqliteDatabaseLike => new Database(filename) as SqliteDatabaseLike;
  const run = (fn: (db: SqliteDatabaseLike) => void) => {
    const db = open();
    try {
      db.pragma("busy_timeout = 5000");
      fn(db);
    } finally {
      db.close();
    }
  };
  return {
    async edit(id: number, field: string, value: string | number) {
      run((db) => db.prepare(`UPDATE log_records SET ${COLUMNS[field]} = ? WHERE id = ?`).run(value, id));
    },
    async remove(ids: number[]) {
      run((db) => {
        for (const id of ids) db.prepare("DELETE FROM log_records WHERE id = ?").run(id);
      });
    },
    async swap(a: number, b: number) {
      run((db) => {
        const get = (id: number) => db.prepare("SELECT time_us, level, category, user, message, hash, prev_hash FROM log_records WHERE id = ?").get(id) as Record<string, unknown>;
        const ra = get(a);
        const rb = get(b);
        const put = db.prepare("UPDATE log_records SET time_us = ?, level = ?, category = ?, user = ?, message = ?, hash = ?, prev_hash = ? WHERE id = ?");
        put.run(rb.time_us, rb.level, rb.category, rb.user, rb.message, rb.hash, rb.prev_hash, a);
        put.run(ra.time_us, ra.level, ra.category, ra.user, ra.message, ra.hash, ra.prev_hash, b);
      });
    },
    async insert(r: ChainedRecord) {
      run((db) =>
        db
          .prepare("INSERT INTO log_records (id, time_us, level, category, user, message, hash, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
          .run(r.id, r.timeUs, r.level, r.category, r.user, r.message, r.hash, r.prevHash),
      );
    },
    async rewrite(records: ChainedRecord[]) {
      run((db) => {
        const put = db.prepare("UPDATE log_records SET message = ?, hash = ?, prev_hash = ? WHERE id = ?");
        for (const r of records) put.run(r.message, r.hash, r.prevHash, r.id);
        const last = records[records.length - 1]!;
        db.prepare("UPDATE log_chain SET id = ?, hash = ? WHERE key = 'head'").run(last.id, last.hash);
      });
    },
    async gap(count: number) {
      run((db) => db.prepare("UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'log_records'").run(count));
    },
  };
}

tamperSuite({
  name: "sqlite",
  shared: true,
  async make() {
    const filename = file();
    const store = new SqliteStore({ filename, chain: true });
    await store.open();
    return { store, tamper: sqlTamper(filename), another: async () => new SqliteStore({ filename }) };
  },
});

describe("sqlite chain", () => {
  it("an unchained file migrates: the chain starts after its records, at a recorded anchor", async () => {
    const filename = file();
    const plain = new SqliteStore({ filename });
    await plain.appendLogs(batch(5));
    expect(await plain.chainHead()).toBeUndefined();
    await plain.close();
    const store = new SqliteStore({ filename, chain: true });
    expect(await store.chainHead()).toMatchObject({ anchorId: 5, id: 5 });
    await store.appendLogs(batch(4));
    await store.prune({ maxLogs: 6 }); // removes 1..3, unchained: nothing to record
    await store.prune({ maxLogs: 3 }); // removes 4, 5 (unchained) and 6 (chained: recorded as removal 10)
    const hub = new LogEventHub({ store });
    const report = await hub.verifyLogs();
    expect(report).toMatchObject({ ok: true, firstId: 7, lastId: 10, removalsApplied: 1, breaks: [] });
    expect((await readAll(store)).map((r) => r.id)).toEqual([7, 8, 9, 10]);
    await hub.close();
  });

  it("the chain's rows live outside the query path: queries and counts see only log records", async () => {
    const store = new SqliteStore({ filename: file(), chain: true });
    await store.appendLogs(batch(5));
    await store.clearLogs({});
    await store.appendLogs(batch(2));
    expect(await store.countLogs({})).toBe(2);
    expect((await store.queryLogs({ order: "asc", limit: 10 })).map((r) => r.id)).toEqual([7, 8]);
    expect(await store.lastLogId()).toBe(8);
    await store.close();
  });
});
