/**
 * The `logs` group: SPEC section 2 through a hub on the store, and the store-level reads the
 * hub relies on (ascending export pages, `lastLogId`).
 *
 * @module
 */
import type { LogEventHub } from "../hub.js";
import type { LogRecord } from "../types.js";
import { assert, rejects } from "./assert.js";
import { CATEGORIES, ids, LEVELS, type LogFilter, matches, MESSAGES, pick, prng, T0, textMatches, USERS } from "./model.js";
import type { ConformanceTest, TestContext } from "./suite.js";

/** Appends `n` varied records with increasing times; resolves them in id order. */
export async function seed(hub: LogEventHub, n: number, seedValue = 7): Promise<LogRecord[]> {
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

const refused = (param: string) => ({ code: "VALIDATION", param });

function test(title: string, run: (ctx: TestContext) => Promise<void>, timeoutMs = 30_000): ConformanceTest {
  return { group: "logs", title, timeoutMs, run };
}

/** The tests of the `logs` group. */
export function logTests(): ConformanceTest[] {
  return [
    test("appends: ids are positive and strictly increasing", async (ctx) => {
      const { hub } = await ctx.hub();
      const a = await hub.info("container", "one", "Anonymous");
      const b = await hub.warn("image", "two");
      assert.ok(a.id > 0, `first id ${a.id} is positive`);
      assert.ok(b.id > a.id, `second id ${b.id} is greater than the first ${a.id}`);
      assert.equal(b.user, "system");
      assert.deepEqual(await hub.queryLogs(), [b, a]);
    }),

    test("appends: concurrent callers each get their own committed record", async (ctx) => {
      const { hub } = await ctx.hub();
      const records = await Promise.all(Array.from({ length: 64 }, (_, i) => hub.info("system", `message ${i}`)));
      assert.equal(new Set(ids(records)).size, 64, "64 distinct ids");
      records.forEach((r, i) => assert.equal(r.message, `message ${i}`));
      const stored = await hub.queryLogs({ limit: 100 });
      assert.equal(stored.length, 64);
      assert.deepEqual(new Map(stored.map((r) => [r.id, r.message])), new Map(records.map((r) => [r.id, r.message])));
    }),

    test("appends: time is kept to the microsecond and ts is in seconds", async (ctx) => {
      const { hub } = await ctx.hub();
      const r = await hub.log({ level: "info", category: "backup", user: "system", message: "m", timeUs: 1_426_613_226_452_144 });
      assert.equal(r.level, "INFO");
      assert.equal(r.ts, 1_426_613_226);
      assert.equal(r.timeUs, 1_426_613_226_452_144);
      assert.deepEqual((await hub.queryLogs())[0], r);
    }),

    test("appends: invalid input is refused and nothing is written", async (ctx) => {
      const { hub } = await ctx.hub();
      await rejects(hub.log({ level: "DEBUG", category: "system", user: "u", message: "m" }), { code: "VALIDATION" }, "level DEBUG");
      await rejects(hub.log({ level: "INFO", category: "nope" as "system", user: "u", message: "m" }), { code: "VALIDATION" }, "category nope");
      await rejects(hub.info("system", ""), { code: "VALIDATION" }, "empty message");
      assert.equal(await hub.countLogs(), 0);
    }),

    test("appends: ids are never reused after clearing", async (ctx) => {
      const { hub } = await ctx.hub();
      const before = await seed(hub, 5);
      assert.equal(await hub.clearLogs(), 5);
      const after = await hub.info("system", "again");
      assert.ok(after.id > Math.max(...ids(before)), `id ${after.id} after clearing is above every earlier id`);
    }),

    test("lastLogId: the newest id still stored, 0 when none", async (ctx) => {
      const { hub, store } = await ctx.hub();
      assert.equal(await store.lastLogId(), 0, "empty store");
      const a = await hub.info("system", "keep");
      const b = await hub.info("image", "drop");
      assert.equal(await store.lastLogId(), b.id);
      assert.equal(await hub.clearLogs({ category: "image" }), 1);
      assert.equal(await store.lastLogId(), a.id, "after clearing the newest record");
      await hub.clearLogs();
      assert.equal(await store.lastLogId(), 0, "after clearing everything");
      const c = await hub.info("system", "again");
      assert.ok(c.id > b.id);
      assert.equal(await store.lastLogId(), c.id);
    }),

    // Queries

    test("query: newest first, default limit 20, limit honoured", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const all = await seed(hub, 30);
      assert.deepEqual(ids(await hub.queryLogs()), ids(all).reverse().slice(0, 20));
      assert.deepEqual(ids(await hub.queryLogs({ limit: 3 })), ids(all).reverse().slice(0, 3));
      await rejects(hub.queryLogs({ limit: 0 }), { code: "VALIDATION" }, "limit 0");
      assert.equal(await store.lastLogId(), all[29]?.id);
    }),

    test("query: every filter alone and combined matches the reference semantics", async (ctx) => {
      const { hub } = await ctx.hub();
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
        const what = JSON.stringify(filter);
        assert.deepEqual(ids(await hub.queryLogs({ ...filter, limit: 1000 })), expected, what);
        assert.equal(await hub.countLogs(filter), expected.length, `count ${what}`);
        assert.deepEqual(ids(await hub.queryLogs({ ...filter, limit: 5 })), expected.slice(0, 5), `limit 5 ${what}`);
      }
    }, 60_000),

    test("query: time_end includes the whole second and bounds are inclusive", async (ctx) => {
      const { hub } = await ctx.hub();
      const a = await hub.log({ level: "INFO", category: "system", user: "u", message: "start", timeUs: 1_000_000_000_000_000 });
      const b = await hub.log({ level: "INFO", category: "system", user: "u", message: "end", timeUs: 1_000_000_010_999_999 });
      await hub.log({ level: "INFO", category: "system", user: "u", message: "after", timeUs: 1_000_000_011_000_000 });
      assert.deepEqual(ids(await hub.queryLogs({ timeStart: 1_000_000_000, timeEnd: 1_000_000_010 })), [b.id, a.id]);
    }),

    test("query: time ranges stay correct when records arrive out of time order", async (ctx) => {
      const { hub } = await ctx.hub();
      const records: LogRecord[] = [];
      for (const s of [50, 10, 40, 20, 30, 60, 5]) {
        records.push(await hub.log({ level: "INFO", category: "system", user: "u", message: `at ${s}`, timeUs: (T0 + s) * 1e6 }));
      }
      for (const filter of [{ timeStart: T0 + 15, timeEnd: T0 + 45 }, { timeStart: T0 + 30 }, { timeEnd: T0 + 20 }] as LogFilter[]) {
        const expected = ids(records.filter((r) => matches(r, filter))).reverse();
        assert.deepEqual(ids(await hub.queryLogs(filter)), expected, JSON.stringify(filter));
        assert.equal(await hub.countLogs(filter), expected.length, `count ${JSON.stringify(filter)}`);
      }
    }),

    test("query: text matches literally, whatever the characters", async (ctx) => {
      const { hub } = await ctx.hub();
      const all: LogRecord[] = [];
      for (const message of MESSAGES) all.push(await hub.info("system", message));
      const needles = [
        "%", "100%", "0% d", "_", "e_c", "snake_case", "\\", "C:\\temp", "\\new", "*", "*.tgz", "'", "O'B", '"', '"hi"',
        ".", "a.c", ".^$+?()[]{}|", "()", "[]", "|", "$", "^", "?", "+", "{}", "Ab", "aB", "AB", "x", "%_", "''", "\\%",
      ];
      for (const text of needles) {
        const expected = ids(all.filter((r) => textMatches(r.message, text))).reverse();
        assert.deepEqual(ids(await hub.queryLogs({ text, limit: 100 })), expected, `text ${JSON.stringify(text)}`);
        assert.equal(await hub.countLogs({ text }), expected.length, `count text ${JSON.stringify(text)}`);
      }
    }),

    test("query: text folds ASCII case only, identically in every store", async (ctx) => {
      const { hub } = await ctx.hub();
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
        assert.deepEqual(ids(await hub.queryLogs({ text })), [...expected].reverse(), `text ${JSON.stringify(text)}`);
        assert.equal(await hub.countLogs({ text }), expected.length, `count text ${JSON.stringify(text)}`);
      }
    }),

    test("input: NUL and other control characters are refused in records and filters", async (ctx) => {
      const { hub } = await ctx.hub();
      const kept = await hub.info("system", "line one\nline\ttwo\r\n");
      assert.equal((await hub.queryLogs({ text: "one\nline\tt" }))[0]?.id, kept.id, "tab, LF and CR are kept and matched");
      for (const bad of ["\0", "a\0b", "\u0001", "\u001b[31m", "\u000b", "\ud800", "x\udc00"]) {
        const what = JSON.stringify(bad);
        await rejects(hub.info("system", bad), refused("message"), `message ${what}`);
        await rejects(hub.info("system", "ok", `al${bad}ice`), refused("user"), `user ${what}`);
        await rejects(hub.queryLogs({ text: bad }), refused("text"), `query text ${what}`);
        await rejects(hub.countLogs({ text: bad }), refused("text"), `count text ${what}`);
        await rejects(hub.clearLogs({ text: bad }), refused("text"), `clear text ${what}`);
        await rejects(hub.clearLogs({ user: bad }), refused("user"), `clear user ${what}`);
        await rejects(hub.clearLogs({ level: bad }), refused("level"), `clear level ${what}`);
        await rejects(hub.clearLogs({ category: bad as "system" }), refused("category"), `clear category ${what}`);
      }
      await rejects(hub.info("system", "ok", "tab\tuser"), refused("user"), "a tab in a user name");
      assert.deepEqual(ids(await hub.queryLogs()), [kept.id]);
    }),

    test("clear: an empty-string filter field is refused and nothing is removed", async (ctx) => {
      const { hub } = await ctx.hub();
      await seed(hub, 5);
      await rejects(hub.clearLogs({ text: "" }), refused("text"), "text ''");
      await rejects(hub.clearLogs({ user: "" }), refused("user"), "user ''");
      await rejects(hub.clearLogs({ level: "" }), refused("level"), "level ''");
      await rejects(hub.clearLogs({ level: [] }), refused("level"), "level []");
      await rejects(hub.clearLogs({ category: "" as "system" }), refused("category"), "category ''");
      await rejects(hub.clearLogs({ category: [] }), refused("category"), "category []");
      assert.equal(await hub.countLogs(), 5);
      assert.equal(await hub.clearLogs({}), 5);
    }),

    test("input: levels match INFO, WARN, ERROR in ASCII case only; non-strings are refused", async (ctx) => {
      const { hub } = await ctx.hub();
      const rec = await hub.log({ level: "wArN", category: "system", user: "system", message: "m" });
      assert.equal(rec.level, "WARN");
      assert.deepEqual(ids(await hub.queryLogs({ level: ["warn", "Error"] })), [rec.id]);
      for (const level of ["ınfo", "İNFO", " WARN", "WARN ", "ＷＡＲＮ", "warn\u0000"]) {
        await rejects(hub.queryLogs({ level }), refused("level"), `query level ${JSON.stringify(level)}`);
        await rejects(hub.log({ level, category: "system", user: "system", message: "m" }), refused("level"), `log level ${JSON.stringify(level)}`);
      }
      for (const bad of [1, null, {}, true, [2]] as unknown[]) {
        await rejects(hub.queryLogs({ level: bad as string }), refused("level"), `level ${String(bad)}`);
        await rejects(hub.queryLogs({ category: bad as "system" }), refused("category"), `category ${String(bad)}`);
        await rejects(hub.countLogs({ user: bad as string }), refused("user"), `user ${String(bad)}`);
        await rejects(hub.countLogs({ text: bad as string }), refused("text"), `text ${String(bad)}`);
      }
      // Category names fold ASCII case only too (K is the Kelvin sign).
      await rejects(hub.queryLogs({ category: "ba\u212Aup" as "backup" }), refused("category"), "category with a Kelvin sign");
      assert.equal(await hub.countLogs({ category: "BACKUP" as "backup" }), 0);
      assert.equal(await hub.countLogs(), 1);
    }),

    // Paging

    test("paging: offset pages cover every match once, newest first", async (ctx) => {
      const { hub } = await ctx.hub();
      const all = await seed(hub, 60);
      for (const filter of [{}, { level: ["INFO", "WARN"] }, { user: "alice" }, { text: "container" }] as LogFilter[]) {
        const expected = ids(all.filter((r) => matches(r, filter))).reverse();
        const seen: number[] = [];
        for (let offset = 0; offset < expected.length + 7; offset += 7) seen.push(...ids(await hub.queryLogs({ ...filter, limit: 7, offset })));
        assert.deepEqual(seen, expected, JSON.stringify(filter));
      }
    }),

    test("paging: keyset (beforeId) pages cover every match once, newest first", async (ctx) => {
      const { hub } = await ctx.hub();
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
        assert.deepEqual(seen, expected, JSON.stringify(filter));
      }
    }),

    // Clearing

    test("clear: all records, answering how many", async (ctx) => {
      const { hub } = await ctx.hub();
      await seed(hub, 12);
      assert.equal(await hub.clearLogs(), 12);
      assert.deepEqual(await hub.queryLogs(), []);
      assert.equal(await hub.countLogs(), 0);
    }),

    test("clear: by category (and by any filter) removes only the matches", async (ctx) => {
      const { hub } = await ctx.hub();
      const all = await seed(hub, 80);
      const imports = all.filter((r) => r.category === "import");
      assert.equal(await hub.clearLogs({ category: "import" }), imports.length);
      let rest = all.filter((r) => r.category !== "import");
      assert.deepEqual(ids(await hub.queryLogs({ limit: 1000 })), ids(rest).reverse());
      const filter: LogFilter = { level: "ERROR", timeEnd: T0 + 120, text: "container" };
      const gone = rest.filter((r) => matches(r, filter));
      assert.equal(await hub.clearLogs(filter), gone.length);
      rest = rest.filter((r) => !matches(r, filter));
      assert.deepEqual(ids(await hub.queryLogs({ limit: 1000 })), ids(rest).reverse());
      assert.deepEqual(
        ids(await hub.queryLogs({ limit: 1000, text: "container" })),
        ids(rest.filter((r) => matches(r, { text: "container" }))).reverse(),
      );
    }),

    test("store: an empty list of levels or categories matches nothing", async (ctx) => {
      const { hub, store } = await ctx.hub();
      await seed(hub, 10);
      for (const filter of [{ levels: [] }, { categories: [] }, { levels: [], categories: CATEGORIES }]) {
        assert.deepEqual(await store.queryLogs({ ...filter, order: "desc", limit: 100 }), [], `queryLogs(${JSON.stringify(filter)})`);
        assert.equal(await store.countLogs(filter), 0, `countLogs(${JSON.stringify(filter)})`);
        assert.equal(await store.clearLogs(filter), 0, `clearLogs(${JSON.stringify(filter)})`);
      }
      assert.equal(await store.countLogs({}), 10);
    }),

    // Export order

    test("export: store reads ascending pages with afterId and maxId", async (ctx) => {
      const { hub, store } = await ctx.hub();
      const all = await seed(hub, 25);
      const snapshot = (all[19] as LogRecord).id;
      const seen: number[] = [];
      let afterId = 0;
      for (;;) {
        const page = await store.queryLogs({ order: "asc", afterId, maxId: snapshot, limit: 6, categories: CATEGORIES });
        seen.push(...ids(page));
        if (page.length < 6) break;
        afterId = page[page.length - 1]?.id as number;
      }
      assert.deepEqual(seen, ids(all.slice(0, 20)));
      const asc = await store.queryLogs({ order: "asc", limit: 3, offset: 2, text: "e" });
      assert.deepEqual(ids(asc), ids(all.filter((r) => matches(r, { text: "e" }))).slice(2, 5));
    }),

    test("export: exportCsv lists matching rows oldest first", async (ctx) => {
      const { hub } = await ctx.hub();
      const all = await seed(hub, 30);
      let csv = "";
      for await (const chunk of hub.exportCsv({ category: "container" })) csv += chunk;
      const lines = csv.split("\r\n").filter((l) => l !== "");
      assert.equal(lines[0], "Date,Level,Category,User,Message");
      assert.equal(lines.length, all.filter((r) => r.category === "container").length + 1);
      const dates = lines.slice(1).map((l) => l.slice(0, 26));
      assert.deepEqual(dates, [...dates].sort());
    }),
  ];
}
