/**
 * `GET /api/v1/event/stream`: the event feed as Server-Sent Events. Each connection is a cursor
 * over the hub's feed, read with the same long-poll reads as `GET /api/v1/event`, so a client
 * that reconnects with `Last-Event-ID` resumes exactly where it stopped, in one process or
 * across processes sharing a store, and sees exactly what the feed would show it.
 *
 * @module
 */
import { BoundedCache } from "../cache.js";
import { CursorExpiredError, ErrorCodes, HubError, ValidationError } from "../errors.js";
import { formatEventMessage, type EventMessageOptions } from "../events/wire.js";
import type { LogEventHub } from "../hub.js";
import type { EventPage, HubEvent } from "../types.js";

/** Options of the event stream (`ApiHandlerOptions.stream`). Every field is optional. */
export interface EventStreamOptions {
  /** How often a comment line is sent to keep proxies and clients from timing out, milliseconds. @default 15000 */
  keepAliveMs?: number;
  /** The `retry:` field: how long a client waits before reconnecting, milliseconds. @default 3000 */
  retryMs?: number;
  /** Events read per store read. @default 100 */
  batchSize?: number;
  /**
   * The most data a connection may hold unsent, bytes. The stream stops reading the feed for a
   * connection whose socket is full and resumes when it drains, so this bound is only reached
   * when a single message is larger than what the socket accepts; beyond it the client is
   * dropped at once. @default 1048576 (1 MiB)
   */
  maxBufferedBytes?: number;
  /**
   * How long a connection may stay full (its client not reading) before it is dropped,
   * milliseconds. A dropped `EventSource` reconnects and resumes from its last id. @default 30000
   */
  stallTimeoutMs?: number;
  /** Called for every dropped client (also counted in {@link EventStreamStats.dropped}). */
  onDrop?: (drop: EventStreamDrop) => void;
}

/** A client the stream cut off because it did not read; see {@link EventStreamOptions.onDrop}. */
export interface EventStreamDrop {
  /** `buffer`: more than `maxBufferedBytes` unsent; `stalled`: full for `stallTimeoutMs`. */
  reason: "buffer" | "stalled";
  /** The reader, or `undefined` for an anonymous one. */
  user: string | undefined;
  /** The index the stream had sent up to (the client resumes from its own last id). */
  cursor: number;
  /** Bytes unsent when it was dropped. */
  bufferedBytes: number;
}

/** Live counts of a handler's event streams. */
export interface EventStreamStats {
  /** Streams open now. */
  readonly open: number;
  /** Streams opened since the handler was made. */
  readonly opened: number;
  /** Clients dropped for not reading (see {@link EventStreamOptions.stallTimeoutMs}). */
  readonly dropped: number;
}

/**
 * Where a stream writes: a Node `http.ServerResponse` (Express's `res`, Koa's `ctx.res`) fits,
 * with its headers already written.
 */
export interface EventStreamSink {
  /** Queues a chunk; `false` when the socket is full (wait for `drain`). */
  write(chunk: string): boolean;
  /** Bytes queued but not yet handed to the OS. */
  readonly writableLength: number;
  /** Whether the response was destroyed (the client went away). */
  readonly destroyed: boolean;
  /** Pushes out what a compression middleware holds (`compression` adds it to `res`). */
  flush?(): void;
  /** Ends the response cleanly. */
  end(): void;
  /** Cuts the connection. */
  destroy(): void;
  /** `drain`: the socket has room again; `close`: the response or its connection closed. */
  on(event: "drain" | "close", listener: () => void): unknown;
}

/** The body of a `GET /api/v1/event/stream` response: adapters hand it their response object. */
export interface EventStreamBody {
  /** Tells this body apart from a string or a CSV stream. */
  readonly kind: "event-stream";
  /**
   * Writes the stream to `sink` (after the adapter wrote the status and headers). Resolves when
   * the stream is over: the client left or was dropped, or the hub closed (the response is
   * then ended cleanly). Never rejects.
   */
  pipeTo(sink: EventStreamSink): Promise<void>;
}

/** Whether a response body is an event stream (rather than a string or CSV chunks). */
export function isEventStreamBody(body: unknown): body is EventStreamBody {
  return typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "event-stream";
}

/** What a stream needs from a hub. */
export type EventStreamHub = Pick<LogEventHub<any, any>, "readEvents" | "limits">;

