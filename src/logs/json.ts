/**
 * The seed's JSON shape for log records.
 *
 * @module
 */
import type { LogJson, LogRecord } from "../types.js";

/** The seed's JSON object for one record: keys `category,id,level,message,ts,user`, `ts` in integer seconds. */
export function toLogJson(record: LogRecord<string>): LogJson {
  return {
    category: record.category,
    id: record.id,
    level: record.level,
    message: record.message,
    ts: record.ts,
    user: record.user,
  };
}
