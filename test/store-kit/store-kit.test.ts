/**
 * The store kit (`log-event-hub/store-kit`), through its published entry: LIKE escaping and the
 * text rule as properties (the LIKE side checked by real SQLite), filter compilation against a
 * plain reference, record mapping and the visibility rule.
 */
import { fc, test } from "@fast-check/vitest";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import {
  ALL_USERS,
  compileLogFilter,
  escapeLike,
  foldAsciiCase,
  isVisible,
  likePattern,
  logFilterPredicate,
  logRecordFromColumns,
  sqlCount,
  storedEventFromColumns,
  textMatcher,
  toLogRecord,
  toStoredEvent,
  visibleUsers,
  type LogFilterWithIds,
} from "log-event-hub/store-kit";
import type { Level, LogRecord } from "log-event-hub";

// Characters where folding rules differ (ſ, İ, ı, the Kelvin sign, é/É, final sigma), LIKE's
// metacharacters and its escape, and plain letters, so generated texts often match.
const TRICKY = ["a", "A", "k", "K", "s", "S", "i", "I", "ſ", "İ", "ı", "\u212A", "é", "É", "ς", "Σ", "%", "_", "\\", "'", '"', "*", " ", "\n", "😀"];
const trickyString = (maxLength: number) => fc.string({ unit: fc.constantFrom(...TRICKY), maxLength });

const db = new Database(":memory:");
afterAll(() => db.close());
const like = db.prepare("SELECT ? LIKE ? ESCAPE '\\' AS hit").pluck();

describe("escapeLike and likePattern", () => {
  test.prop([fc.string({ unit: "binary" })])("escaping is reversible and leaves no bare metacharacter", (text) => {
    const escaped = escapeLike(text);
    let unescaped = "";
    for (let i = 0; i < escaped.length; i++) {
      const c = escaped[i] as string;
      if (c === "\\") {
        const next = escaped[++i];
        expect(["\\", "%", "_"]).toContain(next);
        unescaped += next;
      } else {
        expect(c === "%" || c === "_").toBe(false);
        unescaped += c;
      }
    }
    expect(unescaped).toBe(text);
  });

  test.prop([trickyString(4), trickyString(12)], { numRuns: 500 })(
    "SQLite's LIKE with likePattern decides exactly what textMatcher decides (the text rule)",
    (text, message) => {
      expect(like.get(message, likePattern(text)) === 1).toBe(textMatcher(text)(message));
    },
  );

  it("examples", () => {
    expect(escapeLike("100%_done\\")).toBe("100\\%\\_done\\\\");
    expect(likePattern("a_b")).toBe("%a\\_b%");
  });
});

describe("the text rule", () => {
  test.prop([trickyString(4), trickyString(16)], { numRuns: 500 })("textMatcher is a literal substring test after ASCII folding", (text, message) => {
    expect(textMatcher(text)(message)).toBe(foldAsciiCase(message).includes(foldAsciiCase(text)));
  });

  test.prop([fc.string({ unit: "binary" })])("foldAsciiCase changes A-Z only, one code unit for one", (value) => {
    const folded = foldAsciiCase(value);
    expect(folded.length).toBe(value.length);
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      expect(folded.charCodeAt(i)).toBe(c >= 65 && c <= 90 ? c + 32 : c);
    }
  });

  it("folds nothing beyond ASCII", () => {
    expect(textMatcher("k")("\u212A")).toBe(false);
    expect(textMatcher("s")("ſ")).toBe(false);
    expect(textMatcher("i")("İ")).toBe(false);
    expect(textMatcher("é")("É")).toBe(false);
    expect(textMatcher("STARTED")("hub started")).toBe(true);
    expect(textMatcher("a.c")("abc")).toBe(false);
  });
});

