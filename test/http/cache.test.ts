import { describe, expect, it } from "vitest";
import { BoundedCache } from "../../src/cache.js";
import * as entry from "log-event-hub";

describe("BoundedCache", () => {
  it("keeps at most max entries, evicting the oldest inserted", () => {
    const cache = new BoundedCache<number, string>(3);
    for (let i = 1; i <= 5; i++) cache.set(i, `v${i}`);
    expect(cache.size).toBe(3);
    expect([1, 2, 3, 4, 5].map((k) => cache.get(k))).toEqual([undefined, undefined, "v3", "v4", "v5"]);
  });

  it("does not refresh an entry on get (insertion order, not LRU)", () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBe(2);
    expect(cache.get("c")).toBe(3);
  });

  it("replaces the value of a cached key without evicting or moving it", () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    cache.set("a", 10);
    expect(cache.size).toBe(2);
    expect(cache.get("a")).toBe(10);
    cache.set("c", 3);
    expect(cache.get("a")).toBeUndefined();
    expect(cache.get("b")).toBe(2);
  });

  it("keeps nothing with max 0", () => {
    const off = new BoundedCache<number, number>(0);
    off.set(1, 1);
    expect(off.get(1)).toBeUndefined();
    expect(off.size).toBe(0);
  });

  it("is internal: not exported from the package entry", () => {
    expect("BoundedCache" in entry).toBe(false);
  });
});
