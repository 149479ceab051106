/**
 * Log pages whose plan does not depend on the table's statistics (issue 11).
 *
 * PostgreSQL plans `WHERE ... ORDER BY id DESC LIMIT n` from `ANALYZE` statistics. Statistics
 * gathered while the table was tiny (and never refreshed, autovacuum off) make it sort every
 * match of a common filter instead of walking the primary key newest first: seconds instead of
 * a millisecond at a few hundred thousand rows. So every page runs in a short read-only
 * transaction with the planner pinned by `SET LOCAL` (the settings end with the transaction;
 * the pool's sessions are left as they were):
 *
 * - `enable_sort = off`: the page is read by walking an index in id order and stops after
 *   `limit + offset` matches: the primary key, or a `(column, id)` index for one level, one
 *   category or a user. No plan sorts every match.
 * - `text` with the trigram index, in two steps. First the same sort-free walk over the
 *   {@link TEXT_WINDOW} ids nearest the page's start, with the text's `ILIKE` written on
 *   `message || ''` (so the trigram index cannot be chosen): a common text fills the page there. Only when that
 *   window does not, the rest is read through the trigram index alone (every other condition
 *   written so that no index can serve it: `id + 0`, `user_name || ''`, ...; `enable_indexscan`
 *   and `enable_seqscan` off: a bitmap of the text's candidates, sorted), which is then cheap
 *   because the text is rare: fewer than `limit + offset` matches in the window's ids.
 * - A time range, in two steps too: first the same walk over the window (a recent range fills
 *   the page there); then a probe of the time index counts the range's rows, up to
 *   {@link TIME_RANGE_ROWS}: a range with fewer is read through the time index and sorted (at
 *   most that many rows), a larger one by the sort-free walk (or, with a text, the trigram
 *   step), which meets its rows early unless the range is both large and far behind.
 *
 * @module
 */
import type { StoreLogQuery } from "../../types.js";
import type { PgPoolLike, PgQueryResultLike } from "./driver.js";
import { type TextClauseOptions, whereClause } from "./filter.js";

/** Ids the first, sort-free step of a text page walks before it uses the trigram index. */
export const TEXT_WINDOW = 2_000;

/** Rows of a time range read through the time index and sorted; a range with more is walked. */
export const TIME_RANGE_ROWS = 10_000;

/** The planner settings of a page's sort-free statement. */
export const SORT_FREE = "SET LOCAL enable_sort = off";

/** The planner settings of a read through one index: a bitmap of its candidates, then a sort. */
export const INDEX_THEN_SORT =
  "SET LOCAL enable_sort = on; SET LOCAL enable_indexscan = off; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = on";

/** The planner settings of the time-range probe: an index scan of the time index. */
export const TIME_PROBE = "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off";

/** Back to the sort-free walk after the probe. */
export const WALK_AFTER_PROBE = "SET LOCAL enable_seqscan = on; SET LOCAL enable_bitmapscan = on";

/** What {@link readLogPage} needs from the store. */
export interface PageContext {
  pool: PgPoolLike;
  /** The quoted logs table. */
  table: string;
  /** The text options of the store's filters. */
  text: TextClauseOptions;
  /** Whether `message` has the trigram index. */
  trigram: boolean;
  /** The columns to select. */
  columns: string;
}

type Bounds = Pick<StoreLogQuery, "afterId" | "beforeId" | "maxId">;

/** The rows of one page (`limit` after `offset`), in the query's order. */
export async function readLogPage(ctx: PageContext, query: StoreLogQuery, limit: number, offset: number): Promise<Record<string, unknown>[]> {
  const client = await ctx.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`BEGIN READ ONLY; ${SORT_FREE}`);
    try {
      const rows = await pageSteps(ctx, (text, values) => client.query(text, values), query, limit, offset);
      await client.query("COMMIT");
      return rows;
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: unknown) => {
        broken = rollbackError as Error;
      });
      throw error;
    }
  } finally {
    client.release(broken);
  }
}

