/**
 * The hub's option and listener types.
 *
 * @module
 */
import type { BackgroundTaskError } from "../errors.js";
import type { HubLimits } from "../limits.js";
import type { ContainerRuntime } from "../runtime.js";
import type { Store } from "../store.js";
import type { Clock, EventPayloads, HubEvent, LogCategory, LogFilter, LogRecord } from "../types.js";

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
  /**
   * A background task failed: retention on its timer (`RETENTION_FAILED`) or the relay of other
   * processes' events (`RELAY_FAILED`). Each task retries on its own. With no `error` listener
   * the hub reports the first failure of each kind once with `process.emitWarning`.
   */
  error: (error: BackgroundTaskError) => void;
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
