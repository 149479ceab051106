/**
 * Record mapping for store authors: what a store returns for an appended record or event, and
 * how a database row becomes one.
 *
 * @module
 */
import { toSeconds } from "../time.js";
import type { Level, LogRecord, NewEvent, NewLogRecord, StoredEvent } from "../types.js";

/** A numeric column as drivers hand it over: `bigint` columns often arrive as strings. */
export type NumericColumn = number | string | bigint;

/** A numeric column as a number (every id, index and time this library stores fits a double). */
export function columnNumber(value: NumericColumn): number {
  return typeof value === "number" ? value : Number(value);
}

/** The record a store returns for `input` once it has assigned `id`. */
export function toLogRecord(id: number, input: NewLogRecord): LogRecord {
  return {
    id,
    ts: toSeconds(input.timeUs),
    timeUs: input.timeUs,
    level: input.level,
    category: input.category,
    user: input.user,
    message: input.message,
  };
}

/** The event a store returns for `input` once it has assigned `index`. */
export function toStoredEvent(index: number, input: NewEvent): StoredEvent {
  return { index, timeUs: input.timeUs, category: input.category, user: input.user, payloadJson: input.payloadJson };
}

/**
 * A log record from a row's columns, in the order of {@link LogRecord}'s fields (positional, so
 * a store reading rows as arrays builds no intermediate object). `ts` is derived from `timeUs`.
 */
export function logRecordFromColumns(
  id: NumericColumn,
  timeUs: NumericColumn,
  level: string,
  category: string,
  user: string,
  message: string,
): LogRecord {
  const us = columnNumber(timeUs);
  return { id: columnNumber(id), ts: toSeconds(us), timeUs: us, level: level as Level, category, user, message };
}

/** A stored event from a row's columns (`payloadJson` is the payload's JSON text, as appended). */
export function storedEventFromColumns(
  index: NumericColumn,
  timeUs: NumericColumn,
  category: string,
  user: string,
  payloadJson: string,
): StoredEvent {
  return { index: columnNumber(index), timeUs: columnNumber(timeUs), category, user, payloadJson };
}
