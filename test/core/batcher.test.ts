import { afterEach, describe, expect, it } from "vitest";
import { Batcher } from "../../src/batcher.js";
import { LogEventHub, MemoryStore, StoreUnavailableError, type LogRecord, type NewLogRecord, type NewEvent, type StoredEvent } from "../../src/index.js";

/** A promise with its resolve exposed: lets a test hold a store call open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Whether `promise` has settled after the queued microtasks and one macrotask have run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe("Batcher", () => {
  it("writes the items pushed in the same tick with one flush, and gives each caller its own output", async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, string>(async (items) => {
      calls.push(items);
      return items.map((i) => `out ${i}`);
    });
    const results = await Promise.all([batcher.push(1), batcher.push(2), batcher.push(3)]);
    expect(results).toEqual(["out 1", "out 2", "out 3"]);
    expect(calls).toEqual([[1, 2, 3]]);
  });

  it("never hands flush more than maxBatch items, keeping their order", async () => {
    const calls: number[][] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      calls.push(items);
      return items.map((i) => i * 10);
    }, 2);
    const results = await Promise.all([1, 2, 3, 4, 5].map((i) => batcher.push(i)));
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("defaults to batches of at most 1000", async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    });
    await Promise.all(Array.from({ length: 1001 }, (_, i) => batcher.push(i)));
    expect(sizes).toEqual([1000, 1]);
  });

  it("queues items pushed during a flush for the next batch, written after it", async () => {
    const calls: number[][] = [];
    const first = gate();
    const batcher = new Batcher<number, number>(async (items) => {
      calls.push(items);
      if (calls.length === 1) await first.promise;
      return items;
    });
    const a = batcher.push(1);
    await new Promise((resolve) => setImmediate(resolve));
    const b = batcher.push(2);
    const c = batcher.push(3);
    expect(calls).toEqual([[1]]);
    expect(await isSettled(a)).toBe(false);
    first.open();
    expect(await Promise.all([a, b, c])).toEqual([1, 2, 3]);
    expect(calls).toEqual([[1], [2, 3]]);
  });

  it("rejects every caller of a failed batch with the flush's error, and goes on with the next batch", async () => {
    const failure = new Error("disk full");
    let call = 0;
    const batcher = new Batcher<number, number>(async (items) => {
      call++;
      if (call === 1) throw failure;
      return items;
    }, 2);
    const outcomes = await Promise.allSettled([1, 2, 3].map((i) => batcher.push(i)));
    expect(outcomes).toEqual([
      { status: "rejected", reason: failure },
      { status: "rejected", reason: failure },
      { status: "fulfilled", value: 3 },
    ]);
    // Still usable afterwards: a new push starts a new drain.
    expect(await batcher.push(4)).toBe(4);
  });

  it("idle() also waits for items pushed while it waited", async () => {
    const written: number[] = [];
    const batcher = new Batcher<number, number>(async (items) => {
      await new Promise((resolve) => setImmediate(resolve));
      written.push(...items);
      return items;
    });
    // Pushed by a caller reacting to its first result, before idle() looks again.
    void batcher.push(1).then(() => batcher.push(2));
    await batcher.idle();
    expect(written).toEqual([1, 2]);
  });

  it("idle() waits for everything queued, failed batches included, and resolves at once when nothing is", async () => {
    const release = gate();
    const batcher = new Batcher<number, number>(async (items) => {
      await release.promise;
      if (items.includes(2)) throw new Error("no");
      return items;
    }, 1);
    await batcher.idle();
    const pushed = [batcher.push(1).catch(() => "failed"), batcher.push(2).catch(() => "failed")];
    const idle = batcher.idle();
    expect(await isSettled(idle)).toBe(false);
    release.open();
    await idle;
    expect(await isSettled(Promise.all(pushed))).toBe(true);
    expect(await Promise.all(pushed)).toEqual([1, "failed"]);
  });
});

/** A memory store whose appends can be held open or made to fail. */
class ControlledStore extends MemoryStore {
  hold: Promise<void> | undefined;
  failure: Error | undefined;
  appendCalls = 0;
  readonly log: string[] = [];

