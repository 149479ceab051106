/**
 * The suite's machinery: groups switched on by declared features, registration with a runner,
 * the capability check, and a test's own deadline.
 */
import { MemoryStore } from "log-event-hub";
import { checkStoreConformance, CONFORMANCE_GROUPS, runStoreConformance } from "log-event-hub/conformance";
import { describe, expect, it } from "vitest";
import { runTest, type ConformanceTest } from "../../src/conformance/suite.js";
import { AsyncMapStore, targetOf } from "./fixtures/broken-stores.js";

describe("conformance suite machinery", () => {
  it("registers one describe per store and per group, and an it per test with a deadline", () => {
    const calls: string[] = [];
    const timeouts: number[] = [];
    const path: string[] = [];
    runStoreConformance(
      {
        describe: (name, body) => {
          path.push(name);
          calls.push(`describe ${path.join(" > ")}`);
          body();
          path.pop();
        },
        it: (name, _fn, timeoutMs) => {
          calls.push(`it ${path.join(" > ")} > ${name}`);
          timeouts.push(timeoutMs);
        },
      },
      { name: "memory", makeStore: () => new MemoryStore() },
    );
    const blocks = calls.filter((c) => c.startsWith("describe"));
    expect(blocks).toEqual(["describe store conformance: memory", ...["logs", "feed", "retention", "lifecycle"].map((g) => `describe store conformance: memory > ${g}`)]);
    expect(calls.filter((c) => c.startsWith("it")).length).toBeGreaterThan(30);
    expect(timeouts.every((t) => t > 10_000)).toBe(true);
  });

  it("runs only the groups the target declares and lists the others with the reason", async () => {
    const report = await checkStoreConformance({ name: "memory", makeStore: () => new MemoryStore(), features: { logs: false, feed: false, retention: false } });
    expect(new Set(report.results.map((r) => r.group))).toEqual(new Set(["lifecycle"]));
    expect(report.passed).toBe(true);
    expect(report.leftOut.map((l) => l.group)).toEqual(["logs", "feed", "retention", "shared"]);
    expect(report.leftOut.every((l) => l.reason.length > 0)).toBe(true);
    expect(CONFORMANCE_GROUPS).toEqual(["logs", "feed", "retention", "lifecycle", "shared"]);
  });

  it("a store that declares shared without a shared factory fails the lifecycle group", async () => {
    const report = await checkStoreConformance({ name: "undeclared", makeStore: () => new AsyncMapStore() }, { groups: ["lifecycle"] });
    expect(report.failures.map((f) => f.title)).toEqual(["store: the declared capabilities agree with the target"]);
    expect(String(report.failures[0]?.error)).toMatch(/give the target a `shared` factory/);
  });

  it("a test past its deadline fails with a message naming it, and its hubs are closed", async () => {
    let hubClosed = false;
    const stuck: ConformanceTest = {
      group: "feed",
      title: "a long poll that never ends",
      timeoutMs: 50,
      run: async (ctx) => {
        const { hub } = await ctx.hub();
        ctx.onDispose(() => (hubClosed = hub.closed));
        await hub.readEvents({ index: 0, wait: 3_600_000 });
        await new Promise(() => undefined);
      },
    };
    await expect(runTest(stuck, { name: "memory", makeStore: () => new MemoryStore() })).rejects.toThrow(
      'conformance (memory): "feed: a long poll that never ends" did not finish within 50 ms',
    );
    expect(hubClosed).toBe(true);
  });

  it("a writer process that dies before it is ready fails its tests with its exit and stderr", async () => {
    const base = targetOf("async map store", AsyncMapStore);
    const shared = { ...base.shared!, writerProcess: { command: process.execPath, args: ["-e", "console.error('no store here'); process.exit(3)"] } };
    const report = await checkStoreConformance({ ...base, shared }, { groups: ["shared"] });
    expect(report.results.map((r) => r.passed)).toEqual([true, false, false]);
    for (const f of report.failures) expect(String(f.error)).toMatch(/ended \(3\) before it was ready: no store here/);
  });
});
