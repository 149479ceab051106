/**
 * Query shapes for log reads, counts and deletes. One function turns a filter into SQL whose
 * plan is chosen here rather than left to chance, so every seed query walks an index in id
 * order and stops at `limit` instead of sorting the table.
 *
 * @module
 */
import type { StoreLogFilter } from "../../types.js";
import { likePattern, sqlCount } from "../sql.js";

/** Inclusive id range a read is confined to (from keyset paging or translated time bounds). */
export interface IdRange {
  lo?: number;
  hi?: number;
}

/** SQL plus its positional parameters. */
export interface SqlText {
  sql: string;
  params: unknown[];
}

/** How a shape treats the time filter. */
export interface ShapeContext {
  /**
   * Times never go backwards in id order, and the time bounds were already turned into
   * {@link IdRange} bounds; time predicates then only double-check.
   */
  timeAsIds: boolean;
}

const COLUMNS = "l.id, l.time_us, l.level, l.category, l.user, l.message";

/** The shortest `text` the trigram index can answer (in code points). */
export const TRIGRAM_MIN = 3;

/** Whether `text` goes through the FTS5 trigram index. */
export function usesTrigram(text: string | undefined): text is string {
  return text !== undefined && [...text].length >= TRIGRAM_MIN;
}

/** An FTS5 query that matches `text` as one literal phrase: everything inside quotes is data. */
export function ftsPhrase(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

type Driver =
  | { kind: "fts" }
  | { kind: "index"; column: "user" | "category" | "level"; values: readonly string[] }
  | { kind: "rowid" };

const FTS: Driver = { kind: "fts" };
const ROWID: Driver = { kind: "rowid" };

// Most selective first: a user names few rows, a category more, a level most.
function chooseDriver(filter: StoreLogFilter): Driver {
  if (usesTrigram(filter.text)) return FTS;
  if (filter.user !== undefined) return { kind: "index", column: "user", values: [filter.user] };
  if (filter.categories?.length) return { kind: "index", column: "category", values: filter.categories };
  // Several levels (of only three) usually match a large share of the table: walking ids and
  // checking the level stops at `limit` sooner than merging one index walk per level.
  if (filter.levels?.length === 1) return { kind: "index", column: "level", values: filter.levels };
  return ROWID;
}

function placeholders(n: number): string {
  return Array.from({ length: n }, () => "?").join(", ");
}

/**
 * The predicates a shape checks row by row. With `pinned`, `+` keeps SQLite from picking
 * another index for user, category and level, so the driver's id-ordered walk stays the plan;
 * without, SQLite may choose their indexes itself.
 */
function residual(
  filter: StoreLogFilter,
  skip: Driver,
  range: IdRange,
  ctx: ShapeContext,
  idColumn: string,
  pinned: boolean,
): SqlText {
  const where: string[] = [];
  const params: unknown[] = [];
  if (range.lo !== undefined) {
    where.push(`${idColumn} >= ?`);
    params.push(range.lo);
  }
  if (range.hi !== undefined) {
    where.push(`${idColumn} <= ?`);
    params.push(range.hi);
  }
  const columnIsDriver = (c: string) => skip.kind === "index" && skip.column === c;
  if (filter.user !== undefined && !columnIsDriver("user")) {
    where.push(pinned ? "+l.user = ?" : "l.user = ?");
    params.push(filter.user);
  }
  if (filter.categories?.length && !columnIsDriver("category")) {
    where.push(`${pinned ? "+l.category" : "l.category"} IN (${placeholders(filter.categories.length)})`);
    params.push(...filter.categories);
  }
  if (filter.levels?.length && !columnIsDriver("level")) {
    where.push(`${pinned ? "+l.level" : "l.level"} IN (${placeholders(filter.levels.length)})`);
    params.push(...filter.levels);
  }
  const time = ctx.timeAsIds ? "+l.time_us" : "l.time_us";
  if (filter.fromUs !== undefined) {
    where.push(`${time} >= ?`);
    params.push(filter.fromUs);
  }
  if (filter.toUs !== undefined) {
    where.push(`${time} <= ?`);
    params.push(filter.toUs);
  }
  if (filter.text !== undefined) {
    // LIKE folds ASCII case only: exactly the text rule. Behind the trigram index (which folds
    // more) it re-checks each candidate, so both paths answer the same.
    where.push("l.message LIKE ? ESCAPE '\\'");
    params.push(likePattern(filter.text));
  }
  return { sql: where.length ? where.join(" AND ") : "1", params };
}

/** `FROM ... WHERE ...` for a driver and one of its values (index drivers branch per value). */
function source(filter: StoreLogFilter, driver: Driver, value: string | undefined, range: IdRange, ctx: ShapeContext): SqlText {
  if (driver.kind === "fts") {
    const rest = residual(filter, driver, range, ctx, "f.rowid", true);
    return {
      sql: `FROM log_records_fts f CROSS JOIN log_records l ON l.id = f.rowid WHERE f.log_records_fts MATCH ? AND ${rest.sql}`,
      params: [ftsPhrase(filter.text as string), ...rest.params],
    };
  }
  if (driver.kind === "index") {
    const rest = residual(filter, driver, range, ctx, "l.id", true);
    return {
      sql: `FROM log_records l INDEXED BY log_records_${driver.column} WHERE l.${driver.column} = ? AND ${rest.sql}`,
      params: [value, ...rest.params],
    };
  }
  const rest = residual(filter, driver, range, ctx, "l.id", true);
  return { sql: `FROM log_records l WHERE ${rest.sql}`, params: rest.params };
}

/** A page of records in id order. */
export function selectShape(
  filter: StoreLogFilter,
  page: { order: "asc" | "desc"; limit: number; offset: number },
  range: IdRange,
  ctx: ShapeContext,
): SqlText {
  const driver = chooseDriver(filter);
  const dir = page.order === "asc" ? "ASC" : "DESC";
  // The limit is written into the SQL: SQLite runs `LIMIT 20` measurably faster than a bound
  // `LIMIT ?` (a page costs about a third more otherwise), and page sizes are few and
  // bounded, so the statement cache holds them. Offsets vary, so they stay bound.
  const limit = sqlCount(page.limit, "limit", 1);
  const tail = page.offset > 0 ? ` LIMIT ${limit} OFFSET ?` : ` LIMIT ${limit}`;
  const tailParams = page.offset > 0 ? [page.offset] : [];
  if (driver.kind === "index" && driver.values.length > 1) {
    // One id-ordered walk per value, merged: no sort of every match.
    const branches = driver.values.map((v) => source(filter, driver, v, range, ctx));
    return {
      sql:
        branches.map((b) => `SELECT * FROM (SELECT ${COLUMNS} ${b.sql} ORDER BY l.id ${dir} LIMIT ?)`).join(" UNION ALL ") +
        ` ORDER BY id ${dir}${tail}`,
      params: [...branches.flatMap((b) => [...b.params, page.limit + page.offset]), ...tailParams],
    };
  }
  const from = source(filter, driver, driver.kind === "index" ? driver.values[0] : undefined, range, ctx);
  const orderColumn = driver.kind === "fts" ? "f.rowid" : "l.id";
  return {
    sql: `SELECT ${COLUMNS} ${from.sql} ORDER BY ${orderColumn} ${dir}${tail}`,
    params: [...from.params, ...tailParams],
  };
}

/** `FROM ... WHERE ...` for counting or deleting: order does not matter, SQLite picks the index. */
function unorderedSource(filter: StoreLogFilter, range: IdRange, ctx: ShapeContext): SqlText {
  if (usesTrigram(filter.text)) return source(filter, FTS, undefined, range, ctx);
  const rest = residual(filter, ROWID, range, ctx, "l.id", false);
  return { sql: `FROM log_records l WHERE ${rest.sql}`, params: rest.params };
}

/** How many records match. */
export function countShape(filter: StoreLogFilter, range: IdRange, ctx: ShapeContext): SqlText {
  const from = unorderedSource(filter, range, ctx);
  return { sql: `SELECT count(*) AS n ${from.sql}`, params: from.params };
}

/** Deletes the matching records. */
export function deleteShape(filter: StoreLogFilter, range: IdRange, ctx: ShapeContext): SqlText {
  const from = unorderedSource(filter, range, ctx);
  return { sql: `DELETE FROM log_records WHERE id IN (SELECT l.id ${from.sql})`, params: from.params };
}
