/**
 * `LogEventHub`: the activity log, the event feed and wait-for-state, over an injected store
 * and container runtime. A façade: each concern lives in its own module under `src/hub/`
 * (lifecycle, validation, retention, event pages, the iterator, the cross-process relay).
 *
 * @module
 */
import { EventEmitter } from "eventemitter3";
import { Batcher } from "./batcher.js";
import { exportCsv as exportCsvFromStore, type CsvExportOptions } from "./csv/export.js";
import { resolveTimeZone } from "./csv/timezone.js";
import { ClosedError, RuntimeUnavailableError } from "./errors.js";
import { FeedSignal } from "./events/feed-signal.js";
import { BackgroundReporter } from "./hub/background.js";
import { HubEventCache } from "./hub/hub-events.js";
import { iterateEvents } from "./hub/iterator.js";
import { Lifecycle } from "./hub/lifecycle.js";
import type { EventIteratorOptions, ExportFilter, HubEventMap, HubOptions } from "./hub/options.js";
import { EventPages } from "./hub/pages.js";
import { EventRelay } from "./hub/relay.js";
import { Retention } from "./hub/retention.js";
import { InputRules } from "./hub/validation.js";
import { resolveLimits, type HubLimits } from "./limits.js";
import {
  checkInteger,
  knownCategories,
  normalizeFilter,
  parseEventQuery,
  parseLogQuery,
  parseExportQuery,
  type ParsedExportQuery,
  parseWaitQuery,
  type ParsedEventQuery,
  type ParsedLogQuery,
  type QueryParams,
} from "./query.js";
import type { ContainerRuntime } from "./runtime.js";
import type { PruneResult, Store } from "./store.js";
import { MemoryStore } from "./stores/memory/index.js";
import { systemClock } from "./time.js";
import {
  BUILTIN_EVENT_CATEGORIES,
  type ContainerInfo,
  type EventInput,
  type EventPage,
  type EventPayloads,
  type EventQuery,
  type HubEvent,
  type LogCategory,
  type LogFilter,
  type LogInput,
  type LogQuery,
  type LogRecord,
  type NewEvent,
  type NewLogRecord,
  type StoredEvent,
  type WaitQuery,
} from "./types.js";
import { StateWaiter } from "./wait/state-waiter.js";

export type { EventIteratorOptions, ExportFilter, HubEventMap, HubOptions, RetentionOptions } from "./hub/options.js";

/**
 * The hub. One per process (or more, each with its own store). Everything is async and
 * validated; bad input rejects with a {@link ValidationError}, never a crash or a half-written record.
 *
 * A failed `open()` (the database down at boot) is not cached: the next call tries again.
 * Failures of background work (retention on its timer, the relay of other processes' events)
 * reach the `error` event as a {@link BackgroundTaskError}; with no `error` listener the first
 * failure of each kind is reported once with `process.emitWarning`.
 *
 * @typeParam C - extra log categories the host registers.
 * @typeParam E - extra event categories with their payload types (`{ backup: { job: string } }`).
 *
 * @example
 * ```ts
 * const hub = new LogEventHub();
 * await hub.info("container", "Start container (lxc, utest)", "Anonymous");
 * const latest = await hub.queryLogs({ limit: 5 });
 * ```
 */
export class LogEventHub<C extends string = never, E extends object = {}> {
  /** The store in use. */
  readonly store: Store;
  /** The runtime in use, if any. */
  readonly runtime: ContainerRuntime | undefined;
  /** The resolved limits. */
  readonly limits: Readonly<HubLimits>;
  /** The CSV export's default time zone. */
  readonly timeZone: string;

  private readonly emitter = new EventEmitter<HubEventMap<C, E>>();
  /** Built-in plus registered log categories. */
  private readonly logCategories: string[];
  /** The registered log categories only. */
  private readonly extraLogCategories: readonly string[];
  private readonly options: HubOptions<C, E>;
  private readonly rules: InputRules;
  private readonly feed = new FeedSignal();
  private readonly eventCache = new HubEventCache();
  private readonly logBatcher: Batcher<NewLogRecord, LogRecord>;
  private readonly eventBatcher: Batcher<NewEvent, StoredEvent>;
  private readonly waiter: StateWaiter | undefined;
  private readonly lifecycle: Lifecycle;
  private readonly background: BackgroundReporter;
  private readonly retention: Retention;
  private readonly relay: EventRelay;
  private readonly pages: EventPages;
  private readonly iteratorAborts = new Set<AbortController>();

