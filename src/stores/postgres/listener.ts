/**
 * The LISTEN side of cross-process wake-ups: one dedicated connection per store, reconnected
 * with capped exponential backoff when it dies, plus a slow fallback poll so a lost notice
 * delays a wake-up by at most one poll interval instead of losing it.
 *
 * @module
 */
import type { StoreChange } from "../../store.js";
import { whenEnded, type PgNotificationLike, type PgPoolClientLike, type PgPoolLike } from "./driver.js";
import { quoteIdent } from "./schema.js";

/** What the listener needs from its store. */
export interface FeedListenerOptions {
  pool: PgPoolLike;
  channel: string;
  /** This store's origin tag: notices carrying it are our own writes and are dropped. */
  origin: string;
  /** Reads the newest event index and log id, for the fallback poll. */
  readHeads(): Promise<{ event: number; log: number }>;
  /** Delivers a change to every watcher. */
  emit(change: StoreChange): void;
  /** Fallback poll period, milliseconds; 0 turns it off. */
  pollIntervalMs: number;
  /** First reconnect delay, milliseconds. */
  minReconnectDelayMs: number;
  /** Reconnect delay cap, milliseconds. */
  maxReconnectDelayMs: number;
}

/** Parses `e:<head>:<origin>` / `l:<head>:<origin>`; anything else is ignored. */
export function parseNotice(payload: string | undefined): { change: StoreChange; origin: string } | undefined {
  const match = /^([el]):(\d+):([0-9a-f]*)$/.exec(payload ?? "");
  if (!match) return undefined;
  return { change: { kind: match[1] === "e" ? "event" : "log", head: Number(match[2]) }, origin: match[3] as string };
}

/** The notice a writer sends: tiny on purpose (NOTIFY payloads share an 8 GB queue). */
export function noticeSql(kind: "e" | "l", head: string, origin: string): string {
  return `'${kind}:' || ${head} || ':${origin}'`;
}

/** A self-healing LISTEN connection plus fallback poll. */
export class FeedListener {
  private client: PgPoolClientLike | undefined;
  private stopped = false;
  private started = false;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastHeads: { event: number; log: number } | undefined;
  private detach: (() => void) | undefined;
  private connecting: Promise<void> | undefined;
  /** Times the LISTEN connection was re-established after a failure (for tests and metrics). */
  reconnects = 0;

  constructor(private readonly options: FeedListenerOptions) {}

  /** Connects, LISTENs and starts the poll. Never rejects: failures schedule a reconnect. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.connecting = this.connect(false);
    if (this.options.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => void this.poll(), this.options.pollIntervalMs);
      this.pollTimer.unref();
      void this.poll();
    }
  }

  /** Ends every timer and the connection; resolves once its socket has closed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pollTimer);
    this.reconnectTimer = this.pollTimer = undefined;
    const client = this.client;
    const ended = client ? whenEnded(client) : undefined;
    this.dropClient(true);
    await ended;
    // A connect still in flight releases its client itself once it sees `stopped`.
    await this.connecting;
  }

  private async connect(isReconnect: boolean): Promise<void> {
    let client: PgPoolClientLike | undefined;
    try {
      client = await this.options.pool.connect();
      if (this.stopped) {
        const ended = whenEnded(client);
        client.release(true);
        await ended;
        return;
      }
      this.attach(client);
      await client.query(`LISTEN ${quoteIdent(this.options.channel)}`);
      if (this.stopped || this.client !== client) return;
      this.attempt = 0;
      if (isReconnect) {
        this.reconnects++;
        // Anything may have been written while we were deaf: tell watchers to re-read.
        this.options.emit({ kind: "event" });
        this.options.emit({ kind: "log" });
      }
    } catch {
      this.fail(client);
    }
  }

  private attach(client: PgPoolClientLike): void {
    const onNotification = (message: PgNotificationLike) => {
      if (message.channel !== this.options.channel) return;
      const notice = parseNotice(message.payload);
      if (!notice || notice.origin === this.options.origin) return;
      this.options.emit(notice.change);
    };
    const onBroken = () => this.fail(client);
    client.on("notification", onNotification);
    client.on("error", onBroken);
    client.on("end", onBroken);
    this.client = client;
    this.detach = () => {
      client.removeListener("notification", onNotification);
      // Keep a no-op error listener: a late socket error on a detached client must not crash the process.
      client.removeListener("error", onBroken);
      client.removeListener("end", onBroken);
      client.on("error", () => {});
    };
  }

  /** The connection died (or never came up): drop it and try again after a capped backoff. */
  private fail(client: PgPoolClientLike | undefined): void {
    if (client !== undefined && client === this.client) this.dropClient(new Error("LISTEN connection lost"));
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const { minReconnectDelayMs, maxReconnectDelayMs } = this.options;
    const ceiling = Math.min(maxReconnectDelayMs, minReconnectDelayMs * 2 ** this.attempt);
    // Full jitter spreads a fleet's reconnects after a server restart.
    const delay = Math.max(minReconnectDelayMs, Math.round(Math.random() * ceiling));
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting = this.connect(true);
    }, delay);
    this.reconnectTimer.unref();
  }

  private dropClient(destroy: Error | true): void {
    const client = this.client;
    if (!client) return;
    this.client = undefined;
    this.detach?.();
    this.detach = undefined;
    try {
      client.release(destroy);
    } catch {
      // Already released by the pool after a fatal error.
    }
  }

  /** The fallback: compare heads with the last poll and report what moved. */
  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const heads = await this.options.readHeads();
      if (this.stopped) return;
      const last = this.lastHeads;
      this.lastHeads = heads;
      if (last === undefined) return;
      if (heads.event !== last.event) this.options.emit({ kind: "event", head: heads.event });
      if (heads.log !== last.log) this.options.emit({ kind: "log", head: heads.log });
    } catch {
      // An unreachable server shows up in the store's own calls; the poll just tries again.
    } finally {
      this.polling = false;
    }
  }
}
