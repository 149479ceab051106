/**
 * The event feed's cursor arithmetic (SPEC 4 and 8): where a page starts (`index`), where the
 * next read continues (`offset`) and how many events retention dropped before the cursor
 * (`lost`), from one window of the store. Pure, so every boundary can be tested directly.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { StoreEventWindow } from "../store.js";

/** The cursor fields of one event page. */
export interface PageCursor {
  /** Where the page starts: the cursor the client sent, or where an unbroken read could start. */
  index: number;
  /** Where the next read continues: the head, or the newest event of a full page. */
  offset: number;
  /** Events dropped by retention between the cursor and the oldest retained one; 0 when none. */
  lost: number;
}

/**
 * Computes a page's cursor fields from the store's window (events oldest first).
 *
 * - Without `index` (the newest `limit` events): `index` is just before the page's oldest event
 *   when the page is full, else just before the oldest retained event; `offset` is the head.
 * - With `index`: `index` is the cursor (or, when retention dropped events after it, just before
 *   the oldest retained one, with `lost` counting the gap); `offset` is the page's newest event
 *   when the page is full, else the head.
 *
 * @throws ValidationError (`param: "index"`) when `index` is ahead of the feed's head.
 */
export function pageCursor(
  window: Pick<StoreEventWindow, "head" | "oldest"> & { events: readonly { index: number }[] },
  index: number | undefined,
  limit: number,
): PageCursor {
  const { events, head, oldest } = window;
  const full = events.length === limit;
  // The oldest index still retained minus one: where an unbroken read could start.
  const retainedFrom = oldest > 0 ? oldest - 1 : head;
  if (index === undefined) {
    return { index: full ? (events[0] as { index: number }).index - 1 : retainedFrom, offset: head, lost: 0 };
  }
  if (index > head) {
    throw new ValidationError(`"index" ${index} is ahead of the feed (newest is ${head})`, "index");
  }
  return {
    index: Math.max(index, retainedFrom),
    offset: full ? (events[events.length - 1] as { index: number }).index : head,
    lost: Math.max(0, retainedFrom - index),
  };
}
