/**
 * Stored events as the API returns them: parsed once, frozen, shared by every reader.
 *
 * @module
 */
import { BoundedCache } from "../cache.js";
import { toSeconds } from "../time.js";
import type { HubEvent, StoredEvent } from "../types.js";

/** How many parsed events the hub keeps for reuse. */
const EVENT_CACHE_SIZE = 4096;

/** Freezes a parsed JSON value all the way down (events are immutable once published). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** A stored event as the API returns it: frozen, so one object can serve every reader. */
export function toHubEvent(stored: StoredEvent): HubEvent {
  return Object.freeze({
    index: stored.index,
    ts: toSeconds(stored.timeUs),
    timeUs: stored.timeUs,
    category: stored.category,
    user: stored.user,
    payload: deepFreeze(JSON.parse(stored.payloadJson) as Record<string, unknown>),
  });
}

/** Readers poll the same newest events again and again: each is parsed once (bounded cache). */
export class HubEventCache {
  private readonly cache = new BoundedCache<number, HubEvent>(EVENT_CACHE_SIZE);

  /** The API object for a stored event, parsed once and shared while it stays cached. */
  get(stored: StoredEvent): HubEvent {
    let event = this.cache.get(stored.index);
    if (event === undefined) {
      event = toHubEvent(stored);
      this.cache.set(stored.index, event);
    }
    return event;
  }
}
