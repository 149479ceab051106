/**
 * The seed's wire form of an event: `category:user:JSON`, or with a timestamp
 * `category:user:ts:JSON` (later versions of the API).
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { EventPage, EventPageJson, HubEvent } from "../types.js";

/** Options of {@link formatEventMessage}. */
export interface EventMessageOptions {
  /** Add the epoch-seconds timestamp: `category:user:ts:JSON`. @default false */
  withTimestamp?: boolean;
}

/** One event as the seed's message string. */
export function formatEventMessage(
  event: Pick<HubEvent, "category" | "user" | "payload" | "ts">,
  options: EventMessageOptions = {},
): string {
  const json = JSON.stringify(event.payload);
  return options.withTimestamp
    ? `${event.category}:${event.user}:${event.ts}:${json}`
    : `${event.category}:${event.user}:${json}`;
}

/** A message parsed back: what a client of the feed sees. */
export interface ParsedEventMessage {
  /** The event's category. */
  category: string;
  /** Recipient: a user name, or `all`. */
  user: string;
  /** Epoch seconds, when the message carried a timestamp. */
  ts?: number;
  /** The payload object; fields are not checked, unknown ones are kept. */
  payload: Record<string, unknown>;
}

const TIMESTAMP = /^(\d+(?:\.\d+)?):/;

/**
 * Parses `category:user:JSON` or `category:user:ts:JSON`.
 *
 * @throws ValidationError when the text is not in either form.
 */
export function parseEventMessage(text: string): ParsedEventMessage {
  if (typeof text !== "string") throw new ValidationError("An event message must be a string", "message");
  const first = text.indexOf(":");
  const second = first < 0 ? -1 : text.indexOf(":", first + 1);
  if (first <= 0 || second <= first + 1) {
    throw new ValidationError("An event message must look like category:user:JSON", "message");
  }
  const category = text.slice(0, first);
  const user = text.slice(first + 1, second);
  let rest = text.slice(second + 1);
  let ts: number | undefined;
  const stamp = TIMESTAMP.exec(rest);
  if (stamp) {
    ts = Number(stamp[1]);
    rest = rest.slice(stamp[0].length);
  }
  let payload: unknown;
  try {
    payload = JSON.parse(rest);
  } catch {
    throw new ValidationError("An event message's payload is not valid JSON", "message");
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    throw new ValidationError("An event message's payload must be a JSON object", "message");
  }
  const parsed: ParsedEventMessage = { category, user, payload: payload as Record<string, unknown> };
  if (ts !== undefined) parsed.ts = ts;
  return parsed;
}

/** A page in the seed's wire shape: `{ index, messages, offset }`, plus `lost` only when > 0. */
export function toEventPageJson<M extends object>(page: EventPage<M>, options: EventMessageOptions = {}): EventPageJson {
  const json: EventPageJson = {
    index: page.index,
    messages: page.events.map((event) => formatEventMessage(event as unknown as HubEvent, options)),
    offset: page.offset,
  };
  if (page.lost !== undefined && page.lost > 0) json.lost = page.lost;
  return json;
}
