/**
 * The text rules every store shares: which characters a stored or searched string may hold,
 * and what the `text` filter means.
 *
 * - **Characters**: a string may not hold U+0000-U+0008, U+000B, U+000C, U+000E-U+001F (C0
 *   controls other than tab, line feed and carriage return) or an unpaired UTF-16 surrogate.
 *   PostgreSQL cannot store NUL at all, SQLite's `LIKE` and FTS5 stop at it, and an unpaired
 *   surrogate cannot be encoded as UTF-8, so a store would silently change it. Single-line fields
 *   (user names) refuse tab, line feed and carriage return too.
 * - **Text filter**: a literal substring of the message, compared after **ASCII case folding**
 *   (`A`-`Z` equal `a`-`z`; every other character, `ſ`, `İ` and the Kelvin sign included, only
 *   equals itself, code point by code point). Every store computes exactly this: the memory
 *   store in JavaScript, SQLite with `LIKE` (which folds ASCII only), PostgreSQL with
 *   `translate` and `strpos`, after an index-backed `ILIKE` that only narrows the candidates.
 *
 * @module
 */
import { ValidationError } from "../errors.js";

// C0 controls but tab, LF and CR, or a surrogate half without its partner.
const MULTI_LINE_FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const SINGLE_LINE_FORBIDDEN = /[\u0000-\u001F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** How a field may use line breaks: messages and text filters may; user names may not. */
export type TextFieldKind = "multiLine" | "singleLine";

/** The first character of `value` that the rule refuses, or `undefined` when all are allowed. */
export function forbiddenCharacter(value: string, kind: TextFieldKind = "multiLine"): string | undefined {
  const match = (kind === "multiLine" ? MULTI_LINE_FORBIDDEN : SINGLE_LINE_FORBIDDEN).exec(value);
  return match?.[0];
}

/**
 * Throws a `ValidationError` naming `param` (as the caller spelled it) when `value` holds a
 * character no store can keep; see the module notes for the exact set.
 */
export function checkCharacters(value: string, param: string, kind: TextFieldKind = "multiLine"): string {
  const bad = forbiddenCharacter(value, kind);
  if (bad !== undefined) {
    const code = `U+${bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
    const what = bad.charCodeAt(0) >= 0xd800 ? "an unpaired surrogate" : "a control character";
    throw new ValidationError(`"${param}" contains ${what} (${code}), which is not allowed`, param);
  }
  return value;
}

/** ASCII case folding: `A`-`Z` become `a`-`z`, every other character stays as it is. */
export function foldAsciiCase(value: string): string {
  // Fast path: most text has no upper-case ASCII letter to fold.
  return /[A-Z]/.test(value) ? value.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : value;
}

/**
 * A matcher for the `text` filter: whether a message contains `text` literally, ignoring ASCII
 * case only. The reference every store must agree with.
 */
export function textMatcher(text: string): (message: string) => boolean {
  // One regular expression, no flags: ASCII letters as `[aA]` classes, everything else literal
  // (the `i` flag would fold beyond ASCII). No copy of the message per test.
  const source = text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&").replace(/[A-Za-z]/g, (c) => `[${c.toLowerCase()}${c.toUpperCase()}]`);
  const pattern = new RegExp(source);
  return (message) => pattern.test(message);
}
