/**
 * The relay of other processes' events on a shared store (SQLite on a temporary file).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LogEventHub, type HubEvent } from "../../src/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";

const dir = mkdtempSync(join(tmpdir(), "leh-relay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hubs: LogEventHub[] = [];
function makeHub(filename: string) {
  const hub = new LogEventHub({ store: new SqliteStore({ filename }), pollIntervalMs: 20 });
  hubs.push(hub);
  return hub;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const payload = { action: "update", from: "local", type: "lxc" } as const;

describe("event relay on a shared store", () => {
  it("a listener added before open() gets only events published after it, and no error", async () => {
    const filename = join(dir, "before-open.db");
    const earlier = makeHub(filename);
    for (let i = 0; i < 3; i++) await earlier.publish({ category: "image", user: "all", payload });
    await earlier.close();

    const hub = makeHub(filename);
    const errors: unknown[] = [];
    const seen: HubEvent[] = [];
    // The relay reports failed reads on the typed "error" event.
    hub.on("error", (error) => errors.push(error));
    hub.on("event", (event) => seen.push(event));
    await sleep(100); // several relay intervals before open()
    await hub.open();

    const other = makeHub(filename);
    const published = await other.publish({ category: "image", user: "all", payload });
    expect(published.index).toBe(4);
    for (let waited = 0; seen.length === 0 && waited < 5000; waited += 10) await sleep(10);
    await sleep(100); // a few more intervals: nothing else arrives
    expect(errors).toEqual([]);
    expect(seen.map((e) => e.index)).toEqual([4]);
  });

  it("a listener added after everyone left gets only events published after it", async () => {
    const filename = join(dir, "rejoin.db");
    const hub = makeHub(filename);
    const other = makeHub(filename);
    const first: number[] = [];
    const listener = (event: HubEvent) => first.push(event.index);
    hub.on("event", listener);
    await hub.open();
    await other.publish({ category: "image", user: "all", payload });
    for (let waited = 0; first.length === 0 && waited < 5000; waited += 10) await sleep(10);
    expect(first).toEqual([1]);
    hub.off("event", listener);

    // Published while nobody listens to `hub`:
    for (let i = 0; i < 3; i++) await other.publish({ category: "image", user: "all", payload });
    await sleep(100);
    const later: number[] = [];
    hub.on("event", (event) => later.push(event.index));
    await sleep(60); // the relay restarts at the head it reads now
    await other.publish({ category: "image", user: "all", payload });
    for (let waited = 0; later.length === 0 && waited < 5000; waited += 10) await sleep(10);
    await sleep(100);
    expect(first).toEqual([1]);
    expect(later).toEqual([5]);
  });
});
