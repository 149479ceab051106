/**
 * The `feed` group: SPEC section 4 through a hub on the store, and the store's own window
 * (`readEvents`): dense indexes from 1, `head`, `oldest`, and what a short read promises.
 *
 * @module
 */
import type { LogEventHub } from "../hub.js";
import type { Store } from "../store.js";
import type { HubEvent } from "../types.js";
import { assert, rejects } from "./assert.js";
import { indexes, range } from "./model.js";
import type { ConformanceTest, TestContext } from "./suite.js";

/** A container event's payload, numbered. */
export const payload = (n: number) => ({ container: `c${n}`, type: "lxc" as const, state: "start" as const });

/** A published event as the tests remember it. */
export interface Published {
  index: number;
  user: string;
}

/** Publishes `n` events in turn for `all`, `alice` and `bob`. */
export async function publishMix(hub: LogEventHub, n: number): Promise<Published[]> {
  const out: Published[] = [];
  for (let i = 0; i < n; i++) {
    const user = ["all", "alice", "bob", "all", "alice"][i % 5] as string;
    const e = await hub.publish({ category: "container", user, payload: payload(i) });
    out.push({ index: e.index, user: e.user });
  }
  return out;
}

/** Whether `reader` sees an event for `user` (`undefined`: a reader with no name sees `all` only). */
export const visibleTo = (reader: string | undefined) => (e: { user: string }) => e.user === "all" || e.user === reader;

/**
 * Reads the store's window and checks what every window promises against the published list:
 * events oldest first and after `after`, at most `limit`, all visible to the reader; `head` and
 * `oldest` as given; and a short read holds every visible event up to `head`.
 */
export async function checkWindow(
  store: Store,
  read: { after?: number; limit: number; user?: string },
  published: readonly Published[],
  expected: { head: number; oldest: number },
): Promise<void> {
  const what = `readEvents(${JSON.stringify(read)})`;
  const window = await store.readEvents(read);
  assert.equal(window.head, expected.head, `${what}: head`);
  assert.equal(window.oldest, expected.oldest, `${what}: oldest`);
  const visible = published.filter((e) => e.index >= expected.oldest && visibleTo(read.user)(e)).map((e) => e.index);
  const want = read.after === undefined ? visible.slice(-read.limit) : visible.filter((i) => i > (read.after as number)).slice(0, read.limit);
  assert.deepEqual(indexes(window.events), want, `${what}: events`);
}

function test(title: string, run: (ctx: TestContext) => Promise<void>, timeoutMs = 30_000): ConformanceTest {
  return { group: "feed", title, timeoutMs, run };
}

