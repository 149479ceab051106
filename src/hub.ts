/**
 * `LogEventHub`: the activity log, the event feed and wait-for-state, over an injected store
 * and container runtime.
 *
 * @module
 */
import { EventEmitter } from "eventemitter3";
import { Batcher } from "./batcher.js";
import { BoundedCache } from "./cache.js";
import { exportCsv as exportCsvFromStore, type CsvExportOptions } from "./csv/export.js";
import { resolveTimeZone } from "./csv/timezone.js";
import {
  ClosedError,
  CursorExpiredError,
  RuntimeUnavailableError,
  ValidationError,
} from "./errors.js";
import { pageCursor } from "./events/cursor.js";
import { FeedSignal } from "./events/feed-signal.js";
import { resolveLimits, type HubLimits } from "./limits.js";
import { checkCharacters } from "./logs/text.js";
import {
  checkInteger,
  knownCategories,
  normalizeCategory,
  normalizeFilter,
  normalizeLevel,
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
import type { PruneResult, Store, StoreEventWindow } from "./store.js";
import { MemoryStore } from "./stores/memory/index.js";
import { systemClock, toMicros, toSeconds } from "./time.js";
import {
  BUILTIN_EVENT_CATEGORIES,
  type Clock,
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

/** Retention: how much the hub keeps. Applied at open and then every `intervalMs`. */
export interface RetentionOptions {
  /** Keep at most this many log records (the newest). */
  maxLogs?: number;
  /** Keep at most this many events (the newest). */
  maxEvents?: number;
  /** Drop log records older than this many milliseconds. */
  maxLogAgeMs?: number;
  /** Drop events older than this many milliseconds. */
  maxEventAgeMs?: number;
  /** How often to apply retention, milliseconds. @default 60000 */
  intervalMs?: number;
}

/** Options of {@link LogEventHub}. Every field is optional. */
export interface HubOptions<C extends string = never, E extends object = {}> {
  /** Where logs and events live. @default a new `MemoryStore` */
  store?: Store;
  /** How container state is read (for `waitForState`). */
  runtime?: ContainerRuntime;
  /** Extra log categories, beside the built-in `container`, `image`, `import`, `export`, `backup`, `system`. */
  categories?: readonly C[];
  /** Extra event categories, beside the built-in `image`, `container`, `export`, `import`. */
  eventCategories?: readonly (keyof E & string)[];
  /** IANA time zone of the CSV export's `Date` column. @default "UTC" */
  timeZone?: string;
  /** Input bounds; see {@link HubLimits}. */
  limits?: Partial<HubLimits>;
  /** Source of time for new records. @default the system clock */
  clock?: Clock;
  /** Retention limits applied to any store. */
  retention?: RetentionOptions;
  /**
   * What a cursor older than retention gets: `report` answers with a `lost` count;
   * `error` throws `CursorExpiredError` (HTTP 410). @default "report"
   */
  expiredCursor?: "report" | "error";
  /**
   * With a store shared by several processes: how often to look for other processes' events
   * while someone waits, milliseconds. @default 250, or 2000 when the store sends notifications
   */
  pollIntervalMs?: number;
  /** How often `waitForState` polls a runtime that has no change feed, milliseconds. @default 1000 */
  statePollIntervalMs?: number;
  /**
   * While a container has pending `waitForState` calls, look at it this often even when the
   * runtime's change feed tells nothing, milliseconds (one inspect per interval per waited
   * container, however many waits; idle containers are never looked at). `0` turns it off.
   * @default the runtime's `lookIntervalMs` (100 for `DockerRuntime`), else 0
   */
  stateLookIntervalMs?: number;
  /**
   * How long a `waitForState` whose timeout ran out waits for the inspect that confirms the
   * current state before it rejects `RuntimeUnavailableError`, milliseconds. @default 2000
   */
  stateConfirmTimeoutMs?: number;
  /** Whether `close()` also closes the store. @default true */
  closeStore?: boolean;
  /** Whether `close()` also closes the runtime (if it has `close`). @default true */
  closeRuntime?: boolean;
}

/** Listener signatures of {@link LogEventHub.on}. */
export interface HubEventMap<C extends string, E extends object> {
  /** A record was appended by this hub. */
  log: (record: LogRecord<LogCategory<C>>) => void;
  /** An event was published (by this hub, or, with a shared store, by another process). */
  event: (event: HubEvent<EventPayloads<E>>) => void;
}

/** Options of {@link LogEventHub.events}. */
export interface EventIteratorOptions {
  /** Resume after this index. @default the current head (only new events) */
  after?: number;
  /** The reader; sees its own events and `all`. */
  user?: string;
  /** Ends the iteration (cleanly: the loop simply finishes). */
  signal?: AbortSignal;
  /** Events fetched per read. @default 100 */
  batchSize?: number;
}

/** A log filter with an optional row limit, for {@link LogEventHub.exportCsv}. */
export type ExportFilter<C extends string = string> = LogFilter<C> & {
  /** Export at most this many records (the oldest matches first). */
  limit?: number;
};

const USER_FORBIDDEN = ":";

/**
 * The hub. One per process (or more, each with its own store). Everything is async and
 * validated; bad input rejects with a {@link ValidationError}, never a crash or a half-written record.
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

  private readonly emitter = new EventEmitter();
  private readonly clock: Clock;
  /** Built-in plus registered log categories. */
  private readonly logCategories: string[];
  /** The registered log categories only. */
  private readonly extraLogCategories: readonly string[];
  private readonly eventCategoryList: string[];
  private readonly options: HubOptions<C, E>;
  private readonly feed = new FeedSignal();
  private readonly logBatcher: Batcher<NewLogRecord, LogRecord>;
  private readonly eventBatcher: Batcher<NewEvent, StoredEvent>;
  private readonly waiter: StateWaiter | undefined;
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private retentionTimer: ReturnType<typeof setInterval> | undefined;
  // Relay of other processes' events (shared stores only).
  private relayDemand = 0;
  /** Resolves once the hub is open and the relay has its starting cursor (set by the first demand). */
  private relayStart: Promise<void> | undefined;
  private relayCursor = 0;
  private relayTimer: ReturnType<typeof setTimeout> | undefined;
  private relayRunning: Promise<void> | undefined;
  private relayAgain = false;
  private unwatchStore: (() => void) | undefined;
  private readonly iteratorAborts = new Set<AbortController>();
  // Readers poll the same newest events again and again: parse each once (bounded).
  private readonly eventCache = new BoundedCache<number, HubEvent>(EVENT_CACHE_SIZE);

  constructor(options: HubOptions<C, E> = {}) {
    this.options = options;
    this.store = options.store ?? new MemoryStore();
    this.runtime = options.runtime;
    this.limits = resolveLimits(options.limits);
    this.clock = options.clock ?? systemClock;
    this.timeZone = options.timeZone ?? "UTC";
    resolveTimeZone(this.timeZone); // a bad zone fails here, not at the first export
    this.extraLogCategories = (options.categories ?? []) as readonly string[];
    this.logCategories = knownCategories(this.extraLogCategories);
    this.eventCategoryList = [...BUILTIN_EVENT_CATEGORIES, ...((options.eventCategories ?? []) as readonly string[])];
    this.logBatcher = new Batcher((records) => this.store.appendLogs(records));
    this.eventBatcher = new Batcher((events) => this.store.appendEvents(events));
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
   * first operation; call it yourself to fail fast at start-up.
   */
  open(): Promise<void> {
    if (this.closing) return Promise.reject(new ClosedError());
    this.opening ??= (async () => {
      await this.store.open();
      const window = await this.store.readEvents({ limit: 1 });
      this.feed.advance(window.head);
      const retention = this.options.retention;
      if (retention && Object.keys(retention).some((k) => k !== "intervalMs")) {
        await this.applyRetention();
        this.retentionTimer = setInterval(() => {
          this.applyRetention().catch((error) => this.emitter.emit("error", error));
        }, retention.intervalMs ?? 60_000);
        this.retentionTimer.unref();
      }
    })();
    return this.opening;
  }

  /**
   * Settles everything pending, then releases every timer, listener and handle:
   * pending appends are written first; long polls resolve with what they have; iterators end;
   * pending `waitForState` calls reject with `CLOSED`. Later calls reject with `CLOSED`.
   * Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([this.logBatcher.idle(), this.eventBatcher.idle()]);
      this.feed.close();
      for (const controller of this.iteratorAborts) controller.abort();
      this.waiter?.close();
      if (this.retentionTimer) clearInterval(this.retentionTimer);
      if (this.relayTimer) clearTimeout(this.relayTimer);
      this.unwatchStore?.();
      await this.relayRunning?.catch(() => undefined);
      if (this.opening) await this.opening.catch(() => undefined);
      this.emitter.removeAllListeners();
      if (this.options.closeStore !== false) await this.store.close();
      if (this.options.closeRuntime !== false) await this.runtime?.close?.();
    })();
    return this.closing;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Listeners

  /** Adds a typed listener for `log` or `event`. */
  on<K extends keyof HubEventMap<C, E>>(name: K, listener: HubEventMap<C, E>[K]): this {
    this.emitter.on(name, listener as (...args: unknown[]) => void);
    if (name === "event") this.addRelayDemand(1);
    return this;
  }

  /** Adds a listener called once. */
  once<K extends keyof HubEventMap<C, E>>(name: K, listener: HubEventMap<C, E>[K]): this {
    const wrapped = (...args: unknown[]) => {
      this.off(name, wrapped as HubEventMap<C, E>[K]);
      (listener as (...a: unknown[]) => void)(...args);
    };
    return this.on(name, wrapped as HubEventMap<C, E>[K]);
  }

  /** Removes a listener added with `on` or `once`. */
  off<K extends keyof HubEventMap<C, E>>(name: K, listener: HubEventMap<C, E>[K]): this {
    const before = this.emitter.listenerCount(name);
    this.emitter.off(name, listener as (...args: unknown[]) => void);
    if (name === "event" && this.emitter.listenerCount(name) < before) this.addRelayDemand(-1);
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
    const record = this.validateLog(input);
    await this.ready();
    const stored = await this.logBatcher.push(record);
    this.emitter.emit("log", stored);
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
    if (this.closing) throw new ClosedError();
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
    return this.applyRetention();
  }

  private applyRetention(): Promise<PruneResult> {
    const r = this.options.retention ?? {};
    const now = this.clock.nowUs();
    return this.store.prune({
      ...(r.maxLogs !== undefined && { maxLogs: r.maxLogs }),
      ...(r.maxEvents !== undefined && { maxEvents: r.maxEvents }),
      ...(r.maxLogAgeMs !== undefined && { logsBeforeUs: now - r.maxLogAgeMs * 1000 }),
      ...(r.maxEventAgeMs !== undefined && { eventsBeforeUs: now - r.maxEventAgeMs * 1000 }),
    });
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
    const event = this.validateEvent(input as EventInput<Record<string, unknown>>);
    await this.ready();
    const stored = await this.eventBatcher.push(event);
    this.feed.advance(stored.index);
    const hubEvent = this.hubEvent(stored) as HubEvent<EventPayloads<E>>;
    if (this.store.capabilities.shared) this.pokeRelay();
    else this.emitter.emit("event", hubEvent);
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
    const user = query.user === undefined ? undefined : this.checkUser(query.user, "user");
    if (query.signal?.aborted) throw query.signal.reason;
    await this.ready();
    let page = await this.readPage(index, limit, user);
    if (index === undefined || wait === 0 || page.events.length > 0) return page;
    const deadline = performance.now() + wait;
    this.addRelayDemand(1);
    try {
      for (;;) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        const outcome = await this.feed.waitBeyond(page.offset, remaining, query.signal);
        if (outcome === "closed") return page;
        page = await this.readPage(index, limit, user);
        if (page.events.length > 0 || outcome === "timeout") return page;
      }
      return page;
    } finally {
      this.addRelayDemand(-1);
    }
  }

  /**
   * Every event `user` may see, from `after` on, in order, as they are published. Ends when
   * `signal` aborts or the hub closes. Throws `CursorExpiredError` if it falls behind retention.
   */
  async *events(options: EventIteratorOptions = {}): AsyncGenerator<HubEvent<EventPayloads<E>>, void, undefined> {
    const batchSize = options.batchSize === undefined ? 100 : checkInteger(options.batchSize, "batchSize", 1, this.limits.maxLimit);
    const user = options.user === undefined ? undefined : this.checkUser(options.user, "user");
    await this.ready();
    let cursor = options.after === undefined ? (await this.readPage(undefined, 1, undefined)).offset : options.after;
    const controller = new AbortController();
    const onAbort = () => controller.abort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) controller.abort();
    this.iteratorAborts.add(controller);
    try {
      while (!controller.signal.aborted && !this.closing) {
        let page: EventPage<EventPayloads<E>>;
        try {
          page = await this.readEvents({ index: cursor, limit: batchSize, wait: this.limits.maxWaitMs, signal: controller.signal, ...(user !== undefined && { user }) });
        } catch (error) {
          if (controller.signal.aborted) return;
          throw error;
        }
        if (page.lost) {
          throw new CursorExpiredError(`The iterator fell behind retention: ${page.lost} events were dropped`, page.lost, page.index + 1);
        }
        for (let i = page.events.length - 1; i >= 0; i--) yield page.events[i] as unknown as HubEvent<EventPayloads<E>>;
        cursor = page.offset;
      }
    } finally {
      options.signal?.removeEventListener("abort", onAbort);
      this.iteratorAborts.delete(controller);
    }
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
    if (this.closing) throw new ClosedError();
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

  /** The API object for a stored event, parsed once and shared while it stays in the cache. */
  private hubEvent(stored: StoredEvent): HubEvent {
    let event = this.eventCache.get(stored.index);
    if (event === undefined) {
      event = toHubEvent(stored);
      this.eventCache.set(stored.index, event);
    }
    return event;
  }

  private async ready(): Promise<void> {
    if (this.closing) throw new ClosedError();
    await this.open();
  }

  private checkUser(user: unknown, param: string): string {
    if (typeof user !== "string" || user.length === 0) {
      throw new ValidationError(`"${param}" must be a non-empty string`, param);
    }
    if (user.length > this.limits.maxUserLength) {
      throw new ValidationError(`"${param}" is longer than ${this.limits.maxUserLength} characters`, param);
    }
    if (user.includes(USER_FORBIDDEN)) throw new ValidationError(`"${param}" must not contain ":"`, param);
    return checkCharacters(user, param, "singleLine");
  }

  private timeOf(time: Date | number | undefined, timeUs: number | undefined): number {
    if (timeUs !== undefined) return checkInteger(timeUs, "timeUs", 0, Number.MAX_SAFE_INTEGER);
    if (time === undefined) return this.clock.nowUs();
    const us = time instanceof Date || typeof time === "number" ? toMicros(time) : Number.NaN;
    if (!Number.isSafeInteger(us) || us < 0) throw new ValidationError(`"time" must be a valid Date or epoch milliseconds`, "time");
    return us;
  }

  private validateLog(input: LogInput<string>): NewLogRecord {
    if (input === null || typeof input !== "object") throw new ValidationError("A log record must be an object");
    const level = normalizeLevel(input.level, "level");
    const category = normalizeCategory(input.category, this.logCategories, "category");
    const user = this.checkUser(input.user, "user");
    const { message } = input;
    if (typeof message !== "string" || message.length === 0) {
      throw new ValidationError(`"message" must be a non-empty string`, "message");
    }
    if (message.length > this.limits.maxMessageLength) {
      throw new ValidationError(`"message" is longer than ${this.limits.maxMessageLength} characters`, "message");
    }
    checkCharacters(message, "message");
    return { timeUs: this.timeOf(input.time, input.timeUs), level, category, user, message };
  }

  private validateEvent(input: EventInput<Record<string, unknown>>): NewEvent {
    if (input === null || typeof input !== "object") throw new ValidationError("An event must be an object");
    const category = input.category;
    if (typeof category !== "string" || !this.eventCategoryList.includes(category)) {
      throw new ValidationError(
        `Unknown event category ${JSON.stringify(category)}: expected one of ${this.eventCategoryList.join(", ")}`,
        "category",
      );
    }
    const user = this.checkUser(input.user, "user");
    const { payload } = input;
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      throw new ValidationError(`"payload" must be a JSON object`, "payload");
    }
    let payloadJson: string;
    try {
      payloadJson = JSON.stringify(payload);
    } catch {
      throw new ValidationError(`"payload" cannot be serialised as JSON`, "payload");
    }
    if (payloadJson.length > this.limits.maxPayloadLength) {
      throw new ValidationError(`"payload" is larger than ${this.limits.maxPayloadLength} characters as JSON`, "payload");
    }
    return { timeUs: this.timeOf(input.time, undefined), category, user, payloadJson };
  }

  /** One page with the cursor arithmetic of SPEC 4 and 8. */
  private async readPage(index: number | undefined, limit: number, user: string | undefined): Promise<EventPage<EventPayloads<E>>> {
    const window: StoreEventWindow = await this.store.readEvents({
      limit,
      ...(index !== undefined && { after: index }),
      ...(user !== undefined && { user }),
    });
    this.feed.advance(window.head);
    const cursor = pageCursor(window, index, limit);
    if (cursor.lost > 0 && this.options.expiredCursor === "error") {
      throw new CursorExpiredError(`The cursor is older than retention: ${cursor.lost} events were dropped`, cursor.lost, cursor.index + 1);
    }
    const page: EventPage<EventPayloads<E>> = {
      index: cursor.index,
      events: window.events.map((e) => this.hubEvent(e)).reverse() as HubEvent<EventPayloads<E>>[],
      offset: cursor.offset,
    };
    if (cursor.lost > 0) page.lost = cursor.lost;
    return page;
  }

  // Relay of other processes' events, for stores shared across processes. It runs only while
  // someone listens or waits, reading the feed in order so each event is emitted once.

  private addRelayDemand(delta: number): void {
    if (!this.store.capabilities.shared) return;
    this.relayDemand += delta;
    if (this.relayDemand > 0 && delta > 0) {
      if (!this.unwatchStore && this.store.watch) {
        this.unwatchStore = this.store.watch((change) => {
          // A notice's head is already committed: wake long polls now, relay in order next.
          if (change.kind === "event" && change.head !== undefined) this.feed.advance(change.head);
          this.pokeRelay();
        });
      }
      this.relayStart ??= this.startRelay();
      this.scheduleRelay();
    }
    if (this.relayDemand === 0) {
      // The next demand starts again at the head: events published while nobody listened are
      // not replayed to a later listener.
      this.relayStart = undefined;
      if (this.relayTimer) clearTimeout(this.relayTimer);
      this.relayTimer = undefined;
    }
  }

  /**
   * Opens the hub, then starts the relay at the store's current head: only events published
   * after that are relayed. (Before open() a shared store cannot be read; after a pause with no
   * listener, the hub's own idea of the head may be behind the store's.)
   */
  private startRelay(): Promise<void> {
    const start = this.open().then(async () => {
      const { head } = await this.store.readEvents({ limit: 1, everyone: true });
      this.feed.advance(head);
      this.relayCursor = head;
    });
    start.catch(() => undefined); // a failed open is reported by the relay runs that await it
    return start;
  }

  private pokeRelay(): void {
    if (!this.store.capabilities.shared || this.closing) return;
    if (this.relayDemand === 0) return;
    if (this.relayRunning) {
      this.relayAgain = true;
      return;
    }
    this.relayRunning = this.runRelay().finally(() => {
      this.relayRunning = undefined;
      if (this.relayAgain) {
        this.relayAgain = false;
        this.pokeRelay();
      } else this.scheduleRelay();
    });
  }

  private scheduleRelay(): void {
    if (this.relayTimer || this.relayRunning || this.relayDemand === 0 || this.closing) return;
    const interval = this.options.pollIntervalMs ?? (this.store.capabilities.notifications ? 2000 : 250);
    this.relayTimer = setTimeout(() => {
      this.relayTimer = undefined;
      this.pokeRelay();
    }, interval);
    this.relayTimer.unref();
  }

  private async runRelay(): Promise<void> {
    try {
      await this.relayStart;
      for (;;) {
        const window = await this.store.readEvents({ after: this.relayCursor, limit: 500, everyone: true });
        for (const stored of window.events) {
          // The cursor only moves forward (a restart may have moved it past this read's window).
          if (stored.index <= this.relayCursor) continue;
          this.relayCursor = stored.index;
          this.emitter.emit("event", this.hubEvent(stored));
        }
        this.feed.advance(window.head);
        if (window.events.length < 500 || this.closing) break;
      }
    } catch (error) {
      // A failing relay read must not crash the host; the next poll retries.
      if (this.emitter.listenerCount("error") > 0) this.emitter.emit("error", error);
    }
  }
}

/** How many parsed events the hub keeps for reuse (see `hubEvent`). */
const EVENT_CACHE_SIZE = 4096;

/** Freezes a parsed JSON value all the way down (events are immutable once published). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A stored event as the API returns it: frozen, so one object can serve every reader. */
function toHubEvent(stored: StoredEvent): HubEvent {
  return Object.freeze({
    index: stored.index,
    ts: toSeconds(stored.timeUs),
    timeUs: stored.timeUs,
    category: stored.category,
    user: stored.user,
    payload: deepFreeze(JSON.parse(stored.payloadJson) as Record<string, unknown>),
  });
}

