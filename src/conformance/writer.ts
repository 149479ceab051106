/**
 * The writer a shared-writers test runs in another process: it opens the store the parent
 * names, publishes in concurrent chunks and reports each committed chunk's indexes on stdout.
 *
 * @module
 */
import { LogEventHub } from "../hub.js";
import type { Store } from "../store.js";

/** The environment variable that carries a writer process's instructions (JSON). */
export const WRITER_ENV = "LEH_CONFORMANCE_WRITER";

/** What the suite asks of a writer process. */
export interface WriterInstructions {
  /** The data set, as {@link SharedStoreFactory.create} named it. */
  location: string;
  /** Written into every payload (`cid`), to tell writers apart. */
  tag: string;
  /** How many events to publish (the suite kills a writer given a huge count). */
  count: number;
  /** How many publishes are in flight at once. */
  batch: number;
}

/** The payload of writer `tag`'s event number `seq`. */
export const writerPayload = (tag: string, seq: number) => ({ type: "lxc" as const, cid: tag, path: String(seq), state: "running" as const });

/** The user of event number `seq`: every third one is `bob`'s, the rest are for `all`. */
export const writerUser = (seq: number): string => (seq % 3 === 0 ? "bob" : "all");

/** Publishes `count` events from `hub` in chunks of `batch` in flight; calls `committed` after each chunk. */
export async function writeEvents(
  hub: LogEventHub,
  instructions: Pick<WriterInstructions, "tag" | "count" | "batch">,
  committed: (indexes: number[]) => void | Promise<void> = () => undefined,
): Promise<number[]> {
  const all: number[] = [];
  const { tag, count, batch } = instructions;
  for (let seq = 0; seq < count; seq += batch) {
    const chunk = Array.from({ length: Math.min(batch, count - seq) }, (_, i) => seq + i);
    const events = await Promise.all(chunk.map((n) => hub.publish({ category: "import", user: writerUser(n), payload: writerPayload(tag, n) })));
    const indexes = events.map((e) => e.index);
    all.push(...indexes);
    await committed(indexes);
  }
  return all;
}

/**
 * The body of a writer process: call it from the script named by
 * {@link SharedStoreFactory.writerProcess}, with the same `open` as the factory. It reads its
 * instructions from `LEH_CONFORMANCE_WRITER`, prints `ready`, then one JSON array of indexes
 * per committed chunk, then `done`, and exits.
 *
 * @example
 * ```ts
 * // test/my-store.writer.ts, run by the suite in a child process
 * import { runConformanceWriter } from "log-event-hub/conformance";
 * import { MyStore } from "../src/my-store.js";
 *
 * await runConformanceWriter((location) => new MyStore({ file: location }));
 * ```
 */
export async function runConformanceWriter(open: (location: string) => Store | Promise<Store>): Promise<void> {
  const raw = process.env[WRITER_ENV];
  if (raw === undefined) throw new Error(`runConformanceWriter: ${WRITER_ENV} is not set (the conformance suite starts this script itself)`);
  const instructions = JSON.parse(raw) as WriterInstructions;
  const hub = new LogEventHub({ store: await open(instructions.location) });
  await hub.open();
  const line = (text: string) => new Promise<void>((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
  await line("ready");
  await writeEvents(hub, instructions, (indexes) => line(JSON.stringify(indexes)));
  await hub.close();
  await line("done");
}