/** The stream's response headers: no caching, no proxy buffering. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Accel-Buffering": "no",
});

const KEEP_ALIVE = ": keepalive\n\n";

/**
 * The event streams of one API handler: their options, a shared cache of each event's SSE text
 * (every connection sends the same bytes for an event), and their counts.
 */
export class EventStreams {
  private readonly keepAliveMs: number;
  private readonly retryMs: number;
  private readonly batchSize: number;
  private readonly maxBufferedBytes: number;
  private readonly stallTimeoutMs: number;
  private readonly texts = new BoundedCache<number, string>(4096);
  private counts = { open: 0, opened: 0, dropped: 0 };
  /** Long-poll reads in flight, by cursor and reader, shared by the streams waiting on them. */
  private readonly reads = new Map<string, SharedRead>();
  /** The open connections, for the one keep-alive timer they share. */
  private readonly live = new Set<StreamConnection>();
  private keepAliveTimer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly hub: EventStreamHub,
    private readonly options: EventStreamOptions = {},
    private readonly messages: EventMessageOptions = {},
  ) {
    this.keepAliveMs = positive(options.keepAliveMs, 15_000, "keepAliveMs");
    this.retryMs = positive(options.retryMs, 3000, "retryMs");
    this.batchSize = positive(options.batchSize, 100, "batchSize");
    this.maxBufferedBytes = positive(options.maxBufferedBytes, 1 << 20, "maxBufferedBytes");
    this.stallTimeoutMs = positive(options.stallTimeoutMs, 30_000, "stallTimeoutMs");
  }

  /** A snapshot of the counts. */
  get stats(): EventStreamStats {
    return { ...this.counts };
  }

  /**
   * Prepares a stream for `user` resuming after `lastEventId` (or from the head). The first read
   * happens here, so a bad cursor or an unreachable store is an error response, not a broken
   * stream.
   *
   * @param onError Called with an unexpected failure mid-stream (the connection is then cut).
   * @throws ValidationError for a cursor ahead of the feed; any error of the first read.
   */
  async open(lastEventId: number | undefined, user: string | undefined, onError?: (error: unknown) => void): Promise<EventStreamBody> {
    const who = user === undefined ? {} : { user };
    let cursor: number;
    let first: EventPage | undefined;
    let lost: { count: number; index: number } | undefined;
    if (lastEventId === undefined) {
      cursor = (await this.hub.readEvents({ limit: 1, ...who })).offset;
    } else {
      cursor = lastEventId;
      try {
        first = await this.hub.readEvents({ index: lastEventId, limit: this.batchSize, ...who });
      } catch (error) {
        // A hub set to refuse expired cursors (410 on the feed): a stream still resumes, after
        // saying how many events it lost.
        if (!(error instanceof CursorExpiredError)) throw error;
        lost = { count: error.lost, index: error.oldest - 1 };
        cursor = lost.index;
      }
    }
    return {
      kind: "event-stream",
      pipeTo: (sink) => new StreamConnection(this, sink, cursor, user, first, lost, onError).run(),
    };
  }

  /** The resolved options. */
  get settings() {
    return { keepAliveMs: this.keepAliveMs, retryMs: this.retryMs, batchSize: this.batchSize, maxBufferedBytes: this.maxBufferedBytes, stallTimeoutMs: this.stallTimeoutMs };
  }

  /** The SSE message of one event, built once for every connection. */
  text(event: HubEvent): string {
    let text = this.texts.get(event.index);
    if (text === undefined) {
      text = `id: ${event.index}\ndata: ${dataLines(formatEventMessage(event, this.messages))}\n\n`;
      this.texts.set(event.index, text);
    }
    return text;
  }

  /**
   * Reads the next page after `cursor` for `reader`, waiting for one; the page (or the error)
   * is handed to `reader.received`. Streams at the same cursor for the same reader share one
   * long-poll read (after a publish, thousands of streams are at the same place): the read is
   * made once, and aborted when every stream waiting on it has left ({@link leave}). A waiting
   * stream costs one set entry here: no promise, listener or abort signal of its own.
   */
  read(cursor: number, user: string | undefined, reader: StreamConnection): SharedRead {
    const key = user === undefined ? `${cursor}` : `${cursor}:${user}`;
    let entry = this.reads.get(key);
    if (!entry) {
      const controller = new AbortController();
      const page = this.hub.readEvents({
        index: cursor,
        limit: this.batchSize,
        wait: this.hub.limits.maxWaitMs,
        signal: controller.signal,
        ...(user !== undefined && { user }),
      });
      const created: SharedRead = { key, controller, readers: new Set() };
      entry = created;
      this.reads.set(key, created);
      const settle = (outcome: { page: EventPage } | { error: unknown }) => {
        this.forget(created);
        const readers = [...created.readers];
        created.readers.clear();
        for (const waiting of readers) waiting.received(outcome);
      };
      page.then(
        (result) => settle({ page: result }),
        (error: unknown) => settle({ error }),
      );
    }
    entry.readers.add(reader);
    return entry;
  }

  /** `reader` no longer waits for `entry`; the read is aborted when nobody else does. */
  leave(entry: SharedRead, reader: StreamConnection): void {
    if (!entry.readers.delete(reader) || entry.readers.size > 0 || this.reads.get(entry.key) !== entry) return;
    // Nobody waits for this read any more: end it (its timer and listener go with it).
    this.forget(entry);
    entry.controller.abort();
  }

  private forget(entry: SharedRead): void {
    if (this.reads.get(entry.key) === entry) this.reads.delete(entry.key);
  }

  /** Registers an open connection with the shared keep-alive timer. */
  attach(connection: StreamConnection): void {
    this.live.add(connection);
    if (this.keepAliveTimer === undefined) {
      this.keepAliveTimer = setInterval(() => {
        for (const open of this.live) open.keepAlive();
      }, this.keepAliveMs);
      this.keepAliveTimer.unref();
    }
  }

  /** Unregisters a connection; the timer stops with the last. */
  detach(connection: StreamConnection): void {
    this.live.delete(connection);
    if (this.live.size === 0 && this.keepAliveTimer !== undefined) {
      clearInterval(this.keepAliveTimer);
      this.keepAliveTimer = undefined;
    }
  }

  /** Counts a stream that started. */
  opened(): void {
    this.counts.open++;
    this.counts.opened++;
  }

  /** Counts a stream that ended. */
  closed(): void {
    this.counts.open--;
  }

  /** Counts (and reports) a dropped client. */
  dropped(drop: EventStreamDrop): void {
    this.counts.dropped++;
    this.options.onDrop?.(drop);
  }
}

