/**
 * Log filters -> a parameterised WHERE clause. Values always travel as parameters.
 *
 * @module
 */
import type { StoreLogFilter, StoreLogQuery } from "../../types.js";
import { foldAsciiCase } from "../../logs/text.js";
import { likePattern } from "../sql.js";

/** A WHERE clause (possibly empty) and its parameters, numbered from `$1`. */
export interface WhereClause {
  /** `WHERE ...` or the empty string. */
  sql: string;
  /** Parameter values, in order. */
  params: unknown[];
}

/** How the text rule is written for this database. */
export interface TextClauseOptions {
  /**
   * Add `message ILIKE` before the exact test, so the trigram index narrows the candidates.
   * Only sound when the database's `lower()` folds ASCII letters to ASCII and character by
   * character (every libc locale but Turkish and Azeri); checked once at open.
   * @default true
   */
  ilikePrefilter?: boolean;
}

const ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz";

/** Builds the conditions of a filter, plus the id bounds of a query when given. */
export function whereClause(
  filter: StoreLogFilter & Partial<Pick<StoreLogQuery, "beforeId" | "afterId" | "maxId">>,
  options: TextClauseOptions = {},
): WhereClause {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // One value compares with `=` so the planner uses the (column, id) index for "newest first".
  const oneOf = (column: string, values: readonly string[]) =>
    values.length === 1 ? `${column} = ${param(values[0])}` : `${column} = ANY(${param(values)}::text[])`;

  if (filter.fromUs !== undefined) conditions.push(`time_us >= ${param(filter.fromUs)}`);
  if (filter.toUs !== undefined) conditions.push(`time_us <= ${param(filter.toUs)}`);
  if (filter.user !== undefined) conditions.push(`user_name = ${param(filter.user)}`);
  if (filter.levels !== undefined) conditions.push(oneOf("level", filter.levels));
  if (filter.categories !== undefined) conditions.push(oneOf("category", filter.categories));
  if (filter.text !== undefined && filter.text !== "") {
    // The text rule (ASCII case folding only) decided exactly by translate + strpos; ILIKE
    // folds more (the Kelvin sign is a k), so it only narrows candidates through the index.
    if (options.ilikePrefilter !== false) conditions.push(`message ILIKE ${param(likePattern(filter.text))}`);
    conditions.push(`strpos(translate(message, '${ASCII_UPPER}', '${ASCII_LOWER}'), ${param(foldAsciiCase(filter.text))}) > 0`);
  }
  if (filter.beforeId !== undefined) conditions.push(`id < ${param(filter.beforeId)}`);
  if (filter.afterId !== undefined) conditions.push(`id > ${param(filter.afterId)}`);
  if (filter.maxId !== undefined) conditions.push(`id <= ${param(filter.maxId)}`);
  return { sql: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", params };
}
