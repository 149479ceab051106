/**
 * LXD's lifecycle and operation events (`GET /1.0/events?type=lifecycle,operation`, a WebSocket
 * over the unix socket),
 * shared by every listener: opened for the first, closed after the last, reconnected with capped
 * exponential backoff when it drops. LXD keeps no event history to resume from, so the owner is
 * told each time the stream opens and each time an attempt fails, and re-reads state then.
 *
 * @module
 */
import { asError, type ReconnectOptions, RECONNECT_INITIAL_DELAY_MS, SharedEventStream } from "../shared-stream.js";
import type { LxdClient } from "./client.js";
import { loadWebSocket, type WebSocketConstructorLike, type WebSocketLike } from "./websocket.js";

/** One lifecycle event, as the stream hands it out. */
export interface LxdLifecycleEvent {
  /** LXD's action: `instance-started`, `instance-shutdown`, `instance-stopped`, `instance-restarted`, ... */
  action: string;
  /** The object it concerns: `/1.0/instances/utest`, `/1.0/instances/utest/snapshots/s1`, ... */
  source: string;
  /** The instance's name when `source` is an instance itself (not a snapshot, a backup, ...). */
  instance: string | undefined;
  /** The project, from the event (`default` when it names none). */
  project: string;
  /** When LXD says it happened, epoch milliseconds (the fraction carries microseconds). */
  time: number;
  /** Who asked, when LXD says (`username` is the unix user over the socket). */
  requestor?: {
    /** The user LXD authenticated (the unix user over the socket). */
    username?: string;
    /** `unix`, `tls`, ... */
    protocol?: string;
    /** Where the request came from (`@` over the unix socket). */
    address?: string;
  };
  /** Extra details (`old_name` of a rename, a stop's `action`, ...). */
  context: Record<string, unknown>;
}

/**
 * Reconnection of the event stream: capped, jittered exponential backoff, as for a Docker
 * engine, but with a longer default cap (`maxDelayMs` 5000).
 */
export type LxdReconnectOptions = ReconnectOptions;

/** Default cap of the LXD stream's reconnection delay, milliseconds. */
export const LXD_RECONNECT_MAX_DELAY_MS = 5000;

/** Options of {@link LxdEventStream}. */
export interface LxdEventStreamOptions extends LxdReconnectOptions {
  /** Called when a connection attempt fails or an open stream drops (it reconnects on its own). */
  onError?: (error: Error) => void;
  /** Called each time the stream opens (the first time and after every reconnect). */
  onOpen?: () => void;
  /** Called after each failed attempt, before the backoff delay. */
  onAttemptFailed?: () => void;
  /**
   * Called with the instances an operation concerns and its status (`Running`, `Success`,
   * `Failure`, ...) for each operation event. Operation events are not handed to listeners.
   */
  onOperation?: (instances: string[], status: string) => void;
  /** The `ws` module's `WebSocket` constructor, instead of loading the optional peer `ws`. */
  webSocket?: WebSocketConstructorLike;
}

/** One shared, self-healing subscription to LXD's lifecycle events. */
export class LxdEventStream extends SharedEventStream<LxdLifecycleEvent> {
  private readonly options: LxdEventStreamOptions;
  private socket: WebSocketLike | undefined;
  private open = false;
  private opens = 0;

  constructor(
    private readonly client: LxdClient,
    options: LxdEventStreamOptions = {},
  ) {
    super(options.initialDelayMs ?? RECONNECT_INITIAL_DELAY_MS, options.maxDelayMs ?? LXD_RECONNECT_MAX_DELAY_MS);
    this.options = options;
  }

  /** Whether the WebSocket is open right now. */
  get connected(): boolean {
    return this.open;
  }

  /** How many times a WebSocket opened (one per connection, reconnections included). */
  get connections(): number {
    return this.opens;
  }

