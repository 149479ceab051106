/**
 * A model-based property suite for stores: random programs of appends, queries, counts, CSV
 * exports and clears run against a `LogEventHub` on the store under test and, side by side,
 * against a plain reference model (an array and the filter rules written out longhand). Every
 * answer must be exactly the model's.
 *
 * Runs are reproducible: a fixed seed and run count by default, both printed with any failure
 * (fast-check's report carries `seed` and `path`). Environment, to explore further locally:
 *
 * - `LEH_PROPERTY_SEED=<int>`: another seed (default 20261201);
 * - `LEH_PROPERTY_RUNS=<n>`: runs per store instead of each store's CI budget.
 */
import { fc, test } from "@fast-check/vitest";
import { LogEventHub } from "../../src/hub.js";
import type { Store } from "../../src/store.js";
import type { BuiltinLogCategory, Level, LogFilter, LogRecord } from "../../src/types.js";

/** The seed every store's property run starts from. */
export const PROPERTY_SEED = Number(process.env.LEH_PROPERTY_SEED ?? 20_261_201);

/** Runs per store: `LEH_PROPERTY_RUNS`, or the store's own CI budget. */
export function propertyRuns(ciBudget: number): number {
  const given = process.env.LEH_PROPERTY_RUNS;
  return given === undefined ? ciBudget : Number(given);
}

const LEVELS: Level[] = ["INFO", "WARN", "ERROR"];
const CATEGORIES: BuiltinLogCategory[] = ["container", "image", "import", "export", "backup", "system"];
const T0 = 1_426_613_400;

// ---------------------------------------------------------------------------------------------
// The reference model, written out plainly.

interface ModelRecord {
  id: number;
  ts: number;
  timeUs: number;
  level: Level;
  category: string;
  user: string;
  message: string;
}

/** Only A-Z and a-z are equal to each other; every other code point only to itself. */
function asciiFold(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : ch;
  }
  return out;
}

function toList(v: unknown): string[] | undefined {
  return v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String);
}

