/**
 * The relay of other processes' events, for stores shared across processes: while someone
 * listens or long-polls, it reads the feed in order (on the store's notices and on a bounded
 * poll) and hands each event to the hub once.
 *
 * @module
 */
import type { FeedSignal } from "../events/feed-signal.js";
import type { Store } from "../store.js";
import type { StoredEvent } from "../types.js";

/** Events read per relay read. */
const RELAY_BATCH = 500;

/** What the relay needs from the hub; a fake store is enough to drive it in tests. */
export interface EventRelayOptions {
  /** The store to read; the relay does nothing unless `capabilities.shared`. */
  store: Pick<Store, "capabilities" | "readEvents" | "watch">;
  /** Woken with every head the relay learns of. */
  feed: Pick<FeedSignal, "advance">;
  /** Opens the hub (the relay starts only once it is open); retried after a failure. */
  open: () => Promise<void>;
  /** Hands over one event, in index order, once. */
  emit: (event: StoredEvent) => void;
  /** Receives every failed read; the next poll retries. */
  onFailure: (error: unknown) => void;
  /** Poll period, milliseconds. @default 250, or 2000 when the store sends notifications */
  pollIntervalMs?: number;
}

/** Relays other processes' events while there is demand (listeners plus long polls). */
export class EventRelay {
  private readonly options: EventRelayOptions;
  private readonly enabled: boolean;
  private readonly intervalMs: number;
  private listeners = 0;
  private waiters = 0;
  /** Resolves once the hub is open and the relay has its starting cursor (set by the first demand). */
  private start: Promise<void> | undefined;
  private cursor = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private unwatch: (() => void) | undefined;

  constructor(options: EventRelayOptions) {
    this.options = options;
    this.enabled = options.store.capabilities.shared;
    this.intervalMs = options.pollIntervalMs ?? (options.store.capabilities.notifications ? 2000 : 250);
  }

  /** Listeners plus long polls: the relay runs while this is above zero. */
  get demand(): number {
    return this.listeners + this.waiters;
  }

  /** Whether a poll is scheduled (for leak checks). */
  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Sets how many `event` listeners the hub has. */
  setListeners(count: number): void {
    const before = this.demand;
    this.listeners = count;
    this.demandChanged(before);
  }

  /** Adds (`+1`) or removes (`-1`) one long poll. */
  addWaiter(delta: 1 | -1): void {
    const before = this.demand;
    this.waiters += delta;
    this.demandChanged(before);
  }

  /** Reads now (or right after the read in flight): something was published. */
  poke(): void {
    if (!this.enabled || this.closed || this.demand === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      } else this.schedule();
    });
  }

  /** Stops the timer and the store watch, and waits for the read in flight. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.unwatch?.();
    this.unwatch = undefined;
    await this.running?.catch(() => undefined);
  }

  private demandChanged(before: number): void {
    if (!this.enabled || this.closed) return;
    const now = this.demand;
    if (now > before) {
      if (!this.unwatch && this.options.store.watch) {
        this.unwatch = this.options.store.watch((change) => {
          // A notice's head is already committed: wake long polls now, relay in order next.
          if (change.kind === "event" && change.head !== undefined) this.options.feed.advance(change.head);
          this.poke();
        });
      }
      // Take the starting cursor now, so events published from here on are relayed; a failure
      // is reported by the run that retries it.
      this.begin().catch(() => undefined);
      this.schedule();
    }
    if (now === 0 && before > 0) {
      // The next demand starts again at the head: events published while nobody listened are
      // not replayed to a later listener.
      this.start = undefined;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /**
   * Opens the hub, then takes the store's current head as the cursor: only events published
   * after that are relayed. A failure is forgotten, so the next run tries again.
   */
  private begin(): Promise<void> {
    if (this.start === undefined) {
      const start = this.options.open().then(async () => {
        const { head } = await this.options.store.readEvents({ limit: 1, everyone: true });
        this.options.feed.advance(head);
        this.cursor = head;
      });
      this.start = start;
      start.catch(() => {
        if (this.start === start) this.start = undefined;
      });
    }
    return this.start;
  }

  private schedule(): void {
    if (this.timer || this.running || this.demand === 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poke();
    }, this.intervalMs);
    this.timer.unref();
  }

  private async run(): Promise<void> {
    try {
      await this.begin();
      for (;;) {
        const window = await this.options.store.readEvents({ after: this.cursor, limit: RELAY_BATCH, everyone: true });
        for (const stored of window.events) {
          // The cursor only moves forward (a restart may have moved it past this read's window).
          if (stored.index <= this.cursor) continue;
          this.cursor = stored.index;
          this.options.emit(stored);
        }
        this.options.feed.advance(window.head);
        if (window.events.length < RELAY_BATCH || this.closed || this.demand === 0) break;
      }
    } catch (error) {
      // A failing read must not crash the host; the next poll retries.
      if (!this.closed) this.options.onFailure(error);
    }
  }
}
