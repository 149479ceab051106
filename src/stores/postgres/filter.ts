/**
 * Log filters -> a parameterised WHERE clause. Values always travel as parameters.
 *
 * @module
 */
import { compileLogFilter, type LogFilterWithIds } from "../../store-kit/index.js";

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
export function whereClause(filter: LogFilterWithIds, options: TextClauseOptions = {}): WhereClause {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // One value compares with `=` so the planner uses the (column, id) index for "newest first".
  const oneOf = (column: string, values: readonly string[]) =>
    values.length === 1 ? `${column} = ${param(values[0])}` : `${column} = ANY(${param(values)}::text[])`;

  for (const condition of compileLogFilter(filter)) {
    switch (condition.kind) {
      case "time":
        if (condition.from !== undefined) conditions.push(`time_us >= ${param(condition.from)}`);
        if (condition.to !== undefined) conditions.push(`time_us <= ${param(condition.to)}`);
        break;
      case "user":
        conditions.push(`user_name = ${param(condition.value)}`);
        break;
      case "level":
        conditions.push(oneOf("level", condition.values));
        break;
      case "category":
        conditions.push(oneOf("category", condition.values));
        break;
      case "text":
        // The text rule (ASCII case folding only) decided exactly by translate + strpos; ILIKE
        // folds more (the Kelvin sign is a k), so it only narrows candidates through the index.
        if (options.ilikePrefilter !== false) conditions.push(`message ILIKE ${param(condition.like)}`);
        conditions.push(`strpos(translate(message, '${ASCII_UPPER}', '${ASCII_LOWER}'), ${param(condition.folded)}) > 0`);
        break;
      case "id":
        if (condition.before !== undefined) conditions.push(`id < ${param(condition.before)}`);
        if (condition.after !== undefined) conditions.push(`id > ${param(condition.after)}`);
        if (condition.atMost !== undefined) conditions.push(`id <= ${param(condition.atMost)}`);
        break;
    }
  }
  return { sql: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", params };
}
