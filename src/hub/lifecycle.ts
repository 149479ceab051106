/**
 * The hub's open/close state: one open at a time, retried after a failure, and a close that
 * runs once and makes every later call reject with `CLOSED`.
 *
 * @module
 */
import { ClosedError } from "../errors.js";

/** Opening and closing, with the open retried on the next call after it failed. */
export class Lifecycle {
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  /** @param openSteps opens the store and starts background work; runs again after a failure. */
  constructor(private readonly openSteps: () => Promise<void>) {}

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Runs the open steps once; callers share the attempt in flight. A failed attempt is
   * forgotten, so the next call tries again (a database down at boot is not fatal).
   */
  open(): Promise<void> {
    if (this.closing) return Promise.reject(new ClosedError());
    if (this.opening === undefined) {
      const attempt = this.openSteps();
      this.opening = attempt;
      attempt.catch(() => {
        if (this.opening === attempt) this.opening = undefined;
      });
    }
    return this.opening;
  }

  /** Rejects `CLOSED` after close; otherwise opens (or waits for the open). */
  async ready(): Promise<void> {
    if (this.closing) throw new ClosedError();
    await this.open();
  }

  /** Runs `steps` once (later calls share it); `steps` may wait for {@link settled}. */
  close(steps: () => Promise<void>): Promise<void> {
    this.closing ??= steps();
    return this.closing;
  }

  /** Resolves when no open is in flight (whether it succeeded or failed). */
  async settled(): Promise<void> {
    await this.opening?.catch(() => undefined);
  }
}
