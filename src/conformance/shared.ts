/**
 * The `shared` group, for stores that declare `capabilities.shared`: several instances over one
 * data set, writers racing (many appends in flight, in several hubs and, when the factory can
 * start them, in several processes, one of them killed with `SIGKILL` mid-batch) while cursor
 * readers page and long-poll. No reader may skip or repeat a committed event, and the feed
 * stays dense.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { LogEventHub } from "../hub.js";
import { assert } from "./assert.js";
import { readAll, readWindows, visibleTo } from "./feed.js";
import { range } from "./model.js";
import type { ConformanceTest, SharedStoreFactory, TestContext } from "./suite.js";
import { WRITER_ENV, writeEvents, type WriterInstructions, writerUser } from "./writer.js";

/** One data set (its location, for writer processes) and a way to open hubs over it, each on its own store instance. */
async function sharedData(
  ctx: TestContext,
  factory: SharedStoreFactory,
): Promise<{ location: string; open: (options?: { pollIntervalMs?: number }) => Promise<LogEventHub> }> {
  const location = await factory.create();
  if (factory.destroy) ctx.onDispose(() => factory.destroy?.(location));
  return { location, open: async (options = {}) => (await ctx.hubOn(await factory.open(location), { pollIntervalMs: 20, ...options })).hub };
}

/** A writer process: its reported chunks, and its exit. */
interface Child {
  /** Resolves once the child has opened its store. */
  ready: Promise<void>;
  /** Indexes the child reported committed so far. */
  committed: number[];
  /** Resolves when it has reported `n` chunks (or exits). */
  chunks(n: number): Promise<void>;
  kill(): void;
  /** Resolves with the exit code (null when killed) once its output is read. */
  exit: Promise<number | null>;
}

function startWriter(ctx: TestContext, factory: SharedStoreFactory, location: string, instructions: Omit<WriterInstructions, "location">): Child {
  const wp = factory.writerProcess as NonNullable<SharedStoreFactory["writerProcess"]>;
  const child = spawn(wp.command, [...(wp.args ?? [])], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...wp.env, [WRITER_ENV]: JSON.stringify({ ...instructions, location }) },
  });
  ctx.onDispose(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const committed: number[] = [];
  let chunkCount = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  let isReady = false;
  let onReady!: () => void;
  let notReady!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = () => {
      isReady = true;
      resolve();
    };
    notReady = reject;
  });
  ready.catch(() => undefined);
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on("line", (line) => {
    if (line === "ready") onReady();
    else if (line.startsWith("[")) {
      committed.push(...(JSON.parse(line) as number[]));
      chunkCount++;
      for (const w of waiters.filter((w) => chunkCount >= w.n)) w.resolve();
    }
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.on("error", (error) => {
      notReady(new Error(`writer process ${instructions.tag} did not start (${wp.command}): ${error.message}`));
      reject(error);
    });
    child.on("close", (code, signal) => {
      if (!isReady) notReady(new Error(`writer process ${instructions.tag} ended (${code ?? signal}) before it was ready: ${stderr.slice(-2000)}`));
      for (const w of waiters) w.resolve();
      if (code !== 0 && code !== null) reject(new Error(`writer process ${instructions.tag} exited with ${code}: ${stderr.slice(-2000)}`));
      else resolve(code);
    });
  });
  exit.catch(() => undefined);
  return {
    ready,
    committed,
    chunks: (n) => (chunkCount >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve }))),
    kill: () => child.kill("SIGKILL"),
    exit,
  };
}

/** Reads the whole feed (every user) and checks it is dense from 1: what every reader should have seen. */
async function wholeFeed(hub: LogEventHub): Promise<{ index: number; user: string; payload: Record<string, unknown> }[]> {
  const events: { index: number; user: string; payload: Record<string, unknown> }[] = [];
  let after = 0;
  for (;;) {
    const window = await hub.store.readEvents({ after, limit: 500, everyone: true });
    for (const e of window.events) events.push({ index: e.index, user: e.user, payload: JSON.parse(e.payloadJson) as Record<string, unknown> });
    if (window.events.length < 500) {
      assert.deepEqual(
        events.map((e) => e.index),
        range(1, window.head),
        `the feed is dense from 1 to its head ${window.head} (no index skipped, none repeated)`,
      );
      return events;
    }
    after = window.events.at(-1)?.index as number;
  }
}

/** Asserts that each reader saw exactly the events of the feed visible to it, in order. */
function checkReaders(feed: { index: number; user: string }[], readers: { user?: string; seen: number[] }[]): void {
  for (const reader of readers) {
    const expected = feed.filter(visibleTo(reader.user)).map((e) => e.index);
    const missed = expected.filter((i) => !reader.seen.includes(i));
    assert.deepEqual(reader.seen, expected, `reader ${reader.user ?? "(no user)"} missed ${JSON.stringify(missed.slice(0, 20))}${missed.length > 20 ? "..." : ""}`);
  }
}

