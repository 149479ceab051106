/**
 * The store contract: where logs and events live. The memory, SQLite and PostgreSQL stores
 * implement it; a host may write its own and prove it with the conformance suite
 * (`test/conformance/`).
 *
 * Stores are dumb on purpose: the hub validates input, batches appends, computes cursor
 * pages and runs long polls. A store only persists, filters and orders.
 *
 * @module
 */
import type { NewEvent, NewLogRecord, LogRecord, StoreLogFilter, StoreLogQuery, StoredEvent } from "./types.js";

/** What a store can do, so the hub need not test with `instanceof`. */
export interface StoreCapabilities {
  /**
   * Other processes may write to the same data (SQLite file, PostgreSQL). The hub then polls
   * (bounded) or listens to {@link Store.watch} to wake long polls on foreign writes.
   * @default false
   */
  shared: boolean;
  /**
   * {@link Store.watch} delivers notices of other processes' writes promptly (PostgreSQL
   * LISTEN/NOTIFY). The hub still keeps a slow fallback poll: correctness never depends on it.
   * @default false
   */
  notifications: boolean;
}

/** A read of the event feed as a store sees it. */
export interface StoreEventRead {
  /** Events with `index > after`, oldest first. Absent: the newest `limit` visible events. */
  after?: number;
  /** How many visible events at most. */
  limit: number;
  /** The reader: events for this user or for `all`. `undefined`: events for `all` only. */
  user?: string;
  /**
   * Ignore visibility and return every user's events. Used only by the hub itself (to relay
   * other processes' events to in-process listeners); never reachable from a query.
   */
  everyone?: boolean;
}

/** A store's answer to an event read. */
export interface StoreEventWindow {
  /** Visible events, oldest first (ascending index). */
  events: StoredEvent[];
  /** The newest index in the feed (any user), 0 when empty. Read in the same snapshot. */
  head: number;
  /** The oldest retained index (any user), 0 when the feed is empty. Same snapshot. */
  oldest: number;
}

/** Retention to apply: whatever is set is enforced, the rest left alone. */
export interface PruneRequest {
  /** Keep at most this many log records (the newest). */
  maxLogs?: number;
  /** Keep at most this many events (the newest). */
  maxEvents?: number;
  /** Drop log records older than this, epoch microseconds. */
  logsBeforeUs?: number;
  /** Drop events older than this, epoch microseconds. */
  eventsBeforeUs?: number;
}

/** What {@link Store.prune} dropped. */
export interface PruneResult {
  /** How many log records were dropped. */
  logs: number;
  /** How many events were dropped. */
  events: number;
}

/** A notice that another writer changed the store. */
export interface StoreChange {
  /** What changed. */
  kind: "log" | "event";
  /** The newest id/index after the change, when known. */
  head?: number;
}

/**
 * The store contract. Every method may reject with a {@link HubError}; a store must translate
 * driver errors (`STORE_UNAVAILABLE`) and never leak SQL or credentials in messages.
 */
export interface Store {
  /** What this store can do. */
  readonly capabilities: StoreCapabilities;

  /**
   * Prepare for use: connect, create or migrate the schema. Called once by the hub before the
   * first operation; must be idempotent.
   */
  open(): Promise<void>;

  /**
   * Append records atomically, in order: all are written or none. Assign each a positive id,
   * strictly greater than every id ever assigned (never reused, even after clearing).
   * Resolves only after the records are durable to the store's own standard.
   */
  appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]>;

  /**
   * Records matching the filter, in `order` by id, after `offset`, at most `limit`.
   *
   * `text` is the text rule: the message contains `text` as a literal substring after ASCII
   * case folding, `A`-`Z` equal to `a`-`z` and every other character equal only to itself,
   * code point by code point (no Unicode case folding, no normalisation, no locale: `k` does
   * not match the Kelvin sign, `s` not `ſ`, `i` not `İ`, `é` not `É`). `%`, `_`, `*`, `\` and
   * quotes are plain characters. `textMatcher` (from `log-event-hub/store-kit`) is the reference.
   *
   * The hub hands a store only strings the character rule allows (no NUL or other C0 control
   * but tab, line feed and carriage return, no unpaired surrogate; see `checkCharacters`), and a
   * store must give back exactly the strings it was given.
   */
  queryLogs(query: StoreLogQuery): Promise<LogRecord[]>;

  /** How many records match. */
  countLogs(filter: StoreLogFilter): Promise<number>;

  /** Remove the matching records (all when the filter is empty); resolves how many. */
  clearLogs(filter: StoreLogFilter): Promise<number>;

  /** The newest log id ever assigned that is still stored, 0 if none. */
  lastLogId(): Promise<number>;

  /**
   * Append events atomically, in order, assigning each an index strictly greater than every
   * index before it. Readers paging by index must never skip a committed event: an index is
   * visible to readers only once every smaller index is committed (or rolled back).
   */
  appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]>;

  /** Read a window of the feed; see {@link StoreEventWindow}. */
  readEvents(read: StoreEventRead): Promise<StoreEventWindow>;

  /** Apply retention; resolves how many logs and events were dropped. */
  prune(request: PruneRequest): Promise<PruneResult>;

  /**
   * Optional: be told when another process writes. Returns an unsubscribe function. Only
   * meaningful when {@link StoreCapabilities.shared}.
   */
  watch?(listener: (change: StoreChange) => void): () => void;

  /** Release every handle, timer and connection. Idempotent. */
  close(): Promise<void>;
}
