/**
 * The SQLite store's reader thread (issue 11): data-dependent reads run on a second connection
 * in a worker, see every append that resolved before them, give the same answers as the main
 * thread, end by terminating the worker when they overrun their budget (a fresh worker takes
 * the other reads in flight), and never keep a process alive.
 *
 * Slowness is forced by size, never measured: a short text that matches nothing (`zé`) must
 * look at all 60,000 rows, which takes far longer than a 1 ms budget.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import { createSqliteStore, type SqliteDriverLike, SqliteStore } from "../../src/stores/sqlite/index.js";
import { ReaderThread } from "../../src/stores/sqlite/reader.js";
import type { StoreLogFilter } from "../../src/types.js";
import { sqliteDrivers } from "./fixtures/sqlite-drivers.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteDriverLike;
const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-reader-"));
const path = join(dir, "big.db");
const ROWS = 60_000;
const T0 = 1_426_000_000_000_000;
const run = promisify(execFile);

beforeAll(async () => {
  const store = await createSqliteStore({ filename: path, readerThread: false });
  await store.close();
  const db = new Database(path);
  db.pragma("synchronous = OFF");
  const insert = db.prepare("INSERT INTO log_records (time_us, level, category, user, message) VALUES (?, ?, ?, ?, ?)");
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      insert.run(T0 + i, i % 7 === 0 ? "ERROR" : "INFO", i % 3 === 0 ? "container" : "system", `u${i % 50}`, `Start container ${i}`);
    }
  })();
  db.close();
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(sqliteDrivers)("reader thread (%s)", (driver) => {
  it("is on by default and answers exactly what the main thread answers", async () => {
    const worker = await createSqliteStore({ filename: path, driver });
    const main = await createSqliteStore({ filename: path, driver, readerThread: false });
    try {
      expect(worker.readerThread).toBe(true);
      expect(main.readerThread).toBe(false);
      const filters: StoreLogFilter[] = [
        {},
        { text: "container 59" },
        { text: "zé" },
        { levels: ["ERROR"] },
        { levels: ["ERROR", "INFO"], user: "u7" },
        { categories: ["container"], text: "12" },
        { fromUs: T0 + 100, toUs: T0 + 30_000, user: "u3" },
      ];
      for (const filter of filters) {
        expect(await worker.countLogs(filter)).toBe(await main.countLogs(filter));
        for (const order of ["asc", "desc"] as const) {
          for (const page of [{ limit: 20 }, { limit: 5, offset: 12_000 }, { limit: 3, afterId: 500, maxId: 50_000 }]) {
            const query = { ...filter, order, ...page };
            expect(await worker.queryLogs(query)).toEqual(await main.queryLogs(query));
          }
        }
      }
    } finally {
      await worker.close();
      await main.close();
    }
  });

  it("a read issued after an append resolved sees it", async () => {
    const file = join(dir, `ryw-${driver}.db`);
    const hub = new LogEventHub({ store: new SqliteStore({ filename: file, driver }) });
    try {
      for (let i = 0; i < 100; i++) {
        const record = await hub.info("system", `ryw ${i} marker`);
        // A text filter and a count: both go to the worker.
        const [newest] = await hub.queryLogs({ text: "marker", limit: 1 });
        expect(newest?.id).toBe(record.id);
        expect(await hub.countLogs({ text: `ryw ${i} marker` })).toBe(1);
      }
    } finally {
      await hub.close();
    }
  });
});

describe("time budget on the reader thread", () => {
  it("a read past its budget is rejected at once, the worker is replaced, and the reads in flight complete on the new one", async () => {
    const reader = await ReaderThread.start({ filename: path, driver: "better-sqlite3", busyTimeoutMs: 5000 });
    try {
      const first = reader.threadId;
      expect(first).toBeGreaterThan(0);
      // Sent together: the slow read without a budget is in flight on the worker that the
      // second read's timeout terminates, and must be answered by the next worker.
      const unbounded = reader.countLogs({ text: "zé" }, 0);
      const bounded = reader.countLogs({ text: "zé" }, 1);
      await expect(bounded).rejects.toMatchObject({ code: "QUERY_TIMEOUT", budgetMs: 1 });
      expect(reader.threadId).not.toBe(first);
      expect(await unbounded).toBe(0);
      expect(await reader.countLogs({ levels: ["ERROR"] }, 0)).toBe(Math.ceil(ROWS / 7));
    } finally {
      await reader.close();
    }
    expect(reader.threadId).toBeUndefined();
    await expect(reader.countLogs({}, 0)).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("close() rejects the reads in flight with CLOSED and checkpoints the file", async () => {
    const store = await createSqliteStore({ filename: path, queryTimeoutMs: 0 });
    const slow = expect(store.countLogs({ text: "zé" })).rejects.toMatchObject({ code: "CLOSED" });
    await store.close();
    await slow;
    // Only the main connection was left when it checkpointed: the WAL is empty or gone.
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
  });
});

describe("processes", () => {
  const storeModule = pathToFileURL(fileURLToPath(new URL("../../src/stores/sqlite/index.ts", import.meta.url))).href;
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

  it.each([
    ["closes the store", "await store.close();"],
    ["forgets to close the store", ""],
  ])("a script that %s exits by itself after its reads", async (_name, ending) => {
    const script = join(dir, `exit-${ending === "" ? "open" : "closed"}.mts`);
    writeFileSync(
      script,
      `import { createSqliteStore } from ${JSON.stringify(storeModule)};
const store = await createSqliteStore({ filename: ${JSON.stringify(path)} });
if (!store.readerThread) throw new Error("no reader thread");
console.log(await store.countLogs({ text: "container 1" }));
${ending}
`,
    );
    const { stdout } = await run(process.execPath, ["--import", tsx, script], { timeout: 60_000 });
    expect(Number(stdout.trim())).toBeGreaterThan(0);
  });
});
