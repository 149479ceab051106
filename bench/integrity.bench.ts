/**
 * Verification throughput of the hash chain (issue 16): `verifyChain` over N chained records
 * (default 1,000,000; `BENCH_SCALE` scales it) beside a bare SHA-256 loop over the same
 * canonical bytes, in the same run (best of 3 rounds, alternating). Target: at least 0.5x.
 * The records are built (and linked) before the clock starts; both sides read them from memory.
 */
import { createHash } from "node:crypto";
import { ChainLinker, canonicalRecord, verifyChain, type ChainedRecord } from "../src/integrity/index.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogEventHub } from "../src/hub.js";
import type { Store } from "../src/store.js";
import { MemoryStore } from "../src/stores/memory/index.js";
import { PostgresStore } from "../src/stores/postgres/index.js";
import { SqliteStore } from "../src/stores/sqlite/index.js";
import { scaled, syntheticLog, time, type BenchRow } from "./harness.js";

const SUITE = "integrity";

/** Appends `total` records through a hub from 64 concurrent callers; milliseconds. */
async function append64(store: Store, total: number): Promise<number> {
  const hub = new LogEventHub({ store });
  await hub.open();
  let next = 0;
  const ms = await time(() =>
    Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < total) await hub.info("system", `message ${next++}`);
      }),
    ),
  );
  await hub.close();
  return ms;
}

/**
 * Appends with the chain on beside the same appends with it off, in the same run (rounds
 * alternate, best of 3). Target: at least 0.9x.
 */
async function appendRows(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), "leh-bench-chain-"));
  const pgUrl = process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  let k = 0;
  const kinds: { name: string; total: number; make: (chain: boolean) => Store; drop?: () => Promise<void> }[] = [
    { name: "memory", total: scaled(50_000), make: (chain) => new MemoryStore({ chain }) },
    { name: "SQLite", total: scaled(20_000), make: (chain) => new SqliteStore({ filename: join(dir, `append-${++k}.db`), chain }) },
  ];
  const schemas: string[] = [];
  kinds.push({
    name: "PostgreSQL",
    total: scaled(10_000),
    make: (chain) => {
      const schema = `leh_bench_chain_${process.pid}_${++k}`;
      schemas.push(schema);
      return new PostgresStore({ connectionString: pgUrl, schema, chain });
    },
    drop: async () => {
      const pg = (await import("pg")).default;
      const client = new pg.Client({ connectionString: pgUrl });
      await client.connect();
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  });
  try {
    for (const kind of kinds) {
      let on = Infinity;
      let off = Infinity;
      try {
        for (let round = 0; round < 3; round++) {
          off = Math.min(off, await append64(kind.make(false), kind.total));
          on = Math.min(on, await append64(kind.make(true), kind.total));
        }
      } catch (error) {
        console.warn(`integrity bench: ${kind.name} skipped: ${(error as Error).message}`);
        continue;
      } finally {
        await kind.drop?.().catch(() => {});
      }
      rows.push({
        suite: SUITE,
        case: `append, 64 concurrent callers, chain on, ${kind.name}`,
        value: (kind.total / on) * 1000,
        unit: "ops/s",
        baseline: (kind.total / off) * 1000,
        baselineName: "same appends, chain off",
        note: "target >= 0.9; best of 3",
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export default async function integrityBench(): Promise<BenchRow[]> {
  const appends = await appendRows();
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
    ...appends,
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
