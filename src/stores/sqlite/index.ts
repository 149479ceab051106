/**
 * `log-event-hub/sqlite`: the durable store for one machine, on better-sqlite3 (an optional
 * peer dependency, loaded only when a store opens) or on Node's built-in `node:sqlite`
 * (Node 22.16 and later). Both write the same file format; see {@link SqliteStoreOptions.driver}.
 *
 * - WAL journal, `busy_timeout`, every write in an IMMEDIATE transaction, so several processes
 *   can share one file (`capabilities.shared`).
 * - Schema versioned (`hub_schema_version`) and migrated on open; a foreign, corrupt or newer
 *   file is refused with `IncompatibleStoreError` and never written to.
 * - Ids and event indexes come from `AUTOINCREMENT`: never reused, even after clearing.
 * - `text` uses an FTS5 trigram index for three characters or more to find candidates, and an
 *   escaped `LIKE` (ASCII case folding, the text rule) to decide.
 *
 * @module
 */
import { closeSync, mkdirSync, openSync, readSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { ClosedError, HubError, IncompatibleStoreError, QueryTimeoutError, StoreUnavailableError } from "../../errors.js";
import type { PruneRequest, PruneResult, Store, StoreCapabilities, StoreEventRead, StoreEventWindow } from "../../store.js";
import { reasonOf } from "../../reason.js";
import { systemClock } from "../../time.js";
import { logRecordFromColumns, storedEventFromColumns, toLogRecord, visibleUsers } from "../../store-kit/index.js";
import type { LogRecord, NewEvent, NewLogRecord, StoreLogFilter, StoreLogQuery, StoredEvent } from "../../types.js";
import {
  adoptDatabase,
  type NodeSqliteDatabaseLike,
  resolveSqliteDriver,
  type SqliteDatabaseLike,
  type SqliteDriverLike,
  type SqliteDriverName,
  type SqliteStatementLike,
} from "./driver.js";
import { dropStatistics, inspectDatabase, migrate, SCHEMA_VERSION } from "./schema.js";
import {
  countShape,
  deleteShape,
  examinesRows,
  type IdRange,
  selectShape,
  type ShapeContext,
  usesTrigram,
} from "./sql.js";
import { ReaderThread } from "./reader.js";

export type {
  NodeSqliteDatabaseLike,
  NodeSqliteStatementLike,
  SqliteDatabaseLike,
  SqliteDriverLike,
  SqliteDriverName,
  SqliteOpenOptions,
  SqliteRunResultLike,
  SqliteStatementLike,
  SqliteTransactionLike,
} from "./driver.js";
export { APPLICATION_ID, SCHEMA_VERSION } from "./schema.js";

/**
 * How hard a commit waits for the disk (`PRAGMA synchronous`, in WAL mode).
 *
 * - `NORMAL`: a commit is safe from a crash of the process (kill -9, an exception), but a power
 *   failure or OS crash may roll back the transactions committed since the last WAL sync
 *   (at most those since the last checkpoint). The database itself stays consistent.
 * - `FULL`: the WAL is synced on every commit, so a commit that resolved survives power loss
 *   too (given a disk that honours fsync). Each commit costs one fsync.
 */
export type SqliteSynchronous = "NORMAL" | "FULL";

/** Options of {@link SqliteStore}. Give exactly one of `filename` or `database`. */
export interface SqliteStoreOptions {
  /** Path of the database file (created if missing, with its missing folders), or `:memory:` for a private one. */
  filename?: string;
  /**
   * An already-open better-sqlite3 `Database` or `node:sqlite` `DatabaseSync` to use instead of
   * opening `filename`. The store checkpoints it on {@link SqliteStore.close} but does not close
   * it: its owner does.
   */
  database?: SqliteDatabaseLike | NodeSqliteDatabaseLike;
  /**
   * Which SQLite driver opens `filename`:
   *
   * - `"better-sqlite3"`: the optional peer dependency (a native module);
   * - `"node:sqlite"`: Node's built-in module (Node 22.16 and later; no install, no compiler);
   * - the better-sqlite3 module itself (its default export), when the host loads it.
   *
   * By default, better-sqlite3 when it is installed and loads, else `node:sqlite` when this Node
   * has it, else the store fails to open with `MISSING_DEPENDENCY`. Both drivers read and write
   * the same file format, so a file may be opened by either. {@link SqliteStore.driverName}
   * tells which one an open store uses.
   */
  driver?: SqliteDriverName | SqliteDriverLike;
  /** Durability of each commit; see {@link SqliteSynchronous}. @default "NORMAL" */
  synchronous?: SqliteSynchronous;
  /**
   * How long a write waits for another process's write lock before failing with
   * `STORE_UNAVAILABLE`, milliseconds (`PRAGMA busy_timeout`). The wait blocks the event loop,
   * as every better-sqlite3 call does. @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * Time budget of one read (a query page, a count, an export page), milliseconds. Reads whose
   * cost depends on the data (any filter but ids and time, counts, large offsets) run in
   * bounded windows and yield the event loop between them; one that is still running after
   * this long is abandoned with `QueryTimeoutError` (`QUERY_TIMEOUT`, HTTP 503). `0`: no
   * budget. @default 10000
   */
  queryTimeoutMs?: number;
  /**
   * Run the reads whose cost depends on the data (filtered pages, counts, offsets over
   * 10,000) on a second connection in a worker thread, so that no read holds the event loop.
   * Needs a `filename` (not `:memory:`) and a named driver (not a module); with `database`,
   * `:memory:` or a driver module the store reads on the main thread. A read past
   * `queryTimeoutMs` then ends by terminating the worker (a fresh one takes over).
   * `false`: every read on the main thread, in windows that yield the event loop.
   * @default true where possible
   */
  readerThread?: boolean;
}

/** A page row in raw mode: the columns of `sql.ts`'s COLUMNS, in order. */
type LogTuple = [id: number, timeUs: number, level: LogRecord["level"], category: string, user: string, message: string];

/** An event row in raw mode: `idx, time_us, category, user, payload`. */
type EventTuple = [index: number, timeUs: number, category: string, user: string, payload: string];

/** The event columns in the order of {@link EventTuple}. */
const EVENT_COLUMNS = "idx, time_us, category, user, payload";
const SQLITE_MAGIC = "SQLite format 3\0";
const STATEMENT_CACHE_SIZE = 256;
/** Ids the first window of a windowed read spans. */
const FIRST_WINDOW = 4096;
/** Bounds of a window's width: it doubles while windows take under a quarter of a slice. */
const MIN_WINDOW = 256;
const MAX_WINDOW = 1 << 17;
/** Milliseconds of back-to-back store work before a windowed read yields the event loop. */
const SLICE_MS = 8;
/** Offsets up to this are read in one statement; larger ones window like a filter. */
const DIRECT_OFFSET = 10_000;
/**
 * Pages of more rows (limit + offset) go to the reader thread, or yield the event loop first
 * without one: an export reads page after page, each bounded but together long.
 */
const SMALL_PAGE = 100;
/** The default of {@link SqliteStoreOptions.queryTimeoutMs}. */
const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/** Lets timers and I/O run between two windows of a long read. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function toRecord(row: LogTuple): LogRecord {
  return logRecordFromColumns(row[0], row[1], row[2], row[3], row[4], row[5]);
}

function toEvent(row: EventTuple): StoredEvent {
  return storedEventFromColumns(row[0], row[1], row[2], row[3], row[4]);
}

/** Refuses a non-empty file that does not start with SQLite's header, before the driver touches it. */
function checkHeader(filename: string): void {
  if (!isPath(filename)) return;
  let size: number;
  try {
    const stat = statSync(filename);
    if (!stat.isFile()) return; // A folder or a device: the driver refuses it, with its reason.
    size = stat.size;
  } catch {
    return; // Missing: SQLite creates it.
  }
  if (size === 0) return;
  const header = Buffer.alloc(16);
  const fd = openSync(filename, "r");
  try {
    readSync(fd, header, 0, 16, 0);
  } finally {
    closeSync(fd);
  }
  if (header.toString("latin1") !== SQLITE_MAGIC) {
    throw new IncompatibleStoreError("The store's file is not a SQLite database; it was left untouched");
  }
}

/** True for a filename that names a file on disk (not `:memory:`, a temporary or a URI). */
function isPath(filename: string): boolean {
  return filename !== "" && filename !== ":memory:" && !filename.startsWith("file:");
}

/**
 * Creates the missing folders of the store's file, so that a first run with
 * `filename: "data/hub.db"` works in a new project.
 */
function ensureFolder(filename: string): void {
  if (!isPath(filename)) return;
  try {
    mkdirSync(dirname(filename), { recursive: true });
  } catch (error) {
    throw new StoreUnavailableError(
      `The SQLite store cannot create the folder of its file: ${reasonOf(error)}; create the folder, or give a filename in one this process may write`,
      { cause: error },
    );
  }
}

/** Maps a driver error to a {@link HubError} whose message carries no SQL. */
function translate(error: unknown): HubError {
  if (error instanceof HubError) return error;
  const code = String((error as { code?: unknown }).code ?? "");
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return new IncompatibleStoreError("The SQLite file is corrupt or not a database", { cause: error });
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new StoreUnavailableError("The SQLite database stayed locked by another writer past busy_timeout", { cause: error });
  }
  return new StoreUnavailableError(`The SQLite store failed: ${reasonOf(error)}`, { cause: error });
}

