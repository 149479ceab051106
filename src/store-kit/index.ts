/**
 * `log-event-hub/store-kit`: the helpers a store author needs, in one place, the same ones the
 * library's own memory, SQLite and PostgreSQL stores use.
 *
 * - **Filter compilation**: {@link compileLogFilter} turns the normalised filter the hub hands a
 *   store into a list of conditions (to render as SQL); {@link logFilterPredicate} into one
 *   predicate (for a store that scans).
 * - **The text rule**: {@link textMatcher} (literal substring, ASCII-only case folding: `ſ`,
 *   `İ`, the Kelvin sign and `é` equal only themselves), {@link foldAsciiCase},
 *   {@link forbiddenCharacter}; for SQL, {@link escapeLike} and {@link likePattern}.
 * - **Record mapping**: {@link toLogRecord} and {@link toStoredEvent} for what an append
 *   returns; {@link logRecordFromColumns} and {@link storedEventFromColumns} for rows.
 * - **Visibility**: {@link visibleUsers} and {@link isVisible}: a reader sees its own events and
 *   `all`'s.
 *
 * The contract itself (`Store` and its types) is exported from the package root.
 *
 * @example
 * ```ts
 * import { logFilterPredicate, toLogRecord } from "log-event-hub/store-kit";
 *
 * const records = [toLogRecord(1, { timeUs: 1_700_000_000_000_000, level: "INFO", category: "system", user: "system", message: "Hub STARTED" })];
 * const matches = logFilterPredicate({ text: "started", levels: ["INFO"] });
 * console.log(records.filter(matches).length); // 1
 * ```
 *
 * @packageDocumentation
 */
export { compileLogFilter, logFilterPredicate } from "./filter.js";
export type { IdCondition, LogCondition, LogFilterWithIds, OneOfCondition, TextCondition, TimeCondition, UserCondition } from "./filter.js";
export { escapeLike, foldAsciiCase, forbiddenCharacter, likePattern, sqlCount, textMatcher } from "./text.js";
export type { TextFieldKind } from "./text.js";
export { columnNumber, logRecordFromColumns, storedEventFromColumns, toLogRecord, toStoredEvent } from "./records.js";
export type { NumericColumn } from "./records.js";
export { isVisible, visibleUsers } from "./visibility.js";
export { ALL_USERS } from "../types.js";
