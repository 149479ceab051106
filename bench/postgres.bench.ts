/**
 * The PostgreSQL store, beside hand-written `pg` code measured in the same run:
 * - appends per second with 1 and 64 concurrent callers through a hub (group commit) vs
 *   naive one-row INSERTs through a `pg.Pool` of the same size into an identical table;
 * - publish-to-wake latency across two processes (long poll) vs a bare NOTIFY round trip;
 * - the seed's query shapes at 1,000,000 rows (`BENCH_SCALE` scales it) vs the same question
 *   as hand-written, parameterised SQL (what an application would send through `pg`).
 * Needs PostgreSQL at LEH_PG_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { LogEventHub } from "../src/hub.js";
import { PostgresStore } from "../src/stores/postgres/index.js";
import type { LogQuery } from "../src/types.js";
import { type BenchRow, quantile, scaled, syntheticLog } from "./harness.js";

const URL_ = process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SUITE = "postgres store";
const now = () => performance.timeOrigin + performance.now();

/** Runs `callers` loops that together do `total` calls of `op`; returns calls per second. */
async function throughput(total: number, callers: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) await op(next++);
    }),
  );
  return total / ((performance.now() - start) / 1000);
}

async function appends(rows: BenchRow[], schema: string, admin: pg.Pool): Promise<void> {
  const hub = new LogEventHub({ store: new PostgresStore({ connectionString: URL_, schema, poolSize: 10, trigramIndex: process.env.BENCH_PG_TRIGRAM !== "0" }) });
  await hub.open();
  // The naive baseline writes into a copy of the store's own table: same columns, indexes, identity.
  await admin.query(`CREATE TABLE "${schema}".naive (LIKE "${schema}".leh_logs INCLUDING ALL)`);
  const naive = new pg.Pool({ connectionString: URL_, max: 10 });
  const naiveInsert = (i: number) => {
    const r = syntheticLog(i);
    return naive.query(`INSERT INTO "${schema}".naive (time_us, level, category, user_name, message) VALUES ($1, $2, $3, $4, $5) RETURNING id`, [
      r.timeUs,
      r.level,
      r.category,
      r.user,
      r.message,
    ]);
  };
  await admin.query(`CREATE TABLE "${schema}".grouped (LIKE "${schema}".leh_logs INCLUDING ALL)`);
  let queued: { i: number; done: () => void; fail: (e: unknown) => void }[] = [];
  let flushing = false;
  const flushGrouped = async (): Promise<void> => {
    while (queued.length > 0) {
      const batch = queued;
      queued = [];
      const recs = batch.map((q) => syntheticLog(q.i));
      try {
        await naive.query(
          `INSERT INTO "${schema}".grouped (time_us, level, category, user_name, message)
           SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) RETURNING id`,
          [recs.map((r) => r.timeUs), recs.map((r) => r.level), recs.map((r) => r.category), recs.map((r) => r.user), recs.map((r) => r.message)],
        );
        for (const q of batch) q.done();
      } catch (error) {
        for (const q of batch) q.fail(error);
      }
    }
    flushing = false;
  };
  const groupedInsert = (i: number) =>
    new Promise<void>((done, fail) => {
      queued.push({ i, done, fail });
      if (!flushing) {
        flushing = true;
        queueMicrotask(() => void flushGrouped());
      }
    });
  for (const [callers, total] of [
    [1, scaled(3000)],
    [64, scaled(40_000)],
  ] as const) {
    const base = await throughput(total, callers, naiveInsert);
    const ours = await throughput(total, callers, (i) => hub.log(syntheticLog(i)));
    if (callers > 1) {
      // The ceiling: the same callers' rows grouped by hand into one unnest INSERT per round.
      await admin.query(`TRUNCATE "${schema}".grouped`);
      const ceiling = await throughput(total, callers, groupedInsert);
      rows.push({
        suite: SUITE,
        case: `append, ${callers} concurrent callers (${total.toLocaleString("en-US")} records), vs hand-written group commit`,
        value: ours,
        unit: "records/s",
        baseline: ceiling,
        baselineName: "hand-written group commit: queued rows in one unnest INSERT, one in flight",
      });
    }
    rows.push({
      suite: SUITE,
      case: `append, ${callers} concurrent caller${callers > 1 ? "s" : ""} (${total.toLocaleString("en-US")} records)`,
      value: ours,
      unit: "records/s",
      baseline: base,
      baselineName: "one-row INSERT per call through pg.Pool (10 connections)",
    });
  }
  const pubTotal = scaled(20_000);
  const ours = await throughput(pubTotal, 64, (i) =>
    hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "docker", id: String(i) } }),
  );
  await admin.query(`CREATE TABLE "${schema}".naive_events (idx bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, time_us bigint, category text, user_name text, payload text)`);
  const base = await throughput(pubTotal, 64, (i) =>
    naive.query(`INSERT INTO "${schema}".naive_events (time_us, category, user_name, payload) VALUES ($1, 'image', 'all', $2) RETURNING idx`, [
      i,
      `{"action":"update","id":"${i}"}`,
    ]),
  );
  rows.push({
    suite: SUITE,
    case: `publish, 64 concurrent callers (${pubTotal.toLocaleString("en-US")} events, commit-ordered)`,
    value: ours,
    unit: "events/s",
    baseline: base,
    baselineName: "one-row INSERT with an identity index (may skip readers)",
  });
  await hub.close();
  await naive.end();
}