type Query = (text: string, values?: unknown[]) => Promise<PgQueryResultLike>;

/**
 * The filter and bounds with only `indexed` servable by an index: every other condition is
 * an expression (`id + 0`, `column || ''`), so the planner cannot pick another index for it.
 */
function onlyIndexed(filter: StoreLogQuery & Bounds, text: TextClauseOptions, indexed: "text" | "time"): { sql: string; params: unknown[] } {
  const base = whereClause(indexed === "text" ? { text: filter.text } : { fromUs: filter.fromUs, toUs: filter.toUs }, text);
  const params = [...base.params];
  const conditions = base.sql === "" ? [] : [base.sql.replace(/^WHERE /, "")];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  if (indexed === "text") {
    if (filter.fromUs !== undefined) conditions.push(`time_us + 0 >= ${param(filter.fromUs)}`);
    if (filter.toUs !== undefined) conditions.push(`time_us + 0 <= ${param(filter.toUs)}`);
  } else if (filter.text !== undefined && filter.text !== "") {
    conditions.push(textNotIndexed(filter.text, text, param));
  }
  if (filter.user !== undefined) conditions.push(`user_name || '' = ${param(filter.user)}`);
  if (filter.levels !== undefined) conditions.push(`level || '' = ANY(${param(filter.levels)}::text[])`);
  if (filter.categories !== undefined) conditions.push(`category || '' = ANY(${param(filter.categories)}::text[])`);
  if (filter.afterId !== undefined) conditions.push(`id + 0 > ${param(filter.afterId)}`);
  if (filter.beforeId !== undefined) conditions.push(`id + 0 < ${param(filter.beforeId)}`);
  if (filter.maxId !== undefined) conditions.push(`id + 0 <= ${param(filter.maxId)}`);
  return { sql: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", params };
}

/**
 * The text rule's conditions (`whereClause`'s), with `ILIKE` on `message || ''`: it still rejects
 * most rows cheaply before the exact test, but the trigram index cannot serve it.
 */
function textNotIndexed(value: string, text: TextClauseOptions, param: (value: unknown) => string): string {
  const own = whereClause({ text: value }, text);
  return own.sql
    .replace(/^WHERE /, "")
    .replace(/\bmessage ILIKE\b/, "(message || '') ILIKE")
    .replace(/\$(\d+)/g, (_m, i: string) => param(own.params[Number(i) - 1]));
}

/** A sort-free walk whose text cannot use the trigram index. */
function walkWithoutTrigram(ctx: PageContext, filter: StoreLogQuery & Bounds, order: "asc" | "desc", n: number): { sql: string; params: unknown[] } {
  const { text: value, ...rest } = filter;
  const where = whereClause(rest, ctx.text);
  const params = [...where.params];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const conditions = where.sql === "" ? [] : [where.sql.replace(/^WHERE /, "")];
  if (value !== undefined && value !== "") conditions.push(textNotIndexed(value, ctx.text, param));
  return {
    sql: `SELECT ${ctx.columns} FROM ${ctx.table} ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""} ORDER BY id ${order === "asc" ? "ASC" : "DESC"} LIMIT ${n}`,
    params,
  };
}

/** The sort-free walk (the transaction's default settings). */
async function walk(ctx: PageContext, q: Query, query: StoreLogQuery, limit: number, offset: number): Promise<Record<string, unknown>[]> {
  const where = whereClause(query, ctx.text);
  const { rows } = await q(
    `SELECT ${ctx.columns} FROM ${ctx.table} ${where.sql}
     ORDER BY id ${query.order === "asc" ? "ASC" : "DESC"} LIMIT ${limit}${offset > 0 ? ` OFFSET ${offset}` : ""}`,
    where.params,
  );
  return rows;
}

/** A page read through one index (`text`: trigram; `time`: the time index), then sorted. */
async function throughIndex(ctx: PageContext, q: Query, filter: StoreLogQuery & Bounds, indexed: "text" | "time", order: "asc" | "desc", n: number, offset: number): Promise<Record<string, unknown>[]> {
  await q(INDEX_THEN_SORT);
  const where = onlyIndexed(filter, ctx.text, indexed);
  const { rows } = await q(
    `SELECT ${ctx.columns} FROM ${ctx.table} ${where.sql} ORDER BY id ${order === "asc" ? "ASC" : "DESC"} LIMIT ${n}${offset > 0 ? ` OFFSET ${offset}` : ""}`,
    where.params,
  );
  return rows;
}


async function pageSteps(ctx: PageContext, q: Query, query: StoreLogQuery, limit: number, offset: number): Promise<Record<string, unknown>[]> {
  const n = limit + offset;
  const twoSteps = ctx.trigram && ctx.text.ilikePrefilter !== false && query.text !== undefined && query.text !== "";
  const timed = query.fromUs !== undefined || query.toUs !== undefined;
  if (!twoSteps && !timed) return walk(ctx, q, query, limit, offset);
  // The ids the page may come from: [lo, hi], within the ids that exist now.
  const ends = await q(`SELECT (SELECT min(id) FROM ${ctx.table}) AS lo, (SELECT max(id) FROM ${ctx.table}) AS hi`);
  const first = ends.rows[0] as { lo: string | number | null; hi: string | number | null } | undefined;
  if (first?.lo === null || first?.lo === undefined || first.hi === null) return [];
  const lo = Math.max(Number(first.lo), (query.afterId ?? 0) + 1);
  let hi = Number(first.hi);
  if (query.beforeId !== undefined) hi = Math.min(hi, query.beforeId - 1);
  if (query.maxId !== undefined) hi = Math.min(hi, query.maxId);
  if (lo > hi) return [];
  const { afterId: _a, beforeId: _b, maxId: _m, ...filter } = query;
  // Step 1: the window of ids nearest the page's start, walked in order, no trigram index.
  const window: Bounds =
    query.order === "desc" ? { afterId: Math.max(lo - 1, hi - TEXT_WINDOW), maxId: hi } : { afterId: lo - 1, maxId: Math.min(hi, lo + TEXT_WINDOW - 1) };
  const recent = walkWithoutTrigram(ctx, { ...filter, ...window }, query.order, n);
  const found = (await q(recent.sql, recent.params)).rows;
  const windowCoversAll = query.order === "desc" ? (window.afterId as number) <= lo - 1 : (window.maxId as number) >= hi;
  if (found.length >= n || windowCoversAll) return found.slice(offset, n);
  // Step 2: the rest of the ids.
  const rest: StoreLogQuery & Bounds = {
    ...filter,
    ...(query.order === "desc" ? { afterId: lo - 1, maxId: window.afterId as number } : { afterId: window.maxId as number, maxId: hi }),
  };
  const wanted = n - found.length;
  if (timed) {
    // How many rows the time range holds, up to TIME_RANGE_ROWS, counted in the time index alone.
    const probe = onlyIndexed({ fromUs: query.fromUs, toUs: query.toUs } as StoreLogQuery, ctx.text, "time");
    await q(TIME_PROBE);
    const counted = await q(`SELECT count(*) AS n FROM (SELECT 1 FROM ${ctx.table} ${probe.sql} LIMIT ${TIME_RANGE_ROWS}) AS r`, probe.params);
    const inRange = Number((counted.rows[0] as { n: string | number } | undefined)?.n ?? 0);
    if (inRange < TIME_RANGE_ROWS) return found.concat(await throughIndex(ctx, q, rest, "time", query.order, wanted, 0)).slice(offset, n);
    await q(WALK_AFTER_PROBE);
  }
  // Through the trigram index: few candidates, since the window held fewer than n.
  const more = twoSteps ? await throughIndex(ctx, q, rest, "text", query.order, wanted, 0) : await walk(ctx, q, { ...rest, order: query.order, limit: wanted }, wanted, 0);
  return found.concat(more).slice(offset, n);
}
