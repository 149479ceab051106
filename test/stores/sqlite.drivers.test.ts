/**
 * The two SQLite drivers: how the store picks one, that `node:sqlite` behaves as better-sqlite3
 * where the store could notice (pragmas, transactions, errors), and that a file written by one
 * driver is read and extended by the other.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { MissingDependencyError, StoreUnavailableError } from "../../src/errors.js";
import { LogEventHub } from "../../src/hub.js";
import { adoptDatabase, type NodeSqliteDatabaseLike } from "../../src/stores/sqlite/driver.js";
import { createSqliteStore, SqliteStore, type SqliteDriverName } from "../../src/stores/sqlite/index.js";
import { hasNodeSqlite, openWith } from "./fixtures/sqlite-drivers.js";

const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-drivers-"));
let n = 0;
const file = (name = "db") => join(dir, `${name}-${++n}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `node:sqlite`'s connection class, loaded only on Nodes that have it. */
async function nodeSqlite(): Promise<new (path: string) => NodeSqliteDatabaseLike> {
  const specifier = "node:sqlite";
  return ((await import(specifier)) as { DatabaseSync: new (path: string) => NodeSqliteDatabaseLike }).DatabaseSync;
}

describe("choosing the driver", () => {
  it("defaults to better-sqlite3 when it is installed", async () => {
    const store = await createSqliteStore(file());
    expect(store.driverName).toBe("better-sqlite3");
    await store.close();
  });

  it("refuses a driver it does not know, naming what was sent", () => {
    expect(() => new SqliteStore({ filename: "a", driver: "sqlite3" as SqliteDriverName })).toThrow(/"sqlite3"/);
  });

  it.runIf(!hasNodeSqlite)("asks for better-sqlite3 when node:sqlite is requested on a Node without it", async () => {
    const error = await createSqliteStore({ filename: file(), driver: "node:sqlite" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect((error as Error).message).toMatch(/node:sqlite.*22\.16.*npm install better-sqlite3/);
  });
});

describe.runIf(hasNodeSqlite)("node:sqlite", () => {
  it("is used when asked for, with the same pragmas as better-sqlite3", async () => {
    const path = file();
    const store = await createSqliteStore({ filename: path, driver: "node:sqlite", synchronous: "FULL", busyTimeoutMs: 1234 });
    expect(store.driverName).toBe("node:sqlite");
    await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }]);
    const DatabaseSync = await nodeSqlite();
    const raw = new DatabaseSync(path);
    const get = (sql: string) => Object.values(raw.prepare(sql).get() as object)[0];
    expect(get("PRAGMA journal_mode")).toBe("wal");
    expect(get("PRAGMA application_id")).toBe(0x4c454842);
    raw.close();
    // Connection-level settings, seen through the store's own connection.
    const db = (store as unknown as { db: { pragma(s: string, o: { simple: true }): unknown } }).db;
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    expect(db.pragma("busy_timeout", { simple: true })).toBe(1234);
    expect(db.pragma("cache_size", { simple: true })).toBe(-16000);
    await store.close();
  });

  it("rejects double-quoted string literals, as better-sqlite3 does", async () => {
    for (const driver of ["better-sqlite3", "node:sqlite"] as const) {
      const db = await openWith(driver, file());
      expect(() => db.prepare('SELECT "not a column"').get()).toThrow(/no such column/);
      db.close();
    }
  });

  it("runs transactions: a throw rolls back, nesting uses savepoints, immediate takes the write lock", async () => {
    const path = file();
    const db = await openWith("node:sqlite", path);
    db.exec("CREATE TABLE t (v INTEGER)");
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    const count = () => (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
    expect(() =>
      db.transaction(() => {
        insert.run(1);
        throw new Error("boom");
      }).immediate(),
    ).toThrow("boom");
    expect(count()).toBe(0);
    db.transaction(() => {
      insert.run(1);
      expect(() =>
        db.transaction(() => {
          insert.run(2);
          throw new Error("inner");
        })(),
      ).toThrow("inner");
      insert.run(3);
    }).deferred();
    expect((db.prepare("SELECT v FROM t ORDER BY v").raw(true).all() as number[][]).map((r) => r[0])).toEqual([1, 3]);

    const other = await openWith("node:sqlite", path);
    other.pragma("busy_timeout = 0");
    const error = (() => {
      try {
        db.transaction(() => other.transaction(() => 0).immediate()).immediate();
        return undefined;
      } catch (e) {
        return e as { code?: string };
      }
    })();
    expect(error?.code).toBe("SQLITE_BUSY");
    other.close();
    db.close();
    expect(db.open).toBe(false);
  });

  it("a write blocked past busy_timeout becomes STORE_UNAVAILABLE", async () => {
    const path = file();
    const store = await createSqliteStore({ filename: path, driver: "node:sqlite", busyTimeoutMs: 50 });
    const locker = await openWith("node:sqlite", path);
    locker.exec("BEGIN IMMEDIATE");
    const error = await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).not.toMatch(/INSERT|SELECT/);
    locker.exec("ROLLBACK");
    locker.close();
    await store.close();
  });

  it("adopts an open DatabaseSync and leaves it open", async () => {
    const DatabaseSync = await nodeSqlite();
    const raw = new DatabaseSync(file());
    const store = await createSqliteStore({ database: raw });
    expect(store.driverName).toBe("node:sqlite");
    const hub = new LogEventHub({ store });
    await hub.info("system", "adopted");
    await hub.close();
    expect(raw.isOpen ?? true).toBe(true);
    expect((raw.prepare("SELECT message FROM log_records").get() as { message: string }).message).toBe("adopted");
    raw.close();
    expect(adoptDatabase(raw).name).toBe("node:sqlite");
  });

  for (const [first, second] of [
    ["better-sqlite3", "node:sqlite"],
    ["node:sqlite", "better-sqlite3"],
  ] as const) {
    it(`a file written with ${first} is read and extended with ${second}`, async () => {
      const path = file("shared");
      const a = new LogEventHub({ store: new SqliteStore({ filename: path, driver: first }) });
      await a.info("container", "Start container (lxc, utest)", "alice");
      await a.warn("image", "Download 100% done");
      await a.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "docker" } });
      await a.close();

      const b = new LogEventHub({ store: new SqliteStore({ filename: path, driver: second }) });
      expect((await b.queryLogs({ text: "START CONTAINER" })).map((r) => [r.id, r.user])).toEqual([[1, "alice"]]);
      expect((await b.queryLogs({ level: "WARN" })).map((r) => r.message)).toEqual(["Download 100% done"]);
      expect((await b.info("system", "second driver")).id).toBe(3);
      expect((await b.readEvents({})).events.map((e) => e.payload)).toEqual([{ action: "update", from: "local", type: "docker" }]);
      await b.close();

      const check = await openWith(first, path);
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
      expect((check.prepare("SELECT count(*) AS n FROM log_records_fts WHERE message MATCH 'driver'").get() as { n: number }).n).toBe(1);
      check.close();
    });
  }
});
