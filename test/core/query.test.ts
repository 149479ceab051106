import { describe, expect, it } from "vitest";
import { LogEventHub, MAX_EXPORT_LIMIT, parseEventQuery, parseExportQuery, parseLogQuery, parseWaitQuery, ValidationError } from "../../src/index.js";

function rejects(fn: () => unknown, param?: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ValidationError);
  expect((caught as ValidationError).code).toBe("VALIDATION");
  if (param !== undefined) expect((caught as ValidationError).param).toBe(param);
}

describe("parseLogQuery", () => {
  it("parses every parameter of the seed into a typed query", () => {
    const q = parseLogQuery(
      new URLSearchParams("time_start=1426613400&time_end=1426613412&limit=5&offset=2&user=Anonymous&level=warn,ERROR&category=Import,system&text=50%25_x"),
    );
    expect(q).toEqual({
      timeStart: 1426613400,
      timeEnd: 1426613412,
      limit: 5,
      offset: 2,
      user: "Anonymous",
      level: ["WARN", "ERROR"],
      category: ["import", "system"],
      text: "50%_x",
    });
  });

  it("does not invent a limit and treats 0 bounds as given (unbounded)", () => {
    expect(parseLogQuery({})).toEqual({});
    expect(parseLogQuery({ time_start: "0", time_end: "0" })).toEqual({ timeStart: 0, timeEnd: 0 });
  });

  it("accepts start/end as aliases and a plain record such as req.query", () => {
    expect(parseLogQuery({ start: "10", end: "20", before_id: "7" })).toEqual({ timeStart: 10, timeEnd: 20, beforeId: 7 });
    expect(parseLogQuery({ limit: ["5"] })).toEqual({ limit: 5 });
  });

  it("ignores unknown parameters such as cache busters", () => {
    expect(parseLogQuery({ _: "1700000000", limit: "3" })).toEqual({ limit: 3 });
  });

  it("accepts the configured maximum limit and custom categories", () => {
    expect(parseLogQuery({ limit: "1000" }).limit).toBe(1000);
    expect(parseLogQuery({ limit: "50", category: "audit" }, { categories: ["audit"], limits: { maxLimit: 50 } })).toEqual({
      limit: 50,
      category: ["audit"],
    });
  });

  const bad: [string, string][] = [
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["limit=1e3", "limit"],
    ["limit=20abc", "limit"],
    ["limit=%205", "limit"],
    ["limit=5%20", "limit"],
    ["limit=-1", "limit"],
    ["limit=0x10", "limit"],
    ["limit=05", "limit"],
    ["limit=", "limit"],
    ["limit=2.5", "limit"],
    ["offset=-1", "offset"],
    ["offset=abc", "offset"],
    ["limit=5&limit=6", "limit"],
    ["user=a&user=b", "user"],
    ["level=DEBUG", "level"],
    ["level=INFO,NOPE", "level"],
    ["level=INFO,", "level"],
    ["category=containers", "category"],
    ["time_start=20&time_end=10", "time_start"],
    ["time_start=10&start=10", "time_start"],
    ["time_end=10&end=10", "time_end"],
    ["time_start=-5", "time_start"],
    ["end=1.5", "end"],
    ["before_id=0", "before_id"],
    [`text=${"x".repeat(1025)}`, "text"],
    // Control characters no store can keep, named as sent.
    ["text=%00", "text"],
    ["text=a%00b", "text"],
    ["text=%1B%5B31m", "text"],
    ["user=al%00ice", "user"],
    ["user=al%0Aice", "user"],
    ["level=INFO%00", "level"],
    ["category=system%00", "category"],
    // Levels: ASCII case variants only; no look-alikes, no spaces.
    ["level=%C4%B1nfo", "level"], // dotless i
    ["level=WARN,%20ERROR", "level"],
    ["level=%20WARN", "level"],
    ["category=bac%E2%84%AAup", "category"], // Kelvin sign
    // Time bounds are named as the client spelled them, even past the typed API's range.
    ["time_end=9007199254740991", "time_end"],
    ["end=9007199254740991", "end"],
    ["start=9007199254740991", "start"],
    ["start=20&end=10", "start"],
  ];
  for (const [query, param] of bad) {
    it(`refuses ${query.length > 40 ? `${query.slice(0, 40)}…` : query}`, () => {
      rejects(() => parseLogQuery(new URLSearchParams(query)), param);
    });
  }

  it("refuses unpaired surrogates from a record (they cannot be stored as UTF-8)", () => {
    rejects(() => parseLogQuery({ text: "a\ud800" }), "text");
    rejects(() => parseLogQuery({ user: "\udc00b" }), "user");
  });

  it("names the wire parameter in the message too", () => {
    expect(() => parseLogQuery(new URLSearchParams("start=20&end=10"))).toThrow(/"start" must not be after "end"/);
    expect(() => parseLogQuery(new URLSearchParams("end=99999999999999"))).toThrow(/"end"/);
    expect(() => parseLogQuery(new URLSearchParams("level=WARN,%20ERROR"))).toThrow(/no spaces/);
  });

  it("accepts tab, line feed and carriage return in text, and any printable Unicode", () => {
    expect(parseLogQuery({ text: "a\tb\r\nc" }).text).toBe("a\tb\r\nc");
    expect(parseLogQuery({ text: "\u{1F600}e\u0301 %_*\\'\"" }).text).toBe("\u{1F600}e\u0301 %_*\\'\"");
    expect(parseLogQuery({ level: "wArN,error" }).level).toEqual(["WARN", "ERROR"]);
  });

  it("refuses a limit above a configured maximum", () => {
    rejects(() => parseLogQuery({ limit: "51" }, { limits: { maxLimit: 50 } }), "limit");
  });

  it("refuses non-string values from a record", () => {
    rejects(() => parseLogQuery({ limit: 5 as unknown as string }), "limit");
    rejects(() => parseLogQuery({ user: { a: 1 } as unknown as string }), "user");
  });
});