/** Asserts that every event a writer was told committed is in the feed with that writer's payload. */
function checkWritten(feed: { index: number; user: string; payload: Record<string, unknown> }[], tag: string, indexes: readonly number[]): void {
  const byIndex = new Map(feed.map((e) => [e.index, e]));
  const seqs: number[] = [];
  for (const index of indexes) {
    const e = byIndex.get(index);
    assert.ok(e, `writer ${tag}'s committed event ${index} is in the feed`);
    assert.equal(e.payload.cid, tag, `event ${index} carries writer ${tag}'s payload`);
    seqs.push(Number(e.payload.path));
    assert.equal(e.user, writerUser(Number(e.payload.path)));
  }
  assert.deepEqual(seqs, range(0, indexes.length - 1), `writer ${tag}'s events are in the feed once each, in the order published`);
}

function test(title: string, run: (ctx: TestContext) => Promise<void>, timeoutMs = 120_000): ConformanceTest {
  return { group: "shared", title, timeoutMs, run };
}

/** The tests of the `shared` group. */
export function sharedTests(factory: SharedStoreFactory): ConformanceTest[] {
  const tests = [
    test("shared: writers in several hubs race while cursor readers page and long-poll; none skips or repeats an event", async (ctx) => {
      const { open } = await sharedData(ctx, factory);
      const writers = await Promise.all(range(1, 4).map(() => open()));
      const pagerHub = await open();
      const pollerHub = await open();
      const windowHub = await open();
      const done = new AbortController();
      // Uneven chunk sizes, so the writers' batches interleave irregularly.
      const batches = [12, 5, 17, 1];
      const writes = Promise.all(writers.map((hub, i) => writeEvents(hub, { tag: `hub${i}`, count: 120, batch: batches[i] as number }))).finally(() => done.abort());
      const [written, pager, poller] = await Promise.all([
        writes,
        readAll(pagerHub, { limit: 7 }, done.signal),
        readAll(pollerHub, { limit: 50, wait: 2_000, user: "bob" }, done.signal),
        readWindows(windowHub.store, done.signal),
      ]);
      const feed = await wholeFeed(pagerHub);
      assert.equal(feed.length, 480, "every published event is in the feed");
      written.forEach((indexes, i) => checkWritten(feed, `hub${i}`, indexes));
      checkReaders(feed, [{ seen: pager }, { user: "bob", seen: poller }]);
    }),
  ];
  if (!factory.writerProcess) return tests;
  return [
    ...tests,
    test("shared: writers in other processes race with writers here; readers see every committed event once", async (ctx) => {
      const { location, open } = await sharedData(ctx, factory);
      const local = await open();
      const pagerHub = await open();
      const pollerHub = await open();
      const windowHub = await open();
      const children = ["proc0", "proc1"].map((tag) => startWriter(ctx, factory, location, { tag, count: 200, batch: 10 }));
      await Promise.all(children.map((c) => c.ready));
      const done = new AbortController();
      const writes = Promise.all([writeEvents(local, { tag: "local", count: 120, batch: 12 }), ...children.map((c) => c.exit)]).finally(() => done.abort());
      const [[localIndexes], pager, poller] = await Promise.all([
        writes,
        readAll(pagerHub, { limit: 9 }, done.signal),
        readAll(pollerHub, { limit: 50, wait: 2_000, user: "bob" }, done.signal),
        readWindows(windowHub.store, done.signal),
      ]);
      const feed = await wholeFeed(pagerHub);
      assert.equal(feed.length, 520, "every published event is in the feed");
      checkWritten(feed, "local", localIndexes);
      children.forEach((c, i) => checkWritten(feed, `proc${i}`, c.committed));
      checkReaders(feed, [{ seen: pager }, { user: "bob", seen: poller }]);
    }),

    test("shared: a writer process killed mid-batch (SIGKILL) leaves no hole a reader steps over", async (ctx) => {
      const { location, open } = await sharedData(ctx, factory);
      const local = await open();
      const pagerHub = await open();
      const pollerHub = await open();
      const windowHub = await open();
      // A count it never reaches: it always has a chunk in flight when it is killed.
      const victim = startWriter(ctx, factory, location, { tag: "victim", count: 1_000_000, batch: 16 });
      await victim.ready;
      const done = new AbortController();
      const writes = (async () => {
        const before = writeEvents(local, { tag: "local", count: 60, batch: 6 });
        await victim.chunks(5);
        victim.kill();
        assert.equal(await victim.exit, null, "the writer was killed");
        const first = await before;
        // The store must still take writes (no lock left held) and number them on from the head.
        const after = await writeEvents(local, { tag: "after", count: 30, batch: 6 });
        return [first, after] as const;
      })().finally(() => done.abort());
      const [[first, after], pager, poller] = await Promise.all([
        writes,
        readAll(pagerHub, { limit: 8 }, done.signal),
        readAll(pollerHub, { limit: 50, wait: 2_000, user: "bob" }, done.signal),
        readWindows(windowHub.store, done.signal),
      ]);
      const feed = await wholeFeed(pagerHub);
      checkWritten(feed, "local", first);
      checkWritten(feed, "after", after);
      const victimEvents = feed.filter((e) => e.payload.cid === "victim").map((e) => e.index);
      assert.ok(victim.committed.every((i) => victimEvents.includes(i)), "every chunk the killed writer reported is in the feed");
      assert.deepEqual(
        victimEvents.map((i) => Number(feed.find((e) => e.index === i)?.payload.path)),
        range(0, victimEvents.length - 1),
        "the killed writer's events form an unbroken prefix of what it published (its last batch all or nothing)",
      );
      checkReaders(feed, [{ seen: pager }, { user: "bob", seen: poller }]);
    }),
  ];
}