  protected connect(): void {
    if (this.closed || this.socket || this.listeners.size === 0) return;
    const generation = ++this.generation;
    const current = () => generation === this.generation && !this.closed;
    const module = this.options.webSocket ? Promise.resolve(this.options.webSocket) : loadWebSocket();
    // A placeholder marks the attempt as under way until the module is loaded.
    this.socket = PENDING;
    module.then(
      (WebSocket) => {
        if (!current()) return;
        let socket: WebSocketLike;
        try {
          const address = `ws+unix://${this.client.socketPath}:${this.client.path("/1.0/events", { type: "lifecycle,operation" })}`;
          socket = new WebSocket(address, { handshakeTimeout: 5000, perMessageDeflate: false });
        } catch (error) {
          this.failed(generation, error);
          return;
        }
        this.socket = socket;
        socket.on("open", () => {
          if (!current() || this.socket !== socket) return;
          this.open = true;
          this.opens++;
          this.connectedOnce();
          this.notify(this.options.onOpen);
        });
        socket.on("message", (data: unknown) => {
          if (!current() || this.socket !== socket) return;
          this.message(data);
        });
        socket.on("error", (error: Error) => {
          if (!current() || this.socket !== socket) return;
          this.report(error);
        });
        socket.on("close", () => {
          if (!current() || this.socket !== socket) return;
          const wasOpen = this.open;
          this.socket = undefined;
          this.open = false;
          if (wasOpen) this.report(new Error("The LXD event stream closed"));
          this.notify(this.options.onAttemptFailed);
          this.retry();
        });
      },
      (error: unknown) => this.failed(generation, error),
    );
  }

  private failed(generation: number, error: unknown): void {
    if (generation !== this.generation || this.closed) return;
    this.socket = undefined;
    this.report(asError(error));
    this.notify(this.options.onAttemptFailed);
    this.retry();
  }

  protected teardown(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.open = false;
    if (socket && socket !== PENDING) socket.terminate();
  }

  private message(data: unknown): void {
    let raw: { type?: unknown; timestamp?: unknown; project?: unknown; metadata?: Record<string, unknown> };
    try {
      raw = JSON.parse(String(data)) as typeof raw;
    } catch {
      return; // not JSON: nothing a listener could use
    }
    const meta = raw.metadata;
    if (typeof meta !== "object" || meta === null) return;
    if (raw.type === "operation") {
      const resources = meta.resources as Record<string, unknown> | null | undefined;
      const urls = [resources?.instances, resources?.containers].flatMap((list) => (Array.isArray(list) ? list : []));
      const names = [...new Set(urls.map((url) => (typeof url === "string" ? instanceOf(url) : undefined)).filter((n): n is string => n !== undefined))];
      if (names.length > 0 && typeof meta.status === "string") {
        const status = meta.status;
        this.notify(this.options.onOperation && (() => this.options.onOperation!(names, status)));
      }
      return;
    }
    if (raw.type !== "lifecycle") return;
    const action = meta.action;
    const source = meta.source;
    if (typeof action !== "string" || typeof source !== "string") return;
    const event: LxdLifecycleEvent = {
      action,
      source,
      instance: instanceOf(source),
      project: typeof raw.project === "string" && raw.project !== "" ? raw.project : (projectOf(source) ?? "default"),
      time: parseTimestamp(raw.timestamp),
      context: typeof meta.context === "object" && meta.context !== null ? (meta.context as Record<string, unknown>) : {},
    };
    if (typeof meta.requestor === "object" && meta.requestor !== null) event.requestor = meta.requestor as NonNullable<LxdLifecycleEvent["requestor"]>;
    this.dispatch(event);
  }

  protected report(error: Error): void {
    try {
      this.options.onError?.(error);
    } catch {
      // a faulty error hook must not break the stream
    }
  }

  private notify(hook: (() => void) | undefined): void {
    try {
      hook?.();
    } catch (error) {
      this.report(asError(error));
    }
  }
}

/** Marks a connection attempt that is still loading `ws`. */
const PENDING: WebSocketLike = { on: () => undefined, close: () => undefined, terminate: () => undefined };

/** `utest` from `/1.0/instances/utest` or `/1.0/instances/utest?project=p`; nothing for deeper paths. */
export function instanceOf(source: string): string | undefined {
  const match = /^\/1\.0\/(?:instances|containers)\/([^/?]+)(?:\?.*)?$/.exec(source);
  if (!match?.[1]) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}

function projectOf(source: string): string | undefined {
  const query = source.indexOf("?");
  return query < 0 ? undefined : (new URLSearchParams(source.slice(query + 1)).get("project") ?? undefined);
}

/** RFC 3339 with nanoseconds -> epoch milliseconds keeping microseconds; now when unreadable. */
export function parseTimestamp(value: unknown): number {
  if (typeof value !== "string") return Date.now();
  const match = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match) return Date.now();
  const whole = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(whole)) return Date.now();
  const micros = Number((match[2] ?? "").padEnd(6, "0").slice(0, 6));
  return whole + micros / 1000;
}
