/**
 * The `text` filter's meaning, shared by the stores that match in JavaScript: a literal,
 * Unicode case-insensitive substring of the message.
 *
 * @module
 */

/** A pattern matching `text` literally anywhere, ignoring case (regex metacharacters are plain). */
export function literalTextPattern(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "iu");
}
