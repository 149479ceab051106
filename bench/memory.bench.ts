/**
 * Core hub on the memory store: append and filtered query at 1,000,000 records, each beside a
 * baseline measured in the same run (a plain array push; a hand-written reverse scan with the
 * same predicate).
 */
import { LogEventHub, MemoryStore, type LogRecord } from "../src/index.js";
import { type BenchRow, quantile, scaled, syntheticLog } from "./harness.js";

export default async function memoryBench(): Promise<BenchRow[]> {
  const n = scaled(1_000_000);
  const rows: BenchRow[] = [];

  // Append: 64 concurrent callers through the hub vs pushing the same objects into an array.
  const hub = new LogEventHub({ store: new MemoryStore({ maxLogs: n }) });
  await hub.open();
  const t0 = performance.now();
  for (let i = 0; i < n; i += 64) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(n, i + 64); j++) batch.push(hub.log(syntheticLog(j)));
    await Promise.all(batch);
  }
  const hubMs = performance.now() - t0;
  const plain: LogRecord[] = [];
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = syntheticLog(i);
    plain.push({ id: i + 1, ts: Math.floor(r.timeUs / 1e6), ...r, level: r.level });
  }
  const arrMs = performance.now() - t1;
  rows.push({
    suite: "memory store",
    case: `append ${n.toLocaleString("en-US")} records (64 concurrent callers, validated)`,
    value: n / (hubMs / 1000),
    unit: "records/s",
    baseline: n / (arrMs / 1000),
    baselineName: "plain array push of the same objects",
  });

  // Filtered query: newest 20 matching WARN + user + text, vs a hand-written reverse scan.
  const predicate = (r: LogRecord) => r.level === "WARN" && r.user === "alice" && r.message.toLowerCase().includes("utest99");
  const oursMs: number[] = [];
  const baseMs: number[] = [];
  for (let k = 0; k < 30; k++) {
    let s = performance.now();
    const ours = await hub.queryLogs({ level: "WARN", user: "alice", text: "UTEST99", limit: 20 });
    oursMs.push(performance.now() - s);
    s = performance.now();
    const base: LogRecord[] = [];
    for (let i = plain.length - 1; i >= 0 && base.length < 20; i--) if (predicate(plain[i]!)) base.push(plain[i]!);
    baseMs.push(performance.now() - s);
    if (ours.length !== base.length) throw new Error(`query mismatch: ${ours.length} vs ${base.length}`);
  }
  rows.push({
    suite: "memory store",
    case: `query level+user+text, limit 20, at ${n.toLocaleString("en-US")} records`,
    value: quantile(oursMs, 0.5),
    unit: "ms p50",
    baseline: quantile(baseMs, 0.5),
    baselineName: "hand-written reverse scan",
    better: "lower",
  });
  // A selective query that scans the whole array (no match until the oldest records).
  const rare = async () => hub.queryLogs({ text: "step 17 ", limit: 20 });
  const rareOurs: number[] = [];
  const rareBase: number[] = [];
  for (let k = 0; k < 10; k++) {
    let s = performance.now();
    await rare();
    rareOurs.push(performance.now() - s);
    s = performance.now();
    const base: LogRecord[] = [];
    for (let i = plain.length - 1; i >= 0 && base.length < 20; i--) if (plain[i]!.message.toLowerCase().includes("step 17 ")) base.push(plain[i]!);
    rareBase.push(performance.now() - s);
  }
  rows.push({
    suite: "memory store",
    case: `full scan (text matching one old record) at ${n.toLocaleString("en-US")} records`,
    value: quantile(rareOurs, 0.5),
    unit: "ms p50",
    baseline: quantile(rareBase, 0.5),
    baselineName: "hand-written reverse scan",
    better: "lower",
  });
  await hub.close();
  return rows;
}
