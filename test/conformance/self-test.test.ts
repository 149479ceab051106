/**
 * The suite proves itself: a correct store with network-like round trips passes every group,
 * and each deliberately broken variant fails at least one test of the group that owns the rule
 * it breaks (run through `checkStoreConformance`, the suite's own collecting runner).
 */
import { checkStoreConformance, type ConformanceGroup, runStoreConformance } from "log-event-hub/conformance";
import { describe, expect, it } from "vitest";
import {
  AsyncMapStore,
  HeadBeforeEventStore,
  IndexGapStore,
  PruneFromMiddleStore,
  ReserveThenCommitStore,
  TextIgnoresPercentStore,
  targetOf,
  UnicodeFoldStore,
} from "./fixtures/broken-stores.js";

// The control: the same machinery, unbroken, passes everything (so a rejection below is the
// broken rule's doing, not the harness's).
runStoreConformance({ describe, it }, targetOf("async map store (control)", AsyncMapStore));

const broken: { name: string; Kind: typeof AsyncMapStore; group: ConformanceGroup; caughtBy: string }[] = [
  { name: "reserve-then-commit numbering (INCRBY, then write)", Kind: ReserveThenCommitStore, group: "shared", caughtBy: "writers in several hubs race" },
  { name: "an index gap", Kind: IndexGapStore, group: "feed", caughtBy: "indexes are dense from 1" },
  { name: "a head visible before its event", Kind: HeadBeforeEventStore, group: "feed", caughtBy: "cursor readers racing a writer" },
  { name: "a text filter that ignores '%'", Kind: TextIgnoresPercentStore, group: "logs", caughtBy: "text matches literally" },
  { name: "a text filter that folds Unicode case", Kind: UnicodeFoldStore, group: "logs", caughtBy: "text folds ASCII case only" },
  { name: "a prune that cuts from the middle", Kind: PruneFromMiddleStore, group: "retention", caughtBy: "events leave only from the front" },
];

describe("the conformance suite rejects broken stores", () => {
  for (const { name, Kind, group, caughtBy } of broken) {
    it(`${name}: fails the ${group} group`, { timeout: 120_000 }, async () => {
      // bail: a broken store can also hang a long poll until that test's deadline; the first
      // failure is the proof wanted here.
      const report = await checkStoreConformance(targetOf(name, Kind), { groups: [group], bail: true });
      const failed = report.failures.map((f) => `${f.group}: ${f.title}`);
      expect(report.passed).toBe(false);
      expect(report.results.length).toBeGreaterThan(0);
      expect(report.failures.every((f) => f.group === group)).toBe(true);
      expect(failed.some((title) => title.includes(caughtBy)), `failed: ${failed.join("; ")}`).toBe(true);
    });
  }
});
