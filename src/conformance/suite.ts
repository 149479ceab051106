/**
 * The suite's machinery: the target a store author describes, the test list each group builds,
 * and running one test with its own deadline and cleanup (no test runner needed).
 *
 * @module
 */
import { LogEventHub, type HubOptions } from "../hub.js";
import type { Store } from "../store.js";

/** The groups of the suite, each switched on by what the store declares. */
export type ConformanceGroup = "logs" | "feed" | "retention" | "lifecycle" | "shared";

/** Every group, in the order the suite registers them. */
export const CONFORMANCE_GROUPS: readonly ConformanceGroup[] = ["logs", "feed", "retention", "lifecycle", "shared"];

/**
 * What the store does, as its author declares it. Each feature switches its group on; a store
 * that leaves one out is not tested on it, and `checkStoreConformance` lists the group as left
 * out. Every field defaults to `true`: the `Store` contract asks for all of them.
 */
export interface ConformanceFeatures {
  /** Log appends, queries, counts, clearing, paging, text and export order. @default true */
  logs?: boolean;
  /** The event feed: dense indexes, windows, cursor pages, visibility, long polls, the iterator. @default true */
  feed?: boolean;
  /** `prune` by count and by age, and the hub's retention. @default true */
  retention?: boolean;
  /** `open` and `close` idempotent, `CLOSED` after close, declared capabilities. @default true */
  lifecycle?: boolean;
}

/**
 * How to run writers in another process, for a shared store whose data other processes can
 * open (a file, a database). The suite spawns `command` with `args`; the script must call
 * `runConformanceWriter(open)` with the same `open` as {@link SharedStoreFactory.open}. The
 * suite passes its instructions in the environment variable `LEH_CONFORMANCE_WRITER`.
 */
export interface WriterProcess {
  /** The program, usually `process.execPath`. */
  command: string;
  /** Its arguments: Node options and the script (for TypeScript, e.g. `["--import", "tsx", "writer.ts"]`). */
  args?: readonly string[];
  /** Extra environment variables for the child. */
  env?: Readonly<Record<string, string>>;
}

/**
 * For a store that declares `capabilities.shared`: how to open several instances over one set
 * of data. Giving it switches the `shared` group on; a store that declares `shared` without it
 * fails the lifecycle group's capability test.
 */
export interface SharedStoreFactory {
  /**
   * Creates a fresh, empty data set and returns a string naming it (a file name, a schema):
   * handed to {@link SharedStoreFactory.open} and to writer processes.
   */
  create(): string | Promise<string>;
  /** Opens one more store instance over the data set `location` names (the suite opens and closes it). */
  open(location: string): Store | Promise<Store>;
  /** Removes the data set after its test. Optional. */
  destroy?(location: string): void | Promise<void>;
  /**
   * Optional: writers in other processes. With it, the group adds writer processes to the race
   * and kills one with `SIGKILL` mid-batch.
   */
  writerProcess?: WriterProcess;
}

/** The store under test, as {@link runStoreConformance} and {@link checkStoreConformance} take it. */
export interface ConformanceTarget {
  /** Shown in the test titles. */
  name: string;
  /** Makes a fresh, empty store; called once or more per test. The suite opens and closes it. */
  makeStore(): Store | Promise<Store>;
  /** What the store does; see {@link ConformanceFeatures}. */
  features?: ConformanceFeatures;
  /** Several instances over one data set, for a store that declares `capabilities.shared`. */
  shared?: SharedStoreFactory;
}

/** One test of the suite. */
export interface ConformanceTest {
  /** The group it belongs to. */
  group: ConformanceGroup;
  /** Its title, unique within the group. */
  title: string;
  /** Its deadline inside the suite, ms. */
  timeoutMs: number;
  /** The test itself. */
  run(ctx: TestContext): Promise<void>;
}

/** Per-test resources: every hub and store made through it is closed when the test ends. */
export class TestContext {
  private readonly hubs: LogEventHub[] = [];
  private readonly cleanups: (() => unknown)[] = [];
  disposed = false;

  constructor(readonly target: ConformanceTarget) {}

  /** A fresh store from the target, closed at the end of the test. */
  async store(): Promise<Store> {
    const store = await this.target.makeStore();
    this.onDispose(() => store.close());
    return store;
  }

  /** A hub over a fresh store, opened. */
  async hub(options: Omit<HubOptions, "store"> = {}): Promise<{ hub: LogEventHub; store: Store }> {
    return this.hubOn(await this.target.makeStore(), options);
  }

  /** A hub over `store`, opened; the hub and the store are closed at the end of the test. */
  async hubOn(store: Store, options: Omit<HubOptions, "store"> = {}): Promise<{ hub: LogEventHub; store: Store }> {
    const hub = new LogEventHub({ ...options, store });
    this.hubs.push(hub);
    await hub.open();
    return { hub, store };
  }

  /** Runs `fn` when the test ends (after the hubs are closed), latest first. */
  onDispose(fn: () => unknown): void {
    this.cleanups.push(fn);
  }

  /** Closes every hub (settling long polls and iterators), then runs the cleanups. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const errors: unknown[] = [];
    for (const r of await Promise.allSettled(this.hubs.splice(0).map((h) => h.close()))) if (r.status === "rejected") errors.push(r.reason);
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  }
}

/**
 * Runs one test with its own deadline: past `timeoutMs` it fails with a message naming the
 * test, and its hubs are closed (which ends any long poll it is stuck in).
 */
export async function runTest(test: ConformanceTest, target: ConformanceTarget): Promise<void> {
  const ctx = new TestContext(target);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`conformance (${target.name}): "${test.group}: ${test.title}" did not finish within ${test.timeoutMs} ms`)),
      test.timeoutMs,
    );
  });
  let failure: { error: unknown } | undefined;
  try {
    await Promise.race([test.run(ctx), deadline]);
  } catch (error) {
    failure = { error };
  } finally {
    clearTimeout(timer);
  }
  try {
    await ctx.dispose();
  } catch (error) {
    failure ??= { error };
  }
  if (failure) throw failure.error;
}