/** The tests of the `feed` group. */
export function feedTests(): ConformanceTest[] {
  return [
    test("events: an empty feed has head 0 and oldest 0", async (ctx) => {
      const { store } = await ctx.hub();
      assert.deepEqual(await store.readEvents({ limit: 10 }), { events: [], head: 0, oldest: 0 });
      assert.deepEqual(await store.readEvents({ limit: 10, after: 0, everyone: true }), { events: [], head: 0, oldest: 0 });
    }),

    test("events: indexes are dense from 1, in publish order", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const events = await Promise.all(Array.from({ length: 20 }, (_, i) => hub.publish({ category: "container", user: "all", payload: payload(i) })));
      assert.deepEqual(indexes(events), range(1, 20), "concurrent publishes get 1..20 in call order");
      const more: number[] = [];
      for (let i = 0; i < 5; i++) more.push((await hub.publish({ category: "image", user: "bob", payload: { action: "update", from: "local", type: "lxc" } as const })).index);
      assert.deepEqual(more, range(21, 25));
      const page = await hub.readEvents({ limit: 50 });
      assert.deepEqual(indexes(page.events), range(1, 20).reverse(), "bob's events are not visible to nobody");
      assert.deepEqual(page.events[0]?.payload, payload(19));
      const window = await store.readEvents({ limit: 100, after: 0, everyone: true });
      assert.deepEqual(indexes(window.events), range(1, 25));
      assert.equal(window.head, 25);
      assert.equal(window.oldest, 1);
    }),

    test("events: a store window answers exactly the visible events, and a short read reaches the head", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const published = await publishMix(hub, 23);
      const at = { head: 23, oldest: 1 };
      for (const user of ["alice", "bob", "carol", undefined]) {
        for (const limit of [1, 4, 100]) {
          await checkWindow(store, { limit, ...(user && { user }) }, published, at);
          for (const after of [0, 1, 7, 22, 23]) await checkWindow(store, { after, limit, ...(user && { user }) }, published, at);
        }
      }
      const everyone = await store.readEvents({ after: 5, limit: 100, everyone: true });
      assert.deepEqual(indexes(everyone.events), range(6, 23), "everyone: every user's events");
    }),

    test("events: a read without index answers the newest visible, newest first", async (ctx) => {
      const { hub } = await ctx.hub();
      const published = await publishMix(hub, 30);
      const visible = published.filter(visibleTo("alice")).map((e) => e.index);
      const page = await hub.readEvents({ user: "alice", limit: 5 });
      assert.deepEqual(indexes(page.events), visible.slice(-5).reverse());
      assert.equal(page.offset, 30);
      assert.equal(page.index, (visible.at(-5) as number) - 1);
      const everything = await hub.readEvents({ user: "alice", limit: 100 });
      assert.deepEqual(indexes(everything.events), [...visible].reverse());
      assert.equal(everything.index, 0);
    }),

    test("events: cursor pages see every visible event exactly once, in order", async (ctx) => {
      const { hub } = await ctx.hub();
      const published = await publishMix(hub, 37);
      for (const user of ["alice", "bob", undefined]) {
        const visible = published.filter(visibleTo(user)).map((e) => e.index);
        const seen: number[] = [];
        let index = 0;
        for (let guard = 0; guard < 100; guard++) {
          const page = await hub.readEvents({ index, limit: 4, ...(user && { user }) });
          assert.equal(page.index, index);
          seen.push(...indexes(page.events).reverse());
          if (page.events.length < 4) {
            assert.equal(page.offset, 37, "a short page ends at the head");
            break;
          }
          assert.equal(page.offset, page.events[0]?.index, "a full page ends at its newest event");
          index = page.offset;
        }
        assert.deepEqual(seen, visible, String(user));
      }
    }),

    test("events: cursor readers racing a writer see every event once, in order", async (ctx) => {
      const { hub } = await ctx.hub();
      const total = 300;
      const done = new AbortController();
      const writer = (async () => {
        const out: HubEvent[] = [];
        for (let i = 0; i < total; i += 15) {
          // 15 appends in flight at once: the hub commits them in one or two batches.
          out.push(...(await Promise.all(range(i, i + 14).map((n) => hub.publish({ category: "container", user: n % 3 === 0 ? "bob" : "all", payload: payload(n) })))));
        }
        return out;
      })().finally(() => done.abort());
      const pager = readAll(hub, { limit: 7 }, done.signal);
      const poller = readAll(hub, { limit: 50, wait: 2_000, user: "bob" }, done.signal);
      const [events, paged, polled] = await Promise.all([writer, pager, poller, readWindows(hub.store, done.signal)]);
      assert.deepEqual(paged, indexes(events.filter(visibleTo(undefined))), "the paging reader (no user)");
      assert.deepEqual(polled, indexes(events.filter(visibleTo("bob"))), "the long-polling reader (bob)");
    }, 60_000),

    test("events: nobody sees another user's events; no user sees only all", async (ctx) => {
      const { hub } = await ctx.hub();
      await publishMix(hub, 10);
      const users = async (user?: string) => new Set((await hub.readEvents({ limit: 100, index: 0, ...(user && { user }) })).events.map((e) => e.user));
      assert.deepEqual(await users("alice"), new Set(["all", "alice"]));
      assert.deepEqual(await users("bob"), new Set(["all", "bob"]));
      assert.deepEqual(await users("carol"), new Set(["all"]));
      assert.deepEqual(await users(), new Set(["all"]));
      assert.ok((await hub.readEvents({ limit: 100 })).events.every((e) => e.user === "all"));
    }),

    test("events: offset is the feed head when the newest events are invisible", async (ctx) => {
      const { hub } = await ctx.hub();
      await hub.publish({ category: "container", user: "all", payload: payload(1) });
      await hub.publish({ category: "container", user: "bob", payload: payload(2) });
      await hub.publish({ category: "container", user: "bob", payload: payload(3) });
      const page = await hub.readEvents({ user: "alice", index: 0 });
      assert.deepEqual(indexes(page.events), [1]);
      assert.equal(page.offset, 3);
      const next = await hub.readEvents({ user: "alice", index: page.offset });
      assert.deepEqual([next.index, next.events.length, next.offset], [3, 0, 3]);
    }),

    test("events: a cursor ahead of the feed is a validation error", async (ctx) => {
      const { hub } = await ctx.hub();
      await publishMix(hub, 3);
      await rejects(hub.readEvents({ index: 4 }), { code: "VALIDATION", param: "index" }, "index 4 with head 3");
      await rejects(hub.readEvents({ index: -1 }), { code: "VALIDATION", param: "index" }, "index -1");
    }),

    test("events: a long poll wakes when an event is published", async (ctx) => {
      const { hub } = await ctx.hub();
      await publishMix(hub, 2);
      // A wait far beyond the test's deadline: only the publish can end it in time.
      const polling = hub.readEvents({ index: 2, wait: 600_000, user: "alice" });
      await new Promise((r) => setTimeout(r, 20));
      await hub.publish({ category: "container", user: "bob", payload: payload(3) });
      const published = await hub.publish({ category: "container", user: "alice", payload: payload(4) });
      const page = await polling;
      assert.ok(indexes(page.events).includes(published.index), `the page ${JSON.stringify(indexes(page.events))} holds ${published.index}`);
      assert.ok(page.events.every((e) => e.user !== "bob"));
    }),

    test("events: a long poll with nothing new ends with an empty page at its deadline", async (ctx) => {
      const { hub } = await ctx.hub();
      await publishMix(hub, 2);
      const page = await hub.readEvents({ index: 2, wait: 30 });
      assert.deepEqual([page.index, page.events.length, page.offset], [2, 0, 2]);
    }),

    test("events: the iterator resumes after an index and yields in order", async (ctx) => {
      const { hub } = await ctx.hub();
      const published = await publishMix(hub, 8);
      const controller = new AbortController();
      const seen: number[] = [];
      const done = (async () => {
        for await (const e of hub.events({ after: 3, user: "alice", signal: controller.signal, batchSize: 2 })) {
          seen.push(e.index);
          if (e.index >= 11) controller.abort();
        }
      })();
      for (let i = 0; i < 3; i++) {
        const e = await hub.publish({ category: "container", user: "alice", payload: payload(i) });
        published.push({ index: e.index, user: e.user });
      }
      await done;
      assert.deepEqual(seen, published.filter((e) => e.index > 3 && e.user !== "bob").map((e) => e.index));
    }),

  ];
}

