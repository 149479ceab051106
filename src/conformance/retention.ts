/**
 * The `retention` group: `prune` by count and by age (a strict `<` cut), events leaving only
 * from the front of the feed, `head` kept after pruning, and the `lost` count a cursor behind
 * retention reports.
 *
 * @module
 */
import type { LogRecord } from "../types.js";
import { assert } from "./assert.js";
import { publishMix } from "./feed.js";
import { ids, indexes, range, T0 } from "./model.js";
import { seed } from "./logs.js";
import type { ConformanceTest, TestContext } from "./suite.js";

const imageEvent = (timeMs?: number) => ({
  category: "image" as const,
  user: "all",
  payload: { action: "update" as const, from: "local", type: "lxc" as const },
  ...(timeMs !== undefined && { time: timeMs }),
});

function test(title: string, run: (ctx: TestContext) => Promise<void>, timeoutMs = 30_000): ConformanceTest {
  return { group: "retention", title, timeoutMs, run };
}

/** The tests of the `retention` group. */
export function retentionTests(): ConformanceTest[] {
  return [
    test("retention: the hub's maxLogs and maxEvents keep the newest", async (ctx) => {
      const { hub } = await ctx.hub({ retention: { maxLogs: 5, maxEvents: 3, intervalMs: 3_600_000 } });
      const all = await seed(hub, 9);
      for (let i = 0; i < 7; i++) await hub.publish(imageEvent());
      assert.deepEqual(await hub.prune(), { logs: 4, events: 4 });
      assert.deepEqual(ids(await hub.queryLogs()), ids(all).reverse().slice(0, 5));
      assert.deepEqual(indexes((await hub.readEvents({ limit: 10 })).events), [7, 6, 5]);
    }),

    test("retention: store.prune by count and by age; head stays the newest index ever assigned", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const all = await seed(hub, 10);
      assert.deepEqual(await store.prune({ maxLogs: 8 }), { logs: 2, events: 0 });
      const cutoff = (all[5] as LogRecord).timeUs;
      assert.deepEqual(await store.prune({ logsBeforeUs: cutoff }), { logs: 3, events: 0 });
      assert.deepEqual(ids(await hub.queryLogs()), ids(all.slice(5)).reverse());
      for (let i = 0; i < 6; i++) await hub.publish(imageEvent((T0 + i) * 1000));
      assert.deepEqual(await store.prune({ eventsBeforeUs: (T0 + 2) * 1e6 }), { logs: 0, events: 2 });
      assert.deepEqual(await store.prune({ maxEvents: 1 }), { logs: 0, events: 3 });
      const window = await store.readEvents({ limit: 10 });
      assert.deepEqual([window.head, window.oldest, indexes(window.events)], [6, 6, [6]]);
      assert.deepEqual(await store.prune({ maxLogs: 0, maxEvents: 0 }), { logs: 5, events: 1 }, "maxLogs: 0 and maxEvents: 0 drop everything");
      assert.deepEqual(await store.readEvents({ limit: 10 }), { events: [], head: 6, oldest: 0 }, "an emptied feed keeps its head");
      assert.equal(await store.lastLogId(), 0);
      assert.equal((await hub.publish(imageEvent())).index, 7, "indexes continue after the pruned ones");
    }),

    test("retention: the age cut is a strict <, for logs and events", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const at = (s: number) => (T0 + s) * 1_000_000;
      const logs: LogRecord[] = [];
      for (const s of [1, 2, 3]) logs.push(await hub.log({ level: "INFO", category: "system", user: "u", message: `at ${s}`, timeUs: at(s) }));
      for (const s of [1, 2, 3]) await hub.publish(imageEvent(at(s) / 1000));
      assert.deepEqual(await store.prune({ logsBeforeUs: at(2), eventsBeforeUs: at(2) }), { logs: 1, events: 1 }, "records at the cutoff stay");
      assert.deepEqual(ids(await hub.queryLogs()), ids(logs.slice(1)).reverse());
      assert.deepEqual(indexes((await store.readEvents({ limit: 10, after: 0 })).events), [2, 3]);
    }),

    test("retention: events leave only from the front of the feed, whatever their times", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const at = (s: number) => (T0 + s) * 1000;
      // A host may publish with its own times: here the feed's times are out of order.
      for (const s of [5, 1, 6, 2, 8]) await hub.publish(imageEvent(at(s)));
      assert.deepEqual(await store.prune({ eventsBeforeUs: at(3) * 1000 }), { logs: 0, events: 0 }, "the oldest event is not older than the cutoff: nothing goes");
      for (const s of [1, 9, 1]) await hub.publish(imageEvent(at(s)));
      // Feed times now 5 1 6 2 8 1 9 1: only the front run older than 7 (indexes 1..4, cut at the 8) goes.
      assert.deepEqual(await store.prune({ eventsBeforeUs: at(7) * 1000 }), { logs: 0, events: 4 });
      const window = await store.readEvents({ limit: 100, after: 0, everyone: true });
      assert.deepEqual([window.head, window.oldest, indexes(window.events)], [8, 5, range(5, 8)], "a gap-free suffix of the feed is left");
      assert.deepEqual(await store.prune({ maxEvents: 2 }), { logs: 0, events: 2 });
      assert.deepEqual(indexes((await store.readEvents({ limit: 100, after: 0, everyone: true })).events), [7, 8], "maxEvents keeps the newest indexes");
    }),

    test("retention: a cursor older than retention reports how many were lost", async (ctx) => {
      const { hub, store } = await ctx.hub();
      await publishMix(hub, 10);
      assert.equal((await store.prune({ maxEvents: 4 })).events, 6);
      const page = await hub.readEvents({ index: 2, limit: 100, user: "alice" });
      assert.equal(page.lost, 4);
      assert.equal(page.index, 6);
      assert.deepEqual(indexes(page.events), [10, 9, 7]);
      const fresh = await hub.readEvents({ index: 6, limit: 100 });
      assert.equal(fresh.lost, undefined);
      const window = await store.readEvents({ limit: 100, after: 0 });
      assert.deepEqual([window.head, window.oldest], [10, 7]);
    }),
  ];
}
