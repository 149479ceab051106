/**
 * Spreadsheet formula-injection guard for CSV fields (OWASP "CSV Injection").
 *
 * @module
 */

/**
 * First characters that make Excel, LibreOffice or Google Sheets read a cell as a formula:
 * `=`, `+`, `-`, `@`, tab and carriage return. Only the first character counts, and the test
 * ignores what follows, so a value that also holds line breaks is caught too (papaparse's own
 * `escapeFormulae` pattern, `/^[=+\-@\t\r].*$/`, misses such values because `.` stops at `\n`).
 */
const FORMULA_TRIGGER = /^[=+\-@\t\r]/;

/**
 * Neutralises a field a user can influence: a value starting with a formula trigger gets a
 * leading `'`, which spreadsheets show as text and never evaluate. Anything else is returned
 * unchanged (a `-` inside a message, `x -1 y`, stays as it is).
 */
export function escapeFormula(value: string): string {
  return FORMULA_TRIGGER.test(value) ? `'${value}` : value;
}
