/**
 * The suite's reference model: deterministic sample data and the log filter's semantics written
 * out plainly, by the same rules as the library's stores (ASCII-only case folding for text and
 * category names, inclusive time bounds with `timeEnd` covering its whole second).
 *
 * @module
 */
import type { BuiltinLogCategory, Level, LogFilter as AnyLogFilter, LogRecord } from "../types.js";

/** Filters over the built-in categories (what a hub without extra categories accepts). */
export type LogFilter = AnyLogFilter<BuiltinLogCategory>;

export const USERS = ["Anonymous", "system", "alice", "bob"] as const;
export const LEVELS: Level[] = ["INFO", "WARN", "ERROR"];
export const CATEGORIES: BuiltinLogCategory[] = ["container", "image", "import", "export", "backup", "system"];
export const MESSAGES = [
  "Start container (lxc, utest)",
  "Stop container (docker, 08fd4fac14b8, DockerTestAPI)",
  "Finished import container (lxc, utest_import) from (/test/c.tgz) (return=0)",
  "Import task logs are cleared",
  "Download 100% done",
  "Download 100 percent done",
  "snake_case_name created",
  "snakeXcaseXname created",
  "path C:\\temp\\new created",
  "glob *.tgz matched",
  "O'Brien said \"hi\"",
  "regex .^$+?()[]{}| chars",
  "regex a.c abc",
  "Ab",
  "École créée à Zürich",
];
/** Start of the sample, epoch seconds. */
export const T0 = 1_426_613_400;

/** A small deterministic generator so every run sees the same data. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

export function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

/**
 * The text rule's folding, written out code point by code point: only `A`-`Z` fold (to
 * `a`-`z`); `ſ`, the Kelvin sign, `İ` and every other character equal only themselves. The
 * library's `foldAsciiCase` and its stores (`LIKE` in SQLite, `translate` in PostgreSQL) agree.
 */
export function asciiFold(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : ch;
  }
  return out;
}

/** Whether `message` contains `text` under the text rule. */
export function textMatches(message: string, text: string): boolean {
  return asciiFold(message).includes(asciiFold(text));
}

/** The reference semantics of a log filter. */
export function matches(r: LogRecord, f: LogFilter): boolean {
  const asList = (v: unknown) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map((x) => String(x)));
  const levels = asList(f.level)?.map((l) => asciiFold(l).toUpperCase());
  const categories = asList(f.category)?.map(asciiFold);
  return (
    (!f.timeStart || r.timeUs >= f.timeStart * 1e6) &&
    (!f.timeEnd || r.timeUs <= f.timeEnd * 1e6 + 999_999) &&
    (f.user === undefined || r.user === f.user) &&
    (levels === undefined || levels.includes(r.level)) &&
    (categories === undefined || categories.includes(r.category)) &&
    (f.text === undefined || textMatches(r.message, f.text))
  );
}

/** The ids of records or the indexes of events, in the order given. */
export const ids = (records: readonly { id: number }[]): number[] => records.map((r) => r.id);
export const indexes = (events: readonly { index: number }[]): number[] => events.map((e) => e.index);

/** `from..to` inclusive (empty when `to < from`). */
export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}
