/**
 * The domain's types: log records, levels, categories, events and their payloads, queries.
 *
 * @module
 */

/** Log levels, as the seed's API names them. */
export const LEVELS = ["INFO", "WARN", "ERROR"] as const;

/** A log level. Input accepts any case; records always carry upper case. */
export type Level = (typeof LEVELS)[number];

/** The log categories every hub knows (the seed's list). */
export const BUILTIN_LOG_CATEGORIES = ["container", "image", "import", "export", "backup", "system"] as const;

/** A built-in log category. */
export type BuiltinLogCategory = (typeof BUILTIN_LOG_CATEGORIES)[number];

/** A log category: a built-in one or one the host registered (the generic `C`). */
export type LogCategory<C extends string = never> = BuiltinLogCategory | C;

/** One activity-log record as the typed API returns it. */
export interface LogRecord<C extends string = string> {
  /** Positive integer, strictly increasing in append order, never reused. */
  id: number;
  /** Epoch seconds (integer), as the seed's JSON carries it. */
  ts: number;
  /** Epoch microseconds (integer): the precise time, shown in the CSV export. */
  timeUs: number;
  /** `INFO`, `WARN` or `ERROR`. */
  level: Level;
  /** The record's category. */
  category: C;
  /** The acting user's name (`Anonymous` and `system` are ordinary values). */
  user: string;
  /** Free text. */
  message: string;
}

/** The seed's JSON object for one record, keys in the seed's order. */
export interface LogJson {
  /** The record's category. */
  category: string;
  /** The record's id. */
  id: number;
  /** `INFO`, `WARN` or `ERROR`. */
  level: Level;
  /** Free text. */
  message: string;
  /** Epoch seconds (integer). */
  ts: number;
  /** The acting user's name. */
  user: string;
}

/** What a caller appends. */
export interface LogInput<C extends string = string> {
  /** Level, any case (`info`, `Warn`, `ERROR`). */
  level: Level | Lowercase<Level> | string;
  /** A built-in or registered category. */
  category: C;
  /** The acting user. Defaults to `system` in `info`/`warn`/`error`. */
  user: string;
  /** Non-empty text, at most `limits.maxMessageLength` characters. */
  message: string;
  /**
   * When it happened: a `Date` or epoch milliseconds (fractions carry microseconds).
   * @default the hub's clock
   */
  time?: Date | number;
  /** When it happened, in epoch microseconds (wins over `time`). */
  timeUs?: number;
}

/** A record ready for a store: validated, normalised, without an id. */
export interface NewLogRecord {
  /** When it happened, epoch microseconds (integer). */
  timeUs: number;
  /** Upper-case level. */
  level: Level;
  /** Lower-case category, built-in or registered. */
  category: string;
  /** The acting user's name. */
  user: string;
  /** Validated, non-empty text. */
  message: string;
}

/**
 * Filters shared by queries, counts, clearing and export. All combine with AND.
 * `level` and `category` take one value or an array (any of them).
 */
export interface LogFilter<C extends string = string> {
  /** Epoch seconds, inclusive; `0` or absent = unbounded. */
  timeStart?: number;
  /** Epoch seconds, inclusive of the whole second; `0` or absent = unbounded. */
  timeEnd?: number;
  /** Exact user name. */
  user?: string;
  /** One level or several: `INFO`, `WARN`, `ERROR` in any ASCII case. */
  level?: Level | string | readonly (Level | string)[];
  /** One category or several. */
  category?: C | readonly C[];
  /**
   * Literal substring of the message, ASCII case-insensitive (`A`-`Z` equal `a`-`z`; every other
   * character only itself). No NUL or other control character but tab, LF and CR.
   */
  text?: string;
}

/** A query for {@link LogEventHub.queryLogs}. */
export interface LogQuery<C extends string = string> extends LogFilter<C> {
  /** How many records, 1..`limits.maxLimit`. @default 20 */
  limit?: number;
  /** Skip this many of the newest matches. @default 0 */
  offset?: number;
  /** Keyset paging: only records with `id < beforeId`. */
  beforeId?: number;
}

/**
 * A filter as stores see it: validated and normalised. Levels upper case, categories lower case
 * arrays, time bounds in epoch microseconds (inclusive), text lower-cased.
 */
