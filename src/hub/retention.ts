/**
 * Retention: the configured limits, applied at open and then on a timer.
 *
 * @module
 */
import type { PruneRequest, PruneResult, Store } from "../store.js";
import type { Clock } from "../types.js";
import type { RetentionOptions } from "./options.js";

/** Applies {@link RetentionOptions} to a store, now or every `intervalMs`. */
export class Retention {
  private timer: ReturnType<typeof setInterval> | undefined;

  /** @param onFailure called with each failure of a timed run (the next interval retries). */
  constructor(
    private readonly store: Pick<Store, "prune">,
    private readonly clock: Clock,
    private readonly options: RetentionOptions | undefined,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Whether any limit is configured (an `intervalMs` alone limits nothing). */
  get configured(): boolean {
    return this.options !== undefined && Object.keys(this.options).some((k) => k !== "intervalMs");
  }

  /** The prune request for now: age limits become cut-off times. */
  request(): PruneRequest {
    const r = this.options ?? {};
    const now = this.clock.nowUs();
    return {
      ...(r.maxLogs !== undefined && { maxLogs: r.maxLogs }),
      ...(r.maxEvents !== undefined && { maxEvents: r.maxEvents }),
      ...(r.maxLogAgeMs !== undefined && { logsBeforeUs: now - r.maxLogAgeMs * 1000 }),
      ...(r.maxEventAgeMs !== undefined && { eventsBeforeUs: now - r.maxEventAgeMs * 1000 }),
    };
  }

  /** Applies retention now. */
  apply(): Promise<PruneResult> {
    return this.store.prune(this.request());
  }

  /** Starts the timer (once; it never holds the process open). */
  start(): void {
    if (this.timer || !this.configured) return;
    this.timer = setInterval(() => {
      this.apply().catch(this.onFailure);
    }, this.options?.intervalMs ?? 60_000);
    this.timer.unref();
  }

  /** Stops the timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
