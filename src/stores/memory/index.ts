/**
 * The default store: in memory, zero configuration, bounded, fast; loses everything on exit.
 *
 * @module
 */
import { ClosedError } from "../../errors.js";
import type { PruneRequest, PruneResult, Store, StoreCapabilities, StoreEventRead, StoreEventWindow } from "../../store.js";
import type { LogRecord, NewEvent, NewLogRecord, StoreLogFilter, StoreLogQuery, StoredEvent } from "../../types.js";
import { isVisible, logFilterPredicate, toLogRecord, toStoredEvent } from "../../store-kit/index.js";

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Keep at most this many log records; the oldest go first. @default 100000 */
  maxLogs?: number;
  /** Keep at most this many events; the oldest go first. @default 10000 */
  maxEvents?: number;
}

/**
 * An append-only list with cheap removal from the front: ids only grow, so the list stays
 * sorted and a binary search finds any id.
 */
class IdList<T> {
  private items: T[] = [];
  private start = 0;

  constructor(private readonly idOf: (item: T) => number) {}

  get length(): number {
    return this.items.length - this.start;
  }

  at(i: number): T {
    return this.items[this.start + i] as T;
  }

  push(item: T): void {
    this.items.push(item);
  }

  first(): T | undefined {
    return this.length > 0 ? this.at(0) : undefined;
  }

  last(): T | undefined {
    return this.length > 0 ? this.at(this.length - 1) : undefined;
  }

  /** Drops the `n` oldest items. */
  dropFront(n: number): void {
    this.start += Math.min(n, this.length);
    // Compact once the dead prefix dominates, so memory stays bounded.
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
  }

  /** Drops the oldest items beyond the newest `max`; returns how many were dropped. */
  keepNewest(max: number): number {
    const excess = this.length - max;
    if (excess > 0) {
      this.dropFront(excess);
      return excess;
    }
    return 0;
  }

  /** Keeps only the items the predicate accepts; returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const before = this.length;
    this.items = this.items.slice(this.start).filter(keep);
    this.start = 0;
    return before - this.items.length;
  }

  /** The position of the first item whose id is greater than `id`. */
  upperBound(id: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.idOf(this.at(mid)) <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The in-memory store. Synchronous inside; every method resolves on the same tick's microtask. */
export class MemoryStore implements Store {
  readonly capabilities: StoreCapabilities = { shared: false, notifications: false };
  private readonly logs = new IdList<LogRecord>((r) => r.id);
  private readonly events = new IdList<StoredEvent>((e) => e.index);
  private nextLogId = 1;
  private nextEventIndex = 1;
  private readonly maxLogs: number;
  private readonly maxEvents: number;
  private closed = false;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxLogs = options.maxLogs ?? 100_000;
    this.maxEvents = options.maxEvents ?? 10_000;
    for (const [name, value] of [["maxLogs", this.maxLogs], ["maxEvents", this.maxEvents]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new TypeError(`${name} must be a positive integer`);
    }
  }

  async open(): Promise<void> {
    this.check();
  }

  async appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]> {
    this.check();
    const out: LogRecord[] = [];
    for (const r of records) {
      const record = toLogRecord(this.nextLogId++, r);
      this.logs.push(record);
      out.push(record);
    }
    this.logs.keepNewest(this.maxLogs);
    return out;
  }

  async queryLogs(query: StoreLogQuery): Promise<LogRecord[]> {
    this.check();
    const matches = logFilterPredicate(query);
    const out: LogRecord[] = [];
    let skip = query.offset ?? 0;
    const lowest = query.afterId !== undefined ? this.logs.upperBound(query.afterId) : 0;
    const highest = Math.min(
      query.beforeId !== undefined ? this.logs.upperBound(query.beforeId - 1) : this.logs.length,
      query.maxId !== undefined ? this.logs.upperBound(query.maxId) : this.logs.length,
    );
    if (query.order === "desc") {
      for (let i = highest - 1; i >= lowest && out.length < query.limit; i--) {
        const r = this.logs.at(i);
        if (matches(r) && skip-- <= 0) out.push(r);
      }
    } else {
      for (let i = lowest; i < highest && out.length < query.limit; i++) {
        const r = this.logs.at(i);
        if (matches(r) && skip-- <= 0) out.push(r);
      }
    }
    return out;
  }

  async countLogs(filter: StoreLogFilter): Promise<number> {
    this.check();
    const matches = logFilterPredicate(filter);
    let n = 0;
    for (let i = 0; i < this.logs.length; i++) if (matches(this.logs.at(i))) n++;
    return n;
  }

  async clearLogs(filter: StoreLogFilter): Promise<number> {
    this.check();
    const matches = logFilterPredicate(filter);
    return this.logs.retain((r) => !matches(r));
  }

  async lastLogId(): Promise<number> {
    this.check();
    return this.logs.last()?.id ?? 0;
  }

  async appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    this.check();
    const out: StoredEvent[] = [];
    for (const e of events) {
      const stored = toStoredEvent(this.nextEventIndex++, e);
      this.events.push(stored);
      out.push(stored);
    }
    this.events.keepNewest(this.maxEvents);
    return out;
  }

  async readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    this.check();
    const found: StoredEvent[] = [];
    if (read.after !== undefined) {
      for (let i = this.events.upperBound(read.after); i < this.events.length && found.length < read.limit; i++) {
        const e = this.events.at(i);
        if (isVisible(e, read)) found.push(e);
      }
    } else {
      for (let i = this.events.length - 1; i >= 0 && found.length < read.limit; i--) {
        const e = this.events.at(i);
        if (isVisible(e, read)) found.push(e);
      }
      found.reverse();
    }
    return {
      events: found,
      head: this.nextEventIndex - 1,
      oldest: this.events.first()?.index ?? 0,
    };
  }

  async prune(request: PruneRequest): Promise<PruneResult> {
    this.check();
    let logs = 0;
    let events = 0;
    if (request.maxLogs !== undefined) logs += this.logs.keepNewest(request.maxLogs);
    if (request.logsBeforeUs !== undefined) {
      const cutoff = request.logsBeforeUs;
      logs += this.logs.retain((r) => r.timeUs >= cutoff);
    }
    if (request.maxEvents !== undefined) events += this.events.keepNewest(request.maxEvents);
    if (request.eventsBeforeUs !== undefined) {
      // Events leave only from the front, so cursors can tell how many they lost.
      let n = 0;
      while (n < this.events.length && this.events.at(n).timeUs < request.eventsBeforeUs) n++;
      this.events.dropFront(n);
      events += n;
    }
    return { logs, events };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private check(): void {
    if (this.closed) throw new ClosedError("The memory store is closed");
  }
}