/** One long-poll read shared by the streams at the same cursor for the same reader. */
interface SharedRead {
  /** Its key in {@link EventStreams.reads}: the cursor, and the reader's name if any. */
  key: string;
  controller: AbortController;
  /** The streams waiting for it. */
  readers: Set<StreamConnection>;
}

/** How a shared read ended, as handed to each stream that waited for it. */
type ReadOutcome = { page: EventPage } | { error: unknown };

/** The rejection of a read or pause cut short because the stream ended. */
const ENDED = Symbol("stream ended");

/** One client's stream: a read loop over the feed, writing with back-pressure. */
export class StreamConnection {
  private ended = false;
  private drainWaiter: ((drained: boolean) => void) | undefined;
  /** The shared read this stream waits for, and how to wake its loop. */
  private waiting: { entry: SharedRead; resolve: (page: EventPage) => void; reject: (error: unknown) => void } | undefined;
  /** Ends a {@link pause} early (the stream ended). */
  private wake: (() => void) | undefined;
  private readonly settings: EventStreams["settings"];

  constructor(
    private readonly streams: EventStreams,
    private readonly sink: EventStreamSink,
    private cursor: number,
    private readonly user: string | undefined,
    private readonly first: EventPage | undefined,
    private readonly lost: { count: number; index: number } | undefined,
    private readonly onError: ((error: unknown) => void) | undefined,
  ) {
    this.settings = streams.settings;
  }

  async run(): Promise<void> {
    const { sink, streams } = this;
    if (sink.destroyed) return;
    streams.opened();
    sink.on("close", () => this.stop());
    sink.on("drain", () => this.drainWaiter?.(true));
    streams.attach(this);
    try {
      sink.write(`retry: ${this.settings.retryMs}\n\n`);
      if (this.lost) this.writeLost(this.lost.count, this.lost.index);
      if (this.first && !(await this.writePage(this.first))) return;
      sink.flush?.();
      await this.loop();
    } catch (error) {
      // Only an unexpected failure gets here; the client reconnects and resumes by id.
      this.onError?.(error);
      this.cut();
    } finally {
      streams.detach(this);
      this.stop();
      streams.closed();
    }
  }

