/**
 * Filter compilation for store authors: a {@link StoreLogQuery}'s conditions as a normalised
 * list (to render as SQL or anything else), and as one predicate over records (for stores that
 * scan).
 *
 * @module
 */
import { foldAsciiCase, textMatcher } from "../logs/text.js";
import type { LogRecord, StoreLogFilter, StoreLogQuery } from "../types.js";
import { likePattern } from "./text.js";

/** A filter with the id bounds a query may add. */
export type LogFilterWithIds = StoreLogFilter & Partial<Pick<StoreLogQuery, "beforeId" | "afterId" | "maxId">>;

/**
 * One condition of a log filter; a record matches when it meets every condition.
 *
 * - `time`: `timeUs >= from` and/or `timeUs <= to` (inclusive).
 * - `user`: exactly `value`.
 * - `level`, `category`: any of `values` (an empty list matches no record; the hub never sends one).
 * - `text`: the message contains `text` literally after ASCII case folding (the text rule);
 *   `folded` is `text` folded, `like` its escaped LIKE pattern (see `likePattern`).
 * - `id`: `id > after`, `id < before`, `id <= atMost` (whichever are set).
 */
export type LogCondition =
  | { kind: "time"; from?: number; to?: number }
  | { kind: "user"; value: string }
  | { kind: "level"; values: readonly string[] }
  | { kind: "category"; values: readonly string[] }
  | { kind: "text"; text: string; folded: string; like: string }
  | { kind: "id"; after?: number; before?: number; atMost?: number };

/**
 * The filter's conditions, normalised: absent fields and an empty `text` (which every message
 * contains) leave no condition, so no condition at all means "every record". Conditions come in a fixed
 * order (time, user, level, category, text, id).
 */
export function compileLogFilter(filter: LogFilterWithIds): LogCondition[] {
  const out: LogCondition[] = [];
  if (filter.fromUs !== undefined || filter.toUs !== undefined) {
    out.push({
      kind: "time",
      ...(filter.fromUs !== undefined && { from: filter.fromUs }),
      ...(filter.toUs !== undefined && { to: filter.toUs }),
    });
  }
  if (filter.user !== undefined) out.push({ kind: "user", value: filter.user });
  if (filter.levels !== undefined) out.push({ kind: "level", values: filter.levels });
  if (filter.categories !== undefined) out.push({ kind: "category", values: filter.categories });
  if (filter.text !== undefined && filter.text !== "") {
    out.push({ kind: "text", text: filter.text, folded: foldAsciiCase(filter.text), like: likePattern(filter.text) });
  }
  if (filter.afterId !== undefined || filter.beforeId !== undefined || filter.maxId !== undefined) {
    out.push({
      kind: "id",
      ...(filter.afterId !== undefined && { after: filter.afterId }),
      ...(filter.beforeId !== undefined && { before: filter.beforeId }),
      ...(filter.maxId !== undefined && { atMost: filter.maxId }),
    });
  }
  return out;
}

/** One predicate for a filter (each condition prepared once), so a scan tests each record once. */
export function logFilterPredicate(filter: LogFilterWithIds): (record: LogRecord) => boolean {
  const tests = compileLogFilter(filter).map(conditionTest);
  if (tests.length === 0) return () => true;
  return (record) => {
    for (const test of tests) if (!test(record)) return false;
    return true;
  };
}

function conditionTest(condition: LogCondition): (record: LogRecord) => boolean {
  switch (condition.kind) {
    case "time": {
      const { from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY } = condition;
      return (r) => r.timeUs >= from && r.timeUs <= to;
    }
    case "user": {
      const { value } = condition;
      return (r) => r.user === value;
    }
    case "level":
    case "category": {
      const values = new Set(condition.values);
      return condition.kind === "level" ? (r) => values.has(r.level) : (r) => values.has(r.category);
    }
    case "text": {
      const contains = textMatcher(condition.text);
      return (r) => contains(r.message);
    }
    case "id": {
      const { after = Number.NEGATIVE_INFINITY, before = Number.POSITIVE_INFINITY, atMost = Number.POSITIVE_INFINITY } = condition;
      return (r) => r.id > after && r.id < before && r.id <= atMost;
    }
  }
}
