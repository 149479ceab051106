/**
 * A complete, small store for `log-event-hub`, written only against the package's public
 * exports: logs and events in two `Map`s, in this process (`shared: false`). It is the example
 * of docs/stores.md ("Writing a store") and runs the published conformance suite in the
 * project's tests (test/conformance/map-store.conformance.test.ts), so the guide cannot rot.
 *
 * The four helpers at the top (record mapping, text rule, filter, visibility) are what every
 * store needs; a SQL store turns the same rules into `WHERE` clauses.
 */
import {
  ALL_USERS,
  ClosedError,
  toSeconds,
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

/** The record a store answers for an appended one, once it has its id. */
function toRecord(id: number, input: NewLogRecord): LogRecord {
  return { id, ts: toSeconds(input.timeUs), ...input };
}

/** The text rule: a literal substring after folding ASCII `A`-`Z` to `a`-`z` only (not `ſ`, not the Kelvin sign). */
function foldAscii(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** One predicate per filter; every field present must match (AND). */
function compileFilter(filter: StoreLogFilter): (r: LogRecord) => boolean {
  const text = filter.text === undefined ? undefined : foldAscii(filter.text);
  return (r) =>
    (filter.fromUs === undefined || r.timeUs >= filter.fromUs) &&
    (filter.toUs === undefined || r.timeUs <= filter.toUs) &&
    (filter.user === undefined || r.user === filter.user) &&
    (filter.levels === undefined || filter.levels.includes(r.level)) &&
    (filter.categories === undefined || filter.categories.includes(r.category)) &&
    (text === undefined || foldAscii(r.message).includes(text));
}

/** Who sees an event: its own user and everyone's (`all`) events; `everyone` is the hub's relay. */
function visibleTo(read: StoreEventRead): (e: StoredEvent) => boolean {
  return (e) => read.everyone === true || e.user === ALL_USERS || e.user === read.user;
}

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
    const out = records.map((r, i) => toRecord(this.lastId + 1 + i, r));
    for (const r of out) this.logs.set(r.id, r);
    this.lastId += out.length;
    return out;
  }

  async queryLogs(query: StoreLogQuery): Promise<LogRecord[]> {
    this.check();
    const matches = compileFilter(query);
    let rows = [...this.logs.values()].filter(
      (r) =>
        (query.beforeId === undefined || r.id < query.beforeId) &&
        (query.afterId === undefined || r.id > query.afterId) &&
        (query.maxId === undefined || r.id <= query.maxId) &&
        matches(r),
    );
    if (query.order === "desc") rows = rows.reverse();
    const offset = query.offset ?? 0;
    return rows.slice(offset, offset + query.limit);
  }

  async countLogs(filter: StoreLogFilter): Promise<number> {
    this.check();
    const matches = compileFilter(filter);
    let n = 0;
    for (const r of this.logs.values()) if (matches(r)) n++;
    return n;
  }

  async clearLogs(filter: StoreLogFilter): Promise<number> {
    this.check();
    const matches = compileFilter(filter);
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
    const out = events.map((e, i) => ({ index: this.head + 1 + i, ...e }));
    for (const e of out) this.events.set(e.index, e);
    this.head += out.length;
    return out;
  }

  async readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    this.check();
    const visible = [...this.events.values()].filter(visibleTo(read));
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
