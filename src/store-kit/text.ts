/**
 * The text rule for store authors: literal matching with ASCII-only case folding, and LIKE
 * escaping for SQL stores.
 *
 * @module
 */
export { foldAsciiCase, forbiddenCharacter, textMatcher } from "../logs/text.js";
export type { TextFieldKind } from "../logs/text.js";

/**
 * Escapes LIKE metacharacters (`%`, `_` and the escape character `\` itself) with a backslash,
 * so `text` matches literally. PostgreSQL's LIKE uses `\` as its escape by default; SQLite
 * needs `LIKE ? ESCAPE '\'`.
 *
 * @example
 * ```ts
 * import { escapeLike } from "log-event-hub/store-kit";
 * escapeLike("100%_done\\"); // "100\\%\\_done\\\\"
 * ```
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/**
 * A LIKE pattern matching `text` literally anywhere in a value (see {@link escapeLike}).
 * SQLite's `LIKE` folds ASCII letters only, so `message LIKE likePattern(text) ESCAPE '\'` is
 * exactly the text rule there; PostgreSQL's `ILIKE` folds more (the Kelvin sign is a `k`), so
 * use it there only to narrow candidates, and decide with {@link foldAsciiCase} (see the
 * PostgreSQL store: `strpos(translate(message, 'A..Z', 'a..z'), folded) > 0`).
 */
export function likePattern(text: string): string {
  return `%${escapeLike(text)}%`;
}

/**
 * A count safe to write into SQL text: a safe integer `>= min`, or a `TypeError` (so nothing
 * but digits ever reaches the statement).
 */
export function sqlCount(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}
