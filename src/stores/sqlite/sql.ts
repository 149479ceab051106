/**
 * Query shapes for log reads, counts and deletes. One function turns a filter into SQL whose
 * plan is chosen here rather than left to chance, so every seed query walks an index in id
 * order and stops at `limit` instead of sorting the table.
 *
 * @module
 */
import type { StoreLogFilter } from "../../types.js";
import { likePattern, sqlCount } from "../../store-kit/text.js";

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
  /**
   * The read is confined to one id window at a time: time predicates are then pinned too
   * (`+`), so the id range drives every plan and bounds its cost, and `text` is checked row
   * by row (`LIKE`) instead of through the trigram index.
   */
  windowed?: boolean;
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
function chooseDriver(filter: StoreLogFilter, ctx: ShapeContext): Driver {
  // A window never reads the trigram index: FTS5 loads a phrase's whole posting lists for
  // every statement, whatever rowid range it is given, so windows would repeat that cost.
  if (usesTrigram(filter.text) && ctx.windowed !== true) return FTS;
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
  // An empty list of levels or categories matches nothing (the store contract; the hub never
  // sends one, a direct caller may).
  if (filter.categories?.length === 0 || filter.levels?.length === 0) where.push("0");
  const time = ctx.timeAsIds || ctx.windowed === true ? "+l.time_us" : "l.time_us";
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
  page: { order: "asc" | "desc"; limit: number; offset: number; boundLimit?: boolean },
  range: IdRange,
  ctx: ShapeContext,
): SqlText {
  const driver = chooseDriver(filter, ctx);
  const dir = page.order === "asc" ? "ASC" : "DESC";
  // The limit is written into the SQL: SQLite runs `LIMIT 20` measurably faster than a bound
  // `LIMIT ?` (a page costs about a third more otherwise), and page sizes are few and
  // bounded, so the statement cache holds them. Offsets vary, so they stay bound, and so does
  // a limit that grows with the offset (`boundLimit`, for windowed reads).
  const limit = sqlCount(page.limit, "limit", 1);
  const head = page.boundLimit ? " LIMIT ?" : ` LIMIT ${limit}`;
  const headParams = page.boundLimit ? [limit] : [];
  const tail = page.offset > 0 ? `${head} OFFSET ?` : head;
  const tailParams = page.offset > 0 ? [...headParams, page.offset] : headParams;
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

/**
 * Whether a read must look at rows the page may not keep (a filter other than id or time
 * bounds): its cost then depends on how the matches are spread, not only on `limit`, and the
 * store reads it window by window (see `SqliteStore`).
 */
export function examinesRows(filter: StoreLogFilter, ctx: ShapeContext): boolean {
  return (
    filter.text !== undefined ||
    filter.user !== undefined ||
    (filter.categories?.length ?? 0) > 0 ||
    (filter.levels?.length ?? 0) > 0 ||
    (!ctx.timeAsIds && (filter.fromUs !== undefined || filter.toUs !== undefined))
  );
}

/**
 * `FROM ... WHERE ...` for counting: order does not matter, but the index is still named, so
 * the plan never depends on statistics. Text drives through the trigram index; otherwise the
 * most selective equality filter's index (several values: one `IN` over it); otherwise ids.
 */
function unorderedSource(filter: StoreLogFilter, range: IdRange, ctx: ShapeContext): SqlText {
  if (usesTrigram(filter.text) && ctx.windowed !== true) return source(filter, FTS, undefined, range, ctx);
  const column =
    filter.user !== undefined ? "user" : filter.categories?.length ? "category" : filter.levels?.length ? "level" : undefined;
  if (column === undefined) {
    const rest = residual(filter, ROWID, range, ctx, "l.id", true);
    return { sql: `FROM log_records l WHERE ${rest.sql}`, params: rest.params };
  }
  const values = column === "user" ? [filter.user as string] : column === "category" ? (filter.categories as string[]) : (filter.levels as string[]);
  const rest = residual(filter, { kind: "index", column, values }, range, ctx, "l.id", true);
  return {
    sql: `FROM log_records l INDEXED BY log_records_${column} WHERE l.${column} IN (${placeholders(values.length)}) AND ${rest.sql}`,
    params: [...values, ...rest.params],
  };
}

/** How many records match. */
export function countShape(filter: StoreLogFilter, range: IdRange, ctx: ShapeContext): SqlText {
  const from = unorderedSource(filter, range, ctx);
  return { sql: `SELECT count(*) AS n ${from.sql}`, params: from.params };
}

/**
 * Deletes the matching records. Text goes through `id IN (trigram matches)`, a single-table
 * statement: every plan SQLite may pick for it is linear, none quadratic.
 */
export function deleteShape(filter: StoreLogFilter, range: IdRange, ctx: ShapeContext): SqlText {
  if (usesTrigram(filter.text) && ctx.windowed !== true) {
    const rest = residual(filter, FTS, range, ctx, "l.id", true);
    return {
      sql:
        "DELETE FROM log_records AS l WHERE l.id IN (SELECT rowid FROM log_records_fts WHERE log_records_fts MATCH ?) " +
        `AND ${rest.sql}`,
      params: [ftsPhrase(filter.text as string), ...rest.params],
    };
  }
  const from = unorderedSource(filter, range, ctx);
  return { sql: `DELETE FROM log_records WHERE id IN (SELECT l.id ${from.sql})`, params: from.params };
}
