/**
 * The store conformance suite: SPEC sections 2 (log) and 4 (events) as seen through a
 * `LogEventHub` built on the store under test, plus the store-level parts the hub relies on
 * (export order, pruning, head/oldest). Every store runs it unchanged:
 *
 * ```ts
 * runStoreConformance("memory", () => new MemoryStore());
 * ```
 *
 * A store that cannot do something skips the named test with a reason:
 * `runStoreConformance("x", make, { skip: { "events: long poll wakes on publish": "no waits" } })`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LogEventHub, type RetentionOptions } from "../../src/hub.js";
import type { Store } from "../../src/store.js";
import type { BuiltinLogCategory, Level, LogFilter as AnyLogFilter, LogRecord } from "../../src/types.js";

/** Filters over the built-in categories (what a hub without extra categories accepts). */
type LogFilter = AnyLogFilter<BuiltinLogCategory>;

/** Options of {@link runStoreConformance}. */
export interface ConformanceOptions {
  /** Test name -> why this store skips it. */
  skip?: Record<string, string>;
}

/** Makes a fresh, empty store; called once per test. */
export type StoreFactory = () => Promise<Store> | Store;

const USERS = ["Anonymous", "system", "alice", "bob"] as const;
const LEVELS: Level[] = ["INFO", "WARN", "ERROR"];
const CATEGORIES = ["container", "image", "import", "export", "backup", "system"] as const;
const MESSAGES = [
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
/** Start of the seed's sample, epoch seconds. */
const T0 = 1_426_613_400;

/** A small deterministic generator so every run sees the same data. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

/** The reference semantics of a filter, written out plainly. */
function matches(r: LogRecord, f: LogFilter): boolean {
  const asList = (v: unknown) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map((x) => String(x)));
  const levels = asList(f.level)?.map((l) => l.toUpperCase());
  const categories = asList(f.category)?.map((c) => c.toLowerCase());
  return (
    (!f.timeStart || r.timeUs >= f.timeStart * 1e6) &&
    (!f.timeEnd || r.timeUs <= f.timeEnd * 1e6 + 999_999) &&
    (f.user === undefined || r.user === f.user) &&
    (levels === undefined || levels.includes(r.level)) &&
    (categories === undefined || categories.includes(r.category)) &&
    (f.text === undefined || asciiFold(r.message).includes(asciiFold(f.text)))
  );
}

/** The text rule's folding, written out: only A-Z and a-z are equal to each other. */
function asciiFold(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : ch;
  }
  return out;
}

const ids = (records: readonly { id: number }[]) => records.map((r) => r.id);

/**
 * Registers the conformance tests for one store.
 *
 * @param name Shown in the `describe` title.
 * @param makeStore Returns a fresh, empty store for each test.
 */