/**
 * A reader of the store's own window, every user's events, while writers run: each window
 * must be the gap-free run of indexes right after its cursor, and a short one must reach the
 * head. This is the rule itself (an index becomes visible only once every smaller one is), so a
 * single read at the wrong moment shows a store that breaks it. Answers how many reads it made.
 */
export async function readWindows(store: Store, writersDone: AbortSignal): Promise<number> {
  let after = 0;
  let reads = 0;
  for (;;) {
    const stillWriting = !writersDone.aborted;
    const window = await store.readEvents({ after, limit: 50, everyone: true });
    reads++;
    const got = indexes(window.events);
    // Nothing retained: nothing to answer (the head may still be ahead, after pruning).
    const from = window.oldest === 0 ? window.head : Math.max(after, window.oldest - 1);
    assert.deepEqual(got, range(from + 1, from + got.length), `readEvents({ after: ${after} }) during writes: a gap-free run after the cursor`);
    if (got.length < 50) assert.equal(from + got.length, window.head, `readEvents({ after: ${after} }) during writes: a short read reaches the head`);
    after = got.at(-1) ?? after;
    if (!stillWriting && got.length < 50) return reads;
    if (got.length === 0) await new Promise((r) => setImmediate(r));
  }
}

/**
 * A cursor reader: pages from index 0 until `writersDone` aborts and it has caught up with the
 * head; answers the indexes it saw, in the order seen, and fails at once on a repeat, a step
 * back or a `lost` count.
 */
export async function readAll(
  hub: LogEventHub,
  options: { limit: number; wait?: number; user?: string },
  writersDone: AbortSignal,
): Promise<number[]> {
  const who = `reader ${options.user ?? "(no user)"}`;
  const seen: number[] = [];
  let index = 0;
  for (;;) {
    const stillWriting = !writersDone.aborted;
    // Once the writers are done, one more read without waiting must reach the head.
    const wait = stillWriting ? options.wait : undefined;
    let page;
    try {
      page = await hub.readEvents({ index, limit: options.limit, ...(wait !== undefined && { wait, signal: writersDone }), ...(options.user && { user: options.user }) });
    } catch (error) {
      if (wait !== undefined && writersDone.aborted) continue;
      throw error;
    }
    assert.equal(page.lost, undefined, `${who} lost events at ${index}`);
    for (const e of [...page.events].reverse()) {
      const last = seen.at(-1) ?? 0;
      assert.ok(e.index > last, `${who} saw ${e.index} after ${last}`);
      seen.push(e.index);
    }
    assert.ok(page.offset >= index, `${who}: offset ${page.offset} went back from ${index}`);
    index = page.offset;
    if (!stillWriting && page.events.length < options.limit) return seen;
    // Let the writers run between pages (a store that answers at once would starve them).
    if (page.events.length === 0 && wait === undefined) await new Promise((r) => setImmediate(r));
  }
}
