/**
 * PostgreSQL pages do not depend on the planner's statistics (issue 11). Each statistics state
 * is forced on a table with autovacuum off (none; `ANALYZE` at one row, then 120,000 rows
 * added; `ANALYZE` at full size); every page shape runs through the store on a recording pool,
 * which runs `EXPLAIN (ANALYZE, FORMAT JSON)` of each page statement on the same connection, in
 * the same transaction, with the same `SET LOCAL` settings, just before the statement itself.
 *
 * No timing. What is asserted, per statement: how many rows its scans read (rows returned plus
 * rows removed by filters and rechecks) stays within a bound far below the table's size, and
 * the plan is one of the intended shapes (a sort-free index walk; or a bitmap of the trigram or
 * time index, sorted). A plan that sorts every match of a common filter (what the stale
 * statistics chose before) reads tens of thousands of rows and fails. Each page is also
 * compared with the same question asked in plain SQL.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { whereClause } from "../../src/stores/postgres/filter.js";
import type { StoreLogQuery } from "../../src/types.js";
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from "./fixtures/postgres/env.js";

const available = await requirePostgres("test/stores/postgres.plans.test.ts");
const ROWS = 120_000;
const T0 = 1_426_000_000_000_000;
/** Rows a page's statements may read in all (the table holds 120,000). */
const MAX_READ = 20_000;

type State = "none" | "tiny then grown" | "full";

interface PlanNode {
  "Node Type": string;
  "Index Name"?: string;
  "Actual Rows": number;
  "Actual Loops": number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
}

interface Explained {
  sql: string;
  plan: PlanNode;
}

/** Rows read by the plan's scan nodes. */
function rowsRead(node: PlanNode): number {
  const own = /Scan$/.test(node["Node Type"]) && node["Node Type"] !== "Bitmap Index Scan"
    ? (node["Actual Rows"] + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) * node["Actual Loops"]
    : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child), 0);
}

function nodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(nodes)];
}

