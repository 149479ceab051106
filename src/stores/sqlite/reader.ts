/**
 * The reader thread of the SQLite store: a second connection to the same file, opened in a
 * `node:worker_threads` worker (`reader-worker.ts`), which runs the reads whose cost depends on
 * the data (filtered pages, counts, large offsets), so that a slow read never holds the event
 * loop of the process that serves requests. Writes and the short reads bounded by their own
 * `limit` stay on the main connection.
 *
 * - WAL: the reader sees every transaction the main connection committed before the read
 *   started, so a read issued after an append resolved sees that append.
 * - Time budget: a read still running after `queryTimeoutMs` is rejected with
 *   `QueryTimeoutError` at once; the worker is terminated (its statement in progress runs to
 *   its end in the background: SQLite cannot be interrupted from another thread through
 *   either driver) and a fresh worker takes over the other reads in flight, which are sent
 *   again (reads are idempotent).
 * - The worker keeps the process alive only while a read is in flight; `close()` terminates it.
 *
 * @module
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { ClosedError, HubError, IncompatibleStoreError, QueryTimeoutError, StoreUnavailableError } from "../../errors.js";
import type { ErrorCode } from "../../errors.js";
import type { LogRecord, StoreLogFilter, StoreLogQuery } from "../../types.js";
import type { SqliteDriverName } from "./driver.js";

/** What the worker needs to open its connection. */
export interface ReaderConfig {
  filename: string;
  driver: SqliteDriverName;
  busyTimeoutMs: number;
}

/** The reads the worker runs. */
export type ReaderOp = "queryLogs" | "countLogs";

/** A request to the worker. */
export interface ReaderRequest {
  id: number;
  op: ReaderOp;
  arg: StoreLogQuery | StoreLogFilter;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  code?: string;
  message: string;
  budgetMs?: number;
  causeCode?: string;
  causeMessage?: string;
}

/** What the worker posts: its start-up outcome, then one reply per request. */
export type ReaderMessage =
  | { type: "ready" }
  | { type: "failed"; error: WireError }
  | { type: "reply"; id: number; value: unknown }
  | { type: "error"; id: number; error: WireError };

