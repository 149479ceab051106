/**
 * The store contract: where logs and events live. The memory, SQLite and PostgreSQL stores
 * implement it; a host may write its own and prove it with the published conformance suite
 * (`log-event-hub/conformance`), which checks every rule written here.
 *
 * Stores are dumb on purpose: the hub validates input, batches appends, computes cursor
 * pages and runs long polls. A store only persists, filters and orders.
 *
 * The rules are listed on {@link Store} and detailed on each member.
 *
 * @module
 */
import type { NewEvent, NewLogRecord, LogRecord, StoreLogFilter, StoreLogQuery, StoredEvent } from "./types.js";

/** What a store can do, so the hub need not test with `instanceof`. */
export interface StoreCapabilities {
  /**
   * Other processes may write to the same data (SQLite file, PostgreSQL). The hub then polls
   * (bounded) or listens to {@link Store.watch} to wake long polls on foreign writes. A store
   * that declares it must keep the feed's rules across every writer (see
   * {@link Store.appendEvents}); the conformance suite's `shared` group races writers in several
   * hubs and processes to check it.
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
  /**
   * The cursor: the oldest `limit` visible events with `index > after`. Absent: the newest
   * `limit` visible events. Either way they are answered oldest first.
   */
  after?: number;
  /** How many visible events at most (at least 1). */
  limit: number;
  /** The reader: events for this user or for `all`. `undefined`: events for `all` only. */
  user?: string;
  /**
   * Ignore visibility and return every user's events. Used only by the hub itself (to relay
   * other processes' events to in-process listeners); never reachable from a query.
   */
  everyone?: boolean;
}

/**
 * A store's answer to an event read: events, `head` and `oldest` from one snapshot.
 *
 * What a short read promises: when `events` holds fewer than `limit` events, it holds every
 * event visible to the reader with an index after the cursor (`after`, or `oldest - 1` when
 * retention dropped events past it) up to and including `head`, so the hub moves the reader's
 * cursor to `head` (its page's `offset`). With `everyone`, a short read after `after` is exactly
 * the retained indexes `max(after + 1, oldest) .. head` (none when `oldest` is 0). A full read
 * promises nothing past its newest event.
 */
export interface StoreEventWindow {
  /** Visible events, oldest first (ascending index). */
  events: StoredEvent[];
  /**
   * The newest index ever assigned and visible (any user): 0 only when no event was ever
   * appended, and kept when pruning empties the feed (the next event is `head + 1`). Never
   * ahead of the events: an index counts in `head` only once its event and every smaller one
   * are readable in this snapshot.
   */
  head: number;
  /** The oldest retained index (any user), 0 when no event is retained. Same snapshot. */
  oldest: number;
}

/**
 * Retention to apply: whatever is set is enforced, the rest left alone. Pruning never moves
 * the feed's `head`, never renumbers, and events leave only from the front of the feed, so a
 * cursor behind them can always tell how many it lost (`oldest - 1 - cursor`).
 */
