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

/** Inclusive time bounds: `timeUs >= from` and/or `timeUs <= to`. */
export interface TimeCondition {
  /** Which condition. */
  kind: "time";
  /** Lower bound, epoch microseconds (inclusive), when set. */
  from?: number;
  /** Upper bound, epoch microseconds (inclusive), when set. */
  to?: number;
}

/** The record's user is exactly `value`. */
export interface UserCondition {
  /** Which condition. */
  kind: "user";
  /** The user name. */
  value: string;
}

/** The record's level or category is any of `values` (an empty list matches no record; the hub never sends one). */
export interface OneOfCondition {
  /** Which field: `level` or `category`. */
  kind: "level" | "category";
  /** The accepted values (upper-case levels, lower-case categories). */
  values: readonly string[];
}

/** The message contains `text` literally after ASCII case folding (the text rule). */
export interface TextCondition {
  /** Which condition. */
  kind: "text";
  /** The text as given. */
  text: string;
  /** `text` with `A`-`Z` folded to `a`-`z` (compare with a message folded the same way). */
  folded: string;
  /** `text` as an escaped LIKE pattern matching anywhere (`%...%`, `\` escapes). */
  like: string;
}

/** Id bounds of a page: `id > after`, `id < before`, `id <= atMost` (whichever are set). */
export interface IdCondition {
  /** Which condition. */
  kind: "id";
  /** Only ids above this (keyset paging forwards). */
  after?: number;
  /** Only ids below this (keyset paging backwards). */
  before?: number;
  /** Only ids up to this (a snapshot bound). */
  atMost?: number;
}

/** One condition of a log filter; a record matches when it meets every condition. */
export type LogCondition = TimeCondition | UserCondition | OneOfCondition | TextCondition | IdCondition;

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

/**
 * One predicate for a filter (each part prepared once), so a scan tests each record once. It
 * means exactly what {@link compileLogFilter}'s conditions mean; it is written as one closure
 * because a scanning store calls it for every record.
 */
export function logFilterPredicate(filter: LogFilterWithIds): (record: LogRecord) => boolean {
  const { fromUs, toUs, user, levels, categories, text, afterId, beforeId, maxId } = filter;
  const levelSet = levels ? new Set<string>(levels) : undefined;
  const categorySet = categories ? new Set(categories) : undefined;
  const containsText = text !== undefined && text !== "" ? textMatcher(text) : undefined;
  const hasIds = afterId !== undefined || beforeId !== undefined || maxId !== undefined;
  return (r) =>
    (fromUs === undefined || r.timeUs >= fromUs) &&
    (toUs === undefined || r.timeUs <= toUs) &&
    (user === undefined || r.user === user) &&
    (levelSet === undefined || levelSet.has(r.level)) &&
    (categorySet === undefined || categorySet.has(r.category)) &&
    (containsText === undefined || containsText(r.message)) &&
    (!hasIds || ((afterId === undefined || r.id > afterId) && (beforeId === undefined || r.id < beforeId) && (maxId === undefined || r.id <= maxId)));
}