/**
 * The SQLite store. Create it with a filename (or an open database), hand it to a hub, and the
 * hub opens it: `new LogEventHub({ store: new SqliteStore({ filename: "data/hub.db" }) })`.
 */
export class SqliteStore implements Store {
  /** Several processes may open one file; the hub polls for their writes. */
  readonly capabilities: StoreCapabilities = { shared: true, notifications: false };
  private readonly options: SqliteStoreOptions;
  private db: SqliteDatabaseLike | undefined;
  private driverUsed: SqliteDriverName | undefined;
  private ownsDatabase = false;
  private opening: Promise<void> | undefined;
  private closed = false;
  private readonly statements = new Map<string, SqliteStatementLike>();
  private readonly rawStatements = new Map<string, SqliteStatementLike>();
  private readonly queryTimeoutMs: number;
  private reader: ReaderThread | undefined;

  /** @param options A filename, or {@link SqliteStoreOptions}. */
  constructor(options: SqliteStoreOptions | string) {
    this.options = typeof options === "string" ? { filename: options } : { ...options };
    const { filename, database, synchronous, busyTimeoutMs, driver } = this.options;
    if ((filename === undefined) === (database === undefined)) {
      throw new TypeError("SqliteStore needs exactly one of `filename` or `database`");
    }
    if (driver !== undefined && typeof driver !== "function" && driver !== "better-sqlite3" && driver !== "node:sqlite") {
      throw new TypeError(`\`driver\` must be "better-sqlite3", "node:sqlite" or the better-sqlite3 module, not ${JSON.stringify(driver)}`);
    }
    if (synchronous !== undefined && synchronous !== "NORMAL" && synchronous !== "FULL") {
      throw new TypeError('`synchronous` must be "NORMAL" or "FULL"');
    }
    if (busyTimeoutMs !== undefined && (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0)) {
      throw new TypeError("`busyTimeoutMs` must be a non-negative integer");
    }
    const { queryTimeoutMs = DEFAULT_QUERY_TIMEOUT_MS } = this.options;
    if (!Number.isSafeInteger(queryTimeoutMs) || queryTimeoutMs < 0) {
      throw new TypeError("`queryTimeoutMs` must be a non-negative integer (0: no budget)");
    }
    this.queryTimeoutMs = queryTimeoutMs;
    const { readerThread } = this.options;
    if (readerThread !== undefined && typeof readerThread !== "boolean") throw new TypeError("`readerThread` must be a boolean");
    if (readerThread === true && !this.readerPossible()) {
      throw new TypeError("`readerThread` needs a `filename` (not `:memory:`) and a named driver (not a module)");
    }
  }

