/**
 * Validation of what a host appends: records and events are checked once, here, and bad input
 * rejects with a `ValidationError` naming the field.
 *
 * @module
 */
import { ValidationError } from "../errors.js";
import type { HubLimits } from "../limits.js";
import { checkCharacters } from "../logs/text.js";
import { checkInteger, normalizeCategory, normalizeLevel } from "../query.js";
import { toMicros } from "../time.js";
import type { Clock, EventInput, LogInput, NewEvent, NewLogRecord } from "../types.js";

const USER_FORBIDDEN = ":";

/** The rules of one hub: its categories, limits and clock. */
export class InputRules {
  constructor(
    private readonly limits: Readonly<HubLimits>,
    private readonly clock: Clock,
    private readonly logCategories: readonly string[],
    private readonly eventCategories: readonly string[],
  ) {}

  /** A user name: non-empty, bounded, one line, no `:`. */
  user(user: unknown, param: string): string {
    if (typeof user !== "string" || user.length === 0) {
      throw new ValidationError(`"${param}" must be a non-empty string`, param);
    }
    if (user.length > this.limits.maxUserLength) {
      throw new ValidationError(`"${param}" is longer than ${this.limits.maxUserLength} characters`, param);
    }
    if (user.includes(USER_FORBIDDEN)) throw new ValidationError(`"${param}" must not contain ":"`, param);
    return checkCharacters(user, param, "singleLine");
  }

  /** A record to append, with its time resolved. */
  log(input: LogInput<string>): NewLogRecord {
    if (input === null || typeof input !== "object") throw new ValidationError("A log record must be an object");
    const level = normalizeLevel(input.level, "level");
    const category = normalizeCategory(input.category, this.logCategories, "category");
    const user = this.user(input.user, "user");
    const { message } = input;
    if (typeof message !== "string" || message.length === 0) {
      throw new ValidationError(`"message" must be a non-empty string`, "message");
    }
    if (message.length > this.limits.maxMessageLength) {
      throw new ValidationError(`"message" is longer than ${this.limits.maxMessageLength} characters`, "message");
    }
    checkCharacters(message, "message");
    return { timeUs: this.time(input.time, input.timeUs), level, category, user, message };
  }

  /** An event to publish, with its payload serialised. */
  event(input: EventInput<Record<string, unknown>>): NewEvent {
    if (input === null || typeof input !== "object") throw new ValidationError("An event must be an object");
    const category = input.category;
    if (typeof category !== "string" || !this.eventCategories.includes(category)) {
      throw new ValidationError(
        `Unknown event category ${JSON.stringify(category)}: expected one of ${this.eventCategories.join(", ")}`,
        "category",
      );
    }
    const user = this.user(input.user, "user");
    const { payload } = input;
    if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
      throw new ValidationError(`"payload" must be a JSON object`, "payload");
    }
    let payloadJson: string;
    try {
      payloadJson = JSON.stringify(payload);
    } catch {
      throw new ValidationError(`"payload" cannot be serialised as JSON`, "payload");
    }
    if (payloadJson.length > this.limits.maxPayloadLength) {
      throw new ValidationError(`"payload" is larger than ${this.limits.maxPayloadLength} characters as JSON`, "payload");
    }
    return { timeUs: this.time(input.time, undefined), category, user, payloadJson };
  }

  private time(time: Date | number | undefined, timeUs: number | undefined): number {
    if (timeUs !== undefined) return checkInteger(timeUs, "timeUs", 0, Number.MAX_SAFE_INTEGER);
    if (time === undefined) return this.clock.nowUs();
    const us = time instanceof Date || typeof time === "number" ? toMicros(time) : Number.NaN;
    if (!Number.isSafeInteger(us) || us < 0) throw new ValidationError(`"time" must be a valid Date or epoch milliseconds`, "time");
    return us;
  }
}
