/**
 * The event stream (`GET api/v1/event/stream`) as one shared connection. `EventSource`
 * reconnects by itself after a dropped connection, sending `Last-Event-ID`; when it gives up
 * (an error status), this reconnects with `lastEventId` in the query, backing off. Events with
 * an id already seen are dropped, so a resume never shows one twice.
 */
import { apiUrl } from "./api.js";

/** One feed message: the seed's `category:user:{json}` (or `category:user:ts:{json}`). */
export interface FeedEvent {
  id: number;
  category: string;
  user: string;
  /** Epoch seconds when the message carries them. */
  ts?: number;
  payload: unknown;
  /** The payload's JSON text as sent. */
  raw: string;
}

/** What the connection is doing. */
export type FeedStatus = "connecting" | "live" | "reconnecting";

/** Parses a feed message; `undefined` when it is not one. */
export function parseMessage(id: number, data: string): FeedEvent | undefined {
  const match = /^([^:]*):([^:]*):(?:(\d+):)?([\s\S]*)$/.exec(data);
  if (!match) return undefined;
  const [, category = "", user = "", ts, raw = ""] = match;
  let payload: unknown = raw;
  try {
    payload = JSON.parse(raw);
  } catch {
    // A payload that is not JSON is shown as text.
  }
  return { id, category, user, payload, raw, ...(ts !== undefined && { ts: Number(ts) }) };
}

/** The shared stream connection. */
export class FeedConnection {
  /** The newest id seen: what a resume asks to continue after. */
  lastId: number | undefined;
  status: FeedStatus = "connecting";
  /** Connections opened (the first one and each resume), for the status line and tests. */
  connections = 0;
  private source: EventSource | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private backoffMs = 1000;
  private readonly eventListeners = new Set<(event: FeedEvent) => void>();
  private readonly statusListeners = new Set<(status: FeedStatus) => void>();
  private readonly lostListeners = new Set<(count: number) => void>();

  onEvent(listener: (event: FeedEvent) => void): void {
    this.eventListeners.add(listener);
  }
  onStatus(listener: (status: FeedStatus) => void): void {
    this.statusListeners.add(listener);
  }
  onLost(listener: (count: number) => void): void {
    this.lostListeners.add(listener);
  }

  /** Opens the stream (again), resuming after {@link lastId}. */
  open(): void {
    this.close();
    const query = this.lastId === undefined ? undefined : new URLSearchParams({ lastEventId: String(this.lastId) });
    const source = new EventSource(apiUrl("api/v1/event/stream", query), { withCredentials: true });
    this.source = source;
    this.connections += 1;
    source.addEventListener("open", () => {
      this.backoffMs = 1000;
      this.setStatus("live");
    });
    source.addEventListener("message", (message) => {
      const id = Number(message.lastEventId);
      if (!Number.isSafeInteger(id) || (this.lastId !== undefined && id <= this.lastId)) return;
      this.lastId = id;
      const event = parseMessage(id, String(message.data));
      if (event) for (const listener of this.eventListeners) listener(event);
    });
    source.addEventListener("lost", (message) => {
      const id = Number((message as MessageEvent).lastEventId);
      if (Number.isSafeInteger(id) && (this.lastId === undefined || id > this.lastId)) this.lastId = id;
      const count = Number((message as MessageEvent).data);
      for (const listener of this.lostListeners) listener(count);
    });
    source.addEventListener("error", () => {
      if (source !== this.source) return;
      this.setStatus("reconnecting");
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      // It gave up (an error status): try again later, from the last id seen.
      source.close();
      this.retryTimer = setTimeout(() => this.open(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
    });
  }

  /** Closes the stream. */
  close(): void {
    clearTimeout(this.retryTimer);
    this.source?.close();
    this.source = undefined;
  }

  private setStatus(status: FeedStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}