export interface StoreLogFilter {
  /** Inclusive lower bound, epoch microseconds. */
  fromUs?: number;
  /** Inclusive upper bound, epoch microseconds. */
  toUs?: number;
  /** Exact user name. */
  user?: string;
  /** Upper-case levels, any of which matches; an empty list matches nothing. */
  levels?: readonly Level[];
  /** Lower-case categories, any of which matches; an empty list matches nothing. */
  categories?: readonly string[];
  /** Literal substring to match, ASCII case-insensitively (as given; stores fold: the text rule of `Store.queryLogs`). */
  text?: string;
}

/** A page request as stores see it. */
export interface StoreLogQuery extends StoreLogFilter {
  /** `desc`: newest first (the API's order); `asc`: oldest first (export). */
  order: "asc" | "desc";
  /** How many records at most. */
  limit: number;
  /** Skip this many matches (in `order`). */
  offset?: number;
  /** Only records with `id < beforeId`. */
  beforeId?: number;
  /** Only records with `id > afterId`. */
  afterId?: number;
  /** Only records with `id <= maxId` (a snapshot bound for export). */
  maxId?: number;
}

// ---------------------------------------------------------------------------------------------
// Events

/** Container kinds in the seed. */
export type ContainerType = "docker" | "lxc";

/** `image` event payloads (seed table). */
export type ImageEventPayload =
  | {
      /** An image was downloaded. */
      action: "download";
      /** Image name, without the tag. */
      name: string;
      /** Where it came from: `dockerhub`, `appcenter`. */
      from: "dockerhub" | "appcenter" | (string & {});
      /** Container kind the image is for. */
      type: ContainerType;
      /** Whether the download succeeded. */
      state: "success" | "error";
      /** Image tag, such as `latest`. */
      tag?: string;
    }
  | {
      /** An image was deleted. */
      action: "delete";
      /** Image name. */
      name: string;
      /** Container kind the image is for. */
      type: ContainerType;
      /** Whether the deletion succeeded. */
      state: "success" | "error";
    }
  | {
      /** The image list was updated. */
      action: "update";
      /** Source of the change: `local`, `appcenter`, `official`. */
      from: "local" | "appcenter" | "official" | (string & {});
      /** Container kind the images are for. */
      type: ContainerType;
      /** The runtime's own step, such as `pull`. */
      state?: string;
      /** The image concerned, such as `lgsd/diamond:latest`. */
      id?: string;
    };

/** `container` event payloads (seed table): a state change or a port change. */
export type ContainerEventPayload =
  | {
      /** Container name. */
      container: string;
      /** Container id (docker: the short id). */
      id?: string;
      /** Container kind. */
      type: ContainerType;
      /** The state change. */
      state: "create" | "start" | "stop" | "restart" | "destroy" | "pause" | "unpause";
      /** Absent in a state change. */
      port?: never;
    }
  | {
      /** Container name. */
      container: string;
      /** Container id (docker: the short id). */
      id?: string;
      /** Container kind. */
      type: ContainerType;
      /** A port mapping was added or removed. */
      port: "add" | "remove";
      /** Absent in a port change. */
      state?: never;
    };

/** `export` event payload (seed table). */
export interface ExportEventPayload {
  /** Container kind. */
  type: ContainerType;
  /** Container name. */
  container: string;
  /** Container id. */
  cid: string;
  /** Archive path exported to. */
  path: string;
  /** Whether the archive is compressed. */
  compress: boolean;
  /** Task progress. */
  state: "running" | "completed" | "aborted";
  /** Non-zero means something went wrong. */
  result?: number;
  /** Task id. */
  tid?: number;
}

/** `import` event payload (seed table). */
export interface ImportEventPayload {
  /** Container kind. */
  type: ContainerType;
  /** Name of the imported container. */
  cid: string;
  /** Archive path imported from. */
  path: string;
  /** Task progress. */
  state: "running" | "completed" | "aborted";
  /** Non-zero means something went wrong. */
  result?: number;
  /** Task id. */
  tid?: number;
}

/** Payload type per built-in event category. */
export interface BuiltinEventPayloads {
  /** Image downloads, deletions and list updates. */
  image: ImageEventPayload;
  /** Container state and port changes. */
  container: ContainerEventPayload;
  /** Container export tasks. */
  export: ExportEventPayload;
  /** Container import tasks. */
  import: ImportEventPayload;
}

/** The built-in event categories. */
export const BUILTIN_EVENT_CATEGORIES = ["image", "container", "export", "import"] as const;

/** Payload map of a hub: the built-in categories plus the host's (`E`). */
export type EventPayloads<E extends object = {}> = BuiltinEventPayloads & E;

/** The user name that means "everyone". */
export const ALL_USERS = "all";

