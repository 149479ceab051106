/**
 * A small bounded cache in insertion order, for values derived once from immutable records
 * (a record's JSON by id, an event's wire text by index). Internal: not part of the package's API.
 *
 * @module
 */

/**
 * A `Map` that keeps at most `max` entries: adding one more evicts the oldest-inserted entry
 * (FIFO; a `get` does not refresh an entry, which suits keys that grow with time such as record
 * ids, where the newest are the ones read again). No allocation per call beyond the `Map`'s own.
 *
 * ```ts
 * const cache = new BoundedCache<number, string>(4096);
 * let text = cache.get(record.id);
 * if (text === undefined) cache.set(record.id, (text = JSON.stringify(record)));
 * ```
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  /** @param max How many entries to keep; `0` keeps none (caching off). */
  constructor(readonly max: number) {}

  /** The value cached for `key`, or `undefined`. */
  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  /**
   * Caches `value` under `key`. A new key beyond `max` evicts the oldest entry; setting a key
   * that is already cached replaces its value and keeps its place in the eviction order.
   */
  set(key: K, value: V): void {
    const entries = this.entries;
    entries.set(key, value);
    // A Map iterates in insertion order: the first key is the oldest entry.
    if (entries.size > this.max) entries.delete(entries.keys().next().value as K);
  }

  /** How many entries are cached. */
  get size(): number {
    return this.entries.size;
  }
}
