import { afterEach, describe, expect, it } from "vitest";
import {
  CursorExpiredError,
  LogEventHub,
  MemoryStore,
  parseEventMessage,
  toEventPageJson,
  ValidationError,
  type HubOptions,
} from "../../src/index.js";
import { seedEventResponse } from "../fixtures/seed.js";

const hubs: LogEventHub[] = [];
function makeHub(options: HubOptions = {}) {
  const hub = new LogEventHub(options);
  hubs.push(hub);
  return hub;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

const update = { action: "update", from: "local", type: "lxc" } as const;

async function publishN(hub: LogEventHub, n: number, user = "all") {
  for (let i = 0; i < n; i++) await hub.publish({ category: "image", user, payload: update });
}

describe("event feed on the memory store", () => {
  it("reproduces the seed's GET /api/v1/event response (index 56, offset 76, twenty messages)", async () => {
    const hub = makeHub();
    await publishN(hub, 56);
    // The seed lists newest first; publish oldest first.
    for (const message of [...seedEventResponse.messages].reverse()) {
      const { category, user, payload } = parseEventMessage(message);
      await hub.publish({ category: category as "image", user, payload: payload as never });
    }
    const page = toEventPageJson(await hub.readEvents({ user: "Anonymous" }));
    expect(page.index).toBe(seedEventResponse.index);
    expect(page.offset).toBe(seedEventResponse.offset);
    expect(page.messages.map(parseEventMessage)).toEqual(seedEventResponse.messages.map(parseEventMessage));
    expect(Object.keys(page)).toEqual(["index", "messages", "offset"]);
  });

  it("pages by cursor: oldest limit after index, newest first, offset continues exactly", async () => {
    const hub = makeHub();
    await publishN(hub, 50);
    const first = await hub.readEvents({ index: 0, limit: 20 });
    expect(first.events.map((e) => e.index)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect([first.index, first.offset]).toEqual([0, 20]);
    const second = await hub.readEvents({ index: first.offset, limit: 20 });
    expect(second.events.at(-1)!.index).toBe(21);
    expect(second.offset).toBe(40);
    const third = await hub.readEvents({ index: second.offset, limit: 20 });
    expect(third.events.map((e) => e.index)).toEqual([50, 49, 48, 47, 46, 45, 44, 43, 42, 41]);
    expect([third.index, third.offset]).toEqual([40, 50]);
    const empty = await hub.readEvents({ index: 50 });
    expect([empty.index, empty.events.length, empty.offset]).toEqual([50, 0, 50]);
  });

  it("an empty feed reads as index 0, offset 0", async () => {
    const hub = makeHub();
    expect(await hub.readEvents()).toEqual({ index: 0, events: [], offset: 0 });
    expect(await hub.readEvents({ index: 0 })).toEqual({ index: 0, events: [], offset: 0 });
  });

  it("visibility across three users: own events and all, never another's", async () => {
    const hub = makeHub();
    await hub.publish({ category: "image", user: "all", payload: update }); // 1
    await hub.publish({ category: "import", user: "alice", payload: { type: "lxc", cid: "a", path: "/a", state: "running" } }); // 2
    await hub.publish({ category: "import", user: "bob", payload: { type: "lxc", cid: "b", path: "/b", state: "running" } }); // 3
    await hub.publish({ category: "import", user: "carol", payload: { type: "lxc", cid: "c", path: "/c", state: "running" } }); // 4
    await hub.publish({ category: "image", user: "all", payload: update }); // 5
    const seen = async (user?: string) => (await hub.readEvents(user === undefined ? {} : { user })).events.map((e) => e.index);
    expect(await seen("alice")).toEqual([5, 2, 1]);
    expect(await seen("bob")).toEqual([5, 3, 1]);
    expect(await seen("carol")).toEqual([5, 4, 1]);
    expect(await seen()).toEqual([5, 1]);
    // A cursor read accounts for events the reader cannot see, so it never re-reads them.
    const page = await hub.readEvents({ index: 1, user: "alice", limit: 20 });
    expect(page.events.map((e) => e.index)).toEqual([5, 2]);
    expect(page.offset).toBe(5);
    const full = await hub.readEvents({ index: 0, user: "bob", limit: 2 });
    expect(full.events.map((e) => e.index)).toEqual([3, 1]);
    expect(full.offset).toBe(3);
    // An invisible newest event still moves offset to the head.
    await hub.publish({ category: "import", user: "carol", payload: { type: "lxc", cid: "c", path: "/c", state: "completed", result: 0 } });
    const after = await hub.readEvents({ index: 5, user: "alice" });
    expect([after.events.length, after.offset]).toEqual([0, 6]);
  });

  it("refuses cursors ahead of the feed and bad reads", async () => {
    const hub = makeHub();
    await publishN(hub, 3);
    await expect(hub.readEvents({ index: 4 })).rejects.toBeInstanceOf(ValidationError);
    for (const q of [{ index: -1 }, { index: 1.5 }, { limit: 0 }, { limit: 1001 }, { wait: -5 }, { wait: 3_600_001 }, { user: "" }, { user: "a:b" }]) {
      await expect(hub.readEvents(q)).rejects.toBeInstanceOf(ValidationError);
    }
  });

  it("refuses bad events with nothing published", async () => {
    const hub = makeHub();
    const bad = [
      { category: "weather", user: "all", payload: {} },
      { category: "image", user: "", payload: update },
      { category: "image", user: "a:b", payload: update },
      { category: "image", user: "all", payload: [1, 2] },
      { category: "image", user: "all", payload: "text" },
      { category: "image", user: "all", payload: { big: "x".repeat(70_000) } },
    ];
    for (const event of bad) await expect(hub.publish(event as never)).rejects.toBeInstanceOf(ValidationError);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(hub.publish({ category: "image", user: "all", payload: cyclic as never })).rejects.toBeInstanceOf(ValidationError);
    expect((await hub.readEvents()).offset).toBe(0);
  });

  it("signals events lost to retention instead of jumping silently", async () => {
    const hub = makeHub({ store: new MemoryStore({ maxEvents: 10 }) });
    await publishN(hub, 25);
    const page = await hub.readEvents({ index: 5, limit: 3 });
    expect(page.lost).toBe(10); // 6..15 were dropped; 16..25 remain
    expect(page.index).toBe(15);
    expect(page.events.map((e) => e.index)).toEqual([18, 17, 16]);
    expect(toEventPageJson(page)).toMatchObject({ lost: 10 });
    const fresh = await hub.readEvents({ index: 15, limit: 3 });
    expect(fresh.lost).toBeUndefined();
    expect("lost" in toEventPageJson(fresh)).toBe(false);
  });

  it("can refuse expired cursors with CursorExpiredError (HTTP 410)", async () => {
    const hub = makeHub({ store: new MemoryStore({ maxEvents: 5 }), expiredCursor: "error" });
    await publishN(hub, 12);
    const error = await hub.readEvents({ index: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CursorExpiredError);
    expect((error as CursorExpiredError).lost).toBe(6);
    expect((error as CursorExpiredError).code).toBe("CURSOR_EXPIRED");
  });

  it("long poll wakes on a visible publish", async () => {
    const hub = makeHub();
    await publishN(hub, 2);
    const poll = hub.readEvents({ index: 2, wait: 10_000, user: "alice" });
    setTimeout(() => void hub.publish({ category: "image", user: "bob", payload: update }), 20);
    setTimeout(() => void hub.publish({ category: "image", user: "alice", payload: update }), 60);
    const page = await poll;
    expect(page.events.map((e) => [e.index, e.user])).toEqual([[4, "alice"]]);
    expect(page.offset).toBe(4);
  });

  it("long poll times out with an empty page whose offset is the head", async () => {
    const hub = makeHub();
    await publishN(hub, 1);
    const started = performance.now();
    const page = await hub.readEvents({ index: 1, wait: 150 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(page).toEqual({ index: 1, events: [], offset: 1 });
  });

  it("long poll aborts with the signal's reason and leaves no waiter", async () => {
    const hub = makeHub();
    const controller = new AbortController();
    const poll = hub.readEvents({ index: 0, wait: 60_000, signal: controller.signal });
    const reason = new Error("client went away");
    setTimeout(() => controller.abort(reason), 10);
    await expect(poll).rejects.toBe(reason);
    expect((hub as unknown as { feed: { pending: number } }).feed.pending).toBe(0);
  });

  it("an iterator resumed from an index sees every later event once, in order", async () => {
    const hub = makeHub();
    await publishN(hub, 5);
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const event of hub.events({ after: 3, user: "alice", signal: controller.signal, batchSize: 4 })) {
        seen.push(event.index);
        if (seen.length === 12) controller.abort();
      }
    })();
    for (let i = 0; i < 10; i++) {
      await hub.publish({ category: "image", user: i % 3 === 0 ? "bob" : i % 3 === 1 ? "alice" : "all", payload: update });
    }
    await hub.publish({ category: "image", user: "all", payload: update });
    await hub.publish({ category: "image", user: "all", payload: update });
    await hub.publish({ category: "image", user: "all", payload: update });
    await hub.publish({ category: "image", user: "all", payload: update });
    await done;
    // 4, 5, then (alice or all) of 6..15, then 16.. up to twelve in total.
    const expected = [4, 5, ...Array.from({ length: 10 }, (_, i) => 6 + i).filter((_, i) => i % 3 !== 0), 16, 17, 18, 19];
    expect(seen).toEqual(expected.slice(0, 12));
  });

  it("events are frozen and shared between reads (parsed once)", async () => {
    const hub = makeHub();
    const published = await hub.publish({ category: "export", user: "all", payload: { type: "lxc", container: "utest", cid: "utest", path: "/t", compress: true, state: "running" } });
    const [first] = (await hub.readEvents()).events;
    const [again] = (await hub.readEvents({ index: 0 })).events;
    expect(first).toBe(again);
    expect(first).toBe(published);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first!.payload)).toBe(true);
    expect(() => {
      (first!.payload as { path: string }).path = "/elsewhere";
    }).toThrow(TypeError);
  });

  it("typed listeners see published events", async () => {
    const hub = makeHub();
    const got: string[] = [];
    hub.on("event", (e) => got.push(`${e.index}:${e.category}`));
    await hub.publish({ category: "container", user: "all", payload: { container: "utest", type: "lxc", state: "start" } });
    expect(got).toEqual(["1:container"]);
  });

  it("close() ends pending long polls and iterators and refuses later calls", async () => {
    const hub = makeHub();
    const poll = hub.readEvents({ index: 0, wait: 60_000 });
    const iterated: number[] = [];
    const iteration = (async () => {
      for await (const e of hub.events()) iterated.push(e.index);
      return "ended";
    })();
    await new Promise((r) => setTimeout(r, 20));
    await hub.close();
    expect(await poll).toEqual({ index: 0, events: [], offset: 0 });
    expect(await iteration).toBe("ended");
    await expect(hub.info("system", "late")).rejects.toMatchObject({ code: "CLOSED" });
    await expect(hub.readEvents()).rejects.toMatchObject({ code: "CLOSED" });
  });
});
