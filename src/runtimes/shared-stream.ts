/**
 * What the engines' event streams share: one subscription for every listener (opened for the
 * first, closed after the last), listeners isolated from each other's faults, and reconnection
 * with capped, jittered exponential backoff. Docker's (`GET /events`, resumed with `since`) and
 * LXD's (a WebSocket with no history) differ only in how they connect and read.
 *
 * @module
 */

/**
 * Reconnection of an event stream: delays double from `initialDelayMs` up to `maxDelayMs`, each
 * drawn at random between half and all of it, so hubs that lost the same engine do not
 * reconnect in step.
 */
export interface ReconnectOptions {
  /** First delay after a drop, milliseconds. @default 100 */
  initialDelayMs?: number;
  /**
   * Longest delay between attempts, milliseconds: once the engine answers again, the stream is
   * back within this long. A failed attempt on a local socket costs a refused connect, so a
   * short cap is cheap. @default 1000 (Docker), 5000 (LXD)
   */
  maxDelayMs?: number;
}

/** Default of {@link ReconnectOptions.initialDelayMs}. */
export const RECONNECT_INITIAL_DELAY_MS = 100;
/** Default of {@link ReconnectOptions.maxDelayMs} for a Docker engine. */
export const RECONNECT_MAX_DELAY_MS = 1000;

/**
 * The delay before reconnection attempt `attempt` (0-based): `initial * 2^attempt`, capped at
 * `max`, then drawn uniformly from its upper half ("equal jitter").
 */
export function reconnectDelay(attempt: number, initialMs = RECONNECT_INITIAL_DELAY_MS, maxMs = RECONNECT_MAX_DELAY_MS): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** An error from anything thrown. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * One shared, self-healing subscription. Subclasses open the connection in {@link connect},
 * drop its state in {@link teardown}, hand events to {@link dispatch}, call {@link retry} when
 * an attempt fails or the connection drops, and {@link connectedOnce} when one delivers.
 */
export abstract class SharedEventStream<T> {
  /** The listeners sharing the stream. */
  protected readonly listeners = new Set<(event: T) => void>();
  /** Set by {@link close}: nothing reconnects after it. */
  protected closed = false;
  /** Bumped by every disconnect: callbacks of an abandoned connection compare and leave. */
  protected generation = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private attempts = 0;

  constructor(
    private readonly initialDelayMs: number,
    private readonly maxDelayMs: number,
  ) {}

  /** How many listeners share the stream. */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Adds a listener (opening the stream for the first); returns the function that removes it. */
  subscribe(listener: (event: T) => void): () => void {
    if (this.closed) return () => undefined;
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.connect();
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  /** Ends the stream and forgets every listener. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    this.disconnect();
  }

  /** Opens a connection unless one is open or under way (or nobody listens). */
  protected abstract connect(): void;

  /** Drops the connection (open or under way) and whatever state it kept. */
  protected abstract teardown(): void;

  /** Reports a failure of the stream or of a listener; must not throw. */
  protected abstract report(error: Error): void;

  /** Hands an event to every listener; a throwing listener is reported, the others still run. */
  protected dispatch(event: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        // One faulty listener must not tear the shared stream down for the others.
        this.report(asError(error));
      }
    }
  }

  /** The connection delivered: the next drop starts the backoff afresh. */
  protected connectedOnce(): void {
    this.attempts = 0;
  }

  /** Schedules the next attempt after the backoff delay (once, however often it is called). */
  protected retry(): void {
    if (this.closed || this.listeners.size === 0 || this.retryTimer !== undefined) return;
    const delay = reconnectDelay(this.attempts, this.initialDelayMs, this.maxDelayMs);
    this.attempts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  private disconnect(): void {
    this.generation++;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.attempts = 0;
    this.teardown();
  }
}
