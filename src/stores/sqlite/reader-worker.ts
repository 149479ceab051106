/**
 * The reader thread's code (started by `reader.ts`; built as `dist/sqlite-reader.js` and
 * `.cjs`). It opens its own connection to the store's file with the driver the main thread
 * chose, wraps it in a {@link SqliteStore} (the same query shapes, windows and plans as the
 * main thread), makes the connection read-only (`query_only`), and answers reads until it is
 * terminated. The store inside runs without a time budget: the main thread keeps the budget
 * and terminates this thread when a read overruns it.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";
import type { StoreLogQuery } from "../../types.js";
import { resolveSqliteDriver, type SqliteDatabaseLike } from "./driver.js";
import { SqliteStore } from "./index.js";
import { type ReaderConfig, type ReaderMessage, type ReaderRequest, toWire } from "./reader.js";

const port = parentPort;
if (port === null) throw new Error("reader-worker runs only as a worker thread");
const config = workerData as ReaderConfig;

async function openReader(): Promise<SqliteStore> {
  const opener = await resolveSqliteDriver(config.driver);
  const db: SqliteDatabaseLike = opener.open(config.filename, { timeout: config.busyTimeoutMs });
  const store = new SqliteStore({ database: db, busyTimeoutMs: config.busyTimeoutMs, queryTimeoutMs: 0, readerThread: false });
  await store.open();
  db.pragma("query_only = 1");
  return store;
}

const opened = openReader();
opened.then(
  () => port.postMessage({ type: "ready" } satisfies ReaderMessage),
  (error: unknown) => port.postMessage({ type: "failed", error: toWire(error) } satisfies ReaderMessage),
);

port.on("message", (request: ReaderRequest) => {
  void (async () => {
    try {
      const store = await opened;
      const value =
        request.op === "queryLogs" ? await store.queryLogs(request.arg as StoreLogQuery) : await store.countLogs(request.arg);
      port.postMessage({ type: "reply", id: request.id, value } satisfies ReaderMessage);
    } catch (error) {
      port.postMessage({ type: "error", id: request.id, error: toWire(error) } satisfies ReaderMessage);
    }
  })();
});