/** A pool whose clients EXPLAIN every page statement before running it. */
function recordingPool(pool: pg.Pool, explained: Explained[]): pg.Pool {
  const wrapper = Object.create(pool) as pg.Pool;
  wrapper.connect = (async () => {
    const client = await pool.connect();
    let inPage = false;
    const recorded = Object.create(client) as pg.PoolClient;
    recorded.query = (async (text: string, values?: unknown[]) => {
      if (text.startsWith("BEGIN READ ONLY")) inPage = true;
      if (inPage && /^\s*SELECT/.test(text)) {
        const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${text}`, values);
        explained.push({ sql: text, plan: (rows[0] as { "QUERY PLAN": [{ Plan: PlanNode }] })["QUERY PLAN"][0].Plan });
      }
      if (text === "COMMIT" || text === "ROLLBACK") inPage = false;
      return client.query(text, values);
    }) as typeof client.query;
    recorded.release = (error?: Error | boolean) => client.release(error);
    return recorded;
  }) as typeof pool.connect;
  wrapper.query = pool.query.bind(pool) as typeof pool.query;
  wrapper.on = pool.on.bind(pool) as typeof pool.on;
  wrapper.removeListener = pool.removeListener.bind(pool) as typeof pool.removeListener;
  return wrapper;
}

const shapes: [string, Omit<StoreLogQuery, "limit" | "order"> & Partial<Pick<StoreLogQuery, "limit" | "order">>][] = [
  ["newest 20", {}],
  ["levels WARN,ERROR", { levels: ["WARN", "ERROR"] }],
  ["level ERROR", { levels: ["ERROR"] }],
  ["categories backup,image", { categories: ["backup", "image"] }],
  ["user alice", { user: "alice" }],
  ["time range, old and narrow", { fromUs: T0 + ROWS * 250, toUs: T0 + ROWS * 260 }],
  ["time range, recent and wide", { fromUs: T0 + ROWS * 500 }],
  ["text, common", { text: "container" }],
  ["text, rare", { text: "needle" }],
  ["text, matching nothing", { text: "zzq" }],
  ["user+level+text", { user: "bob", levels: ["WARN"], text: "utest99" }],
  ["text, export page (ascending, keyset)", { text: "needle", order: "asc", afterId: 5_000, maxId: ROWS - 10, limit: 1000 }],
  ["text, offset 100", { text: "container", offset: 100 }],
  ["text + time, old", { text: "container", fromUs: T0 + ROWS * 250, toUs: T0 + ROWS * 260 }],
];

describe.skipIf(!available).each<State>(["tiny then grown", "none", "full"])("PostgreSQL plans, statistics: %s", (state) => {
  const schema = uniqueSchema("plans");
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  const explained: Explained[] = [];
  let store: PostgresStore;
  const t = `"${schema}".leh_logs`;
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

  beforeAll(async () => {
    const setup = new PostgresStore({ connectionString: PG_URL, schema });
    await setup.open();
    expect(setup.hasTrigramIndex).toBe(true);
    await setup.close();
    await admin.query(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);
    if (state === "tiny then grown") {
      await fill(1, 2);
      await admin.query(`ANALYZE ${t}`);
      await fill(2, ROWS + 1);
    } else {
      await fill(1, ROWS + 1);
      if (state === "full") await admin.query(`ANALYZE ${t}`);
    }
    const stats = await admin.query(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, [t]);
    // The state really is what it says (reltuples: -1 never analysed, 1 at one row).
    const expected = { "tiny then grown": 1, none: -1, full: ROWS } as const;
    expect(Number(stats.rows[0].reltuples)).toBe(expected[state]);
    store = new PostgresStore({ pool: recordingPool(admin, explained), schema });
    await store.open();
  }, 120_000);

  afterAll(async () => {
    await store?.close();
    await dropSchema(schema);
    await admin.end();
  });

  it.each(shapes)("%s: intended plan, bounded reads, same rows as plain SQL", async (_name, shape) => {
    const query: StoreLogQuery = { order: "desc", limit: 20, ...shape };
    explained.length = 0;
    const page = await store.queryLogs(query);
    expect(explained.length).toBeGreaterThan(0);
    let total = 0;
    for (const { sql, plan } of explained) {
      total += rowsRead(plan);
      const all = nodes(plan);
      const sorts = all.filter((n) => n["Node Type"] === "Sort");
      const scans = all.filter((n) => /Scan$/.test(n["Node Type"]));
      if (/count\(\*\)/.test(sql)) {
        // The time-range probe: the time index only.
        expect(scans.map((n) => n["Index Name"])).toEqual([`leh_logs_time`]);
        continue;
      }
      if (/\bmin\(id\)/.test(sql)) continue; // The id bounds: two ends of the primary key.
      if (sorts.length === 0) {
        // A walk in id order: one index scan, the primary key or a (column, id) index.
        expect(scans).toHaveLength(1);
        expect(scans[0]?.["Node Type"]).toMatch(/^Index (Only )?Scan$/);
        expect(scans[0]?.["Index Name"]).toMatch(/^leh_logs_(pkey|level_id|category_id|user_id)$/);
      } else {
        // Through one index, then sorted: the bitmap of the trigram or the time index alone.
        const bitmaps = all.filter((n) => n["Node Type"] === "Bitmap Index Scan").map((n) => n["Index Name"]);
        expect(bitmaps).toHaveLength(1);
        expect(bitmaps[0]).toMatch(/^leh_logs_(message_trgm|time)$/);
      }
    }
    expect(total).toBeLessThanOrEqual(MAX_READ);
    // The same page from every matching id (plain SQL, no ORDER BY: a scan whatever the statistics).
    const where = whereClause(query, {});
    const matching = (await admin.query(`SELECT id FROM ${t} ${where.sql}`, where.params)).rows.map((r: { id: string }) => Number(r.id));
    matching.sort((a, b) => (query.order === "asc" ? a - b : b - a));
    const offset = query.offset ?? 0;
    expect(page.map((r) => r.id)).toEqual(matching.slice(offset, offset + query.limit));
  });
});
