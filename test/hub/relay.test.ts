/**
 * The cross-process relay on its own, driven by a fake shared store (the real SQLite and
 * PostgreSQL relays are tested in test/core/hub.relay.test.ts and the PostgreSQL store tests).
 */
import { describe, expect, it } from "vitest";
import { FeedSignal } from "../../src/events/feed-signal.js";
import { EventRelay } from "../../src/hub/relay.js";
import type { StoreCapabilities, StoreChange, StoreEventRead, StoreEventWindow } from "../../src/store.js";
import type { StoredEvent } from "../../src/types.js";

/** A shared feed in an array: what another process would have written. */
class FakeSharedStore {
  readonly capabilities: StoreCapabilities = { shared: true, notifications: true };
  readonly events: StoredEvent[] = [];
  readonly watchers = new Set<(change: StoreChange) => void>();
  reads: StoreEventRead[] = [];
  failures = 0;

  append(n: number, user = "all"): void {
    for (let i = 0; i < n; i++) {
      const index = this.events.length + 1;
      this.events.push({ index, timeUs: index, category: "image", user, payloadJson: "{}" });
    }
  }

  async readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    this.reads.push(read);
    if (this.failures > 0) {
      this.failures--;
      throw new Error("store down");
    }
    const visible = this.events.filter((e) => read.everyone || e.user === "all" || e.user === read.user);
    const events =
      read.after === undefined ? visible.slice(-read.limit) : visible.filter((e) => e.index > (read.after as number)).slice(0, read.limit);
    return { events, head: this.events.length, oldest: this.events.length ? 1 : 0 };
  }

  watch(listener: (change: StoreChange) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 2000) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function setUp(options: { pollIntervalMs?: number; open?: () => Promise<void>; shared?: boolean } = {}) {
  const store = new FakeSharedStore();
  if (options.shared === false) store.capabilities.shared = false;
  const feed = new FeedSignal();
  const emitted: number[] = [];
  const failures: unknown[] = [];
  const relay = new EventRelay({
    store,
    feed,
    open: options.open ?? (async () => {}),
    emit: (event) => emitted.push(event.index),
    onFailure: (error) => failures.push(error),
    pollIntervalMs: options.pollIntervalMs ?? 60_000,
  });
  return { store, feed, emitted, failures, relay };
}

describe("EventRelay", () => {
  it("starts at the head when demand appears: earlier events are not relayed, later ones are, in order, once", async () => {
    const { store, emitted, relay } = setUp();
    store.append(3);
    relay.setListeners(1);
    await tick();
    store.append(2);
    relay.poke();
    relay.poke(); // a poke during a read runs one more read after it, not a second emit
    await until(() => emitted.length >= 2);
    await tick();
    expect(emitted).toEqual([4, 5]);
    await relay.close();
  });

  it("reads past a full batch in one run (more than 500 new events)", async () => {
    const { store, emitted, relay } = setUp();
    relay.setListeners(1);
    await tick();
    store.append(1234);
    relay.poke();
    await until(() => emitted.length === 1234);
    expect(emitted[0]).toBe(1);
    expect(emitted.at(-1)).toBe(1234);
    expect(store.reads.filter((r) => r.after !== undefined).length).toBeGreaterThanOrEqual(3);
    await relay.close();
  });

  it("wakes on a store notice: the feed advances to its head and the events are read", async () => {
    const { store, feed, emitted, relay } = setUp();
    relay.setListeners(1);
    await tick();
    expect(store.watchers.size).toBe(1);
    store.append(2);
    for (const watcher of store.watchers) watcher({ kind: "event", head: 2 });
    expect(feed.head).toBe(2);
    await until(() => emitted.length === 2);
    expect(emitted).toEqual([1, 2]);
    await relay.close();
    expect(store.watchers.size).toBe(0);
  });

  it("reports a failed read, and the next poll delivers what it missed, without repeats", async () => {
    const { store, emitted, failures, relay } = setUp({ pollIntervalMs: 5 });
    relay.setListeners(1);
    await until(() => store.reads.length >= 1);
    store.failures = 2;
    store.append(3);
    await until(() => emitted.length === 3);
    expect(failures).toHaveLength(2);
    expect(failures[0]).toMatchObject({ message: "store down" });
    expect(emitted).toEqual([1, 2, 3]);
    await relay.close();
  });

  it("retries a failed open on its next run", async () => {
    let opens = 0;
    const { store, emitted, failures, relay } = setUp({
      pollIntervalMs: 5,
      open: async () => {
        opens++;
        if (opens <= 2) throw new Error("database down");
      },
    });
    relay.setListeners(1);
    await until(() => opens >= 3 && store.reads.length >= 1);
    store.append(1);
    await until(() => emitted.length === 1);
    expect(emitted).toEqual([1]);
    // The start taken when demand appears fails quietly; the run that retries it reports.
    expect(failures.map((e) => (e as Error).message)).toEqual(["database down"]);
    await relay.close();
  });

  it("counts listeners and long polls; at zero demand no poll stays scheduled and nothing is read", async () => {
    const { store, relay } = setUp({ pollIntervalMs: 5 });
    relay.setListeners(2);
    relay.addWaiter(1);
    expect(relay.demand).toBe(3);
    expect(relay.scheduled).toBe(true);
    relay.setListeners(0);
    expect(relay.scheduled).toBe(true);
    relay.addWaiter(-1);
    expect(relay.demand).toBe(0);
    expect(relay.scheduled).toBe(false);
    await tick();
    const reads = store.reads.length;
    relay.poke();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(store.reads.length).toBe(reads);
    await relay.close();
  });

  it("does nothing for a store that is not shared", async () => {
    const { store, relay } = setUp({ shared: false });
    relay.setListeners(1);
    relay.poke();
    await tick();
    expect(store.reads).toEqual([]);
    expect(store.watchers.size).toBe(0);
    expect(relay.scheduled).toBe(false);
  });
});
