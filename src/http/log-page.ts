/**
 * The log query's JSON text, built from per-record pieces that are cached: a record never
 * changes once appended and its id is never reused, and dashboards poll the same newest
 * records again and again, so each one is serialised once instead of on every read.
 *
 * @module
 */
import { BoundedCache } from "../cache.js";
import { toLogJson } from "../logs/json.js";
import type { LogRecord } from "../types.js";

/**
 * Serialises record lists exactly as `JSON.stringify(records.map(toLogJson))` does, byte for
 * byte, with a bounded cache of each record's JSON by id. Use one writer per hub (ids are
 * unique within a hub's store).
 */
export class LogPageWriter {
  private readonly cached: BoundedCache<number, string>;

  /** @param maxCached How many records' JSON to keep (the newest written). @default 4096 */
  constructor(maxCached = 4096) {
    this.cached = new BoundedCache(maxCached);
  }

  /** The records as the seed's JSON array text. */
  write(records: readonly LogRecord<string>[]): string {
    let body = "[";
    for (let i = 0; i < records.length; i++) {
      if (i > 0) body += ",";
      body += this.record(records[i] as LogRecord<string>);
    }
    return `${body}]`;
  }

  private record(record: LogRecord<string>): string {
    let text = this.cached.get(record.id);
    if (text === undefined) {
      text = JSON.stringify(toLogJson(record));
      this.cached.set(record.id, text);
    }
    return text;
  }
}