async function wakeLatency(rows: BenchRow[], schema: string): Promise<void> {
  const samples = Math.max(20, scaled(200));
  const hub = new LogEventHub({
    store: new PostgresStore({ connectionString: URL_, schema, pollIntervalMs: 0 }),
    pollIntervalMs: 600_000,
  });
  await hub.open();
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/postgres-publisher.ts", import.meta.url))], {
    env: { ...process.env, LEH_PG_URL: URL_, SCHEMA: schema },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const ask = async (command: string) => {
    child.stdin!.write(`${command}\n`);
    return JSON.parse((await lines.next()).value as string) as { at: number; index?: number };
  };
  await lines.next(); // ready
  const listener = new pg.Client({ connectionString: URL_ });
  await listener.connect();
  await listener.query("LISTEN leh_bench_raw");

  const ours: number[] = [];
  const floor: number[] = [];
  let cursor = (await hub.readEvents({ limit: 1 })).offset;
  for (let i = 0; i < samples; i++) {
    const poll = hub.readEvents({ index: cursor, wait: 30_000 });
    await new Promise((r) => setTimeout(r, 5));
    const sent = await ask("hub");
    const page = await poll;
    ours.push(now() - sent.at);
    cursor = page.offset;

    const arrived = new Promise<number>((resolve) => listener.once("notification", () => resolve(now())));
    const rawSent = await ask("raw");
    floor.push((await arrived) - rawSent.at);
  }
  child.stdin!.end("exit\n");
  await new Promise((r) => child.once("exit", r));
  await listener.end();
  await hub.close();
  for (const q of [0.5, 0.99] as const) {
    rows.push({
      suite: SUITE,
      case: `publish-to-wake across 2 processes, ${q === 0.5 ? "p50" : "p99"} (${samples} samples; publish called -> long poll resolved)`,
      value: quantile(ours, q),
      unit: "ms",
      baseline: quantile(floor, q),
      baselineName: "bare NOTIFY sent -> notification received",
      better: "lower",
    });
  }
}

