/**
 * PostgreSQL pages in every statistics state (issue 11): 200,000 rows (times BENCH_SCALE) of the
 * `postgres.bench.ts` mix in a table with autovacuum off, each state forced as in
 * `test/stores/postgres.plans.test.ts` (no statistics; `ANALYZE` at one row, then grown;
 * `ANALYZE` at full size). Each page (`limit: 20`, newest first) runs through the store (pinned
 * plans) and, in the same run, as the plain statement earlier releases sent
 * (`WHERE ... ORDER BY id DESC LIMIT 20` through a pool): the baseline. Median of
 * `BENCH_PG_PLAN_ROUNDS` (default 5) rounds each. `BENCH_PG_STATES` picks states.
 */
import pg from "pg";
import { whereClause } from "../src/stores/postgres/filter.js";
import { PostgresStore } from "../src/stores/postgres/index.js";
import type { StoreLogQuery } from "../src/types.js";
import { type BenchRow, quantile, scaled } from "./harness.js";

const URL_ = process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const SUITE = "postgres plans";
const T0 = 1_426_000_000_000_000;
const STATE_NAMES = { none: "none", tiny: "ANALYZE at 1 row, then grown", full: "ANALYZE at full size" } as const;

export default async function postgresPlansBench(): Promise<BenchRow[]> {
  const n = scaled(200_000);
  const rounds = Number(process.env.BENCH_PG_PLAN_ROUNDS ?? 5);
  const states = (process.env.BENCH_PG_STATES ?? "none,tiny,full").split(",") as (keyof typeof STATE_NAMES)[];
  const schema = `leh_bench_plans_${process.pid}`;
  const t = `"${schema}".leh_logs`;
  const admin = new pg.Pool({ connectionString: URL_, max: 2 });
  const fill = (from: number, to: number) =>
    admin.query(
      `INSERT INTO ${t} (time_us, level, category, user_name, message)
       SELECT ${T0} + g * 1000,
              CASE WHEN g % 7 = 0 THEN 'ERROR' WHEN g % 3 = 0 THEN 'WARN' ELSE 'INFO' END,
              (ARRAY['container','image','import','export','backup','system'])[g % 6 + 1],
              (ARRAY['Anonymous','system','alice','bob'])[g % 4 + 1],
              CASE WHEN g % 10007 = 0 THEN 'Needle found in image ' || g ELSE 'Start container (lxc, utest' || (g % 1000) || ') step ' || g END
       FROM generate_series($1::int, $2::int - 1) g`,
      [from, to],
    );
  const mid = Math.floor(n / 2);
  const shapes: [string, Omit<StoreLogQuery, "order" | "limit">][] = [
    ["newest 20", {}],
    ["levels WARN,ERROR", { levels: ["WARN", "ERROR"] }],
    ["level ERROR", { levels: ["ERROR"] }],
    ["categories backup,image", { categories: ["backup", "image"] }],
    ["user alice", { user: "alice" }],
    ["time range, newest half", { fromUs: T0 + mid * 1000 }],
    ["time range, 1% a quarter in", { fromUs: T0 + n * 250, toUs: T0 + n * 260 }],
    ["text common (container)", { text: "container" }],
    ["text rare (needle)", { text: "needle" }],
    ["text matching nothing", { text: "zzq" }],
    ["user+level+text", { user: "bob", levels: ["WARN"], text: "utest99" }],
    ["text common + time 1% a quarter in", { text: "container", fromUs: T0 + n * 250, toUs: T0 + n * 260 }],
  ];
  const out: BenchRow[] = [];
  try {
    for (const state of states) {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      const store = new PostgresStore({ connectionString: URL_, schema });
      await store.open();
      await admin.query(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
      if (state === "tiny") {
        await fill(1, 2);
        await admin.query(`ANALYZE ${t}`);
        await fill(2, n + 1);
      } else {
        await fill(1, n + 1);
        if (state === "full") await admin.query(`ANALYZE ${t}`);
      }
      for (const [name, shape] of shapes) {
        const query: StoreLogQuery = { ...shape, order: "desc", limit: 20 };
        const where = whereClause(query, {});
        const plain = `SELECT id, time_us, level, category, user_name, message FROM ${t} ${where.sql} ORDER BY id DESC LIMIT 20`;
        const ours: number[] = [];
        const base: number[] = [];
        for (let k = 0; k < rounds; k++) {
          let s = performance.now();
          await store.queryLogs(query);
          ours.push(performance.now() - s);
          s = performance.now();
          await admin.query(plain, where.params);
          base.push(performance.now() - s);
        }
        out.push({
          suite: SUITE,
          case: `${name}, ${n.toLocaleString("en-US")} rows, statistics: ${STATE_NAMES[state]}, median`,
          value: quantile(ours, 0.5),
          unit: "ms",
          baseline: quantile(base, 0.5),
          baselineName: "the plain statement of earlier releases",
          better: "lower",
        });
      }
      await store.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  }
  return out;
}
