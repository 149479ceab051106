/**
 * The event page's JSON text, built from per-event pieces that are cached: an event never
 * changes once published, and every client polling the feed reads the same newest events again
 * and again, so each one is formatted and JSON-quoted once instead of on every read.
 *
 * @module
 */
import { BoundedCache } from "../cache.js";
import { formatEventMessage, type EventMessageOptions } from "../events/wire.js";
import type { EventPage, HubEvent } from "../types.js";

/**
 * Serialises event pages exactly as `JSON.stringify(toEventPageJson(page, options))` does,
 * byte for byte, with a bounded cache of quoted messages by event index. Use one writer per
 * hub (indexes are unique within a hub's store).
 */
export class EventPageWriter {
  private readonly quoted: BoundedCache<number, string>;

  /**
   * @param options Wire form of the messages.
   * @param maxCached How many quoted messages to keep (the newest written). @default 4096
   */
  constructor(
    private readonly options: EventMessageOptions = {},
    maxCached = 4096,
  ) {
    this.quoted = new BoundedCache(maxCached);
  }

  /** The page as JSON text: `{"index":..,"messages":[..],"offset":..}` plus `"lost"` when > 0. */
  write<M extends object>(page: EventPage<M>): string {
    const events = page.events as unknown as readonly HubEvent[];
    let body = `{"index":${page.index},"messages":[`;
    for (let i = 0; i < events.length; i++) {
      if (i > 0) body += ",";
      body += this.message(events[i] as HubEvent);
    }
    body += `],"offset":${page.offset}`;
    if (page.lost !== undefined && page.lost > 0) body += `,"lost":${page.lost}`;
    return `${body}}`;
  }

  private message(event: HubEvent): string {
    let text = this.quoted.get(event.index);
    if (text === undefined) {
      text = JSON.stringify(formatEventMessage(event, this.options));
      this.quoted.set(event.index, text);
    }
    return text;
  }
}
