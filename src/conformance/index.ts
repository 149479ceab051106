/**
 * `log-event-hub/conformance`: the store conformance suite, published so that a store written
 * outside this repository proves the same contract as the built-in ones (`Store` and its
 * TSDoc). It drives a `LogEventHub` on the store under test through SPEC sections 2 and 4 and
 * checks the store's own answers, in groups switched on by what the store declares:
 *
 * | group | what |
 * | --- | --- |
 * | `logs` | appends and ids, every filter and combination, literal text with ASCII-only case folding, offset and keyset paging, counts, clearing, export order, `lastLogId` |
 * | `feed` | dense indexes from 1, `head` and `oldest`, what a short read promises, cursor pages, visibility, long polls, the iterator, readers racing a writer |
 * | `retention` | `prune` by count and by age (strict `<`), events cut only from the front, `maxLogs: 0`, `head` kept after pruning, `lost` |
 * | `lifecycle` | `open`/`close` idempotent, `CLOSED` from a closed store, declared capabilities |
 * | `shared` | several instances over one data set: writers racing in several hubs and processes, one killed mid-batch, while cursor readers page and long-poll |
 *
 * The suite needs no particular test runner: pass your runner's `describe` and `it` (vitest
 * and jest take them as they are), or run it without one with {@link checkStoreConformance}.
 * Assertions use `node:assert`; every test has its own deadline inside the suite.
 *
 * @example
 * ```ts
 * // my-store.conformance.test.ts (vitest or jest)
 * import { describe, it } from "vitest";
 * import { runStoreConformance } from "log-event-hub/conformance";
 * import { MemoryStore } from "log-event-hub";
 *
 * runStoreConformance({ describe, it }, { name: "memory", makeStore: () => new MemoryStore() });
 * ```
 *
 * @packageDocumentation
 */
import { feedTests } from "./feed.js";
import { lifecycleTests } from "./lifecycle.js";
import { logTests } from "./logs.js";
import { retentionTests } from "./retention.js";
import { sharedTests } from "./shared.js";
import { CONFORMANCE_GROUPS, type ConformanceGroup, type ConformanceTarget, type ConformanceTest, runTest } from "./suite.js";

export { CONFORMANCE_GROUPS } from "./suite.js";
export type { ConformanceFeatures, ConformanceGroup, ConformanceTarget, SharedStoreFactory, WriterProcess } from "./suite.js";
export { runConformanceWriter, WRITER_ENV } from "./writer.js";
export type { WriterInstructions } from "./writer.js";

/**
 * The test functions the suite registers its tests with: vitest's and jest's `describe` and
 * `it` fit as they are; for `node:test`, pass
 * `{ describe, it: (name, fn, timeout) => it(name, { timeout }, fn) }`.
 */
export interface ConformanceRunner {
  /** Opens a named block; `body` registers its tests synchronously. */
  describe(name: string, body: () => void): unknown;
  /**
   * Registers one test. `timeoutMs` is a little above the suite's own deadline for the test,
   * so the suite's message (naming the test) comes first.
   */
  it(name: string, fn: () => Promise<void>, timeoutMs: number): unknown;
}

/** A group the suite left out, and why. */
export interface LeftOutGroup {
  /** The group. */
  group: ConformanceGroup;
  /** Why: the feature the target did not declare. */
  reason: string;
}

/** The plan for one target: the tests to run and the groups left out. */
interface Plan {
  tests: ConformanceTest[];
  leftOut: LeftOutGroup[];
}

const RUNNER_MARGIN_MS = 5_000;

function plan(target: ConformanceTarget): Plan {
  const features = { logs: true, feed: true, retention: true, lifecycle: true, ...target.features };
  const tests: ConformanceTest[] = [];
  const leftOut: LeftOutGroup[] = [];
  const builders: Record<ConformanceGroup, () => ConformanceTest[] | string> = {
    logs: () => (features.logs ? logTests() : "features.logs is false"),
    feed: () => (features.feed ? feedTests() : "features.feed is false"),
    retention: () => (features.retention ? retentionTests() : "features.retention is false"),
    lifecycle: () => (features.lifecycle ? lifecycleTests() : "features.lifecycle is false"),
    shared: () => (target.shared ? sharedTests(target.shared) : "no shared factory (the store does not declare capabilities.shared)"),
  };
  for (const group of CONFORMANCE_GROUPS) {
    const built = builders[group]();
    if (typeof built === "string") leftOut.push({ group, reason: built });
    else tests.push(...built);
  }
  return { tests, leftOut };
}