/** One event of the feed. A discriminated union on `category` when `M` is a payload map. */
export type HubEvent<M extends object = Record<string, unknown>> = {
  [K in keyof M & string]: {
    /** Positive integer assigned at publish, strictly increasing. */
    index: number;
    /** Epoch seconds (integer). */
    ts: number;
    /** Epoch microseconds (integer). */
    timeUs: number;
    /** The event's category, which selects the payload type. */
    category: K;
    /** Recipient: a user name, or `all`. */
    user: string;
    /** The category's payload object. */
    payload: M[K];
  };
}[keyof M & string];

/** What a caller publishes. */
export type EventInput<M extends object = Record<string, unknown>> = {
  [K in keyof M & string]: {
    /** The event's category, which selects the payload type. */
    category: K;
    /** Recipient: a user name, or `all` for everyone. */
    user: string;
    /** The category's payload object. */
    payload: M[K];
    /**
     * When it happened: a `Date` or epoch milliseconds.
     * @default the hub's clock
     */
    time?: Date | number;
  };
}[keyof M & string];

/** An event ready for a store. */
export interface NewEvent {
  /** When it happened, epoch microseconds (integer). */
  timeUs: number;
  /** The event's category. */
  category: string;
  /** Recipient: a user name, or `all`. */
  user: string;
  /** The payload as compact JSON. */
  payloadJson: string;
}

/** An event as stores return it (payload still JSON). */
export interface StoredEvent {
  /** Positive integer assigned at append, strictly increasing. */
  index: number;
  /** When it happened, epoch microseconds (integer). */
  timeUs: number;
  /** The event's category. */
  category: string;
  /** Recipient: a user name, or `all`. */
  user: string;
  /** The payload as compact JSON. */
  payloadJson: string;
}

/** A read of the feed for {@link LogEventHub.readEvents}. */
export interface EventQuery {
  /** Cursor: read events after this index. Absent: the newest `limit`. */
  index?: number;
  /** 1..`limits.maxLimit`. @default 20 */
  limit?: number;
  /** The reader. Absent: sees only events for `all`. */
  user?: string;
  /** Long poll, milliseconds (only with `index`): wait this long for something new. */
  wait?: number;
  /** Ends a long poll early. */
  signal?: AbortSignal;
}

/** One page of the feed. */
export interface EventPage<M extends object = Record<string, unknown>> {
  /** One less than the oldest event the read examined (0 at the start of the feed). */
  index: number;
  /** Visible events, newest first. */
  events: HubEvent<M>[];
  /** The newest index the page accounts for: read again with `index = offset` to continue. */
  offset: number;
  /** Events dropped by retention between the cursor and the oldest retained one (only when > 0). */
  lost?: number;
}

/** The seed's wire page: `{ index, messages, offset }` (plus `lost` when > 0). */
export interface EventPageJson {
  /** Exclusive start of the window: one less than the oldest event examined. */
  index: number;
  /** `category:user:json` messages, newest first. */
  messages: string[];
  /** The newest index the page accounts for: the next read's `index`. */
  offset: number;
  /** Events dropped by retention between the cursor and the oldest retained one (only when > 0). */
  lost?: number;
}

// ---------------------------------------------------------------------------------------------
// Containers

/** Container states a wait can target. */
export type WaitState = "running" | "stopped";

/** Container info, exactly the seed's object. */
export interface ContainerInfo {
  /** CPU usage, percent. */
  cpu: number;
  /** Container id. */
  id: string;
  /** Image it runs, such as `ubuntu-trusty:latest`. */
  image: string;
  /** Its IP addresses. */
  ipaddress: string[];
  /** Memory in use, bytes. */
  memory: number;
  /** Container name. */
  name: string;
  /** Bytes received. */
  rx: number;
  /** `running`, `stopped`, `paused`, or a runtime-specific state. */
  state: WaitState | "paused" | (string & {});
  /** Bytes sent. */
  tx: number;
  /** Container kind. */
  type: ContainerType;
}

/** A wait for {@link LogEventHub.waitForState}. */
export interface WaitQuery {
  /** Container kind. */
  type: ContainerType;
  /** Container id or name. */
  id: string;
  /** The state to wait for. */
  state: WaitState;
  /** Milliseconds. @default 60000 */
  timeout?: number;
  /** Cancels the wait: it rejects with `signal.reason`. */
  signal?: AbortSignal;
}

/** A source of time: epoch microseconds. Inject one to control time in tests. */
export interface Clock {
  /** Now, in epoch microseconds (integer). */
  nowUs(): number;
}
