/**
 * Verification throughput of the hash chain (issue 16): `verifyChain` over N chained records
 * (default 1,000,000; `BENCH_SCALE` scales it) beside a bare SHA-256 loop over the same
 * canonical bytes, in the same run (best of 3 rounds, alternating). Target: at least 0.5x.
 * The records are built (and linked) before the clock starts; both sides read them from memory.
 */
import { createHash } from "node:crypto";
import { ChainLinker, canonicalRecord, verifyChain, type ChainedRecord } from "../src/integrity/index.js";
import { scaled, syntheticLog, time, type BenchRow } from "./harness.js";

const SUITE = "integrity";

export default async function integrityBench(): Promise<BenchRow[]> {
  const n = scaled(1_000_000);
  const linker = new ChainLinker();
  const records: ChainedRecord[] = new Array(n);
  const bytes: Buffer[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const log = syntheticLog(i);
    const record = linker.link({ id: i + 1, timeUs: 1_733_000_000_000_000 + i * 1000, level: log.level, category: log.category, user: log.user, message: log.message });
    records[i] = record;
    bytes[i] = canonicalRecord(record, record.prevHash);
  }
  let ours = Infinity;
  let bare = Infinity;
  let sink = 0;
  for (let round = 0; round < 3; round++) {
    const bareMs = await time(() => {
      for (let i = 0; i < n; i++) sink ^= createHash("sha256").update(bytes[i]!).digest()[0]!;
    });
    bare = Math.min(bare, bareMs);
    const oursMs = await time(async () => {
      const report = await verifyChain(records);
      if (!report.ok || report.checked !== n) throw new Error("the bench's chain did not verify");
    });
    ours = Math.min(ours, oursMs);
  }
  if (sink === -1) console.log(sink); // keeps the bare loop's work observable
  return [
    {
      suite: SUITE,
      case: `verifyChain, ${n.toLocaleString("en-US")} records`,
      value: (n / ours) * 1000,
      unit: "records/s",
      baseline: (n / bare) * 1000,
      baselineName: "bare SHA-256 loop, same bytes",
      note: "target >= 0.5; best of 3",
    },
  ];
}
