/**
 * The hub's lifecycle against real failures: a failed open() is retried on the next call (a
 * SQLite file whose folder is blocked by a file, then freed; a foreign file, then replaced), SQLite opens itself on first use, `once` then
 * `off` removes the listener and lowers the relay's demand, and background failures (retention,
 * relay) reach the typed `error` event, or one process warning per kind when nobody listens.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BackgroundTaskError, LogEventHub, MemoryStore, type HubEvent } from "../../src/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import type { PruneRequest, PruneResult, StoreEventRead, StoreEventWindow } from "../../src/store.js";

const dir = mkdtempSync(join(tmpdir(), "leh-lifecycle-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hubs: LogEventHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});
function track<T extends LogEventHub>(hub: T): T {
  hubs.push(hub);
  return hub;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const payload = { action: "update", from: "local", type: "lxc" } as const;

/** Collects process warnings emitted while `fn` runs (plus a tick for their delivery). */
async function collectWarnings(fn: () => Promise<void>): Promise<Error[]> {
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  process.on("warning", onWarning);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  return warnings;
}

describe("a failed open() is retried", () => {
  it("SQLite: the store and the hub fail while a file blocks the data folder, then work once it is gone", async () => {
    // A regular file where the store's folder should be: the store can neither open the
    // database nor create the folder (ENOTDIR) until someone removes it.
    const blocker = join(dir, "blocked");
    writeFileSync(blocker, "not a folder");
    const store = new SqliteStore({ filename: join(blocker, "hub.db") });
    const hub = track(new LogEventHub({ store }));
    await expect(hub.open()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    // Not cached: each call tries again, and fails again while nothing changed.
    await expect(hub.info("system", "too early")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    await expect(store.open()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    rmSync(blocker);
    const record = await hub.info("system", "after the fix");
    expect(record.id).toBe(1);
    await expect(hub.queryLogs()).resolves.toMatchObject([{ message: "after the fix" }]);
  });

  it("SQLite: a foreign file at the path is refused until it is replaced", async () => {
    const filename = join(dir, "foreign.db");
    writeFileSync(filename, "this is not a SQLite database, and long enough to have a header");
    const hub = track(new LogEventHub({ store: new SqliteStore({ filename }) }));
    await expect(hub.open()).rejects.toMatchObject({ code: "INCOMPATIBLE_STORE" });
    rmSync(filename);
    await expect(hub.open()).resolves.toBeUndefined();
    await expect(hub.info("system", "ok")).resolves.toMatchObject({ id: 1 });
  });

  it("a closed hub does not reopen: later calls reject CLOSED", async () => {
    const blocker = join(dir, "blocked-too");
    writeFileSync(blocker, "");
    const store = new SqliteStore({ filename: join(blocker, "x.db") });
    const hub = new LogEventHub({ store });
    await expect(hub.open()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
    await hub.close();
    await expect(hub.open()).rejects.toMatchObject({ code: "CLOSED" });
    await expect(store.open()).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("SQLite opens itself on first use, like PostgreSQL, instead of asking for open()", async () => {
    const store = new SqliteStore({ filename: join(dir, "first-use.db") });
    try {
      const [record] = await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "system", message: "m" }]);
      expect(record?.id).toBe(1);
      expect(store.driverName).toBeDefined();
      const window = await new SqliteStore({ filename: join(dir, "first-use-2.db") }).readEvents({ limit: 1 });
      expect(window).toEqual({ events: [], head: 0, oldest: 0 });
    } finally {
      await store.close();
    }
    await expect(store.lastLogId()).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("once and off", () => {
  it("off() removes a listener added with once(), before it fires", async () => {
    const hub = track(new LogEventHub());
    const seen: string[] = [];
    const listener = (record: { message: string }) => seen.push(record.message);
    hub.once("log", listener);
    expect(hub.listenerCount("log")).toBe(1);
    hub.off("log", listener);
    expect(hub.listenerCount("log")).toBe(0);
    await hub.info("system", "nobody hears this");
    expect(seen).toEqual([]);
  });

  it("a once() listener fires once and is gone", async () => {
    const hub = track(new LogEventHub());
    const seen: number[] = [];
    hub.once("event", (event) => seen.push(event.index));
    await hub.publish({ category: "image", user: "all", payload });
    await hub.publish({ category: "image", user: "all", payload });
    expect(seen).toEqual([1]);
    expect(hub.listenerCount("event")).toBe(0);
  });

  it("on a shared store, once() then off() lowers the relay's demand: polling stops", async () => {
    const store = new CountingSqliteStore({ filename: join(dir, "demand.db") });
    const hub = track(new LogEventHub({ store, pollIntervalMs: 5 }));
    await hub.open();
    const listener = () => {};
    hub.on("event", listener);
    const base = store.reads;
    await until(() => store.reads >= base + 3, "the relay to poll");
    hub.off("event", listener);
    hub.once("event", listener);
    hub.off("event", listener);
    expect(hub.listenerCount("event")).toBe(0);
    await sleep(20); // lets a read in flight finish
    const after = store.reads;
    await sleep(100); // twenty poll intervals: with demand left over, the relay would read again
    expect(store.reads).toBe(after);
  });

  it("on a shared store, a once() listener that fired lowers the demand too", async () => {
    const filename = join(dir, "once-fired.db");
    const store = new CountingSqliteStore({ filename });
    const hub = track(new LogEventHub({ store, pollIntervalMs: 5 }));
    const other = track(new LogEventHub({ store: new SqliteStore({ filename }) }));
    await hub.open();
    const seen: HubEvent[] = [];
    hub.once("event", (event) => seen.push(event));
    await other.publish({ category: "image", user: "all", payload });
    await until(() => seen.length === 1, "the relayed event");
    await sleep(20);
    const after = store.reads;
    await sleep(100);
    expect(store.reads).toBe(after);
  });
});

class CountingSqliteStore extends SqliteStore {
  reads = 0;
  prunes = 0;
  override readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    this.reads++;
    return super.readEvents(read);
  }
  override prune(request: PruneRequest): Promise<PruneResult> {
    this.prunes++;
    return super.prune(request);
  }
}

describe("background failures", () => {
  it("retention failing on its timer reaches the error event as RETENTION_FAILED, with the store's error as cause", async () => {
    const store = new CountingSqliteStore({ filename: join(dir, "retention-error.db") });
    const hub = track(new LogEventHub({ store, retention: { maxLogs: 10, intervalMs: 5 } }));
    const errors: BackgroundTaskError[] = [];
    hub.on("error", (error) => errors.push(error));
    await hub.open();
    await store.close(); // the store goes away under the hub: every timed prune now fails
    await until(() => errors.length >= 2, "two retention failures");
    const [first] = errors;
    expect(first).toBeInstanceOf(BackgroundTaskError);
    expect(first).toMatchObject({ code: "RETENTION_FAILED", task: "retention", name: "BackgroundTaskError" });
    expect(first?.cause).toMatchObject({ code: "CLOSED" });
  });

  it("with no error listener, retention failures are reported once with process.emitWarning", async () => {
    const store = new CountingSqliteStore({ filename: join(dir, "retention-warning.db") });
    const hub = track(new LogEventHub({ store, retention: { maxLogs: 10, intervalMs: 5 } }));
    const warnings = await collectWarnings(async () => {
      await hub.open();
      await store.close();
      const base = store.prunes;
      await until(() => store.prunes >= base + 5, "five failed prunes");
    });
    const ours = warnings.filter((w) => w instanceof BackgroundTaskError);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ code: "RETENTION_FAILED" });
  });

  it("a failing relay read reaches the error event as RELAY_FAILED; unheard, it warns once", async () => {
    const store = new CountingSqliteStore({ filename: join(dir, "relay-error.db") });
    const hub = track(new LogEventHub({ store, pollIntervalMs: 5 }));
    const errors: BackgroundTaskError[] = [];
    const onError = (error: BackgroundTaskError) => errors.push(error);
    hub.on("error", onError);
    hub.on("event", () => {});
    await hub.open();
    await store.close();
    await until(() => errors.length >= 1, "a relay failure");
    expect(errors[0]).toMatchObject({ code: "RELAY_FAILED", task: "relay" });
    expect(errors[0]?.cause).toMatchObject({ code: "CLOSED" });

    hub.off("error", onError);
    const warnings = await collectWarnings(async () => {
      const base = store.reads;
      await until(() => store.reads >= base + 5, "five failed relay reads");
    });
    expect(warnings.filter((w) => w instanceof BackgroundTaskError).map((w) => (w as BackgroundTaskError).code)).toEqual(["RELAY_FAILED"]);
  });

  it("the memory store has nothing to retry and no background failure", async () => {
    const hub = track(new LogEventHub({ store: new MemoryStore(), retention: { maxLogs: 1, intervalMs: 5 } }));
    const errors: unknown[] = [];
    hub.on("error", (error) => errors.push(error));
    await hub.info("system", "a");
    await hub.info("system", "b");
    await sleep(30);
    expect(errors).toEqual([]);
    expect(await hub.countLogs()).toBe(1);
  });
});
