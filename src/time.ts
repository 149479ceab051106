/**
 * Time helpers: epoch microseconds everywhere inside, seconds on the wire.
 *
 * @module
 */
import type { Clock } from "./types.js";

/** The system clock, with microsecond resolution where the platform offers it. */
export const systemClock: Clock = {
  nowUs(): number {
    return Math.round((performance.timeOrigin + performance.now()) * 1000);
  },
};

/** Epoch microseconds -> integer epoch seconds (floor). */
export function toSeconds(timeUs: number): number {
  return Math.floor(timeUs / 1_000_000);
}

/** `Date` or epoch milliseconds (fractions carry microseconds) -> epoch microseconds. */
export function toMicros(time: Date | number): number {
  const ms = time instanceof Date ? time.getTime() : time;
  return Math.round(ms * 1000);
}