/**
 * Registers the suite's tests for one store with your test runner: one `describe` per store,
 * one per group, one `it` per test. Groups are switched on by `target.features` and
 * `target.shared`; a group left out registers nothing.
 *
 * @param runner Your runner's `describe` and `it` (see {@link ConformanceRunner}).
 * @param target The store under test.
 */
export function runStoreConformance(runner: ConformanceRunner, target: ConformanceTarget): void {
  const { tests } = plan(target);
  runner.describe(`store conformance: ${target.name}`, () => {
    for (const group of CONFORMANCE_GROUPS) {
      const inGroup = tests.filter((t) => t.group === group);
      if (inGroup.length === 0) continue;
      runner.describe(group, () => {
        for (const t of inGroup) runner.it(t.title, () => runTest(t, target), t.timeoutMs + RUNNER_MARGIN_MS);
      });
    }
  });
}

/** The outcome of one test in {@link checkStoreConformance}. */
export interface ConformanceResult {
  /** The test's group. */
  group: ConformanceGroup;
  /** The test's title. */
  title: string;
  /** Whether it passed. */
  passed: boolean;
  /** Why it failed (an `AssertionError`, the store's own error, or a deadline). */
  error?: unknown;
  /** How long it ran, ms. */
  durationMs: number;
}

/** What {@link checkStoreConformance} found. */
export interface ConformanceReport {
  /** Every test run, in order. */
  results: ConformanceResult[];
  /** The failed ones. */
  failures: ConformanceResult[];
  /** Whether every test run passed. */
  passed: boolean;
  /** The groups not run, with the reason. */
  leftOut: LeftOutGroup[];
}

/** Options of {@link checkStoreConformance}. */
export interface CheckOptions {
  /** Run only these groups (the others are neither run nor reported as left out). @default every group the target declares */
  groups?: readonly ConformanceGroup[];
  /** Stop at the first failure (quicker feedback while writing a store). @default false */
  bail?: boolean;
  /** Called after each test (progress output). */
  onResult?: (result: ConformanceResult) => void;
}

/**
 * Runs the suite in this process, without a test runner, one test after another, and resolves
 * with a report instead of throwing: for a script, a CI step, or a test that expects a store
 * to fail.
 *
 * @example
 * ```ts
 * import { checkStoreConformance } from "log-event-hub/conformance";
 * import { MemoryStore } from "log-event-hub";
 *
 * const report = await checkStoreConformance({ name: "memory", makeStore: () => new MemoryStore() }, { groups: ["feed"] });
 * for (const f of report.failures) console.error(`${f.group}: ${f.title}: ${String(f.error)}`);
 * if (!report.passed) process.exitCode = 1;
 * ```
 */
export async function checkStoreConformance(target: ConformanceTarget, options: CheckOptions = {}): Promise<ConformanceReport> {
  const { tests, leftOut } = plan(target);
  const wanted = (g: ConformanceGroup) => options.groups === undefined || options.groups.includes(g);
  const results: ConformanceResult[] = [];
  for (const t of tests.filter((t) => wanted(t.group))) {
    const started = performance.now();
    let result: ConformanceResult;
    try {
      await runTest(t, target);
      result = { group: t.group, title: t.title, passed: true, durationMs: performance.now() - started };
    } catch (error) {
      result = { group: t.group, title: t.title, passed: false, error, durationMs: performance.now() - started };
    }
    results.push(result);
    options.onResult?.(result);
    if (!result.passed && options.bail === true) break;
  }
  const failures = results.filter((r) => !r.passed);
  return { results, failures, passed: failures.length === 0, leftOut: leftOut.filter((l) => wanted(l.group)) };
}
