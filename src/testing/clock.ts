/**
 * A clock that moves only when told: inject it as `new LogEventHub({ clock })` to make record
 * times, retention by age and CSV dates deterministic in tests.
 *
 * @module
 */
import type { Clock } from "../types.js";

/** 2015-03-17 17:27:06.452144 UTC, the first row of the seed's CSV sample, in epoch microseconds. */
export const SEED_EPOCH_US = Date.UTC(2015, 2, 17, 17, 27, 6) * 1000 + 452_144;

/**
 * A controllable {@link Clock}. Times are epoch milliseconds (fractions carry microseconds) or
 * `Date`s, like `hub.log({ time })`; the `...Us` variants take integer microseconds.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(new Date("2015-03-17T17:27:06Z"));
 * const hub = new LogEventHub({ clock });
 * clock.advance(1500); // 1.5 s later
 * ```
 */
export class ManualClock implements Clock {
  private us: number;

  /** @param start The initial time. @default the seed's first CSV row, {@link SEED_EPOCH_US} */
  constructor(start?: Date | number) {
    this.us = start === undefined ? SEED_EPOCH_US : toUs(start);
  }

  /** Now, in epoch microseconds (integer). */
  nowUs(): number {
    return this.us;
  }

  /** Now, as a `Date` (millisecond precision). */
  now(): Date {
    return new Date(Math.floor(this.us / 1000));
  }

  /** Moves to `time` (a `Date` or epoch milliseconds); backwards is allowed, to test clock steps. */
  set(time: Date | number): this {
    this.us = toUs(time);
    return this;
  }

  /** Moves to `timeUs` epoch microseconds. */
  setUs(timeUs: number): this {
    this.us = checkUs(timeUs);
    return this;
  }

  /** Moves forward by `ms` milliseconds (fractions carry microseconds; negative moves back). */
  advance(ms: number): this {
    if (!Number.isFinite(ms)) throw new TypeError(`advance() takes a finite number of milliseconds, got ${String(ms)}`);
    this.us = checkUs(this.us + Math.round(ms * 1000));
    return this;
  }

  /** Moves forward by `us` microseconds. */
  advanceUs(us: number): this {
    this.us = checkUs(this.us + us);
    return this;
  }
}

function toUs(time: Date | number): number {
  const ms = time instanceof Date ? time.getTime() : time;
  if (!Number.isFinite(ms)) throw new TypeError(`Not a valid time: ${String(time)}`);
  return checkUs(Math.round(ms * 1000));
}

function checkUs(us: number): number {
  if (!Number.isSafeInteger(us)) throw new TypeError(`Not an integer number of microseconds: ${String(us)}`);
  return us;
}