async function queries(rows: BenchRow[], schema: string, admin: pg.Pool): Promise<void> {
  const n = scaled(1_000_000);
  // One pool for both sides: each query runs on the same warm connection, so the comparison
  // measures the library's work, not which server backend happened to be awake.
  const baseline = new pg.Pool({ connectionString: URL_, max: 2 });
  const store = new PostgresStore({ pool: baseline, schema });
  await store.open();
  const hub = new LogEventHub({ store });
  const t = `"${schema}".leh_logs`;
  // Bulk load in SQL (through the API it would take minutes); the same mix as `syntheticLog(i)`.
  const load = performance.now();
  await admin.query(
    `INSERT INTO ${t} (time_us, level, category, user_name, message)
     SELECT 1426000000000000 + g * 1000,
            CASE WHEN g % 7 = 0 THEN 'ERROR' WHEN g % 3 = 0 THEN 'WARN' ELSE 'INFO' END,
            (ARRAY['container','image','import','export','backup','system'])[g % 6 + 1],
            (ARRAY['Anonymous','system','alice','bob'])[g % 4 + 1],
            CASE WHEN g % 10007 = 0 THEN 'Needle found in image ' || g ELSE 'Start container (lxc, utest' || (g % 1000) || ') step ' || g END
     FROM generate_series(0, $1::int - 1) g`,
    [n],
  );
  await admin.query(`VACUUM ANALYZE ${t}`);
  const loadMs = performance.now() - load;
  const mid = 1426000000 + Math.floor(n / 2000);
  const shapes: { name: string; query: LogQuery<"container" | "image" | "import" | "export" | "backup" | "system">; sql: string; params: unknown[]; count?: boolean }[] = [
    { name: "newest 20", query: {}, sql: `SELECT * FROM ${t} ORDER BY id DESC LIMIT $1`, params: [20] },
    { name: "level=ERROR", query: { level: "ERROR" }, sql: `SELECT * FROM ${t} WHERE level = $1 ORDER BY id DESC LIMIT 20`, params: ["ERROR"] },
    { name: "level=WARN,ERROR", query: { level: ["WARN", "ERROR"] }, sql: `SELECT * FROM ${t} WHERE level = ANY($1) ORDER BY id DESC LIMIT 20`, params: [["WARN", "ERROR"]] },
    { name: "category=backup", query: { category: "backup" }, sql: `SELECT * FROM ${t} WHERE category = $1 ORDER BY id DESC LIMIT 20`, params: ["backup"] },
    { name: "user=alice", query: { user: "alice" }, sql: `SELECT * FROM ${t} WHERE user_name = $1 ORDER BY id DESC LIMIT 20`, params: ["alice"] },
    {
      name: "time window (10 min)",
      query: { timeStart: mid, timeEnd: mid + 600 },
      sql: `SELECT * FROM ${t} WHERE time_us BETWEEN $1 AND $2 ORDER BY id DESC LIMIT 20`,
      params: [mid * 1e6, (mid + 600) * 1e6 + 999_999],
    },
    { name: "text (rare word)", query: { text: "needle" }, sql: `SELECT * FROM ${t} WHERE message ILIKE $1 ORDER BY id DESC LIMIT 20`, params: ["%needle%"] },
    {
      name: "user+level+text",
      query: { user: "bob", level: "WARN", text: "utest99" },
      sql: `SELECT * FROM ${t} WHERE user_name = $1 AND level = $2 AND message ILIKE $3 ORDER BY id DESC LIMIT 20`,
      params: ["bob", "WARN", "%utest99%"],
    },
    { name: "offset 10,000", query: { offset: 10_000 }, sql: `SELECT * FROM ${t} ORDER BY id DESC LIMIT $1 OFFSET $2`, params: [20, 10_000] },
    {
      name: "count category=container",
      query: { category: "container" },
      sql: `SELECT count(*) FROM ${t} WHERE category = $1`,
      params: ["container"],
      count: true,
    },
  ];
  for (const shape of shapes) {
    const ours: number[] = [];
    const base: number[] = [];
    const runOurs = () => (shape.count ? hub.countLogs(shape.query) : hub.queryLogs({ limit: 20, ...shape.query }));
    const runBase = () => baseline.query(shape.sql, shape.params);
    // Slow shapes (counts, scans) get fewer rounds. Fast ones first run unmeasured for a while:
    // V8 optimises ours (JavaScript on both sides of the query) only after some thousands of
    // calls, as it would be in a server.
    const probe = performance.now();
    await runOurs();
    const slow = performance.now() - probe > 10;
    const rounds = slow ? 23 : 300;
    const warmupUntil = performance.now() + 1500;
    for (let k = 0; !slow && k < 3000 && performance.now() < warmupUntil; k++) {
      await runOurs();
      await runBase();
    }
    const warmup = slow ? 3 : 0;
    for (let k = 0; k < rounds; k++) {
      // Alternate which side goes first, so neither always finds the caches the other warmed.
      const order = k % 2 === 0 ? [runOurs, runBase] : [runBase, runOurs];
      for (const run of order) {
        const s = performance.now();
        await run();
        if (k >= warmup) (run === runOurs ? ours : base).push(performance.now() - s);
      }
    }
    rows.push({
      suite: SUITE,
      case: `query at ${n.toLocaleString("en-US")} rows: ${shape.name}, p50`,
      value: quantile(ours, 0.5),
      unit: "ms",
      baseline: quantile(base, 0.5),
      baselineName: "hand-written SQL through the same pg.Pool",
      better: "lower",
      ...(shape === shapes[0] && { note: `bulk load + VACUUM ANALYZE ${Math.round(loadMs / 1000)} s; trigram index: ${store.hasTrigramIndex}` }),
    });
  }
  await hub.close();
  await baseline.end();
}

export default async function postgresBench(): Promise<BenchRow[]> {
  const admin = new pg.Pool({ connectionString: URL_, max: 2 });
  const base = `leh_bench_${process.pid}`;
  const rows: BenchRow[] = [];
  // BENCH_PG_PARTS=append,wake,query picks parts (the 1,000,000-row load takes minutes).
  const parts = (process.env.BENCH_PG_PARTS ?? "append,wake,query").split(",");
  try {
    if (parts.includes("append")) await appends(rows, `${base}_append`, admin);
    if (parts.includes("wake")) await wakeLatency(rows, `${base}_wake`);
    if (parts.includes("query")) await queries(rows, `${base}_query`, admin);
  } finally {
    for (const suffix of ["append", "wake", "query"]) await admin.query(`DROP SCHEMA IF EXISTS "${base}_${suffix}" CASCADE`);
    await admin.end();
  }
  return rows;
}