describe("filter compilation", () => {
  const LEVELS: Level[] = ["INFO", "WARN", "ERROR"];
  const record = fc.record({
    id: fc.integer({ min: 1, max: 50 }),
    timeUs: fc.integer({ min: 0, max: 50 }),
    level: fc.constantFrom(...LEVELS),
    category: fc.constantFrom("system", "image", "backup"),
    user: fc.constantFrom("alice", "bob", "system"),
    message: trickyString(8),
  }).map((r): LogRecord => ({ ...r, ts: r.timeUs / 1e6 }));
  const filter = fc.record(
    {
      fromUs: fc.integer({ min: 0, max: 50 }),
      toUs: fc.integer({ min: 0, max: 50 }),
      user: fc.constantFrom("alice", "bob", "system"),
      levels: fc.uniqueArray(fc.constantFrom(...LEVELS), { minLength: 1 }),
      categories: fc.uniqueArray(fc.constantFrom("system", "image", "backup"), { minLength: 1 }),
      text: trickyString(2),
      beforeId: fc.integer({ min: 1, max: 50 }),
      afterId: fc.integer({ min: 0, max: 50 }),
      maxId: fc.integer({ min: 0, max: 50 }),
    },
    { requiredKeys: [] },
  );

  /** The filter's meaning, field by field, written plainly. */
  function reference(f: LogFilterWithIds, r: LogRecord): boolean {
    return (
      (f.fromUs === undefined || r.timeUs >= f.fromUs) &&
      (f.toUs === undefined || r.timeUs <= f.toUs) &&
      (f.user === undefined || r.user === f.user) &&
      (f.levels === undefined || f.levels.includes(r.level)) &&
      (f.categories === undefined || f.categories.includes(r.category)) &&
      (f.text === undefined || foldAsciiCase(r.message).includes(foldAsciiCase(f.text))) &&
      (f.beforeId === undefined || r.id < f.beforeId) &&
      (f.afterId === undefined || r.id > f.afterId) &&
      (f.maxId === undefined || r.id <= f.maxId)
    );
  }

  test.prop([filter, fc.array(record, { maxLength: 20 })])("logFilterPredicate agrees with the filter's plain meaning", (f, records) => {
    const matches = logFilterPredicate(f);
    for (const r of records) expect(matches(r)).toBe(reference(f, r));
  });

  it("compiles to a normalised list of conditions, in a fixed order", () => {
    expect(compileLogFilter({})).toEqual([]);
    expect(compileLogFilter({ text: "" })).toEqual([]);
    expect(compileLogFilter({ maxId: 9, text: "50%", user: "bob", toUs: 5, levels: ["WARN"], categories: ["image"], afterId: 2 })).toEqual([
      { kind: "time", to: 5 },
      { kind: "user", value: "bob" },
      { kind: "level", values: ["WARN"] },
      { kind: "category", values: ["image"] },
      { kind: "text", text: "50%", folded: "50%", like: "%50\\%%" },
      { kind: "id", after: 2, atMost: 9 },
    ]);
    expect(compileLogFilter({ text: "Hub" })).toEqual([{ kind: "text", text: "Hub", folded: "hub", like: "%Hub%" }]);
  });

  it("an empty level or category list matches no record (the hub never sends one)", () => {
    const r = toLogRecord(1, { timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" });
    expect(logFilterPredicate({ levels: [] })(r)).toBe(false);
    expect(logFilterPredicate({ categories: [] })(r)).toBe(false);
  });
});

describe("record mapping", () => {
  it("builds records and events from appends and from rows, numeric columns as numbers", () => {
    const input = { timeUs: 1_700_000_000_123_456, level: "WARN" as const, category: "image", user: "alice", message: "m" };
    const record = toLogRecord(7, input);
    expect(record).toEqual({ id: 7, ts: 1_700_000_000, ...input }); // whole seconds
    expect(logRecordFromColumns("7", 1_700_000_000_123_456n, "WARN", "image", "alice", "m")).toEqual(record);
    expect(logRecordFromColumns(7, "1700000000123456", "WARN", "image", "alice", "m")).toEqual(record);
    const event = { timeUs: 5, category: "image", user: "all", payloadJson: '{"a":1}' };
    expect(toStoredEvent(3, event)).toEqual({ index: 3, ...event });
    expect(storedEventFromColumns("3", 5n, "image", "all", '{"a":1}')).toEqual({ index: 3, ...event });
  });

  it("sqlCount lets only safe integers through", () => {
    expect(sqlCount(5, "limit", 1)).toBe(5);
    expect(() => sqlCount(0, "limit", 1)).toThrow(TypeError);
    expect(() => sqlCount(1.5, "limit", 1)).toThrow(/limit must be an integer >= 1, got 1.5/);
    expect(() => sqlCount(Number.NaN, "offset", 0)).toThrow(TypeError);
  });
});

describe("the visibility rule", () => {
  it("a reader sees `all` and its own user; no user sees `all`; everyone sees all", () => {
    expect(ALL_USERS).toBe("all");
    expect(visibleUsers({})).toEqual(["all"]);
    expect(visibleUsers({ user: "alice" })).toEqual(["all", "alice"]);
    expect(visibleUsers({ user: "all" })).toEqual(["all"]);
    expect(visibleUsers({ user: "alice", everyone: true })).toBeUndefined();
  });

  test.prop([fc.constantFrom("all", "alice", "bob"), fc.option(fc.constantFrom("all", "alice", "bob"), { nil: undefined }), fc.boolean()])(
    "isVisible agrees with visibleUsers",
    (owner, user, everyone) => {
      const read = { ...(user !== undefined && { user }), everyone };
      const users = visibleUsers(read);
      expect(isVisible({ user: owner }, read)).toBe(users === undefined || users.includes(owner));
    },
  );
});