  /** The shared keep-alive tick: a comment line, unless the socket is full (data is on its way). */
  keepAlive(): void {
    if (this.drainWaiter || this.ended) return;
    this.sink.write(KEEP_ALIVE);
    this.sink.flush?.();
  }

  /** Called by the shared read this stream waited for. */
  received(outcome: ReadOutcome): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    if ("page" in outcome) waiting.resolve(outcome.page);
    else waiting.reject(outcome.error);
  }

  /** The next page after the cursor, from a read shared with the streams at the same place. */
  private next(): Promise<EventPage> {
    if (this.ended) return Promise.reject(ENDED);
    return new Promise<EventPage>((resolve, reject) => {
      const entry = this.streams.read(this.cursor, this.user, this);
      this.waiting = { entry, resolve, reject };
    });
  }

  private async loop(): Promise<void> {
    while (!this.ended) {
      let page: EventPage;
      try {
        page = await this.next();
      } catch (error) {
        if (this.ended) return; // the client left (the read was aborted) or was dropped
        const code = error instanceof HubError ? error.code : undefined;
        if (error instanceof CursorExpiredError) {
          this.writeLost(error.lost, error.oldest - 1);
          this.sink.flush?.();
          continue;
        }
        if (code === ErrorCodes.CLOSED) {
          // hub.close(): end the response cleanly.
          this.ended = true;
          this.sink.end();
          return;
        }
        if (code === ErrorCodes.STORE_UNAVAILABLE) {
          // Keep the client (a reconnect would get a 503 and EventSource gives up): retry later.
          if (!(await this.pause(this.settings.retryMs))) return;
          continue;
        }
        throw error;
      }
      if (!(await this.writePage(page))) return;
      this.sink.flush?.();
    }
  }

  /** Writes a page's events oldest first; `false` once the connection is over. */
  private async writePage(page: EventPage): Promise<boolean> {
    if (page.lost) this.writeLost(page.lost, page.index);
    const events = page.events as unknown as readonly HubEvent[];
    for (let i = events.length - 1; i >= 0; i--) {
      if (!(await this.send(this.streams.text(events[i] as HubEvent)))) return false;
    }
    this.cursor = Math.max(this.cursor, page.offset);
    return !this.ended;
  }

  /** The named `lost` message; its id moves the client's cursor past what is gone. */
  private writeLost(count: number, index: number): void {
    this.sink.write(`event: lost\nid: ${index}\ndata: ${count}\n\n`);
    this.cursor = Math.max(this.cursor, index);
  }

  /** Writes one message; waits while the socket is full; drops a client that does not read. */
  private async send(text: string): Promise<boolean> {
    if (this.ended) return false;
    const { sink } = this;
    const room = sink.write(text);
    if (sink.writableLength > this.settings.maxBufferedBytes) return this.drop("buffer");
    if (room) return true;
    sink.flush?.();
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), this.settings.stallTimeoutMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.drainWaiter = undefined;
        resolve(ok);
      };
      this.drainWaiter = finish;
    });
    if (this.ended) return false;
    return drained ? true : this.drop("stalled");
  }

  /** Waits `ms` unless the connection ends first; `false` if it ended. */
  private pause(ms: number): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(!this.ended);
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private drop(reason: EventStreamDrop["reason"]): false {
    const bufferedBytes = this.sink.writableLength;
    this.cut();
    this.streams.dropped({ reason, user: this.user, cursor: this.cursor, bufferedBytes });
    return false;
  }

  /** Ends the connection abruptly: the client sees a broken transfer and reconnects. */
  private cut(): void {
    this.stop();
    this.sink.destroy();
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) {
      this.streams.leave(waiting.entry, this);
      waiting.reject(ENDED);
    }
    this.wake?.();
    this.drainWaiter?.(false);
  }
}

/** Every line of a message as its own `data:` line (SSE joins them back with `\n`). */
function dataLines(text: string): string {
  return /[\r\n]/.test(text) ? text.split(/\r\n|\r|\n/).join("\ndata: ") : text;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ValidationError(`"stream.${name}" must be a positive integer, got ${String(value)}`, `stream.${name}`);
  }
  return value;
}