  /** Whether reads can move to a worker: it opens the file itself, by name, with a named driver. */
  private readerPossible(): boolean {
    const { filename, driver } = this.options;
    return filename !== undefined && filename !== "" && filename !== ":memory:" && !filename.startsWith("file:") && typeof driver !== "function";
  }

  /**
   * Whether the open store runs its data-dependent reads on a worker thread (see
   * {@link SqliteStoreOptions.readerThread}); `false` until {@link SqliteStore.open} resolves.
   */
  get readerThread(): boolean {
    return this.reader !== undefined;
  }

  /** The driver the open store runs on; `undefined` until {@link SqliteStore.open} resolves. */
  get driverName(): SqliteDriverName | undefined {
    return this.driverUsed;
  }

  /**
   * Opens (or adopts) the database, checks it is ours, and migrates the schema. Idempotent; the
   * first operation calls it when the host has not. A failed open is not kept: the next call
   * (or operation) tries again, so a file that could not be opened (a missing directory, a
   * locked file) is used once the problem is fixed.
   */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("The SQLite store is closed"));
    if (this.opening === undefined) {
      const attempt = this.openOnce();
      this.opening = attempt;
      attempt.catch(() => {
        if (this.opening === attempt) this.opening = undefined;
      });
    }
    return this.opening;
  }

  /** Opens on first use; costs nothing once open. */
  private async ready(): Promise<void> {
    if (this.db === undefined) await this.open();
  }

  private async openOnce(): Promise<void> {
    const { filename, database, synchronous = "NORMAL", busyTimeoutMs = 5000 } = this.options;
    let db: SqliteDatabaseLike;
    let driverName: SqliteDriverName;
    if (database !== undefined) {
      ({ db, name: driverName } = adoptDatabase(database));
    } else {
      const opener = await resolveSqliteDriver(this.options.driver);
      checkHeader(filename as string);
      ensureFolder(filename as string);
      try {
        db = opener.open(filename as string, { timeout: busyTimeoutMs });
      } catch (error) {
        throw translate(error);
      }
      driverName = opener.name;
      this.ownsDatabase = true;
    }
    try {
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      // Read-only look first: nothing is written to a file that turns out not to be ours.
      inspectDatabase(db);
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${synchronous}`);
      const upgrade = db.transaction(() => {
        const state = inspectDatabase(db as SqliteDatabaseLike);
        const version = state.kind === "empty" ? 0 : state.version;
        if (version < SCHEMA_VERSION) migrate(db as SqliteDatabaseLike, version, systemClock.nowUs());
        dropStatistics(db as SqliteDatabaseLike);
      });
      upgrade.immediate();
    } catch (error) {
      if (this.ownsDatabase) db.close();
      throw translate(error);
    }
    this.db = db;
    this.driverUsed = driverName;
    if (this.options.readerThread !== false && this.readerPossible()) {
      try {
        this.reader = await ReaderThread.start({ filename: filename as string, driver: driverName, busyTimeoutMs });
      } catch (error) {
        this.db = undefined;
        if (this.ownsDatabase) db.close();
        throw translate(error);
      }
    }
    if (this.closed) await this.close();
  }

  async appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]> {
    await this.ready();
    return this.use((db) =>
      db
        .transaction(() => {
          const last = this.stmt("SELECT time_us FROM log_records ORDER BY id DESC LIMIT 1").get() as { time_us: number } | undefined;
          let previous = last?.time_us ?? Number.NEGATIVE_INFINITY;
          let backwards = false;
          const insert = this.stmt("INSERT INTO log_records (time_us, level, category, user, message) VALUES (?, ?, ?, ?, ?)");
          const out: LogRecord[] = [];
          for (const r of records) {
            if (r.timeUs < previous) backwards = true;
            previous = r.timeUs;
            const id = Number(insert.run(r.timeUs, r.level, r.category, r.user, r.message).lastInsertRowid);
            out.push(toLogRecord(id, r));
          }
          // Time ranges become id ranges only while time never goes back in id order.
          if (backwards) this.stmt("UPDATE hub_meta SET value = 0 WHERE key = 'logs_time_ordered'").run();
          return out;
        })
        .immediate(),
    );
  }

  async queryLogs(query: StoreLogQuery): Promise<LogRecord[]> {
    await this.ready();
    const range: IdRange = {};
    if (query.afterId !== undefined) range.lo = query.afterId + 1;
    if (query.beforeId !== undefined) range.hi = query.beforeId - 1;
    if (query.maxId !== undefined) range.hi = Math.min(range.hi ?? query.maxId, query.maxId);
    const offset = query.offset ?? 0;
    const big = query.limit + offset > SMALL_PAGE;
    if (query.fromUs === undefined && query.toUs === undefined && !examinesRows(query, { timeAsIds: true }) && offset <= DIRECT_OFFSET && !big) {
      // Bounded by limit + offset whatever the data: one statement.
      return this.use(() => this.page(query, range, { timeAsIds: false }));
    }
    const ctx = this.read(query, () => this.timeBounds(query, range));
    if (ctx === undefined) return [];
    if (this.reader !== undefined && (big || offset > DIRECT_OFFSET || examinesRows(query, ctx))) return this.reader.queryLogs(query, this.queryTimeoutMs);
    // Back-to-back large pages (an export) would otherwise never let the loop turn.
    if (big) await yieldToEventLoop();
    if (offset <= DIRECT_OFFSET && (!examinesRows(query, ctx) || (usesTrigram(query.text) && query.order === "desc"))) {
      // Newest matches of a text through the trigram index: one statement, which stops after
      // `limit` (an unbounded cost only when the other filters reject most of the matches).
      return this.use(() => this.page(query, range, ctx));
    }
    // Windowed: the page is gathered from consecutive id windows, each one bounded statement.
    const windowCtx: ShapeContext = { ...ctx, windowed: true };
    const limit = query.limit;
    let skip = offset;
    const out: LogRecord[] = [];
    await this.walk(range, query.order, (window) => {
      const shape = selectShape(query, { order: query.order, limit: limit + offset, offset: 0, boundLimit: offset > 0 }, window, windowCtx);
      for (const row of this.rawStmt(shape.sql).all(...shape.params) as LogTuple[]) {
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(toRecord(row));
        if (out.length === limit) return true;
      }
      return false;
    });
    return out;
  }

  /** One statement for a page whose cost `limit` + `offset` bounds. */
  private page(query: StoreLogQuery, range: IdRange, ctx: ShapeContext): LogRecord[] {
    const shape = selectShape(query, { order: query.order, limit: query.limit, offset: query.offset ?? 0 }, range, ctx);
    // Raw mode (arrays) and records built here: better-sqlite3 makes row objects much more
    // slowly than arrays, so this is faster than returning its objects as they are.
    return (this.rawStmt(shape.sql).all(...shape.params) as LogTuple[]).map(toRecord);
  }

  async countLogs(filter: StoreLogFilter): Promise<number> {
    await this.ready();
    if (this.reader !== undefined) return this.reader.countLogs(filter, this.queryTimeoutMs);
    const range: IdRange = {};
    const ctx = this.read(filter, () => this.timeBounds(filter, range));
    if (ctx === undefined) return 0;
    if (Object.values(filter).every((v) => v === undefined)) {
      // Everything: SQLite counts the smallest index, several times faster than id windows
      // that read whole rows (about 15 ms at a million rows).
      return this.use(() => (this.stmt("SELECT count(*) AS n FROM log_records").get() as { n: number }).n);
    }
    const windowCtx: ShapeContext = { ...ctx, windowed: true };
    let n = 0;
    await this.walk(range, "asc", (window) => {
      const shape = countShape(filter, window, windowCtx);
      n += (this.stmt(shape.sql).get(...shape.params) as { n: number }).n;
      return false;
    });
    return n;
  }

  /**
   * Runs `visit` over consecutive id windows covering `range` (within the ids that exist now),
   * in `order`, until it answers `true`. Each window is one statement whose plan walks only
   * that window, so its cost is bounded whatever the filter; windows widen while they are
   * quick and narrow when slow. After {@link SLICE_MS} of back-to-back work the store yields
   * to the event loop, and past the time budget it gives up with `QueryTimeoutError`.
   */
  private async walk(range: IdRange, order: "asc" | "desc", visit: (window: Required<IdRange>) => boolean): Promise<void> {
    const bounds = this.use(() => this.stmt(
        // Two subqueries: SQLite answers a lone min() or max() from one end of the primary
        // key, but both in one select scan the table.
        "SELECT (SELECT min(id) FROM log_records) AS lo, (SELECT max(id) FROM log_records) AS hi",
      ).get()) as {
      lo: number | null;
      hi: number | null;
    };
    if (bounds.lo === null || bounds.hi === null) return;
    const lo = Math.max(range.lo ?? bounds.lo, bounds.lo);
    const hi = Math.min(range.hi ?? bounds.hi, bounds.hi);
    const budgetMs = this.queryTimeoutMs;
    const started = performance.now();
    let sliceStarted = started;
    let width = FIRST_WINDOW;
    let cursor = order === "desc" ? hi : lo;
    while (order === "desc" ? cursor >= lo : cursor <= hi) {
      const window =
        order === "desc" ? { lo: Math.max(lo, cursor - width + 1), hi: cursor } : { lo: cursor, hi: Math.min(hi, cursor + width - 1) };
      const before = performance.now();
      if (this.use(() => visit(window))) return;
      const after = performance.now();
      const took = after - before;
      width = took < SLICE_MS / 4 ? Math.min(MAX_WINDOW, width * 2) : took > SLICE_MS ? Math.max(MIN_WINDOW, width >> 1) : width;
      cursor = order === "desc" ? window.lo - 1 : window.hi + 1;
      if (after - sliceStarted >= SLICE_MS) {
        await yieldToEventLoop();
        sliceStarted = performance.now();
      }
      if (budgetMs > 0 && performance.now() - started > budgetMs && (order === "desc" ? cursor >= lo : cursor <= hi)) {
        throw new QueryTimeoutError(
          `The SQLite read ran past its time budget of ${budgetMs} ms (queryTimeoutMs) and was abandoned; narrow the filter`,
          budgetMs,
        );
      }
    }
  }

  async clearLogs(filter: StoreLogFilter): Promise<number> {
    await this.ready();
    return this.use((db) =>
      db
        .transaction(() => {
          const range: IdRange = {};
          const ctx = this.timeBounds(filter, range);
          if (ctx === undefined) return 0;
          const shape = deleteShape(filter, range, ctx);
          const removed = this.stmt(shape.sql).run(...shape.params).changes;
          this.resetTimeOrderWhenEmpty();
          return removed;
        })
        .immediate(),
    );
  }

  async lastLogId(): Promise<number> {
    await this.ready();
    return this.use(() => (this.stmt("SELECT coalesce(max(id), 0) AS id FROM log_records").get() as { id: number }).id);
  }

  async appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    await this.ready();
    return this.use((db) =>
      db
        .transaction(() => {
          const insert = this.stmt("INSERT INTO events (time_us, category, user, payload) VALUES (?, ?, ?, ?)");
          return events.map((e) => ({
            index: Number(insert.run(e.timeUs, e.category, e.user, e.payloadJson).lastInsertRowid),
            ...e,
          }));
        })
        .immediate(),
    );
  }

  async readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    await this.ready();
    // One read transaction: head, oldest and the window come from the same snapshot.
    return this.use((db) =>
      db
        .transaction(() => {
          // `everyone` is the hub's own relay read; no query can set it. The second user is the
          // reader's own (or `all` again when the read names no user).
          const users = visibleUsers(read);
          const visible = users === undefined ? "1" : "(user = 'all' OR user = ?)";
          const who = users === undefined ? [] : [users[users.length - 1]];
          const rows =
            read.after !== undefined
              ? (this.rawStmt(`SELECT ${EVENT_COLUMNS} FROM events WHERE idx > ? AND ${visible} ORDER BY idx LIMIT ?`).all(
                  read.after,
                  ...who,
                  read.limit,
                ) as EventTuple[])
              : (this.rawStmt(`SELECT ${EVENT_COLUMNS} FROM events WHERE ${visible} ORDER BY idx DESC LIMIT ?`).all(
                  ...who,
                  read.limit,
                ) as EventTuple[]).reverse();
          const bounds = this.stmt(
            "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS head, " +
              "coalesce((SELECT min(idx) FROM events), 0) AS oldest",
          ).get() as { head: number; oldest: number };
          return { events: rows.map(toEvent), head: bounds.head, oldest: bounds.oldest };
        })
        .deferred(),
    );
  }

  async prune(request: PruneRequest): Promise<PruneResult> {
    await this.ready();
    return this.use((db) =>
      db
        .transaction(() => {
          let logs = 0;
          let events = 0;
          if (request.maxLogs !== undefined) {
            logs += this.stmt(
              "DELETE FROM log_records WHERE id <= (SELECT id FROM log_records ORDER BY id DESC LIMIT 1 OFFSET ?)",
            ).run(request.maxLogs).changes;
          }
          if (request.logsBeforeUs !== undefined) {
            logs += this.stmt("DELETE FROM log_records WHERE time_us < ?").run(request.logsBeforeUs).changes;
          }
          if (request.maxEvents !== undefined) {
            events += this.stmt("DELETE FROM events WHERE idx <= (SELECT idx FROM events ORDER BY idx DESC LIMIT 1 OFFSET ?)").run(
              request.maxEvents,
            ).changes;
          }
          if (request.eventsBeforeUs !== undefined) {
            // Events leave only from the front, so a cursor can always tell how many it lost.
            events += this.stmt(
              "DELETE FROM events WHERE idx < coalesce((SELECT idx FROM events WHERE time_us >= ? ORDER BY idx LIMIT 1), " +
                "(SELECT seq FROM sqlite_sequence WHERE name = 'events') + 1)",
            ).run(request.eventsBeforeUs).changes;
          }
          if (logs > 0) this.resetTimeOrderWhenEmpty();
          return { logs, events };
        })
        .immediate(),
    );
  }

  /**
   * A number that changes when another connection commits to the file (`PRAGMA data_version`):
   * a cheap way to poll for foreign writes without reading any table.
   */
  dataVersion(): number {
    return this.use((db) => Number(db.pragma("data_version", { simple: true })));
  }

  /**
   * Checkpoints the WAL into the main file (`wal_checkpoint(TRUNCATE)`), then closes the
   * connection if the store opened it. Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    const reader = this.reader;
    this.reader = undefined;
    // First, so that no read of the worker holds a snapshot while the WAL is checkpointed.
    await reader?.close();
    const db = this.db;
    this.db = undefined;
    this.statements.clear();
    this.rawStatements.clear();
    if (db === undefined || !db.open) return;
    try {
      // No `PRAGMA optimize` (nor ANALYZE) here: statistics gathered while the log is small
      // would steer every later plan (issue 11); the store keeps the file free of them.
      db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      // Another process may hold the WAL; it checkpoints later. Closing must still succeed.
    }
    if (this.ownsDatabase) db.close();
  }

  /**
   * The time-bound probes of a read. With both bounds they take two statements, so they share
   * one read transaction (one snapshot).
   */
  private read<T>(filter: StoreLogFilter, fn: () => T): T {
    if (filter.fromUs === undefined && filter.toUs === undefined) return this.use(fn);
    return this.use((db) => db.transaction(fn).deferred());
  }

  /** Runs `fn` on the open database, translating driver errors. */
  private use<T>(fn: (db: SqliteDatabaseLike) => T): T {
    if (this.closed) throw new ClosedError("The SQLite store is closed");
    const db = this.db;
    if (db === undefined) throw new StoreUnavailableError("The SQLite store is not open yet: dataVersion() needs open() (every other method opens the store itself)");
    try {
      return fn(db);
    } catch (error) {
      throw translate(error);
    }
  }

  /** A cached statement that returns rows as arrays (see {@link SqliteStatementLike.raw}). */
  private rawStmt(sql: string): SqliteStatementLike {
    return this.cached(this.rawStatements, sql, true);
  }

  private stmt(sql: string): SqliteStatementLike {
    return this.cached(this.statements, sql, false);
  }

  private cached(cache: Map<string, SqliteStatementLike>, sql: string, raw: boolean): SqliteStatementLike {
    let statement = cache.get(sql);
    if (statement === undefined) {
      statement = (this.db as SqliteDatabaseLike).prepare(sql);
      if (raw) statement = statement.raw(true);
      // A Map iterates in insertion order: the first key is the oldest entry.
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      cache.set(sql, statement);
    }
    return statement;
  }

  /**
   * When times follow ids, narrows `range` to the ids inside the time bounds (two index
   * probes), so a time filter never sorts. Answers `undefined` when nothing can match.
   */
  private timeBounds(filter: StoreLogFilter, range: IdRange): ShapeContext | undefined {
    if (filter.fromUs === undefined && filter.toUs === undefined) return { timeAsIds: false };
    const ordered = this.stmt("SELECT value FROM hub_meta WHERE key = 'logs_time_ordered'").get() as { value: number } | undefined;
    if (ordered?.value !== 1) return { timeAsIds: false };
    if (filter.fromUs !== undefined) {
      const first = this.stmt("SELECT id FROM log_records INDEXED BY log_records_time WHERE time_us >= ? ORDER BY time_us, id LIMIT 1").get(filter.fromUs) as
        | { id: number }
        | undefined;
      if (first === undefined) return undefined;
      range.lo = Math.max(range.lo ?? first.id, first.id);
    }
    if (filter.toUs !== undefined) {
      const last = this.stmt("SELECT id FROM log_records INDEXED BY log_records_time WHERE time_us <= ? ORDER BY time_us DESC, id DESC LIMIT 1").get(
        filter.toUs,
      ) as { id: number } | undefined;
      if (last === undefined) return undefined;
      range.hi = Math.min(range.hi ?? last.id, last.id);
    }
    return { timeAsIds: true };
  }

  private resetTimeOrderWhenEmpty(): void {
    this.stmt(
      "UPDATE hub_meta SET value = 1 WHERE key = 'logs_time_ordered' AND NOT EXISTS (SELECT 1 FROM log_records)",
    ).run();
  }
}

/** Creates a {@link SqliteStore} and opens it, so errors (missing driver, foreign file) surface here. */
export async function createSqliteStore(options: SqliteStoreOptions | string): Promise<SqliteStore> {
  const store = new SqliteStore(options);
  await store.open();
  return store;
}
