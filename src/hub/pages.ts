/**
 * Event pages: one window of the store turned into a page with the cursor arithmetic of
 * SPEC 4 and 8, and the long poll that waits for a page to fill.
 *
 * @module
 */
import { CursorExpiredError } from "../errors.js";
import { pageCursor } from "../events/cursor.js";
import type { FeedSignal } from "../events/feed-signal.js";
import type { Store } from "../store.js";
import type { EventPage, HubEvent } from "../types.js";
import type { HubEventCache } from "./hub-events.js";

/** What {@link EventPages} works with. */
export interface EventPagesOptions {
  store: Pick<Store, "readEvents">;
  feed: FeedSignal;
  events: HubEventCache;
  /** Tells the relay a long poll starts (`+1`) or ends (`-1`). */
  onWait: (delta: 1 | -1) => void;
  /** What a cursor older than retention gets. @default "report" */
  expiredCursor?: "report" | "error";
}

/** Reads pages of the feed and long-polls them. */
export class EventPages {
  constructor(private readonly options: EventPagesOptions) {}

  /** One page: without `index` the newest `limit` events, with it the oldest `limit` after it. */
  async read(index: number | undefined, limit: number, user: string | undefined): Promise<EventPage> {
    const { store, feed, events } = this.options;
    const window = await store.readEvents({
      limit,
      ...(index !== undefined && { after: index }),
      ...(user !== undefined && { user }),
    });
    feed.advance(window.head);
    const cursor = pageCursor(window, index, limit);
    if (cursor.lost > 0 && this.options.expiredCursor === "error") {
      throw new CursorExpiredError(`The cursor is older than retention: ${cursor.lost} events were dropped`, cursor.lost, cursor.index + 1);
    }
    const page: EventPage = {
      index: cursor.index,
      events: window.events.map((e) => events.get(e)).reverse() as HubEvent[],
      offset: cursor.offset,
    };
    if (cursor.lost > 0) page.lost = cursor.lost;
    return page;
  }

  /**
   * Reads a page after `index`; when it is empty, waits up to `wait` ms for a newer event
   * (woken by the feed signal), then reads again. Resolves what it has on timeout or close.
   */
  async poll(index: number | undefined, limit: number, user: string | undefined, wait: number, signal?: AbortSignal): Promise<EventPage> {
    let page = await this.read(index, limit, user);
    if (index === undefined || wait === 0 || page.events.length > 0) return page;
    const deadline = performance.now() + wait;
    this.options.onWait(1);
    try {
      for (;;) {
        const remaining = deadline - performance.now();
        if (remaining <= 0) break;
        const outcome = await this.options.feed.waitBeyond(page.offset, remaining, signal);
        if (outcome === "closed") return page;
        page = await this.read(index, limit, user);
        if (page.events.length > 0 || outcome === "timeout") return page;
      }
      return page;
    } finally {
      this.options.onWait(-1);
    }
  }
}