describe("parseEventQuery", () => {
  it("parses index, limit and wait (seconds to milliseconds)", () => {
    expect(parseEventQuery({ index: "56", limit: "20", wait: "30" })).toEqual({ index: 56, limit: 20, wait: 30_000 });
    expect(parseEventQuery({})).toEqual({});
    expect(parseEventQuery({ index: "0" })).toEqual({ index: 0 });
  });

  for (const [query, param] of [
    ["index=-1", "index"],
    ["index=1.5", "index"],
    ["index=abc", "index"],
    ["index=1&index=2", "index"],
    ["limit=0", "limit"],
    ["limit=1001", "limit"],
    ["wait=3601", "wait"],
    ["wait=-1", "wait"],
    ["wait=1e2", "wait"],
  ] as const) {
    it(`refuses ${query}`, () => rejects(() => parseEventQuery(new URLSearchParams(query)), param));
  }
});

describe("parseWaitQuery", () => {
  it("parses path parameters and duration with the seed's default of 60 s", () => {
    expect(parseWaitQuery({ type: "lxc", id: "utest", state: "stopped", duration: "5" })).toEqual({
      type: "lxc",
      id: "utest",
      state: "stopped",
      timeout: 5000,
    });
    expect(parseWaitQuery({ type: "docker", id: "x", state: "running" }).timeout).toBe(60_000);
  });

  for (const [params, param] of [
    [{ type: "kvm", id: "a", state: "running" }, "type"],
    [{ type: "lxc", id: "", state: "running" }, "id"],
    [{ type: "lxc", id: "a", state: "paused" }, "state"],
    [{ type: "lxc", id: "a", state: "running", duration: "3601" }, "duration"],
    [{ type: "lxc", id: "a", state: "running", duration: "-1" }, "duration"],
    [{ type: "lxc", id: "a", state: "running", duration: "5s" }, "duration"],
  ] as const) {
    it(`refuses ${JSON.stringify(params)}`, () => rejects(() => parseWaitQuery(params), param));
  }
});

describe("parseExportQuery (one bound for the export's limit: the wire, exportCsv and the docs)", () => {
  it("reads the log filters and a limit above the page limit, up to 2^53-1", () => {
    expect(parseExportQuery(new URLSearchParams("limit=5000&level=warn&category=Import"))).toEqual({
      limit: 5000,
      level: ["WARN"],
      category: ["import"],
    });
    expect(parseExportQuery({ limit: String(Number.MAX_SAFE_INTEGER) }).limit).toBe(MAX_EXPORT_LIMIT);
    expect(MAX_EXPORT_LIMIT).toBe(2 ** 53 - 1);
    expect(parseExportQuery({})).toEqual({});
    // maxLimit bounds pages, not exports.
    expect(parseExportQuery({ limit: "51" }, { limits: { maxLimit: 50 } }).limit).toBe(51);
  });

  for (const [query, param] of [
    ["limit=0", "limit"],
    [`limit=${2 ** 53}`, "limit"],
    ["limit=1e3", "limit"],
    ["limit=5&limit=6", "limit"],
    ["offset=1", "offset"],
    ["before_id=3", "before_id"],
    ["level=loud", "level"],
  ] as const) {
    it(`refuses ${query}`, () => rejects(() => parseExportQuery(new URLSearchParams(query)), param));
  }

  it("the library takes what the wire takes: exportCsv accepts the parsed limit", async () => {
    const hub = new LogEventHub();
    await hub.info("system", "one");
    let csv = "";
    for await (const chunk of hub.exportCsv(hub.parseExportQuery(new URLSearchParams(`limit=${MAX_EXPORT_LIMIT}`)))) csv += chunk;
    expect(csv.split("\r\n").filter(Boolean)).toHaveLength(2);
    expect(() => hub.exportCsv({ limit: MAX_EXPORT_LIMIT + 1 })).toThrow(ValidationError);
    await hub.close();
  });
});
