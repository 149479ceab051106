/**
 * The engine's container event stream (`GET /events`), shared by every listener: opened for the
 * first, closed after the last, reconnected with capped, jittered exponential backoff when it
 * drops, and resumed with `since` so an outage loses nothing (replayed duplicates are dropped).
 *
 * @module
 */
import type http from "node:http";
import { type ReconnectOptions, RECONNECT_INITIAL_DELAY_MS, RECONNECT_MAX_DELAY_MS, SharedEventStream } from "../shared-stream.js";
import type { EngineClient } from "./engine.js";

/** A container event as Docker Engine (and podman's compatible service) sends it. */
export interface EngineEvent {
  /** `create`, `start`, `die`, `stop`, `kill`, `destroy` (podman: `remove`), `pause`, `init`, `cleanup`, ... */
  Action: string;
  /** Always `container` here. */
  Type: string;
  /** The container the event is about. */
  Actor: {
    /** The full container id. */
    ID: string;
    /** `name`, `image`, `exitCode`, labels, ... */
    Attributes: Record<string, string>;
  };
  /** Epoch seconds. */
  time: number;
  /** Epoch nanoseconds, exact (read from the raw JSON, which a double cannot hold). */
  timeNano: bigint;
}

export { type ReconnectOptions, RECONNECT_INITIAL_DELAY_MS, RECONNECT_MAX_DELAY_MS, reconnectDelay } from "../shared-stream.js";

/** Options of {@link EngineEventStream}. */
export interface EngineEventStreamOptions extends ReconnectOptions {
  /** Called when the stream fails or drops (it reconnects on its own). */
  onError?: (error: Error) => void;
}

const RECENT_KEYS = 1024;

/** One shared, self-healing subscription to the engine's container events. */
export class EngineEventStream extends SharedEventStream<EngineEvent> {
  private readonly onError: ((error: Error) => void) | undefined;
  private request: http.ClientRequest | undefined;
  /** The request of a connection still waiting for the engine's headers. */
  private pending: http.ClientRequest | undefined;
  private connecting = false;
  /** `since` of the next connection, seconds: the newest event's, or when the first listener came. */
  private resumeFrom: bigint | undefined;
  private newest: bigint | undefined;
  /** Keys of recent events, to drop the duplicates a `since` replay brings. */
  private readonly recent = new Set<string>();
  private replayUntil: bigint | undefined;
  /** When the first listener came (engine and host share a clock): older events are history. */
  private notBefore: bigint | undefined;

  constructor(
    private readonly engine: EngineClient,
    options: EngineEventStreamOptions = {},
  ) {
    super(options.initialDelayMs ?? RECONNECT_INITIAL_DELAY_MS, options.maxDelayMs ?? RECONNECT_MAX_DELAY_MS);
    this.onError = options.onError;
  }

  /** Whether the stream is currently open. */
  get connected(): boolean {
    return this.request !== undefined;
  }

  protected report(error: Error): void {
    try {
      this.onError?.(error);
    } catch {
      // a faulty error hook must not break the stream
    }
  }

  protected connect(): void {
    if (this.closed || this.connecting || this.request || this.listeners.size === 0) return;
    this.connecting = true;
    const generation = ++this.generation;
    if (this.resumeFrom === undefined) {
      // `since` even on the first connection: the engine may register the subscription after
      // a change that followed subscribe() (podman answers headers only with the first event).
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      this.resumeFrom = nowNs / 1_000_000_000n;
      this.notBefore = nowNs;
    }
    const query: Record<string, string | object> = { filters: { type: ["container"] }, since: this.resumeFrom.toString() };
    const { request, response } = this.engine.openStream("/events", query);
    this.pending = request;
    response.then(
      (res) => {
        // A connection of an earlier generation was abandoned by disconnect(): not ours to touch.
        if (generation !== this.generation || !request) {
          request?.destroy();
          return;
        }
        this.connecting = false;
        this.pending = undefined;
        this.request = request;
        this.replayUntil = this.newest;
        let buffered = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf("\n")) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line !== "") this.line(line);
          }
        });
        const dropped = (error?: Error) => {
          if (this.request !== request) return;
          this.request = undefined;
          request.destroy();
          this.report(error ?? new Error("The engine's event stream ended"));
          this.retry();
        };
        res.on("error", dropped);
        res.on("end", () => dropped());
        res.on("close", () => dropped());
      },
      (error: Error) => {
        if (generation !== this.generation) return;
        this.connecting = false;
        this.pending = undefined;
        this.report(error);
        this.retry();
      },
    );
  }

  protected teardown(): void {
    const request = this.request ?? this.pending;
    this.request = undefined;
    this.pending = undefined;
    this.connecting = false;
    request?.destroy();
    // Nobody listened in between: a later subscription starts from its own present.
    this.resumeFrom = undefined;
    this.notBefore = undefined;
    this.newest = undefined;
    this.replayUntil = undefined;
    this.recent.clear();
  }

  private line(line: string): void {
    let raw: Omit<EngineEvent, "timeNano"> & { id?: string; status?: string };
    try {
      raw = JSON.parse(line) as typeof raw;
    } catch {
      return; // a torn or foreign line; the next one stands alone
    }
    if (raw.Type !== "container" || typeof raw.Action !== "string") return;
    const nano = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
    const timeNano = nano === undefined ? BigInt(Math.trunc(raw.time ?? 0)) * 1_000_000_000n : BigInt(nano);
    const id = raw.Actor?.ID ?? raw.id ?? "";
    const event: EngineEvent = {
      Action: raw.Action,
      Type: raw.Type,
      Actor: { ID: id, Attributes: raw.Actor?.Attributes ?? {} },
      time: raw.time,
      timeNano,
    };
    if (this.notBefore !== undefined && timeNano < this.notBefore) return;
    const key = `${timeNano}|${id}|${event.Action}`;
    if (this.replayUntil !== undefined && timeNano <= this.replayUntil && this.recent.has(key)) return;
    this.remember(key);
    this.connectedOnce();
    if (this.newest === undefined || timeNano > this.newest) this.newest = timeNano;
    this.resumeFrom = this.newest / 1_000_000_000n;
    this.dispatch(event);
  }

  private remember(key: string): void {
    this.recent.add(key);
    if (this.recent.size > RECENT_KEYS) {
      const oldest = this.recent.values().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
