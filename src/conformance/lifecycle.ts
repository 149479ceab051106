/**
 * The `lifecycle` group: `open` and `close` are idempotent, a closed store rejects every call
 * with `CLOSED` (a rejection, never a synchronous throw), and the declared capabilities agree
 * with what the target offers.
 *
 * @module
 */
import type { Store } from "../store.js";
import { assert, rejects } from "./assert.js";
import type { ConformanceTest, TestContext } from "./suite.js";

/** Each store method called with valid arguments, as a promise (a synchronous throw is a failure). */
function calls(store: Store): [string, () => Promise<unknown>][] {
  const log = { timeUs: 1, level: "INFO" as const, category: "system", user: "u", message: "m" };
  const event = { timeUs: 1, category: "image", user: "all", payloadJson: "{}" };
  return [
    ["open", () => store.open()],
    ["appendLogs", () => store.appendLogs([log])],
    ["queryLogs", () => store.queryLogs({ order: "desc", limit: 5 })],
    ["countLogs", () => store.countLogs({})],
    ["clearLogs", () => store.clearLogs({})],
    ["lastLogId", () => store.lastLogId()],
    ["appendEvents", () => store.appendEvents([event])],
    ["readEvents", () => store.readEvents({ limit: 5 })],
    ["prune", () => store.prune({ maxLogs: 1 })],
  ];
}

/** Calls `fn`, turning a synchronous throw into an assertion failure. */
function asPromise(name: string, fn: () => Promise<unknown>): Promise<unknown> {
  let result: Promise<unknown>;
  try {
    result = fn();
  } catch (error) {
    assert.fail(`${name} threw synchronously instead of rejecting: ${String(error)}`);
  }
  return result;
}

function test(title: string, run: (ctx: TestContext) => Promise<void>, timeoutMs = 30_000): ConformanceTest {
  return { group: "lifecycle", title, timeoutMs, run };
}

/** The tests of the `lifecycle` group. */
export function lifecycleTests(): ConformanceTest[] {
  return [
    test("store: open is idempotent and a store works right after it", async (ctx) => {
      const store = await ctx.store();
      await store.open();
      await store.open();
      const [record] = await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }]);
      assert.ok(record && record.id > 0, "appendLogs answers the record with its id");
      assert.equal(await store.countLogs({}), 1);
    }),

    test("store: a closed store rejects every call with CLOSED; close is idempotent", async (ctx) => {
      const store = await ctx.store();
      await store.open();
      await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }]);
      await store.close();
      await store.close();
      for (const [name, fn] of calls(store)) await rejects(asPromise(name, fn), { code: "CLOSED" }, `${name} after close`);
    }),

    test("store: the declared capabilities agree with the target", async (ctx) => {
      const store = await ctx.store();
      const { shared, notifications } = store.capabilities;
      assert.equal(typeof shared, "boolean", "capabilities.shared is a boolean");
      assert.equal(typeof notifications, "boolean", "capabilities.notifications is a boolean");
      assert.equal(
        shared,
        ctx.target.shared !== undefined,
        shared
          ? "the store declares capabilities.shared: give the target a `shared` factory so the shared-writers group runs"
          : "the target gives a `shared` factory but the store does not declare capabilities.shared",
      );
      if (notifications) {
        assert.ok(shared, "notifications without shared: nothing else writes to notify about");
        assert.equal(typeof store.watch, "function", "capabilities.notifications needs watch()");
      }
    }),
  ];
}
