/**
 * SQLite reads whose cost depends on the data run in bounded windows: they let the event loop
 * run between windows, and past the store's time budget they give up with `QUERY_TIMEOUT`
 * (HTTP 503), after which the store keeps working (issue 11).
 *
 * The slow read is forced by size, not by timing: a short non-ASCII text (`zé`, checked row by
 * row with `LIKE`) that matches nothing must look at every one of 60,000 messages, far longer
 * than a 1 ms budget or one 8 ms slice. Each test runs with the reader thread (the default:
 * the budget terminates the worker) and without it (windows on the main thread).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryTimeoutError } from "../../src/errors.js";
import { LogEventHub } from "../../src/hub.js";
import { SqliteStore, createSqliteStore, type SqliteDriverLike } from "../../src/stores/sqlite/index.js";
import { adapters } from "../http/servers.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteDriverLike;
const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-budget-"));
const path = join(dir, "big.db");
const ROWS = 60_000;
const FILLER = "Start container (lxc, utest";

beforeAll(async () => {
  const store = await createSqliteStore(path);
  await store.close();
  const db = new Database(path);
  db.pragma("synchronous = OFF");
  const insert = db.prepare("INSERT INTO log_records (time_us, level, category, user, message) VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) insert.run(1_426_000_000_000_000 + i, "INFO", "system", "system", `${FILLER}${i}`);
  })();
  db.close();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("time budget", () => {
  it("validates the option", () => {
    expect(() => new SqliteStore({ filename: path, queryTimeoutMs: -1 })).toThrow(/queryTimeoutMs/);
    expect(() => new SqliteStore({ filename: path, queryTimeoutMs: 1.5 })).toThrow(/queryTimeoutMs/);
  });

  it("refuses a reader thread where there can be none", () => {
    expect(() => new SqliteStore({ filename: ":memory:", readerThread: true })).toThrow(/readerThread/);
    expect(() => new SqliteStore({ filename: path, driver: Database, readerThread: true })).toThrow(/readerThread/);
    expect(() => new SqliteStore({ filename: path, readerThread: "yes" as unknown as boolean })).toThrow(/readerThread/);
  });

  it.each([true, false])("a query, a count and an export past the budget fail with QUERY_TIMEOUT; the store keeps working (readerThread: %s)", async (readerThread) => {
    const store = await createSqliteStore({ filename: path, queryTimeoutMs: 1, readerThread });
    expect(store.readerThread).toBe(readerThread);
    const query = store.queryLogs({ order: "desc", limit: 20, text: "zé" });
    await expect(query).rejects.toBeInstanceOf(QueryTimeoutError);
    await expect(query).rejects.toMatchObject({ code: "QUERY_TIMEOUT", budgetMs: 1 });
    await expect(store.countLogs({ text: "zé" })).rejects.toMatchObject({ code: "QUERY_TIMEOUT" });
    const hub = new LogEventHub({ store });
    const exported = (async () => {
      for await (const _chunk of hub.exportCsv({ text: "zé" })) {
        // drain
      }
    })();
    await expect(exported).rejects.toMatchObject({ code: "QUERY_TIMEOUT" });
    // Reads bounded by their limit never need the budget, and the store is still usable.
    const newest = await store.queryLogs({ order: "desc", limit: 1 });
    expect(newest[0]?.id).toBe(await store.lastLogId());
    expect(newest[0]?.id).toBeGreaterThanOrEqual(ROWS);
    await store.appendLogs([{ timeUs: 1_426_000_000_000_000 + ROWS, level: "WARN", category: "system", user: "u", message: "after" }]);
    expect((await store.queryLogs({ order: "desc", limit: 1 }))[0]?.message).toBe("after");
    await hub.close();
  });

  it.each([true, false])("without a budget (0) the same read completes (readerThread: %s)", async (readerThread) => {
    const store = await createSqliteStore({ filename: path, queryTimeoutMs: 0, readerThread });
    expect(await store.countLogs({ text: "zé" })).toBe(0);
    await store.close();
  });
});

describe("the event loop stays free", () => {
  it.each([true, false])("a long count lets other callbacks run meanwhile (readerThread: %s)", async (readerThread) => {
    const store = await createSqliteStore({ filename: path, readerThread });
    let ticks = 0;
    let counting = true;
    // A chain of immediates: each runs only when the loop reaches its check phase again, which
    // a count holding the loop from start to end would never let happen. (An interval timer
    // could miss a single yield: one pass from poll to check visits no timers.)
    const spin = (): void => {
      ticks++;
      if (counting) setImmediate(spin);
    };
    try {
      setImmediate(spin); // Queued first: it runs at the count's first yield, if there is one.
      const counted = store.countLogs({ text: "zé" });
      expect(await counted).toBe(0);
      expect(ticks).toBeGreaterThan(0);
    } finally {
      counting = false;
      await store.close();
    }
  });
});

describe.each(adapters)("HTTP ($name)", (adapter) => {
  it("a query past the budget answers 503 with the JSON error body; the next request works", async () => {
    const store = await createSqliteStore({ filename: path, queryTimeoutMs: 1 });
    const hub = new LogEventHub({ store });
    const server = await adapter.start(hub);
    try {
      const slow = await fetch(`${server.base}/api/v1/log?text=z%C3%A9`);
      expect(slow.status).toBe(503);
      expect(slow.headers.get("content-type")).toMatch(/application\/json/);
      const body = (await slow.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("QUERY_TIMEOUT");
      expect(body.error.message).toMatch(/time budget/);
      expect(body.error.message).not.toMatch(/SELECT|sqlite_|log_records|\.db|\//i);
      const fast = await fetch(`${server.base}/api/v1/log?limit=1`);
      expect(fast.status).toBe(200);
      expect(((await fast.json()) as unknown[]).length).toBe(1);
    } finally {
      await server.close();
      await hub.close();
    }
  });
});
