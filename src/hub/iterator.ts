/**
 * The event iterator: every visible event from a cursor on, in order, as long polls deliver
 * them, until its signal aborts or the hub closes.
 *
 * @module
 */
import { CursorExpiredError } from "../errors.js";
import type { EventPage, HubEvent } from "../types.js";

/** What the iterator needs from the hub. */
export interface EventIterationSource {
  /** A long poll after `index`. */
  poll(index: number, signal: AbortSignal): Promise<EventPage>;
  /** The feed's head (where a new iterator starts). */
  head(): Promise<number>;
  /** Whether the hub is closing. */
  closed(): boolean;
  /** Every live iterator's controller: the hub aborts them on close. */
  aborts: Set<AbortController>;
}

/** Yields events after `after` (default: the head) until `signal` aborts or the hub closes. */
export async function* iterateEvents(
  source: EventIterationSource,
  after: number | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<HubEvent, void, undefined> {
  let cursor = after ?? (await source.head());
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) controller.abort();
  source.aborts.add(controller);
  try {
    while (!controller.signal.aborted && !source.closed()) {
      let page: EventPage;
      try {
        page = await source.poll(cursor, controller.signal);
      } catch (error) {
        if (controller.signal.aborted) return;
        throw error;
      }
      if (page.lost) {
        throw new CursorExpiredError(`The iterator fell behind retention: ${page.lost} events were dropped`, page.lost, page.index + 1);
      }
      for (let i = page.events.length - 1; i >= 0; i--) yield page.events[i] as HubEvent;
      cursor = page.offset;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    source.aborts.delete(controller);
  }
}
