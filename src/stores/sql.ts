/**
 * SQL text helpers shared by the SQLite and PostgreSQL stores.
 *
 * @module
 */

/**
 * Escapes LIKE metacharacters with a backslash so `text` matches literally (PostgreSQL's
 * default LIKE escape; SQLite needs `ESCAPE '\'`).
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, "\\$&");
}

/** A LIKE pattern matching `text` literally anywhere (see {@link escapeLike}). */
export function likePattern(text: string): string {
  return `%${escapeLike(text)}%`;
}

/** A count safe to write into SQL: a safe integer >= `min`, or a TypeError (never injected text). */
export function sqlCount(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new TypeError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}