function modelMatches(r: ModelRecord, f: LogFilter): boolean {
  const levels = toList(f.level)?.map((l) => l.toUpperCase());
  const categories = toList(f.category)?.map((c) => c.toLowerCase());
  return (
    (!f.timeStart || r.timeUs >= f.timeStart * 1_000_000) &&
    (!f.timeEnd || r.timeUs < (f.timeEnd + 1) * 1_000_000) &&
    (f.user === undefined || r.user === f.user) &&
    (levels === undefined || levels.includes(r.level)) &&
    (categories === undefined || categories.includes(r.category)) &&
    (f.text === undefined || asciiFold(r.message).includes(asciiFold(f.text)))
  );
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** `YYYY-MM-DD HH:MM:SS.ffffff` in UTC. */
function csvDate(timeUs: number): string {
  const d = new Date(Math.floor(timeUs / 1000));
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(timeUs % 1_000_000, 6)}`
  );
}

/** Quoted when it must be (comma, quote, CR, LF), and as documented for a byte order mark or a leading or trailing space. */
function csvField(value: string): string {
  return /[",\r\n\uFEFF]|^ | $/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function modelCsv(records: readonly ModelRecord[]): string {
  const lines = ["Date,Level,Category,User,Message"];
  for (const r of records) lines.push([csvDate(r.timeUs), r.level, r.category, r.user, r.message].map(csvField).join(","));
  return lines.map((l) => `${l}\r\n`).join("");
}

// ---------------------------------------------------------------------------------------------
// Generators.

/** Characters that make stores disagree when they are careless: metacharacters, folding traps. */
const TRICKY = [
  "%", "_", "*", "\\", '"', "'", ".", "^", "$", "(", ")", "[", "]", "{", "}", "|", "?", "+", ",", ":", " ",
  "\t", "\n", "\r", "a", "A", "b", "B", "k", "K", "s", "S", "i", "I", "ſ", "İ", "ı", "\u212A", "é", "É", "e\u0301",
  "\u0301", "\uFEFF", "à", "ü", "ñ", "ø", "ç", "Ä", "ß", "ẞ", "Σ", "σ", "ς", "😀", "𝔸", "\u200D", "\uFFFD", "=", "-", "@", "0",
];

// Anything the text rule allows: strip what it refuses (C0 controls but tab/LF/CR, lone surrogates).
const REFUSED_SOURCE = "[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]";
const REFUSED_ALL = new RegExp(REFUSED_SOURCE, "g");
const REFUSED = new RegExp(REFUSED_SOURCE);
const allowed = (s: string) => s.replace(REFUSED_ALL, "");
const anyText = (maxLength: number) => fc.string({ unit: "binary", maxLength }).map(allowed);
const graphemes = (maxLength: number) => fc.string({ unit: "grapheme", maxLength }).map(allowed);
const trickyText = (maxLength: number) => fc.array(fc.constantFrom(...TRICKY), { maxLength }).map((a) => a.join(""));
const someText = (maxLength: number) =>
  fc.oneof({ weight: 4, arbitrary: trickyText(maxLength) }, { weight: 1, arbitrary: anyText(maxLength) }, { weight: 1, arbitrary: graphemes(maxLength) });

/** `unit` repeated to at most `n` UTF-16 units, never cutting a character in half. */
function repeatTo(unit: string, n: number): string {
  let out = "";
  for (const c of unit.repeat(n)) {
    if (out.length + c.length > n) break;
    out += c;
  }
  return out;
}

const messageArb = fc
  .oneof(
    { weight: 8, arbitrary: someText(24) },
    // Now and then a long one, up to the default maximum of 8192 characters.
    { weight: 1, arbitrary: fc.tuple(trickyText(6), fc.integer({ min: 100, max: 8192 })).map(([s, n]) => repeatTo(s || "x", n)) },
  )
  .filter((m) => m.length > 0 && m.length <= 8192);

const userArb = fc.oneof(
  fc.constantFrom("Anonymous", "system", "alice", "Alice", "bob", "ünï", "o'brien", "50%_x"),
  someText(12).map((s) => s.replace(/[:\t\n\r]/g, "")).filter((s) => s.length > 0 && s.length <= 128),
);

/** ASCII case variants, the only spellings levels accept. */
const levelArb = fc.tuple(fc.constantFrom(...LEVELS), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 })).map(([level, flips]) =>
  [...level].map((c, i) => (flips[i] ? c.toLowerCase() : c)).join(""),
);

const secondArb = fc.integer({ min: 0, max: 60 }).map((s) => T0 + s);

interface NewRecord {
  level: string;
  category: BuiltinLogCategory;
  user: string;
  message: string;
  timeUs: number;
}

const newRecordArb: fc.Arbitrary<NewRecord> = fc.record({
  level: levelArb,
  category: fc.constantFrom(...CATEGORIES),
  user: userArb,
  message: messageArb,
  // Out of time order now and then, as several writers produce.
  timeUs: fc.tuple(secondArb, fc.integer({ min: 0, max: 999_999 })).map(([s, us]) => s * 1_000_000 + us),
});

/** Text for a filter: free, or cut from a stored message at run time (so matches are common). */
type TextSpec = { free: string } | { pick: number; start: number; length: number; caseMap: "none" | "upper" | "lower" | "asciiUpper" };

const textSpecArb: fc.Arbitrary<TextSpec> = fc.oneof(
  { weight: 1, arbitrary: someText(6).filter((s) => s.length > 0).map((free) => ({ free })) },
  { weight: 2, arbitrary: fc.record({
    pick: fc.nat(),
    start: fc.nat({ max: 30 }),
    length: fc.integer({ min: 1, max: 10 }),
    caseMap: fc.constantFrom("none", "upper", "upper", "lower", "asciiUpper") as fc.Arbitrary<"none" | "upper" | "lower" | "asciiUpper">,
  }) },
);

interface FilterSpec {
  timeStart?: number;
  timeEnd?: number;
  /** A user: free, or the user of a stored record picked at run time. */
  user?: { free: string } | { pick: number };
  level?: string[];
  category?: string[];
  text?: TextSpec;
}

/** Absent more often than present, so combined filters still match something. */
const sometimes = <T>(arb: fc.Arbitrary<T>, absentWeight = 2) =>
  fc.oneof({ weight: absentWeight, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

const filterArb: fc.Arbitrary<FilterSpec> = fc
  .record({
    timeStart: sometimes(fc.oneof(fc.constant(0), secondArb)),
    timeEnd: sometimes(fc.oneof(fc.constant(0), secondArb)),
    user: sometimes(fc.oneof(userArb.map((free) => ({ free })), fc.nat().map((pick) => ({ pick })))),
    level: sometimes(fc.array(levelArb, { minLength: 1, maxLength: 3 })),
    category: sometimes(fc.array(fc.constantFrom(...CATEGORIES, "IMPORT", "System"), { minLength: 2, maxLength: 5 })),
    text: sometimes(textSpecArb, 1),
  })
  .map((spec) => Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)) as FilterSpec);

type Op =
  | { op: "append"; records: NewRecord[] }
  | { op: "query"; filter: FilterSpec; limit: number; offset: number; before?: number }
  | { op: "count"; filter: FilterSpec }
  | { op: "export"; filter: FilterSpec; limit?: number }
  | { op: "clear"; filter: FilterSpec };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("append" as const), records: fc.array(newRecordArb, { minLength: 1, maxLength: 6 }) }) },
  {
    weight: 4,
    arbitrary: fc.record(
      { op: fc.constant("query" as const), filter: filterArb, limit: fc.integer({ min: 1, max: 30 }), offset: fc.nat({ max: 8 }), before: fc.nat({ max: 40 }) },
      { requiredKeys: ["op", "filter", "limit", "offset"] },
    ),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("count" as const), filter: filterArb }) },
  {
    weight: 2,
    arbitrary: fc.record(
      { op: fc.constant("export" as const), filter: filterArb, limit: fc.integer({ min: 1, max: 20 }) },
      { requiredKeys: ["op", "filter"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("clear" as const), filter: filterArb }) },
);

/** A program: what to run, in order. */
export const programArb = fc.array(opArb, { minLength: 1, maxLength: 24 });

// ---------------------------------------------------------------------------------------------
// Running a program against a hub and the model.

function resolveText(spec: TextSpec, model: readonly ModelRecord[]): string | undefined {
  if ("free" in spec) return spec.free;
  if (model.length === 0) return undefined;
  const chars = [...(model[spec.pick % model.length] as ModelRecord).message];
  const start = Math.min(spec.start, Math.max(0, chars.length - 1));
  const cut = chars.slice(start, start + spec.length).join("");
  const mapped =
    spec.caseMap === "upper" ? cut.toUpperCase()
    : spec.caseMap === "lower" ? cut.toLowerCase()
    : spec.caseMap === "asciiUpper" ? cut.replace(/[a-z]/g, (c) => c.toUpperCase())
    : cut;
  return mapped.length > 0 && mapped.length <= 1024 && !REFUSED.test(mapped) ? mapped : cut || undefined;
}

function resolveFilter(spec: FilterSpec, model: readonly ModelRecord[]): LogFilter<BuiltinLogCategory> {
  const f: LogFilter<BuiltinLogCategory> = {};
  let { timeStart, timeEnd } = spec;
  if (timeStart && timeEnd && timeStart > timeEnd) [timeStart, timeEnd] = [timeEnd, timeStart];
  if (timeStart !== undefined) f.timeStart = timeStart;
  if (timeEnd !== undefined) f.timeEnd = timeEnd;
  if (spec.user !== undefined) {
    if ("free" in spec.user) f.user = spec.user.free;
    else if (model.length > 0) f.user = (model[spec.user.pick % model.length] as ModelRecord).user;
  }
  if (spec.level !== undefined) f.level = spec.level;
  if (spec.category !== undefined) f.category = spec.category as BuiltinLogCategory[];
  if (spec.text !== undefined) {
    const text = resolveText(spec.text, model);
    if (text !== undefined) f.text = text;
  }
  return f;
}

function asModel(r: LogRecord): ModelRecord {
  return { id: r.id, ts: r.ts, timeUs: r.timeUs, level: r.level, category: r.category, user: r.user, message: r.message };
}

/**
 * Runs one program on `hub` and on a fresh model; throws (via `expect`) at the first answer
 * that differs. The hub's log is cleared first, so one store can serve many runs.
 */
export async function runProgram(hub: LogEventHub, ops: readonly Op[], expect: typeof import("vitest").expect): Promise<void> {
  await hub.clearLogs();
  let model: ModelRecord[] = [];
  let lastId = (await hub.queryLogs({ limit: 1 }))[0]?.id ?? 0;
  const step = (i: number, op: Op, what: string) => `step ${i} (${op.op}): ${what}`;
  for (const [i, op] of ops.entries()) {
    switch (op.op) {
      case "append": {
        const stored = await Promise.all(op.records.map((r) => hub.log(r)));
        for (const [j, r] of stored.entries()) {
          const input = op.records[j]!;
          expect(r.id, step(i, op, "ids strictly increase")).toBeGreaterThan(lastId);
          lastId = r.id;
          const expected: ModelRecord = {
            id: r.id,
            ts: Math.floor(input.timeUs / 1_000_000),
            timeUs: input.timeUs,
            level: input.level.toUpperCase() as Level,
            category: input.category,
            user: input.user,
            message: input.message,
          };
          expect(asModel(r), step(i, op, "the stored record is the input")).toEqual(expected);
          model.push(expected);
        }
        break;
      }
      case "query": {
        const filter = resolveFilter(op.filter, model);
        const before = op.before === undefined || model.length === 0 ? undefined : (model[op.before % model.length] as ModelRecord).id + (op.before % 2);
        const expected = model
          .filter((r) => modelMatches(r, filter) && (before === undefined || r.id < before))
          .reverse()
          .slice(op.offset, op.offset + op.limit);
        const got = await hub.queryLogs({ ...filter, limit: op.limit, offset: op.offset, ...(before !== undefined && { beforeId: before }) });
        expect(got.map(asModel), step(i, op, JSON.stringify({ filter, before }))).toEqual(expected);
        break;
      }
      case "count": {
        const filter = resolveFilter(op.filter, model);
        expect(await hub.countLogs(filter), step(i, op, JSON.stringify(filter))).toBe(model.filter((r) => modelMatches(r, filter)).length);
        break;
      }
      case "export": {
        const filter = resolveFilter(op.filter, model);
        const matching = model.filter((r) => modelMatches(r, filter)).sort((a, b) => a.id - b.id);
        let csv = "";
        for await (const chunk of hub.exportCsv({ ...filter, ...(op.limit !== undefined && { limit: op.limit }) }, { escapeFormulae: false })) csv += chunk;
        expect(csv, step(i, op, JSON.stringify(filter))).toBe(modelCsv(op.limit === undefined ? matching : matching.slice(0, op.limit)));
        break;
      }
      case "clear": {
        const filter = resolveFilter(op.filter, model);
        const removed = model.filter((r) => modelMatches(r, filter));
        expect(await hub.clearLogs(filter), step(i, op, JSON.stringify(filter))).toBe(removed.length);
        model = model.filter((r) => !modelMatches(r, filter));
        break;
      }
    }
  }
  // Whatever happened, the store holds exactly the model's records.
  const all = await hub.queryLogs({ limit: 1000 });
  expect(all.map(asModel), "final contents").toEqual([...model].reverse());
}

/**
 * Registers the property for one store. `makeStore` is called once; runs share the store and
 * clear it first (opening a store per run would spend the budget on migrations).
 */
export function storeModelProperty(name: string, makeStore: () => Store | Promise<Store>, ciRuns: number, hooks: {
  beforeAll: (fn: () => Promise<void>) => void;
  afterAll: (fn: () => Promise<void>) => void;
  expect: typeof import("vitest").expect;
}): void {
  let hub: LogEventHub | undefined;
  hooks.beforeAll(async () => {
    hub = new LogEventHub({ store: await makeStore(), limits: { maxLimit: 1000 } });
    await hub.open();
  });
  hooks.afterAll(async () => {
    await hub?.close();
  });
  test.prop([programArb], { seed: PROPERTY_SEED, numRuns: propertyRuns(ciRuns) })(
    `${name}: every answer is the reference model's (seed ${PROPERTY_SEED})`,
    async (ops) => {
      await runProgram(hub as LogEventHub, ops, hooks.expect);
    },
  );
}