  constructor(options: HubOptions<C, E> = {}) {
    this.options = options;
    this.store = options.store ?? new MemoryStore();
    this.runtime = options.runtime;
    this.limits = resolveLimits(options.limits);
    const clock = options.clock ?? systemClock;
    this.timeZone = options.timeZone ?? "UTC";
    resolveTimeZone(this.timeZone); // a bad zone fails here, not at the first export
    this.extraLogCategories = (options.categories ?? []) as readonly string[];
    this.logCategories = knownCategories(this.extraLogCategories);
    const eventCategories = [...BUILTIN_EVENT_CATEGORIES, ...((options.eventCategories ?? []) as readonly string[])];
    this.rules = new InputRules(this.limits, clock, this.logCategories, eventCategories);
    this.logBatcher = new Batcher((records) => this.store.appendLogs(records));
    this.eventBatcher = new Batcher((events) => this.store.appendEvents(events));
    this.background = new BackgroundReporter(this.emitter);
    // Failures while closing are the closing's business, not a background failure.
    this.retention = new Retention(this.store, clock, options.retention, (error) => {
      if (!this.lifecycle.closed) this.background.report("retention", error);
    });
    this.lifecycle = new Lifecycle(async () => {
      await this.store.open();
      const window = await this.store.readEvents({ limit: 1 });
      this.feed.advance(window.head);
      if (this.retention.configured) {
        await this.retention.apply();
        this.retention.start();
      }
    });
    this.relay = new EventRelay({
      store: this.store,
      feed: this.feed,
      open: () => this.open(),
      emit: (stored) => this.emitEvent(this.eventCache.get(stored) as HubEvent<EventPayloads<E>>),
      onFailure: (error) => {
        if (!this.lifecycle.closed) this.background.report("relay", error);
      },
      ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
    });
    this.pages = new EventPages({
      store: this.store,
      feed: this.feed,
      events: this.eventCache,
      onWait: (delta) => this.relay.addWaiter(delta),
      ...(options.expiredCursor !== undefined && { expiredCursor: options.expiredCursor }),
    });
    if (options.runtime) {
      this.waiter = new StateWaiter({
        runtime: options.runtime,
        subscribeEvents: (listener: (event: HubEvent) => void) => {
          const relay = (event: HubEvent) => listener(event);
          this.on("event", relay);
          return () => this.off("event", relay);
        },
        pollIntervalMs: options.statePollIntervalMs ?? 1000,
        ...(options.stateLookIntervalMs !== undefined && { lookIntervalMs: options.stateLookIntervalMs }),
        ...(options.stateConfirmTimeoutMs !== undefined && { confirmTimeoutMs: options.stateConfirmTimeoutMs }),
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Opens the store (schema, connections) and applies retention. Called implicitly by the
   * first operation; call it yourself to fail fast at start-up. A failed open is not kept: the
   * next call (or the next operation) tries again, so a database that was down at boot is used
   * once it is back.
   */
  open(): Promise<void> {
    return this.lifecycle.open();
  }

  /**
   * Settles everything pending, then releases every timer, listener and handle:
   * pending appends are written first; long polls resolve with what they have; iterators end;
   * pending `waitForState` calls reject with `CLOSED`. Later calls reject with `CLOSED`.
   * Idempotent.
   */
  close(): Promise<void> {
    return this.lifecycle.close(async () => {
      await Promise.allSettled([this.logBatcher.idle(), this.eventBatcher.idle()]);
      this.feed.close();
      for (const controller of this.iteratorAborts) controller.abort();
      this.waiter?.close();
      this.retention.stop();
      await this.relay.close();
      await this.lifecycle.settled();
      // An open that finished while closing may have started the timer.
      this.retention.stop();
      this.emitter.removeAllListeners();
      if (this.options.closeStore !== false) await this.store.close();
      if (this.options.closeRuntime !== false) await this.runtime?.close?.();
    });
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.lifecycle.closed;
  }

  // -------------------------------------------------------------------------------------------
  // Listeners (eventemitter3's own, typed by {@link HubEventMap})

  /** Adds a typed listener for `log`, `event` or `error`. */
  on<K extends keyof HubEventMap<C, E>>(name: K, listener: HubEventMap<C, E>[K]): this {
    this.emitter.on(name, listener as never);
    this.listenersChanged(name);
    return this;
  }

  /** Adds a listener called once; `off(name, listener)` removes it before it fires. */
  once<K extends keyof HubEventMap<C, E>>(name: K, listener: HubEventMap<C, E>[K]): this {
    this.emitter.once(name, listener as never);
    this.listenersChanged(name);
    return this;
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof HubEventMap<C, E>>(name: K, listener: HubEventMap<C, E>[K]): this {
    this.emitter.off(name, listener as never);
    this.listenersChanged(name);
    return this;
  }

  /** How many listeners are registered for `name` (for leak checks). */
  listenerCount(name: keyof HubEventMap<C, E>): number {
    return this.emitter.listenerCount(name);
  }

  // -------------------------------------------------------------------------------------------
  // Log

  /**
   * Appends a record. Concurrent appends are committed together (group commit); the promise
   * resolves after this record's commit, with its id.
   *
   * @throws ValidationError for an unknown level or category, an empty or oversized message,
   * or a bad user name. Nothing is written then.
   */
  async log(input: LogInput<LogCategory<C>>): Promise<LogRecord<LogCategory<C>>> {
    const record = this.rules.log(input);
    await this.ready();
    const stored = await this.logBatcher.push(record);
    this.emitter.emit("log", ...([stored] as Parameters<HubEventMap<C, E>["log"]>));
    return stored as LogRecord<LogCategory<C>>;
  }

  /** Appends an `INFO` record; `user` defaults to `system`. */
  info(category: LogCategory<C>, message: string, user = "system"): Promise<LogRecord<LogCategory<C>>> {
    return this.log({ level: "INFO", category, message, user });
  }

  /** Appends a `WARN` record; `user` defaults to `system`. */
  warn(category: LogCategory<C>, message: string, user = "system"): Promise<LogRecord<LogCategory<C>>> {
    return this.log({ level: "WARN", category, message, user });
  }

  /** Appends an `ERROR` record; `user` defaults to `system`. */
  error(category: LogCategory<C>, message: string, user = "system"): Promise<LogRecord<LogCategory<C>>> {
    return this.log({ level: "ERROR", category, message, user });
  }

  /**
   * Records matching the query, newest first. `limit` defaults to 20 and must be
   * 1..`limits.maxLimit`; `offset` skips that many newest matches; `beforeId` pages by key.
   */
  async queryLogs(query: LogQuery<LogCategory<C>> = {}): Promise<LogRecord<LogCategory<C>>[]> {
    const filter = normalizeFilter(query, this.logCategories, this.limits);
    const limit = query.limit === undefined ? this.limits.defaultLimit : checkInteger(query.limit, "limit", 1, this.limits.maxLimit);
    const offset = query.offset === undefined ? 0 : checkInteger(query.offset, "offset", 0, Number.MAX_SAFE_INTEGER);
    const storeQuery = { ...filter, order: "desc" as const, limit, offset };
    if (query.beforeId !== undefined) {
      Object.assign(storeQuery, { beforeId: checkInteger(query.beforeId, "beforeId", 1, Number.MAX_SAFE_INTEGER) });
    }
    await this.ready();
    return (await this.store.queryLogs(storeQuery)) as LogRecord<LogCategory<C>>[];
  }

  /** How many records match the filter (for a pager). */
  async countLogs(filter: LogFilter<LogCategory<C>> = {}): Promise<number> {
    const storeFilter = normalizeFilter(filter, this.logCategories, this.limits);
    await this.ready();
    return this.store.countLogs(storeFilter);
  }

  /**
   * Removes the matching records and resolves how many were removed. With no filter (or `{}`)
   * it removes every record; an empty-string field (`{ text: "" }`, `{ category: [""] }`) is
   * refused, so a form with nothing selected never clears everything by accident.
   *
   * @throws ValidationError for a bad or empty filter field, naming it.
   */
  async clearLogs(filter: LogFilter<LogCategory<C>> = {}): Promise<number> {
    const storeFilter = normalizeFilter(filter, this.logCategories, this.limits, { refuseEmpty: true });
    await this.ready();
    await this.logBatcher.idle();
    return this.store.clearLogs(storeFilter);
  }

  /**
   * The log as CSV (`Date,Level,Category,User,Message`, oldest first), streamed in chunks read
   * page by page from the store. Validates synchronously: bad filters throw before any output.
   * Records appended after the export started are not included.
   *
   * @throws ValidationError for a bad filter, limit or time zone.
   */
  exportCsv(filter: ExportFilter<LogCategory<C>> = {}, options: CsvExportOptions = {}): AsyncIterable<string> {
    if (this.lifecycle.closed) throw new ClosedError();
    const storeFilter = normalizeFilter(filter, this.logCategories, this.limits);
    const exportOptions: CsvExportOptions = { timeZone: this.timeZone, ...options };
    if (filter.limit !== undefined) {
      exportOptions.limit = checkInteger(filter.limit, "limit", 1, Number.MAX_SAFE_INTEGER);
    }
    const chunks = exportCsvFromStore(this.store, storeFilter, exportOptions);
    const ready = () => this.ready();
    return {
      async *[Symbol.asyncIterator]() {
        await ready();
        yield* chunks;
      },
    };
  }

  /** Applies the configured retention now; resolves how many records and events were dropped. */
  async prune(): Promise<PruneResult> {
    await this.ready();
    return this.retention.apply();
  }

  // -------------------------------------------------------------------------------------------
  // Events

  /**
   * Publishes an event to one user or to `all`; resolves with its index after commit.
   *
   * @throws ValidationError for an unknown category, a bad user, or a payload that is not a
   * JSON object or is too large.
   */
  async publish(input: EventInput<EventPayloads<E>>): Promise<HubEvent<EventPayloads<E>>> {
    const event = this.rules.event(input as EventInput<Record<string, unknown>>);
    await this.ready();
    const stored = await this.eventBatcher.push(event);
    this.feed.advance(stored.index);
    const hubEvent = this.eventCache.get(stored) as HubEvent<EventPayloads<E>>;
    // With a shared store the relay emits every event, this process's too, in index order.
    if (this.store.capabilities.shared) this.relay.poke();
    else this.emitEvent(hubEvent);
    return hubEvent;
  }

  /**
   * Reads one page of the feed as `user` sees it (own events and `all`).
   * Without `index`: the newest `limit` events. With `index`: the oldest `limit` events after
   * it, and with `wait` (ms) a long poll when there is nothing newer yet.
   * Events are newest first; read again with `index = page.offset` to continue.
   *
   * @throws ValidationError for a cursor ahead of the feed or a bad limit/wait.
   * @throws CursorExpiredError when the cursor is older than retention and `expiredCursor` is `error`.
   */
  async readEvents(query: EventQuery = {}): Promise<EventPage<EventPayloads<E>>> {
    const limit = query.limit === undefined ? this.limits.defaultLimit : checkInteger(query.limit, "limit", 1, this.limits.maxLimit);
    const index = query.index === undefined ? undefined : checkInteger(query.index, "index", 0, Number.MAX_SAFE_INTEGER);
    const wait = query.wait === undefined ? 0 : checkInteger(query.wait, "wait", 0, this.limits.maxWaitMs);
    const user = query.user === undefined ? undefined : this.rules.user(query.user, "user");
    if (query.signal?.aborted) throw query.signal.reason;
    await this.ready();
    return (await this.pages.poll(index, limit, user, wait, query.signal)) as unknown as EventPage<EventPayloads<E>>;
  }

  /**
   * Every event `user` may see, from `after` on, in order, as they are published. Ends when
   * `signal` aborts or the hub closes. Throws `CursorExpiredError` if it falls behind retention.
   */
  async *events(options: EventIteratorOptions = {}): AsyncGenerator<HubEvent<EventPayloads<E>>, void, undefined> {
    const batchSize = options.batchSize === undefined ? 100 : checkInteger(options.batchSize, "batchSize", 1, this.limits.maxLimit);
    const user = options.user === undefined ? undefined : this.rules.user(options.user, "user");
    await this.ready();
    const events = iterateEvents(
      {
        poll: (index, signal) =>
          this.readEvents({ index, limit: batchSize, wait: this.limits.maxWaitMs, signal, ...(user !== undefined && { user }) }) as unknown as Promise<EventPage>,
        head: async () => (await this.pages.read(undefined, 1, undefined)).offset,
        closed: () => this.lifecycle.closed,
        aborts: this.iteratorAborts,
      },
      options.after,
      options.signal,
    );
    yield* events as AsyncGenerator<HubEvent<EventPayloads<E>>, void, undefined>;
  }

  // -------------------------------------------------------------------------------------------
  // Containers

  /**
   * Resolves with the container's info once it is in `state` (at once if it already is), or
   * with its current info when `timeout` (ms, default 60 s) runs out: compare `info.state`.
   * That info is read when the timeout runs out; a wait never answers a state it has not seen.
   *
   * @throws RuntimeUnavailableError (HTTP 503) when the timeout ran out and the runtime could not
   * confirm the current state (unreachable, failing, or not answering within
   * `stateConfirmTimeoutMs`), or when the first inspect fails.
   * @throws NotFoundError for an unknown container.
   * @throws ValidationError for a bad type, state or timeout.
   */
  async waitForState(query: WaitQuery): Promise<ContainerInfo> {
    const checked = parseWaitQuery({ type: query.type, id: query.id, state: query.state }, { limits: this.limits });
    const timeoutMs = query.timeout === undefined ? this.limits.defaultWaitTimeoutMs : checkInteger(query.timeout, "timeout", 0, this.limits.maxWaitMs);
    if (this.lifecycle.closed) throw new ClosedError();
    if (!this.waiter) throw new RuntimeUnavailableError("No container runtime is configured for this hub");
    if (query.signal?.aborted) throw query.signal.reason;
    await this.ready();
    return this.waiter.wait({
      type: checked.type,
      id: checked.id,
      state: checked.state,
      timeoutMs,
      ...(query.signal && { signal: query.signal }),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Parsing bound to this hub's categories and limits

  /**
   * {@link parseLogQuery} with this hub's categories and limits; the result goes to
   * `queryLogs`, `countLogs` and `clearLogs` as it is.
   */
  parseLogQuery(params: QueryParams): ParsedLogQuery<LogCategory<C>> {
    // `categories` are the extra ones: parseLogQuery adds the built-in ones itself.
    return parseLogQuery(params, { categories: this.extraLogCategories, limits: this.limits }) as ParsedLogQuery<LogCategory<C>>;
  }

  /** {@link parseExportQuery} with this hub's categories; the result goes to `exportCsv` as it is. */
  parseExportQuery(params: QueryParams): ParsedExportQuery<LogCategory<C>> {
    return parseExportQuery(params, { categories: this.extraLogCategories, limits: this.limits }) as ParsedExportQuery<LogCategory<C>>;
  }

  /** {@link parseEventQuery} with this hub's limits. */
  parseEventQuery(params: QueryParams): ParsedEventQuery {
    return parseEventQuery(params, { limits: this.limits });
  }

  /** {@link parseWaitQuery} with this hub's limits. */
  parseWaitQuery(params: QueryParams): WaitQuery {
    return parseWaitQuery(params, { limits: this.limits });
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  private ready(): Promise<void> {
    return this.lifecycle.ready();
  }

  /** Emits one event, then lets the relay see listeners that `once` removed. */
  private emitEvent(event: HubEvent<EventPayloads<E>>): void {
    this.emitter.emit("event", ...([event] as Parameters<HubEventMap<C, E>["event"]>));
    this.listenersChanged("event");
  }

  /** The relay runs while someone listens to `event` (or long-polls). */
  private listenersChanged(name: keyof HubEventMap<C, E>): void {
    if (name === "event") this.relay.setListeners(this.emitter.listenerCount("event"));
  }
}
