/**
 * SQLite-specific behaviour: driver loading, the three ways to give a database, pragmas,
 * migrations, refusing foreign files, query plans, error translation.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IncompatibleStoreError, MissingDependencyError, StoreUnavailableError } from "../../src/errors.js";
import { LogEventHub } from "../../src/hub.js";
import { loadSqliteDriver } from "../../src/stores/sqlite/driver.js";
import {
  APPLICATION_ID,
  SCHEMA_VERSION,
  SqliteStore,
  createSqliteStore,
  type SqliteDriverLike,
} from "../../src/stores/sqlite/index.js";
import type { StoreLogQuery } from "../../src/types.js";
import { recording } from "./fixtures/sqlite-recording.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteDriverLike;
const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-"));
let n = 0;
const file = (name = "db") => join(dir, `${name}-${++n}.db`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("driver loading", () => {
  it("names the package to install when the driver is missing", async () => {
    const error = await loadSqliteDriver("better-sqlite3-that-is-not-installed").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingDependencyError);
    expect(error).toMatchObject({ code: "MISSING_DEPENDENCY", packageName: "better-sqlite3" });
    expect((error as Error).message).toContain("npm install better-sqlite3");
  });

  it("loads better-sqlite3 lazily when only a filename is given", async () => {
    const store = await createSqliteStore(file());
    expect(await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }])).toHaveLength(1);
    await store.close();
  });

  it("accepts the driver module itself", async () => {
    const store = await createSqliteStore({ filename: file(), driver: Database });
    expect(await store.lastLogId()).toBe(0);
    await store.close();
  });

  it("accepts an open database, checkpoints it on close and leaves it open", async () => {
    const path = file();
    const db = new Database(path);
    const store = await createSqliteStore({ database: db });
    const hub = new LogEventHub({ store });
    for (let i = 0; i < 20; i++) await hub.info("system", `m${i}`);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    await hub.close();
    expect(db.open).toBe(true);
    expect(statSync(`${path}-wal`).size).toBe(0);
    expect((db.prepare("SELECT count(*) AS n FROM log_records").get() as { n: number }).n).toBe(20);
    db.close();
  });

  it("refuses options that name no database or two", () => {
    expect(() => new SqliteStore({})).toThrow(TypeError);
    expect(() => new SqliteStore({ filename: "a", database: new Database(":memory:") })).toThrow(TypeError);
    expect(() => new SqliteStore({ filename: "a", synchronous: "OFF" as "FULL" })).toThrow(TypeError);
  });
});

describe("pragmas and lifecycle", () => {
  for (const synchronous of ["NORMAL", "FULL"] as const) {
    it(`sets WAL, busy_timeout and synchronous=${synchronous}`, async () => {
      const db = new Database(file());
      const store = await createSqliteStore({ database: db, synchronous, busyTimeoutMs: 1234 });
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("busy_timeout", { simple: true })).toBe(1234);
      expect(db.pragma("synchronous", { simple: true })).toBe(synchronous === "NORMAL" ? 1 : 2);
      expect(db.pragma("application_id", { simple: true })).toBe(APPLICATION_ID);
      await store.close();
      db.close();
    });
  }

  it("close() leaves no WAL behind, and reopening keeps every record", async () => {
    const path = file();
    const hub = new LogEventHub({ store: new SqliteStore(path) });
    await hub.info("system", "kept");
    await hub.close();
    expect(!existsSync(`${path}-wal`) || statSync(`${path}-wal`).size === 0).toBe(true);
    const again = new LogEventHub({ store: new SqliteStore(path) });
    expect((await again.queryLogs()).map((r) => r.message)).toEqual(["kept"]);
    await again.close();
  });

  it("offers PRAGMA data_version as a cheap check for other connections' writes", async () => {
    const path = file();
    const store = await createSqliteStore(path);
    const other = await createSqliteStore(path);
    const before = store.dataVersion();
    expect(store.dataVersion()).toBe(before);
    await other.appendEvents([{ timeUs: 1, category: "image", user: "all", payloadJson: "{}" }]);
    expect(store.dataVersion()).not.toBe(before);
    await Promise.all([store.close(), other.close()]);
  });
});

describe("schema versions", () => {
  it("upgrades a file made by schema version 1 and keeps its data and ids", async () => {
    const path = file("v1");
    // Schema version 1 as the first release wrote it: no FTS index, no filter indexes.
    const old = new Database(path);
    old.exec(`
      PRAGMA application_id = ${APPLICATION_ID};
      PRAGMA journal_mode = WAL;
      CREATE TABLE hub_schema_version (version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL);
      CREATE TABLE log_records (id INTEGER PRIMARY KEY AUTOINCREMENT, time_us INTEGER NOT NULL, level TEXT NOT NULL,
        category TEXT NOT NULL, user TEXT NOT NULL, message TEXT NOT NULL);
      CREATE INDEX log_records_time ON log_records (time_us);
      CREATE TABLE events (idx INTEGER PRIMARY KEY AUTOINCREMENT, time_us INTEGER NOT NULL, category TEXT NOT NULL,
        user TEXT NOT NULL, payload TEXT NOT NULL);
      INSERT INTO hub_schema_version VALUES (1, 0);
      INSERT INTO log_records (time_us, level, category, user, message) VALUES
        (1426613400000000, 'INFO', 'import', 'Anonymous', 'Start to import container (lxc, utest_import)'),
        (1426613401000000, 'INFO', 'import', 'Anonymous', 'Import task logs are cleared'),
        (1426613397000000, 'INFO', 'export', 'Anonymous', 'Finished export container (docker, DockerTestAPI)');
      DELETE FROM log_records WHERE id = 3;
      INSERT INTO events (time_us, category, user, payload) VALUES (1, 'image', 'all', '{"action":"update"}');
    `);
    old.close();

    const hub = new LogEventHub({ store: new SqliteStore(path) });
    expect((await hub.queryLogs({ text: "IMPORT CONTAINER" })).map((r) => r.id)).toEqual([1]);
    expect((await hub.queryLogs({ user: "Anonymous", timeStart: 1426613401 })).map((r) => r.id)).toEqual([2]);
    expect((await hub.info("system", "new")).id).toBe(4);
    expect((await hub.readEvents({})).offset).toBe(1);
    await hub.close();
    const db = new Database(path);
    expect(db.prepare("SELECT version FROM hub_schema_version ORDER BY version").all()).toEqual([{ version: 1 }, { version: 2 }]);
    expect(SCHEMA_VERSION).toBe(2);
    db.close();
  });

  it("two stores opening one new file at once create the schema once", async () => {
    const path = file();
    const [a, b] = await Promise.all([createSqliteStore(path), createSqliteStore(path)]);
    await a.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "a" }]);
    expect(await b.lastLogId()).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe("foreign, corrupt and newer files are refused and left untouched", () => {
  async function expectRefused(path: string): Promise<void> {
    const bytes = readFileSync(path);
    const error = await createSqliteStore(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleStoreError);
    expect((error as Error).message).not.toMatch(/SELECT|PRAGMA|CREATE/);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0).toBe(false);
  }

  it("a text file", async () => {
    const path = file("text");
    writeFileSync(path, "these are my notes, not a database\n".repeat(200));
    await expectRefused(path);
  });

  it("a SQLite database of another application", async () => {
    const path = file("foreign");
    const db = new Database(path);
    db.exec("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers (name) VALUES ('Ada');");
    db.close();
    await expectRefused(path);
  });

  it("a database whose schema version is newer than this release", async () => {
    const path = file("newer");
    const store = await createSqliteStore(path);
    await store.close();
    const db = new Database(path);
    db.exec(`INSERT INTO hub_schema_version VALUES (${SCHEMA_VERSION + 1}, 0); PRAGMA journal_mode = DELETE;`);
    db.close();
    await expectRefused(path);
    const error = await createSqliteStore(path).catch((e: unknown) => e);
    expect((error as Error).message).toContain("newer");
  });

  it("a corrupt database", async () => {
    const path = file("corrupt");
    const store = await createSqliteStore(path);
    await store.close();
    const db = new Database(path);
    db.pragma("journal_mode = DELETE");
    db.close();
    const bytes = readFileSync(path);
    bytes.fill(0xa5, 100, 4096); // the schema page, after the header
    writeFileSync(path, bytes);
    await expectRefused(path);
  });

  it("an open database handed over as a text file", async () => {
    const path = file("text-db");
    writeFileSync(path, "not sqlite at all ".repeat(300));
    const db = new Database(path);
    const error = await createSqliteStore({ database: db }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleStoreError);
    expect(db.open).toBe(true);
    db.close();
    expect(readFileSync(path, "utf8")).toBe("not sqlite at all ".repeat(300));
  });
});

describe("errors", () => {
  it("a write blocked past busy_timeout becomes STORE_UNAVAILABLE without SQL", async () => {
    const path = file();
    const store = await createSqliteStore({ filename: path, busyTimeoutMs: 50 });
    const locker = new Database(path);
    locker.exec("BEGIN IMMEDIATE");
    const error = await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }]).catch((e: unknown) => e);
    locker.exec("ROLLBACK");
    locker.close();
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).not.toMatch(/INSERT|SELECT|log_records/);
    expect(await store.lastLogId()).toBe(0);
    await store.close();
  });

  it("a first run creates the file's missing folders (issue 19), on either driver", async () => {
    for (const driver of ["better-sqlite3", "node:sqlite"] as const) {
      const path = join(dir, `first-run-${driver.replace(":", "-")}`, "data", "hub.db");
      const hub = new LogEventHub({ store: new SqliteStore({ filename: path, driver }) });
      await hub.info("system", "first run");
      expect((await hub.queryLogs()).map((r) => r.message)).toEqual(["first run"]);
      await hub.close();
      expect(existsSync(path)).toBe(true);
    }
  });

  it("a folder that cannot be created: the message says why and what to do", async () => {
    const blocker = file("blocker");
    writeFileSync(blocker, "");
    const error = await createSqliteStore(join(blocker, "data", "hub.db")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe(
      "The SQLite store cannot create the folder of its file: a part of the path is a file, not a folder (ENOTDIR); " +
        "create the folder, or give a filename in one this process may write",
    );
    expect((error as Error).cause).toMatchObject({ code: "ENOTDIR" });
  });

  it("a driver failure's message carries its reason, not only its cause", async () => {
    const folder = join(dir, `a-folder-${++n}`);
    mkdirSync(folder);
    const error = await createSqliteStore({ filename: folder, driver: "better-sqlite3" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toBe(
      "The SQLite store failed: the file cannot be opened (a missing folder, no permission, or a folder at that path) (SQLITE_CANTOPEN)",
    );
  });

  it("an operation before open() opens the store itself; only the synchronous dataVersion() needs open()", async () => {
    const store = new SqliteStore(file());
    expect(() => store.dataVersion()).toThrow(expect.objectContaining({ code: "STORE_UNAVAILABLE" }));
    await expect(store.countLogs({})).resolves.toBe(0);
    expect(store.driverName).toBeDefined();
    expect(typeof store.dataVersion()).toBe("number");
    await store.close();
  });
});


describe("query plans at a realistic shape", () => {
  it("every seed query walks an index in id order: no sort of the table", async () => {
    const raw = new Database(file("plans"));
    const { db, runs } = recording(raw);
    const store = await createSqliteStore({ database: db });
    const levels = ["INFO", "WARN", "ERROR"] as const;
    const categories = ["container", "image", "import", "export", "backup", "system"];
    const records = Array.from({ length: 5000 }, (_, i) => ({
      timeUs: (1_426_000_000 + i) * 1_000_000,
      level: levels[i % 3] as (typeof levels)[number],
      category: categories[i % 6] as string,
      user: `user${i % 40}`,
      message: `Start container (lxc, c${i}) 100%`,
    }));
    await store.appendLogs(records);
    raw.exec("ANALYZE");

    const base: StoreLogQuery = { order: "desc", limit: 20 };
    const from = 1_426_001_000_000_000;
    const to = 1_426_003_000_000_000;
    const shapes: [string, StoreLogQuery][] = [
      ["newest page", base],
      ["user", { ...base, user: "user7" }],
      ["level", { ...base, levels: ["WARN"] }],
      ["levels", { ...base, levels: ["WARN", "ERROR"] }],
      ["category", { ...base, categories: ["image"] }],
      ["time range", { ...base, fromUs: from, toUs: to }],
      ["time start", { ...base, fromUs: from }],
      ["time end", { ...base, toUs: to }],
      ["text", { ...base, text: "c123" }],
      ["short text", { ...base, text: "c1" }],
      ["combined", { ...base, user: "user7", levels: ["INFO", "ERROR"], categories: ["container", "image"], fromUs: from, toUs: to }],
      ["combined with text", { ...base, user: "user7", levels: ["INFO"], fromUs: from, toUs: to, text: "container" }],
      ["keyset", { ...base, categories: ["image", "backup"], beforeId: 2500 }],
      ["export page", { order: "asc", limit: 500, afterId: 100, maxId: 4000, levels: ["ERROR"] }],
    ];
    for (const [name, query] of shapes) {
      runs.length = 0;
      await store.queryLogs(query);
      const plans = runs.map((r) =>
        (raw.prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.params) as { detail: string }[]).map((p) => p.detail).join(" | "),
      );
      const main = plans.at(-1) as string;
      // A temp B-tree may only order a branch's own LIMITed rows, never the table.
      expect(main.replace(/SCAN \(subquery-\d+\) \| USE TEMP B-TREE FOR ORDER BY/g, ""), name).not.toContain("TEMP B-TREE");
      // Several levels walk ids newest first and check the level: they stop at the limit.
      if (name !== "newest page" && name !== "short text" && name !== "export page" && name !== "levels") {
        expect(main, name).not.toMatch(/SCAN l(?! VIRTUAL)/);
      }
      if (name.startsWith("time")) expect(plans.join(" | "), name).toContain("COVERING INDEX log_records_time");
      if (name.includes("text") && name !== "short text") expect(main, name).toContain("VIRTUAL TABLE");
      if (name === "user" || name === "combined") expect(main, name).toContain("INDEX log_records_user");
      if (name === "levels") expect(main, name).toBe("SEARCH l USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)");
      if (name === "category") expect(main.match(/INDEX log_records_category/g), name).toHaveLength(1);
    }
    await store.close();
    raw.close();
  });
});
