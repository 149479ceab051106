/**
 * Log filters -> a parameterised WHERE clause. Values always travel as parameters.
 *
 * @module
 */
import type { StoreLogFilter, StoreLogQuery } from "../../types.js";
import { likePattern } from "../sql.js";

/** A WHERE clause (possibly empty) and its parameters, numbered from `$1`. */
export interface WhereClause {
  /** `WHERE ...` or the empty string. */
  sql: string;
  /** Parameter values, in order. */
  params: unknown[];
}

/** Builds the conditions of a filter, plus the id bounds of a query when given. */
export function whereClause(filter: StoreLogFilter & Partial<Pick<StoreLogQuery, "beforeId" | "afterId" | "maxId">>): WhereClause {
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
    conditions.push(`message ILIKE ${param(likePattern(filter.text))}`);
  }
  if (filter.beforeId !== undefined) conditions.push(`id < ${param(filter.beforeId)}`);
  if (filter.afterId !== undefined) conditions.push(`id > ${param(filter.afterId)}`);
  if (filter.maxId !== undefined) conditions.push(`id <= ${param(filter.maxId)}`);
  return { sql: conditions.length ? `WHERE ${conditions.join(" AND ")}` : "", params };
}
