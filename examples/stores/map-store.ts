/**
 * A complete, small store for `log-event-hub`, written only against the package's public
 * exports: logs and events in two `Map`s, in this process (`shared: false`). It is the example
 * of docs/stores.md ("Writing a store") and runs the published conformance suite in the
 * project's tests (test/conformance/map-store.conformance.test.ts), so the guide cannot rot.
 *
 * The rules every store shares (record mapping, the filter with its text rule, visibility) come
 * from `log-event-hub/store-kit`, the helpers the library's own stores use; a SQL store renders
 * the same filter as `WHERE` clauses (`compileLogFilter`).
 */
import {
  ClosedError,
  type LogRecord,
  type NewEvent,
  type NewLogRecord,
  type PruneRequest,
  type PruneResult,
  type Store,
  type StoreCapabilities,
  type StoredEvent,
  type StoreEventRead,
  type StoreEventWindow,
  type StoreLogFilter,
  type StoreLogQuery,
} from "log-event-hub";
import { isVisible, logFilterPredicate, toLogRecord, toStoredEvent } from "log-event-hub/store-kit";

/** A store in two `Map`s (insertion order is id order, so no sorting is ever needed). */
export class MapStore implements Store {
  readonly capabilities: StoreCapabilities = { shared: false, notifications: false };
  private readonly logs = new Map<number, LogRecord>();
  private readonly events = new Map<number, StoredEvent>();
  private lastId = 0; // the newest log id ever assigned: ids are never reused
  private head = 0; // the newest event index ever assigned: kept after pruning
  private closed = false;

  async open(): Promise<void> {
    this.check();
  }

  async appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]> {
    this.check();
    // Synchronous from here on: all records are written, or (on a throw) none.
    const out = records.map((r, i) => toLogRecord(this.lastId + 1 + i, r));
    for (const r of out) this.logs.set(r.id, r);
    this.lastId += out.length;
    return out;
  }

  async queryLogs(query: StoreLogQuery): Promise<LogRecord[]> {
    this.check();
    // The filter with the query's id bounds (keyset paging and the export's snapshot).
    let rows = [...this.logs.values()].filter(logFilterPredicate(query));
    if (query.order === "desc") rows = rows.reverse();
    const offset = query.offset ?? 0;
    return rows.slice(offset, offset + query.limit);
  }

  async countLogs(filter: StoreLogFilter): Promise<number> {
    this.check();
    const matches = logFilterPredicate(filter);
    let n = 0;
    for (const r of this.logs.values()) if (matches(r)) n++;
    return n;
  }

  async clearLogs(filter: StoreLogFilter): Promise<number> {
    this.check();
    const matches = logFilterPredicate(filter);
    let n = 0;
    for (const r of this.logs.values()) if (matches(r) && this.logs.delete(r.id)) n++;
    return n;
  }

  async lastLogId(): Promise<number> {
    this.check();
    let newest = 0;
    for (const id of this.logs.keys()) newest = id; // the last key is the newest still stored
    return newest;
  }

  async appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    this.check();
    // Indexes are dense (head + 1, head + 2, ...) and visible together with the new head.
    const out = events.map((e, i) => toStoredEvent(this.head + 1 + i, e));
    for (const e of out) this.events.set(e.index, e);
    this.head += out.length;
    return out;
  }

  async readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    this.check();
    const visible = [...this.events.values()].filter((e) => isVisible(e, read));
    const events =
      read.after === undefined
        ? visible.slice(-read.limit) // the newest `limit`, oldest first
        : visible.filter((e) => e.index > (read.after as number)).slice(0, read.limit);
    const oldest = this.events.keys().next();
    return { events, head: this.head, oldest: oldest.done ? 0 : oldest.value };
  }

  async prune(request: PruneRequest): Promise<PruneResult> {
    this.check();
    let logs = 0;
    let events = 0;
    const dropFront = <T>(map: Map<number, T>, keep: (value: T, left: number) => boolean): number => {
      let n = 0;
      for (const [key, value] of map) {
        if (keep(value, map.size)) break;
        map.delete(key);
        n++;
      }
      return n;
    };
    if (request.maxLogs !== undefined) logs += dropFront(this.logs, (_, left) => left <= (request.maxLogs as number));
    if (request.logsBeforeUs !== undefined) {
      // Logs by age: every older record, wherever it is.
      for (const r of this.logs.values()) if (r.timeUs < request.logsBeforeUs && this.logs.delete(r.id)) logs++;
    }
    if (request.maxEvents !== undefined) events += dropFront(this.events, (_, left) => left <= (request.maxEvents as number));
    // Events by age: only from the front, up to the first one that is not older (strict <).
    if (request.eventsBeforeUs !== undefined) events += dropFront(this.events, (e) => e.timeUs >= (request.eventsBeforeUs as number));
    return { logs, events };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new ClosedError("The map store is closed");
  }
}