  override async appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]> {
    this.appendCalls++;
    this.log.push(`append ${records.length}`);
    if (this.hold) await this.hold;
    if (this.failure) throw this.failure;
    const out = await super.appendLogs(records);
    this.log.push("appended");
    return out;
  }

  override async appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (this.hold) await this.hold;
    if (this.failure) throw this.failure;
    return super.appendEvents(events);
  }

  override async clearLogs(...args: Parameters<MemoryStore["clearLogs"]>): Promise<number> {
    this.log.push("clear");
    return super.clearLogs(...args);
  }

  override async close(): Promise<void> {
    this.log.push("close");
    return super.close();
  }
}

describe("the hub over a store whose append fails or is slow", () => {
  const hubs: LogEventHub[] = [];
  afterEach(async () => {
    await Promise.allSettled(hubs.splice(0).map((h) => h.close()));
  });
  function makeHub(store: ControlledStore) {
    const hub = new LogEventHub({ store });
    hubs.push(hub);
    return hub;
  }

  it("rejects every concurrent append with the store's error; none hangs, none is emitted", async () => {
    const store = new ControlledStore();
    const hub = makeHub(store);
    await hub.open();
    const emitted: unknown[] = [];
    hub.on("log", (r) => emitted.push(r));
    store.failure = new StoreUnavailableError("The store is unavailable");
    const outcomes = await Promise.allSettled([1, 2, 3].map((i) => hub.info("system", `m${i}`)));
    expect(store.appendCalls).toBe(1);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBe(store.failure);
    }
    expect(emitted).toEqual([]);
    const events = await Promise.allSettled([hub.publish({ category: "image", user: "all", payload: {} } as never)]);
    expect(events[0]?.status).toBe("rejected");
    // The failure is not sticky: the next append after the store recovers is written.
    store.failure = undefined;
    expect((await hub.info("system", "after")).message).toBe("after");
    expect(emitted).toHaveLength(1);
  });

  it("close() writes the appends still in flight before closing the store", async () => {
    const store = new ControlledStore();
    const hub = makeHub(store);
    await hub.open();
    const held = gate();
    store.hold = held.promise;
    const appended = hub.info("system", "in flight");
    await new Promise((resolve) => setImmediate(resolve));
    const closed = hub.close();
    expect(await isSettled(closed)).toBe(false);
    expect(store.log).toEqual(["append 1"]);
    held.open();
    expect((await appended).message).toBe("in flight");
    await closed;
    expect(store.log).toEqual(["append 1", "appended", "close"]);
    expect(hub.closed).toBe(true);
  });

  it("close() still closes the store when the appends in flight fail", async () => {
    const store = new ControlledStore();
    const hub = makeHub(store);
    await hub.open();
    store.failure = new StoreUnavailableError("gone");
    const appended = hub.info("system", "lost");
    await hub.close();
    await expect(appended).rejects.toBe(store.failure);
    expect(store.log.at(-1)).toBe("close");
  });

  it("clearLogs() waits for the appends in flight, so it clears them too", async () => {
    const store = new ControlledStore();
    const hub = makeHub(store);
    await hub.open();
    const held = gate();
    store.hold = held.promise;
    const appended = hub.info("system", "in flight");
    await new Promise((resolve) => setImmediate(resolve));
    const cleared = hub.clearLogs();
    expect(await isSettled(cleared)).toBe(false);
    expect(store.log).toEqual(["append 1"]);
    held.open();
    await appended;
    expect(await cleared).toBe(1);
    expect(store.log).toEqual(["append 1", "appended", "clear"]);
    expect(await hub.countLogs()).toBe(0);
  });
});