interface Pending {
  op: ReaderOp;
  arg: StoreLogQuery | StoreLogFilter;
  budgetMs: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The worker's code: the file next to the built entry point (`sqlite-reader.js` / `.cjs`, see
 * tsup.config.ts), or, when the library runs from its TypeScript source (tests, benches),
 * a bootstrap that registers tsx's loader in the worker and then imports `reader-worker.ts`
 * (a `--import` of tsx in the worker's `execArgv` does not reach its entry file on Node 20 and 22).
 */
function workerEntry(): { source: URL | string; eval: boolean } {
  // `dist/*.js` or `dist/*.cjs` (tsup shims `import.meta.url` there) when built, `reader.ts` from source.
  const self = import.meta.url;
  if (/\.ts$/.test(new URL(self).pathname)) {
    const tsx = new URL("./dist/esm/api/index.mjs", pathToFileURL(createRequire(self).resolve("tsx/package.json"))).href;
    const entry = new URL("./reader-worker.ts", self).href;
    return { source: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`, eval: true };
  }
  return { source: new URL(/\.cjs$/.test(self) ? "./sqlite-reader.cjs" : "./sqlite-reader.js", self), eval: false };
}

/** Rebuilds a worker's error as the same {@link HubError} class, with no SQL in it. */
export function fromWire(error: WireError): Error {
  const cause =
    error.causeMessage !== undefined ? Object.assign(new Error(error.causeMessage), { code: error.causeCode }) : undefined;
  const options = cause === undefined ? undefined : { cause };
  switch (error.code) {
    case "QUERY_TIMEOUT":
      return new QueryTimeoutError(error.message, error.budgetMs ?? 0, options);
    case "STORE_UNAVAILABLE":
      return new StoreUnavailableError(error.message, options);
    case "INCOMPATIBLE_STORE":
      return new IncompatibleStoreError(error.message, options);
    case "CLOSED":
      return new ClosedError(error.message);
    case undefined:
      break;
    default:
      if (error.name !== "TypeError") return new HubError(error.code as ErrorCode, error.message, options);
  }
  return error.name === "TypeError" ? new TypeError(error.message) : new StoreUnavailableError(error.message, options);
}

/** Flattens an error for `postMessage`: the fields {@link fromWire} needs. */
export function toWire(error: unknown): WireError {
  const e = error as { name?: unknown; code?: unknown; message?: unknown; budgetMs?: unknown; cause?: unknown };
  const cause = e?.cause as { code?: unknown; message?: unknown } | undefined;
  const wire: WireError = { name: String(e?.name ?? "Error"), message: String(e?.message ?? error) };
  if (error instanceof HubError) wire.code = error.code;
  if (typeof e?.budgetMs === "number") wire.budgetMs = e.budgetMs;
  if (cause !== undefined && cause !== null) {
    wire.causeMessage = String(cause.message ?? cause);
    if (typeof cause.code === "string") wire.causeCode = cause.code;
  }
  return wire;
}

/**
 * The main thread's handle on the reader worker. {@link ReaderThread.start} resolves once the
 * worker's connection is open; a worker that dies later is replaced on the next read.
 */
export class ReaderThread {
  private worker: Worker | undefined;
  /** Whether {@link worker} has opened its connection (budgets start counting then). */
  private workerReady = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private constructor(private readonly config: ReaderConfig) {}

  /** Starts the worker and waits until its connection is open (or rejects with why not). */
  static async start(config: ReaderConfig): Promise<ReaderThread> {
    const reader = new ReaderThread(config);
    await reader.spawn().ready;
    return reader;
  }

  /** The worker's thread id (a new one after a read overran its budget), or `undefined`. */
  get threadId(): number | undefined {
    return this.worker?.threadId;
  }

  /**
   * A page of records, read by the worker; rejected with `QueryTimeoutError` after
   * `budgetMs` (0: no budget), counted from when a ready worker has the read.
   */
  queryLogs(query: StoreLogQuery, budgetMs: number): Promise<LogRecord[]> {
    return this.run("queryLogs", query, budgetMs) as Promise<LogRecord[]>;
  }

  /** A count, made by the worker; the budget as for {@link ReaderThread.queryLogs}. */
  countLogs(filter: StoreLogFilter, budgetMs: number): Promise<number> {
    return this.run("countLogs", filter, budgetMs) as Promise<number>;
  }

  /** Rejects the reads in flight with `CLOSED` and terminates the worker. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [id, p] of this.pending) this.settle(id, p, () => p.reject(new ClosedError("The SQLite store is closed")));
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  private run(op: ReaderOp, arg: StoreLogQuery | StoreLogFilter, budgetMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new ClosedError("The SQLite store is closed"));
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const pending: Pending = { op, arg, budgetMs, resolve, reject, timer: undefined };
      this.pending.set(id, pending);
      this.send(id, pending);
    });
  }

  private send(id: number, pending: Pending): void {
    const worker = this.worker ?? this.spawn().worker;
    worker.ref();
    worker.postMessage({ id, op: pending.op, arg: pending.arg } satisfies ReaderRequest);
    if (this.workerReady) this.startBudget(id, pending);
  }

  /** Starts counting a read's budget (once: a resent read keeps its first start). */
  private startBudget(id: number, pending: Pending): void {
    if (pending.budgetMs <= 0 || pending.timer !== undefined) return;
    pending.timer = setTimeout(() => this.timedOut(id), pending.budgetMs);
    pending.timer.unref();
  }

  private settle(id: number, pending: Pending, finish: () => void): void {
    if (this.pending.get(id) !== pending) return;
    this.pending.delete(id);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (this.pending.size === 0) this.worker?.unref();
    finish();
  }

  /** A read past its budget: reject it, replace the worker, resend the others in flight. */
  private timedOut(id: number): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    const budget = pending.budgetMs;
    this.settle(id, pending, () =>
      pending.reject(
        new QueryTimeoutError(
          `The SQLite read ran past its time budget of ${budget} ms (queryTimeoutMs) and was abandoned; narrow the filter`,
          budget,
        ),
      ),
    );
    const old = this.worker;
    this.worker = undefined;
    this.workerReady = false;
    if (old !== undefined) void old.terminate();
    if (this.closed || this.pending.size === 0) return;
    this.spawn();
    for (const [otherId, other] of this.pending) this.send(otherId, other);
  }

  /** Starts a worker; `ready` settles with its connection's start-up. */
  private spawn(): { worker: Worker; ready: Promise<void> } {
    const entry = workerEntry();
    const worker = new Worker(entry.source, { eval: entry.eval, workerData: this.config, stdout: false, stderr: false });
    this.worker = worker;
    this.workerReady = false;
    let started: (value: void) => void = () => {};
    let failed: (error: unknown) => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      started = resolve;
      failed = reject;
    });
    // Start-up failures are reported through `ready` to `start()`; a respawn's failure through
    // the reads that were waiting for it.
    ready.catch(() => {});
    const lost = (error: Error): void => {
      if (this.worker === worker) {
        this.worker = undefined;
        this.workerReady = false;
      }
      failed(error);
      for (const [id, p] of this.pending) this.settle(id, p, () => p.reject(error));
    };
    worker.on("message", (message: ReaderMessage) => {
      switch (message.type) {
        case "ready":
          if (this.worker === worker) {
            this.workerReady = true;
            for (const [id, p] of this.pending) this.startBudget(id, p);
            // Referenced while it starts (someone awaits it), then only while a read is in flight.
            if (this.pending.size === 0) worker.unref();
          }
          started();
          return;
        case "failed":
          lost(fromWire(message.error));
          void worker.terminate();
          return;
        case "reply":
        case "error": {
          if (this.worker !== worker) return; // A terminated worker's late answer.
          const p = this.pending.get(message.id);
          if (p === undefined) return;
          if (message.type === "reply") this.settle(message.id, p, () => p.resolve(message.value));
          else this.settle(message.id, p, () => p.reject(fromWire(message.error)));
        }
      }
    });
    worker.on("error", (error) => {
      if (this.worker === worker) {
        lost(
          new StoreUnavailableError(
            "The SQLite reader thread failed; `readerThread: false` runs the reads on the main thread instead",
            { cause: error },
          ),
        );
      }
      else failed(error);
    });
    worker.on("exit", (code) => {
      if (this.worker === worker && !this.closed) {
        lost(new StoreUnavailableError(`The SQLite reader thread stopped (exit code ${code})`));
      }
    });
    return { worker, ready };
  }
}