export function runStoreConformance(name: string, makeStore: StoreFactory, options: ConformanceOptions = {}): void {
  const skip = options.skip ?? {};
  const open: LogEventHub[] = [];

  afterEach(async () => {
    await Promise.all(open.splice(0).map((h) => h.close()));
  });

  async function makeHub(retention?: RetentionOptions): Promise<{ hub: LogEventHub; store: Store }> {
    const store = await makeStore();
    const hub = new LogEventHub({ store, ...(retention && { retention }) });
    open.push(hub);
    await hub.open();
    return { hub, store };
  }

  /** `it`, or `it.skip` with the store's stated reason. */
  function test(title: string, fn: () => Promise<void>): void {
    const reason = skip[title];
    if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn);
    else it(title, fn);
  }

  /** Appends `n` varied records with increasing times; resolves them in id order. */
  async function seed(hub: LogEventHub, n: number, seedValue = 7): Promise<LogRecord[]> {
    const rand = prng(seedValue);
    const inputs = Array.from({ length: n }, (_, i) => ({
      level: pick(rand, LEVELS),
      category: pick(rand, CATEGORIES),
      user: pick(rand, USERS),
      message: pick(rand, MESSAGES),
      timeUs: (T0 + i * 3) * 1_000_000 + Math.floor(rand() * 1_000_000),
    }));
    const out: LogRecord[] = [];
    // Awaiting in order keeps times ascending in id order, like a live system.
    for (const input of inputs) out.push(await hub.log(input));
    return out;
  }

  describe(`store conformance: ${name}`, () => {
    // -----------------------------------------------------------------------------------------
    // Appends and ids

    test("appends: ids are positive and strictly increasing", async () => {
      const { hub } = await makeHub();
      const a = await hub.info("container", "one", "Anonymous");
      const b = await hub.warn("image", "two");
      expect(a.id).toBeGreaterThan(0);
      expect(b.id).toBeGreaterThan(a.id);
      expect(b.user).toBe("system");
      expect(await hub.queryLogs()).toEqual([b, a]);
    });

    test("appends: concurrent callers each get their own committed record", async () => {
      const { hub } = await makeHub();
      const records = await Promise.all(Array.from({ length: 64 }, (_, i) => hub.info("system", `message ${i}`)));
      expect(new Set(ids(records)).size).toBe(64);
      records.forEach((r, i) => expect(r.message).toBe(`message ${i}`));
      const stored = await hub.queryLogs({ limit: 100 });
      expect(stored).toHaveLength(64);
      expect(new Map(stored.map((r) => [r.id, r.message]))).toEqual(new Map(records.map((r) => [r.id, r.message])));
    });

    test("appends: time is kept to the microsecond and ts is in seconds", async () => {
      const { hub } = await makeHub();
      const r = await hub.log({ level: "info", category: "backup", user: "system", message: "m", timeUs: 1_426_613_226_452_144 });
      expect(r).toMatchObject({ level: "INFO", ts: 1_426_613_226, timeUs: 1_426_613_226_452_144 });
      expect((await hub.queryLogs())[0]).toEqual(r);
    });

    test("appends: invalid input is refused and nothing is written", async () => {
      const { hub } = await makeHub();
      await expect(hub.log({ level: "DEBUG", category: "system", user: "u", message: "m" })).rejects.toMatchObject({ code: "VALIDATION" });
      await expect(hub.log({ level: "INFO", category: "nope" as "system", user: "u", message: "m" })).rejects.toMatchObject({ code: "VALIDATION" });
      await expect(hub.info("system", "")).rejects.toMatchObject({ code: "VALIDATION" });
      expect(await hub.countLogs()).toBe(0);
    });

    test("appends: ids are never reused after clearing", async () => {
      const { hub } = await makeHub();
      const before = await seed(hub, 5);
      expect(await hub.clearLogs()).toBe(5);
      const after = await hub.info("system", "again");
      expect(after.id).toBeGreaterThan(Math.max(...ids(before)));
    });

    // -----------------------------------------------------------------------------------------
    // Queries

    test("query: newest first, default limit 20, limit honoured", async () => {
      const { hub, store } = await makeHub();
      const all = await seed(hub, 30);
      expect(ids(await hub.queryLogs())).toEqual(ids(all).reverse().slice(0, 20));
      expect(ids(await hub.queryLogs({ limit: 3 }))).toEqual(ids(all).reverse().slice(0, 3));
      await expect(hub.queryLogs({ limit: 0 })).rejects.toMatchObject({ code: "VALIDATION" });
      expect(await store.lastLogId()).toBe(all[29]?.id);
    });

    test("query: every filter alone and combined matches the reference semantics", async () => {
      const { hub } = await makeHub();
      const all = await seed(hub, 240);
      const t = (i: number) => T0 + i * 3;
      const filters = [
        {},
        { user: "alice" },
        { user: "nobody" },
        { level: "warn" },
        { level: ["WARN", "error"] },
        { category: "image" },
        { category: ["image", "BACKUP"] },
        { timeStart: t(50), timeEnd: t(120) },
        { timeStart: t(200) },
        { timeEnd: t(30) },
        { timeStart: t(77), timeEnd: t(77) },
        { timeStart: t(500) },
        { timeEnd: T0 - 10 },
        { text: "container" },
        { text: "UTEST" },
        { text: "ab" },
        { text: "a" },
        { user: "bob", level: ["INFO", "ERROR"] },
        { user: "alice", category: ["container", "image", "import"] },
        { level: "ERROR", category: "system" },
        { user: "Anonymous", timeStart: t(20), timeEnd: t(180) },
        { category: ["export", "import"], timeStart: t(100) },
        { level: ["WARN"], text: "download" },
        { user: "system", text: "ab" },
        { user: "bob", level: ["INFO", "WARN"], category: ["container", "image", "export"], timeStart: t(10), timeEnd: t(230), text: "CONTAINER" },
        { user: "alice", level: "INFO", category: "system", timeStart: t(1), timeEnd: t(239), text: "e" },
      ] as LogFilter[];
      for (const filter of filters) {
        const expected = ids(all.filter((r) => matches(r, filter))).reverse();
        expect(ids(await hub.queryLogs({ ...filter, limit: 1000 })), JSON.stringify(filter)).toEqual(expected);
        expect(await hub.countLogs(filter), JSON.stringify(filter)).toBe(expected.length);
        expect(ids(await hub.queryLogs({ ...filter, limit: 5 })), JSON.stringify(filter)).toEqual(expected.slice(0, 5));
      }
    });

    test("query: time_end includes the whole second and bounds are inclusive", async () => {
      const { hub } = await makeHub();
      const a = await hub.log({ level: "INFO", category: "system", user: "u", message: "start", timeUs: 1_000_000_000_000_000 });
      const b = await hub.log({ level: "INFO", category: "system", user: "u", message: "end", timeUs: 1_000_000_010_999_999 });
      await hub.log({ level: "INFO", category: "system", user: "u", message: "after", timeUs: 1_000_000_011_000_000 });
      expect(ids(await hub.queryLogs({ timeStart: 1_000_000_000, timeEnd: 1_000_000_010 }))).toEqual([b.id, a.id]);
    });

    test("query: time ranges stay correct when records arrive out of time order", async () => {
      const { hub } = await makeHub();
      const times = [50, 10, 40, 20, 30, 60, 5];
      const records: LogRecord[] = [];
      for (const s of times) records.push(await hub.log({ level: "INFO", category: "system", user: "u", message: `at ${s}`, timeUs: (T0 + s) * 1e6 }));
      for (const filter of [{ timeStart: T0 + 15, timeEnd: T0 + 45 }, { timeStart: T0 + 30 }, { timeEnd: T0 + 20 }] as LogFilter[]) {
        const expected = ids(records.filter((r) => matches(r, filter))).reverse();
        expect(ids(await hub.queryLogs(filter)), JSON.stringify(filter)).toEqual(expected);
        expect(await hub.countLogs(filter)).toBe(expected.length);
      }
    });

    test("query: text matches literally, whatever the characters", async () => {
      const { hub } = await makeHub();
      const all: LogRecord[] = [];
      for (const message of MESSAGES) all.push(await hub.info("system", message));
      const needles = [
        "%", "100%", "0% d", "_", "e_c", "snake_case", "\\", "C:\\temp", "\\new", "*", "*.tgz", "'", "O'B", '"', '"hi"',
        ".", "a.c", ".^$+?()[]{}|", "()", "[]", "|", "$", "^", "?", "+", "{}", "Ab", "aB", "AB", "x", "%_", "''", "\\%",
      ];
      for (const text of needles) {
        const expected = ids(all.filter((r) => asciiFold(r.message).includes(asciiFold(text)))).reverse();
        expect(ids(await hub.queryLogs({ text, limit: 100 })), text).toEqual(expected);
        expect(await hub.countLogs({ text }), text).toBe(expected.length);
      }
    });

    test("query: text folds ASCII case only, identically in every store", async () => {
      const { hub } = await makeHub();
      const ecole = await hub.info("system", "École créée à Zürich");
      const kelvin = await hub.info("system", "5 \u212A cold"); // KELVIN SIGN, not K
      const longS = await hub.info("system", "Maſs ſtop"); // LATIN SMALL LETTER LONG S
      const dotted = await hub.info("system", "İstanbul İi"); // CAPITAL I WITH DOT ABOVE
      const plain = await hub.info("system", "kilo STOP istanbul");
      const cases: [string, number[]][] = [
        ["école", []], // É is not é: only ASCII letters fold
        ["École", [ecole.id]],
        ["ZÜRICH", []],
        ["zürich", [ecole.id]],
        ["Zürich", [ecole.id]],
        ["k", [plain.id]], // the Kelvin sign is not k
        ["\u212A", [kelvin.id]],
        ["\u212A COLD", [kelvin.id]],
        ["stop", [plain.id]], // ſ is not s
        ["ſtop", [longS.id]],
        ["ſTOP", [longS.id]],
        ["istanbul", [plain.id]], // İ is not i
        ["İSTANBUL", [dotted.id]],
        ["İi", [dotted.id]],
        ["İI", [dotted.id]],
      ];
      for (const [text, expected] of cases) {
        expect(ids(await hub.queryLogs({ text })), text).toEqual([...expected].reverse());
        expect(await hub.countLogs({ text }), text).toBe(expected.length);
      }
    });

    test("input: NUL and other control characters are refused in records and filters", async () => {
      const { hub } = await makeHub();
      const kept = await hub.info("system", "line one\nline\ttwo\r\n");
      expect((await hub.queryLogs({ text: "one\nline\tt" }))[0]?.id).toBe(kept.id);
      const refused = (param: string) => expect.objectContaining({ code: "VALIDATION", param });
      for (const bad of ["\0", "a\0b", "\u0001", "\u001b[31m", "\u000b", "\ud800", "x\udc00"]) {
        await expect(hub.info("system", bad), JSON.stringify(bad)).rejects.toEqual(refused("message"));
        await expect(hub.info("system", "ok", `al${bad}ice`), JSON.stringify(bad)).rejects.toEqual(refused("user"));
        await expect(hub.queryLogs({ text: bad }), JSON.stringify(bad)).rejects.toEqual(refused("text"));
        await expect(hub.countLogs({ text: bad }), JSON.stringify(bad)).rejects.toEqual(refused("text"));
        await expect(hub.clearLogs({ text: bad }), JSON.stringify(bad)).rejects.toEqual(refused("text"));
        await expect(hub.clearLogs({ user: bad }), JSON.stringify(bad)).rejects.toEqual(refused("user"));
        await expect(hub.clearLogs({ level: bad }), JSON.stringify(bad)).rejects.toEqual(refused("level"));
        await expect(hub.clearLogs({ category: bad as "system" }), JSON.stringify(bad)).rejects.toEqual(refused("category"));
      }
      await expect(hub.info("system", "ok", "tab\tuser")).rejects.toEqual(refused("user"));
      expect(ids(await hub.queryLogs())).toEqual([kept.id]);
    });

    test("clear: an empty-string filter field is refused and nothing is removed", async () => {
      const { hub } = await makeHub();
      await seed(hub, 5);
      const refused = (param: string) => expect.objectContaining({ code: "VALIDATION", param });
      await expect(hub.clearLogs({ text: "" })).rejects.toEqual(refused("text"));
      await expect(hub.clearLogs({ user: "" })).rejects.toEqual(refused("user"));
      await expect(hub.clearLogs({ level: "" })).rejects.toEqual(refused("level"));
      await expect(hub.clearLogs({ level: [] })).rejects.toEqual(refused("level"));
      await expect(hub.clearLogs({ category: "" as "system" })).rejects.toEqual(refused("category"));
      await expect(hub.clearLogs({ category: [] })).rejects.toEqual(refused("category"));
      expect(await hub.countLogs()).toBe(5);
      expect(await hub.clearLogs({})).toBe(5);
    });

    test("input: levels match INFO, WARN, ERROR in ASCII case only; non-strings are refused", async () => {
      const { hub } = await makeHub();
      const rec = await hub.log({ level: "wArN", category: "system", user: "system", message: "m" });
      expect(rec.level).toBe("WARN");
      expect(ids(await hub.queryLogs({ level: ["warn", "Error"] }))).toEqual([rec.id]);
      const refused = (param: string) => expect.objectContaining({ code: "VALIDATION", param });
      for (const level of ["ınfo", "İNFO", " WARN", "WARN ", "ＷＡＲＮ", "warn\u0000"]) {
        await expect(hub.queryLogs({ level }), level).rejects.toEqual(refused("level"));
        await expect(hub.log({ level, category: "system", user: "system", message: "m" }), level).rejects.toEqual(refused("level"));
      }
      for (const bad of [1, null, {}, true, [2]] as unknown[]) {
        await expect(hub.queryLogs({ level: bad as string }), String(bad)).rejects.toEqual(refused("level"));
        await expect(hub.queryLogs({ category: bad as "system" }), String(bad)).rejects.toEqual(refused("category"));
        await expect(hub.countLogs({ user: bad as string }), String(bad)).rejects.toEqual(refused("user"));
        await expect(hub.countLogs({ text: bad as string }), String(bad)).rejects.toEqual(refused("text"));
      }
      // Category names fold ASCII case only too (K is the Kelvin sign).
      await expect(hub.queryLogs({ category: "ba\u212Aup" as "backup" })).rejects.toEqual(refused("category"));
      expect(await hub.countLogs({ category: "BACKUP" as "backup" })).toBe(0);
      expect(await hub.countLogs()).toBe(1);
    });

    // -----------------------------------------------------------------------------------------
    // Paging

    test("paging: offset pages cover every match once, newest first", async () => {
      const { hub } = await makeHub();
      const all = await seed(hub, 60);
      for (const filter of [{}, { level: ["INFO", "WARN"] }, { user: "alice" }, { text: "container" }] as LogFilter[]) {
        const expected = ids(all.filter((r) => matches(r, filter))).reverse();
        const seen: number[] = [];
        for (let offset = 0; offset < expected.length + 7; offset += 7) seen.push(...ids(await hub.queryLogs({ ...filter, limit: 7, offset })));
        expect(seen, JSON.stringify(filter)).toEqual(expected);
      }
    });

    test("paging: keyset (beforeId) pages cover every match once, newest first", async () => {
      const { hub } = await makeHub();
      const all = await seed(hub, 60);
      for (const filter of [{}, { category: ["container", "image"] }, { user: "bob", timeStart: T0 + 30 }, { text: "e" }] as LogFilter[]) {
        const expected = ids(all.filter((r) => matches(r, filter))).reverse();
        const seen: number[] = [];
        let beforeId: number | undefined;
        for (;;) {
          const page = await hub.queryLogs({ ...filter, limit: 6, ...(beforeId !== undefined && { beforeId }) });
          seen.push(...ids(page));
          if (page.length < 6) break;
          beforeId = page[page.length - 1]?.id;
        }
        expect(seen, JSON.stringify(filter)).toEqual(expected);
      }
    });

    // -----------------------------------------------------------------------------------------
    // Clearing and retention

    test("clear: all records, answering how many", async () => {
      const { hub } = await makeHub();
      await seed(hub, 12);
      expect(await hub.clearLogs()).toBe(12);
      expect(await hub.queryLogs()).toEqual([]);
      expect(await hub.countLogs()).toBe(0);
    });

    test("clear: by category (and by any filter) removes only the matches", async () => {
      const { hub } = await makeHub();
      const all = await seed(hub, 80);
      const imports = all.filter((r) => r.category === "import");
      expect(await hub.clearLogs({ category: "import" })).toBe(imports.length);
      let rest = all.filter((r) => r.category !== "import");
      expect(ids(await hub.queryLogs({ limit: 1000 }))).toEqual(ids(rest).reverse());
      const filter: LogFilter = { level: "ERROR", timeEnd: T0 + 120, text: "container" };
      const gone = rest.filter((r) => matches(r, filter));
      expect(await hub.clearLogs(filter)).toBe(gone.length);
      rest = rest.filter((r) => !matches(r, filter));
      expect(ids(await hub.queryLogs({ limit: 1000 }))).toEqual(ids(rest).reverse());
      expect(ids(await hub.queryLogs({ limit: 1000, text: "container" }))).toEqual(
        ids(rest.filter((r) => matches(r, { text: "container" }))).reverse(),
      );
    });

    test("retention: the hub's maxLogs and maxEvents keep the newest", async () => {
      const { hub } = await makeHub({ maxLogs: 5, maxEvents: 3, intervalMs: 3_600_000 });
      const all = await seed(hub, 9);
      for (let i = 0; i < 7; i++) await hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" } });
      expect(await hub.prune()).toEqual({ logs: 4, events: 4 });
      expect(ids(await hub.queryLogs())).toEqual(ids(all).reverse().slice(0, 5));
      const page = await hub.readEvents({ limit: 10 });
      expect(page.events.map((e) => e.index)).toEqual([7, 6, 5]);
    });

    test("retention: store.prune by count and by age", async () => {
      const { hub, store } = await makeHub();
      const all = await seed(hub, 10);
      expect(await store.prune({ maxLogs: 8 })).toEqual({ logs: 2, events: 0 });
      const cutoff = (all[5] as LogRecord).timeUs;
      expect(await store.prune({ logsBeforeUs: cutoff })).toEqual({ logs: 3, events: 0 });
      expect(ids(await hub.queryLogs())).toEqual(ids(all.slice(5)).reverse());
      for (let i = 0; i < 6; i++) {
        await hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" }, time: (T0 + i) * 1000 });
      }
      expect(await store.prune({ eventsBeforeUs: (T0 + 2) * 1e6 })).toEqual({ logs: 0, events: 2 });
      expect(await store.prune({ maxEvents: 1 })).toEqual({ logs: 0, events: 3 });
      const window = await store.readEvents({ limit: 10 });
      expect(window).toMatchObject({ head: 6, oldest: 6 });
      expect(window.events.map((e) => e.index)).toEqual([6]);
      expect(await store.prune({ maxLogs: 0, maxEvents: 0 })).toEqual({ logs: 5, events: 1 });
      expect(await store.readEvents({ limit: 10 })).toEqual({ events: [], head: 6, oldest: 0 });
      expect((await hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" } })).index).toBe(7);
    });

    // -----------------------------------------------------------------------------------------
    // Export order

    test("export: store reads ascending pages with afterId and maxId", async () => {
      const { hub, store } = await makeHub();
      const all = await seed(hub, 25);
      const snapshot = (all[19] as LogRecord).id;
      const seen: number[] = [];
      let afterId = 0;
      for (;;) {
        const page = await store.queryLogs({ order: "asc", afterId, maxId: snapshot, limit: 6, categories: ["container", "image", "import", "export", "backup", "system"] });
        seen.push(...ids(page));
        if (page.length < 6) break;
        afterId = page[page.length - 1]?.id as number;
      }
      expect(seen).toEqual(ids(all.slice(0, 20)));
      const asc = await store.queryLogs({ order: "asc", limit: 3, offset: 2, text: "e" });
      expect(ids(asc)).toEqual(ids(all.filter((r) => matches(r, { text: "e" }))).slice(2, 5));
    });

    test("export: exportCsv lists matching rows oldest first", async () => {
      const { hub } = await makeHub();
      const all = await seed(hub, 30);
      let csv = "";
      for await (const chunk of hub.exportCsv({ category: "container" })) csv += chunk;
      const lines = csv.split("\r\n").filter((l) => l !== "");
      expect(lines[0]).toBe("Date,Level,Category,User,Message");
      const expected = all.filter((r) => r.category === "container");
      expect(lines).toHaveLength(expected.length + 1);
      const dates = lines.slice(1).map((l) => l.slice(0, 26));
      expect(dates).toEqual([...dates].sort());
    });

    // -----------------------------------------------------------------------------------------
    // Events

    const payload = (n: number) => ({ container: `c${n}`, type: "lxc" as const, state: "start" as const });

    async function publishMix(hub: LogEventHub, n: number): Promise<{ index: number; user: string }[]> {
      const out: { index: number; user: string }[] = [];
      for (let i = 0; i < n; i++) {
        const user = ["all", "alice", "bob", "all", "alice"][i % 5] as string;
        out.push(await hub.publish({ category: "container", user, payload: payload(i) }));
      }
      return out;
    }

    test("events: indexes are positive and strictly increasing", async () => {
      const { hub } = await makeHub();
      const events = await Promise.all(Array.from({ length: 20 }, (_, i) => hub.publish({ category: "container", user: "all", payload: payload(i) })));
      const indexes = events.map((e) => e.index).sort((a, b) => a - b);
      expect(new Set(indexes).size).toBe(20);
      expect(indexes[0]).toBeGreaterThan(0);
      const page = await hub.readEvents({ limit: 50 });
      expect(page.events.map((e) => e.index)).toEqual([...indexes].reverse());
      expect(page.events[0]?.payload).toEqual(events.find((e) => e.index === indexes[19])?.payload);
    });

    test("events: a read without index answers the newest visible, newest first", async () => {
      const { hub } = await makeHub();
      const published = await publishMix(hub, 30);
      const visible = published.filter((e) => e.user === "all" || e.user === "alice").map((e) => e.index);
      const page = await hub.readEvents({ user: "alice", limit: 5 });
      expect(page.events.map((e) => e.index)).toEqual(visible.slice(-5).reverse());
      expect(page.offset).toBe(30);
      expect(page.index).toBe((visible.at(-5) as number) - 1);
      const everything = await hub.readEvents({ user: "alice", limit: 100 });
      expect(everything.events.map((e) => e.index)).toEqual([...visible].reverse());
      expect(everything.index).toBe(0);
    });

    test("events: cursor pages see every visible event exactly once, in order", async () => {
      const { hub } = await makeHub();
      const published = await publishMix(hub, 37);
      for (const user of ["alice", "bob", undefined]) {
        const visible = published.filter((e) => e.user === "all" || e.user === user).map((e) => e.index);
        const seen: number[] = [];
        let index = 0;
        for (let guard = 0; guard < 100; guard++) {
          const page = await hub.readEvents({ index, limit: 4, ...(user && { user }) });
          expect(page.index).toBe(index);
          seen.push(...page.events.map((e) => e.index).reverse());
          if (page.events.length < 4) {
            expect(page.offset).toBe(37);
            break;
          }
          expect(page.offset).toBe(page.events[0]?.index);
          index = page.offset;
        }
        expect(seen, String(user)).toEqual(visible);
      }
    });

    test("events: nobody sees another user's events; no user sees only all", async () => {
      const { hub } = await makeHub();
      await publishMix(hub, 10);
      const users = async (user?: string) =>
        new Set((await hub.readEvents({ limit: 100, index: 0, ...(user && { user }) })).events.map((e) => e.user));
      expect(await users("alice")).toEqual(new Set(["all", "alice"]));
      expect(await users("bob")).toEqual(new Set(["all", "bob"]));
      expect(await users("carol")).toEqual(new Set(["all"]));
      expect(await users()).toEqual(new Set(["all"]));
      expect((await hub.readEvents({ limit: 100 })).events.every((e) => e.user === "all")).toBe(true);
    });

    test("events: offset is the feed head when the newest events are invisible", async () => {
      const { hub } = await makeHub();
      await hub.publish({ category: "container", user: "all", payload: payload(1) });
      await hub.publish({ category: "container", user: "bob", payload: payload(2) });
      await hub.publish({ category: "container", user: "bob", payload: payload(3) });
      const page = await hub.readEvents({ user: "alice", index: 0 });
      expect(page.events.map((e) => e.index)).toEqual([1]);
      expect(page.offset).toBe(3);
      const next = await hub.readEvents({ user: "alice", index: page.offset });
      expect(next).toMatchObject({ index: 3, events: [], offset: 3 });
    });

    test("events: a cursor ahead of the feed is a validation error", async () => {
      const { hub } = await makeHub();
      await publishMix(hub, 3);
      await expect(hub.readEvents({ index: 4 })).rejects.toMatchObject({ code: "VALIDATION" });
      await expect(hub.readEvents({ index: -1 })).rejects.toMatchObject({ code: "VALIDATION" });
    });

    test("events: a cursor older than retention reports how many were lost", async () => {
      const { hub, store } = await makeHub();
      await publishMix(hub, 10);
      expect((await store.prune({ maxEvents: 4 })).events).toBe(6);
      const page = await hub.readEvents({ index: 2, limit: 100, user: "alice" });
      expect(page.lost).toBe(4);
      expect(page.index).toBe(6);
      expect(page.events.map((e) => e.index)).toEqual([10, 9, 7]);
      const fresh = await hub.readEvents({ index: 6, limit: 100 });
      expect(fresh.lost).toBeUndefined();
      const window = await store.readEvents({ limit: 100, after: 0 });
      expect(window).toMatchObject({ head: 10, oldest: 7 });
    });

    test("events: a long poll wakes when an event is published", async () => {
      const { hub } = await makeHub();
      await publishMix(hub, 2);
      const polling = hub.readEvents({ index: 2, wait: 25_000, user: "alice" });
      await new Promise((r) => setTimeout(r, 20));
      await hub.publish({ category: "container", user: "bob", payload: payload(3) });
      const published = await hub.publish({ category: "container", user: "alice", payload: payload(4) });
      const page = await polling;
      expect(page.events.map((e) => e.index)).toContain(published.index);
      expect(page.events.every((e) => e.user !== "bob")).toBe(true);
    });

    test("events: a long poll with nothing new ends with an empty page at its deadline", async () => {
      const { hub } = await makeHub();
      await publishMix(hub, 2);
      const page = await hub.readEvents({ index: 2, wait: 30 });
      expect(page).toMatchObject({ index: 2, events: [], offset: 2 });
    });

    test("events: the iterator resumes after an index and yields in order", async () => {
      const { hub } = await makeHub();
      const published = await publishMix(hub, 8);
      const controller = new AbortController();
      const seen: number[] = [];
      const done = (async () => {
        for await (const e of hub.events({ after: 3, user: "alice", signal: controller.signal, batchSize: 2 })) {
          seen.push(e.index);
          if (e.index >= 11) controller.abort();
        }
      })();
      for (let i = 0; i < 3; i++) published.push(await hub.publish({ category: "container", user: "alice", payload: payload(i) }));
      await done;
      expect(seen).toEqual(published.filter((e) => e.index > 3 && e.user !== "bob").map((e) => e.index));
    });

    test("store: open is idempotent and a closed store refuses work", async () => {
      const store = await makeStore();
      await store.open();
      await store.open();
      await store.appendLogs([{ timeUs: 1, level: "INFO", category: "system", user: "u", message: "m" }]);
      await store.close();
      await store.close();
      await expect(store.countLogs({})).rejects.toMatchObject({ code: "CLOSED" });
    });
  });
}
