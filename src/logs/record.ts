/**
 * Building a stored record from an appended one: shared by every store.
 *
 * @module
 */
import { toSeconds } from "../time.js";
import type { LogRecord, NewLogRecord } from "../types.js";

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