export interface PruneRequest {
  /** Keep at most this many log records, the newest by id; `0` drops them all. */
  maxLogs?: number;
  /** Keep at most this many events, the newest by index; `0` drops them all. */
  maxEvents?: number;
  /** Drop every log record with `timeUs` strictly less than this (epoch microseconds), wherever it is. */
  logsBeforeUs?: number;
  /**
   * Drop events with `timeUs` strictly less than this (epoch microseconds), from the front
   * only: the longest run of oldest indexes whose events are all older. The first event that
   * is not older stops the cut, even when older events (a host may publish with its own times)
   * come after it.
   */
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
 * The store contract. Every method answers a promise and reports failure by rejecting it
 * (never by a synchronous throw) with a `HubError`: a store translates driver errors
 * (`STORE_UNAVAILABLE`) and never leaks SQL or credentials in messages. Once `close()` was
 * called, every method but `close` rejects with `CLOSED` (`ClosedError`).
 *
 * The rules in one place (each is detailed on its member; `log-event-hub/conformance` checks
 * them all):
 *
 * - **Log ids**: positive, strictly increasing in append order, never reused (not after
 *   clearing, not after pruning); they need not be dense.
 * - **Event indexes**: dense from 1: the first event ever appended is 1, each next one is the
 *   previous plus one, with no gap and no reuse, even after the whole feed was pruned. An index
 *   becomes visible to readers only once every smaller index is visible.
 * - **`head`** is the newest index ever assigned and visible: 0 only for a feed that never had
 *   an event, never 0 again after pruning. **`oldest`** is the oldest retained index, 0 when none
 *   is retained. Both come from the same snapshot as the events.
 * - **A short read** (fewer events than `limit`) holds every visible event after the cursor up
 *   to `head`: the reader may move its cursor to `head`. A full read promises nothing past its
 *   newest event.
 * - **Pruning** by count keeps the newest; by age it drops what is strictly older (`<`) than
 *   the cutoff: any such log record, but events only from the front of the feed (an event that
 *   is not older stops the cut). `maxLogs: 0` and `maxEvents: 0` drop everything. `head` stays.
 * - **Text** is a literal substring under ASCII-only case folding (`A`-`Z` equal `a`-`z`; `ſ`,
 *   the Kelvin sign, `İ` and every other character equal only themselves).
 * - **`lastLogId`** answers the newest id still stored, 0 when none is.
 * - **Errors**: every method rejects (never throws synchronously) with a `HubError`; after
 *   `close()`, every method but `close` rejects with `CLOSED`.
 */
export interface Store {
  /** What this store can do. */
  readonly capabilities: StoreCapabilities;

  /**
   * Prepare for use: connect, create or migrate the schema. Called by the hub before the
   * first operation; must be idempotent (a second call on an open store does nothing).
   */
  open(): Promise<void>;

  /**
   * Append records atomically, in order: all are written or none. Assign each a positive id,
   * strictly greater than every id ever assigned (never reused, even after clearing or
   * pruning); ids need not be dense. Resolves with the stored records, in the given order, only
   * after they are durable to the store's own standard.
   */
  appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]>;

  /**
   * Records matching the filter and the id bounds (`beforeId`, `afterId`, `maxId`), in
   * `order` by id, skipping the first `offset` matches, at most `limit`.
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

  /**
   * The newest id among the records still stored, 0 when none is (so 0 again after clearing
   * everything, unlike the feed's `head`). The hub bounds a CSV export with it.
   */
  lastLogId(): Promise<number>;

  /**
   * Append events atomically, in order, assigning dense indexes: the first event ever is 1,
   * each next is the previous plus one (`head + 1`, `head + 2`, ...), never reused and never
   * skipped, even after the whole feed was pruned or an append failed. Readers paging by index
   * must never skip a committed event: an index is visible to readers (and counted in `head`)
   * only once every smaller index is. With several writers (`capabilities.shared`) that means
   * numbering in commit order; a store that reserves numbers first and writes later
   * (reserve-then-commit) breaks it.
   */
  appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]>;

  /**
   * Read a window of the feed: the events visible to `read.user` (its own and `all`; every
   * user's with `everyone`), with `head` and `oldest`, all from one snapshot. See
   * {@link StoreEventWindow} for what a short read promises.
   */
  readEvents(read: StoreEventRead): Promise<StoreEventWindow>;

  /** Apply retention (see {@link PruneRequest}); resolves how many logs and events were dropped. */
  prune(request: PruneRequest): Promise<PruneResult>;

  /**
   * Optional: be told when another process writes. Returns an unsubscribe function. Only
   * meaningful when {@link StoreCapabilities.shared}.
   */
  watch?(listener: (change: StoreChange) => void): () => void;

  /** Release every handle, timer and connection. Idempotent. */
  close(): Promise<void>;
}
