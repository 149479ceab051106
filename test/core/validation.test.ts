// What a caller reads when input is refused: the error's class, `param` and message, at the
// boundaries of every bound (the largest accepted value and the first refused one).
import { afterEach, describe, expect, it } from "vitest";
import { LogEventHub, parseEventQuery, parseLogQuery, parseWaitQuery, ValidationError, type QueryParams } from "../../src/index.js";
// Internal helpers (not exported from the package root): tested where they live.
import { resolveLimits } from "../../src/limits.js";
import {
  checkInteger,
  knownCategories,
  normalizeCategories,
  normalizeCategory,
  normalizeFilter,
  normalizeLevel,
  normalizeLevels,
  refuseEmptyFilterParams,
} from "../../src/query.js";

/** The ValidationError `fn` throws, as [param, message]. */
function refusal(fn: () => unknown): [string | undefined, string] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [(error as ValidationError).param, (error as ValidationError).message];
  }
  throw new Error("expected a ValidationError, nothing was thrown");
}

async function refusalOf(promise: Promise<unknown>): Promise<[string | undefined, string]> {
  const error = await promise.then(
    () => new Error("expected a ValidationError, the call succeeded"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return [(error as ValidationError).param, (error as ValidationError).message];
}

const log = (query: string) => () => parseLogQuery(new URLSearchParams(query));

/** The largest time bound, in epoch seconds, whose microseconds are a safe integer. */
const MAX_SECONDS = 9_007_199_253;

describe("parseLogQuery: boundaries and messages", () => {
  it("accepts the largest time bound and refuses one past it, under either name", () => {
    expect(parseLogQuery({ time_start: `${MAX_SECONDS}`, time_end: `${MAX_SECONDS}` })).toEqual({ timeStart: MAX_SECONDS, timeEnd: MAX_SECONDS });
    expect(parseLogQuery({ start: `${MAX_SECONDS}` })).toEqual({ timeStart: MAX_SECONDS });
    expect(refusal(log(`time_start=${MAX_SECONDS + 1}`))).toEqual([
      "time_start",
      `Parameter "time_start" must be between 0 and ${MAX_SECONDS}, got ${MAX_SECONDS + 1}`,
    ]);
    expect(refusal(log(`end=${MAX_SECONDS + 1}`))).toEqual(["end", `Parameter "end" must be between 0 and ${MAX_SECONDS}, got ${MAX_SECONDS + 1}`]);
    // Its microseconds are still exact.
    expect(Number.isSafeInteger(MAX_SECONDS * 1_000_000 + 999_999)).toBe(true);
  });

  it("accepts equal time_start and time_end (one second), refuses start after end naming both as sent", () => {
    expect(parseLogQuery({ time_start: "100", time_end: "100" })).toEqual({ timeStart: 100, timeEnd: 100 });
    expect(parseLogQuery({ start: "100", time_end: "101" })).toEqual({ timeStart: 100, timeEnd: 101 });
    expect(refusal(log("time_start=101&time_end=100"))).toEqual(["time_start", `"time_start" must not be after "time_end"`]);
    expect(refusal(log("start=101&end=100"))).toEqual(["start", `"start" must not be after "end"`]);
    expect(refusal(log("time_start=101&end=100"))).toEqual(["time_start", `"time_start" must not be after "end"`]);
  });

  it("a 0 time bound means no bound, so 0 against a later end is fine, and a start against end 0 too", () => {
    expect(parseLogQuery({ time_start: "5", time_end: "0" })).toEqual({ timeStart: 5, timeEnd: 0 });
    expect(parseLogQuery({ time_start: "0", time_end: "5" })).toEqual({ timeStart: 0, timeEnd: 5 });
  });

  it("names the bound given twice under both names", () => {
    expect(refusal(log("time_start=1&start=1"))).toEqual(["time_start", `Give either "time_start" or "start", not both`]);
    expect(refusal(log("time_end=1&end=1"))).toEqual(["time_end", `Give either "time_end" or "end", not both`]);
  });

  it("accepts text of exactly the maximum length and refuses one character more", () => {
    expect(parseLogQuery({ text: "x".repeat(1024) }).text).toHaveLength(1024);
    expect(refusal(() => parseLogQuery({ text: "x".repeat(1025) }))).toEqual(["text", `"text" is longer than 1024 characters`]);
    expect(parseLogQuery({ text: "" })).toEqual({});
  });

  it("says what is wrong with an integer, quoting what was sent", () => {
    expect(refusal(log("limit=abc"))).toEqual(["limit", `Parameter "limit" must be a decimal integer, got "abc"`]);
    expect(refusal(log("limit=0"))).toEqual(["limit", `Parameter "limit" must be between 1 and 1000, got 0`]);
    expect(refusal(log("limit=1001"))).toEqual(["limit", `Parameter "limit" must be between 1 and 1000, got 1001`]);
    expect(parseLogQuery({ limit: "1", offset: "0", before_id: "1" })).toEqual({ limit: 1, offset: 0, beforeId: 1 });
    expect(refusal(log("before_id=0"))).toEqual(["before_id", `Parameter "before_id" must be between 1 and ${Number.MAX_SAFE_INTEGER}, got 0`]);
    expect(refusal(log("offset=9007199254740992"))).toEqual([
      "offset",
      `Parameter "offset" must be between 0 and ${Number.MAX_SAFE_INTEGER}, got 9007199254740992`,
    ]);
    expect(parseLogQuery({ offset: `${Number.MAX_SAFE_INTEGER}` }).offset).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("refuses a parameter given twice, in a URLSearchParams or a record", () => {
    expect(refusal(log("user=a&user=b"))).toEqual(["user", `Parameter "user" is given more than once`]);
    expect(refusal(() => parseLogQuery({ user: ["a", "b"] }))).toEqual(["user", `Parameter "user" is given more than once`]);
    expect(parseLogQuery({ user: ["a"] })).toEqual({ user: "a" });
    expect(parseLogQuery({ user: [] })).toEqual({});
    expect(refusal(() => parseLogQuery({ user: [5] }))).toEqual(["user", `Parameter "user" must be a plain string`]);
    expect(refusal(() => parseLogQuery({ limit: 5 }))).toEqual(["limit", `Parameter "limit" must be a plain string`]);
  });

  it("refuses `level=WARN, ERROR` (a space after the comma), with a hint", () => {
    expect(refusal(log("level=WARN,%20ERROR"))).toEqual([
      "level",
      `Unknown level " ERROR" in "level": expected one of INFO, WARN, ERROR (no spaces around names)`,
    ]);
    expect(refusal(log("level=DEBUG"))).toEqual(["level", `Unknown level "DEBUG" in "level": expected one of INFO, WARN, ERROR`]);
    expect(parseLogQuery({ level: "" })).toEqual({});
  });

  it("names the categories a host registered when refusing one", () => {
    expect(refusal(() => parseLogQuery({ category: "nope" }, { categories: ["audit"] }))).toEqual([
      "category",
      `Unknown category "nope" in "category": expected one of container, image, import, export, backup, system, audit`,
    ]);
    expect(parseLogQuery({ category: "AUDIT,System" }, { categories: ["audit"] }).category).toEqual(["audit", "system"]);
    expect(parseLogQuery({ category: "" })).toEqual({});
  });

  it("keeps a user name as sent, refusing control characters in it", () => {
    expect(parseLogQuery({ user: "Anonymous" })).toEqual({ user: "Anonymous" });
    expect(parseLogQuery({ user: "" })).toEqual({});
    expect(refusal(() => parseLogQuery({ user: "a\tb" }))).toEqual(["user", `"user" contains a control character (U+0009), which is not allowed`]);
  });
});

describe("parseEventQuery and parseWaitQuery: boundaries and messages", () => {
  it("accepts the longest wait and refuses one second more", () => {
    expect(parseEventQuery({ wait: "3600", limit: "1000", index: "0" })).toEqual({ wait: 3_600_000, limit: 1000, index: 0 });
    expect(refusal(() => parseEventQuery({ wait: "3601" }))).toEqual(["wait", `Parameter "wait" must be between 0 and 3600, got 3601`]);
    expect(parseEventQuery({ wait: "0" })).toEqual({ wait: 0 });
  });

  it("accepts an id of exactly 256 characters and refuses 257", () => {
    const ok = { type: "docker", id: "a".repeat(256), state: "running" };
    expect(parseWaitQuery(ok).id).toHaveLength(256);
    expect(refusal(() => parseWaitQuery({ ...ok, id: "a".repeat(257) }))).toEqual(["id", `"id" must be a non-empty container id or name`]);
    expect(refusal(() => parseWaitQuery({ ...ok, id: "" }))).toEqual(["id", `"id" must be a non-empty container id or name`]);
    expect(refusal(() => parseWaitQuery({ type: "docker", state: "running" }))).toEqual(["id", `"id" must be a non-empty container id or name`]);
    expect(refusal(() => parseWaitQuery({ ...ok, id: "a\nb" }))).toEqual(["id", `"id" contains a control character (U+000A), which is not allowed`]);
  });

  it("names the allowed types and states", () => {
    expect(refusal(() => parseWaitQuery({ type: "kvm", id: "a", state: "running" }))).toEqual(["type", `"type" must be one of lxc, docker`]);
    expect(refusal(() => parseWaitQuery({ id: "a", state: "running" }))).toEqual(["type", `"type" must be one of lxc, docker`]);
    expect(refusal(() => parseWaitQuery({ type: "lxc", id: "a", state: "paused" }))).toEqual(["state", `"state" must be one of running, stopped`]);
    expect(refusal(() => parseWaitQuery({ type: "lxc", id: "a" }))).toEqual(["state", `"state" must be one of running, stopped`]);
  });

  it("accepts the longest duration and 0, and refuses one second more", () => {
    const base = { type: "lxc", id: "a", state: "stopped" };
    expect(parseWaitQuery({ ...base, duration: "3600" }).timeout).toBe(3_600_000);
    expect(parseWaitQuery({ ...base, duration: "0" }).timeout).toBe(0);
    expect(refusal(() => parseWaitQuery({ ...base, duration: "3601" }))).toEqual(["duration", `Parameter "duration" must be between 0 and 3600, got 3601`]);
  });
});

describe("refuseEmptyFilterParams", () => {
  it("refuses each filter parameter given empty, naming it, in a URLSearchParams or a record", () => {
    for (const name of ["time_start", "start", "time_end", "end", "user", "level", "category", "text"]) {
      const expected: [string, string] = [
        name,
        `Parameter "${name}" is empty: name what to clear, or send no filter parameter at all to clear everything`,
      ];
      expect(refusal(() => refuseEmptyFilterParams(new URLSearchParams(`${name}=`)))).toEqual(expected);
      expect(refusal(() => refuseEmptyFilterParams({ [name]: "" }))).toEqual(expected);
      expect(refusal(() => refuseEmptyFilterParams({ [name]: ["x", ""] }))).toEqual(expected);
    }
  });

  it("lets through filters with values, no filters, and empty paging parameters", () => {
    const ok: QueryParams[] = [new URLSearchParams(""), {}, { category: "image", limit: "" }, new URLSearchParams("user=a&level=INFO")];
    for (const params of ok) expect(refuseEmptyFilterParams(params)).toBeUndefined();
  });
});

describe("typed filters: non-string values are a ValidationError, not a TypeError", () => {
  const known = ["container", "system"];
  const limits = resolveLimits(undefined);

  it("levels", () => {
    expect(refusal(() => normalizeLevels(5))).toEqual(["level", `"level" must be a level or an array of them, got a number`]);
    expect(refusal(() => normalizeLevels(null))).toEqual(["level", `"level" must be a level or an array of them, got null`]);
    expect(refusal(() => normalizeLevels([5]))).toEqual(["level", `"level" must be a string, got a number`]);
    expect(refusal(() => normalizeLevels([["INFO"]]))).toEqual(["level", `"level" must be a string, got an array`]);
    expect(refusal(() => normalizeLevels([]))).toEqual(["level", `"level" must name at least one level`]);
    expect(normalizeLevels(["info", "Warn"])).toEqual(["INFO", "WARN"]);
    expect(normalizeLevels(undefined)).toBeUndefined();
  });

  it("categories", () => {
    expect(refusal(() => normalizeCategories({}, known))).toEqual(["category", `"category" must be a category or an array of them, got an object`]);
    expect(refusal(() => normalizeCategories([undefined], known))).toEqual(["category", `"category" must be a string, got undefined`]);
    expect(refusal(() => normalizeCategories([true], known))).toEqual(["category", `"category" must be a string, got a boolean`]);
    expect(refusal(() => normalizeCategories([], known))).toEqual(["category", `"category" must name at least one category`]);
    expect(normalizeCategories("SYSTEM", known)).toEqual(["system"]);
  });

  it("normalizeFilter: every field, named as the typed API spells it", () => {
    const f = (filter: unknown, refuseEmpty = false) => () => normalizeFilter(filter as never, known, limits, { refuseEmpty });
    expect(refusal(f(5))).toEqual([undefined, "The filter must be an object, got a number"]);
    expect(refusal(f(null))).toEqual([undefined, "The filter must be an object, got null"]);
    expect(refusal(f({ user: 5 }))).toEqual(["user", `"user" must be a string, got a number`]);
    expect(refusal(f({ text: [] }))).toEqual(["text", `"text" must be a string, got an array`]);
    expect(refusal(f({ level: 1 }))).toEqual(["level", `"level" must be a level or an array of them, got a number`]);
    expect(refusal(f({ category: [1] }))).toEqual(["category", `"category" must be a string, got a number`]);
    expect(refusal(f({ timeStart: "5" }))).toEqual(["timeStart", `"timeStart" must be an integer between 0 and ${MAX_SECONDS}, got 5`]);
    expect(refusal(f({ timeEnd: MAX_SECONDS + 1 }))).toEqual(["timeEnd", `"timeEnd" must be an integer between 0 and ${MAX_SECONDS}, got ${MAX_SECONDS + 1}`]);
    expect(refusal(f({ timeStart: 6, timeEnd: 5 }))).toEqual(["timeStart", `"timeStart" must not be after "timeEnd"`]);
    expect(refusal(f({ text: "x".repeat(1025) }))).toEqual(["text", `"text" is longer than 1024 characters`]);
    expect(refusal(f({ text: "a\u0000" }))).toEqual(["text", `"text" contains a control character (U+0000), which is not allowed`]);
  });

  it("normalizeFilter: microsecond bounds, inclusive, with time_end covering its whole second", () => {
    expect(normalizeFilter({ timeStart: 5, timeEnd: 5 }, known, limits)).toEqual({ fromUs: 5_000_000, toUs: 5_999_999 });
    expect(normalizeFilter({ timeStart: MAX_SECONDS, timeEnd: MAX_SECONDS }, known, limits)).toEqual({
      fromUs: MAX_SECONDS * 1_000_000,
      toUs: MAX_SECONDS * 1_000_000 + 999_999,
    });
    expect(normalizeFilter({ timeStart: 0, timeEnd: 0 }, known, limits)).toEqual({});
    expect(normalizeFilter(undefined, known, limits)).toEqual({});
    expect(normalizeFilter({ text: "x".repeat(1024), user: "a" }, known, limits)).toEqual({ text: "x".repeat(1024), user: "a" });
    expect(normalizeFilter({ level: ["info", "INFO"], category: ["system", "System"] }, known, limits)).toEqual({ levels: ["INFO"], categories: ["system"] });
    expect(normalizeFilter({ user: "", text: "" }, known, limits)).toEqual({});
  });

  it("normalizeFilter with refuseEmpty: an empty field is refused, naming it", () => {
    const f = (filter: unknown) => () => normalizeFilter(filter as never, known, limits, { refuseEmpty: true });
    for (const [name, value] of [["user", ""], ["text", ""], ["level", [""]], ["category", ["system", ""]], ["level", ""]] as const) {
      expect(refusal(f({ [name]: value }))).toEqual([name, `"${name}" is empty: name what to clear, or give no filter at all to clear everything`]);
    }
    expect(normalizeFilter({ user: "a", level: "INFO" }, known, limits, { refuseEmpty: true })).toEqual({ user: "a", levels: ["INFO"] });
  });

  it("checkInteger names the option and the value", () => {
    expect(checkInteger(3, "limit", 3, 3)).toBe(3);
    expect(refusal(() => checkInteger(2, "limit", 3, 4))).toEqual(["limit", `"limit" must be an integer between 3 and 4, got 2`]);
    expect(refusal(() => checkInteger(5, "limit", 3, 4))).toEqual(["limit", `"limit" must be an integer between 3 and 4, got 5`]);
    expect(refusal(() => checkInteger(3.5, "limit", 3, 4))).toEqual(["limit", `"limit" must be an integer between 3 and 4, got 3.5`]);
    expect(refusal(() => checkInteger("3", "limit", 3, 4))).toEqual(["limit", `"limit" must be an integer between 3 and 4, got 3`]);
  });
});

describe("the hub refuses non-string fields with a ValidationError naming them", () => {
  const hubs: LogEventHub[] = [];
  afterEach(async () => {
    await Promise.all(hubs.splice(0).map((h) => h.close()));
  });
  function makeHub() {
    const hub = new LogEventHub();
    hubs.push(hub);
    return hub;
  }

  it("log(): level, category, user and message", async () => {
    const hub = makeHub();
    const record = { level: "INFO", category: "system", user: "u", message: "m" };
    expect(await refusalOf(hub.log({ ...record, level: 5 } as never))).toEqual(["level", `"level" must be a string, got a number`]);
    expect(await refusalOf(hub.log({ ...record, level: "INFO " } as never))).toEqual([
      "level",
      `Unknown level "INFO " in "level": expected one of INFO, WARN, ERROR (no spaces around names)`,
    ]);
    expect(await refusalOf(hub.log({ ...record, category: ["system"] } as never))).toEqual(["category", `"category" must be a string, got an array`]);
    expect(await refusalOf(hub.log({ ...record, user: 7 } as never))).toEqual(["user", `"user" must be a non-empty string`]);
    expect(await refusalOf(hub.log({ ...record, user: "a:b" } as never))).toEqual(["user", `"user" must not contain ":"`]);
    expect(await refusalOf(hub.log({ ...record, message: 7 } as never))).toEqual(["message", `"message" must be a non-empty string`]);
    expect(await refusalOf(hub.log({ ...record, message: "" } as never))).toEqual(["message", `"message" must be a non-empty string`]);
    expect(await refusalOf(hub.log(null as never))).toEqual([undefined, "A log record must be an object"]);
    expect(await refusalOf(hub.log({ ...record, time: "yesterday" } as never))).toEqual(["time", `"time" must be a valid Date or epoch milliseconds`]);
    expect(await refusalOf(hub.log({ ...record, time: -1 } as never))).toEqual(["time", `"time" must be a valid Date or epoch milliseconds`]);
    expect(await hub.countLogs()).toBe(0);
  });

  it("messages of exactly the maximum length are kept, one more is refused", async () => {
    const hub = makeHub();
    expect((await hub.info("system", "m".repeat(8192))).message).toHaveLength(8192);
    expect(await refusalOf(hub.info("system", "m".repeat(8193)))).toEqual(["message", `"message" is longer than 8192 characters`]);
    expect((await hub.info("system", "m", "u".repeat(128))).user).toHaveLength(128);
    expect(await refusalOf(hub.info("system", "m", "u".repeat(129)))).toEqual(["user", `"user" is longer than 128 characters`]);
  });

  it("queries: level and category of the wrong type", async () => {
    const hub = makeHub();
    expect(await refusalOf(hub.queryLogs({ level: 5 } as never))).toEqual(["level", `"level" must be a level or an array of them, got a number`]);
    expect(await refusalOf(hub.countLogs({ category: [null] } as never))).toEqual(["category", `"category" must be a string, got null`]);
    expect(await refusalOf(hub.clearLogs({ level: [""] } as never))).toEqual([
      "level",
      `"level" is empty: name what to clear, or give no filter at all to clear everything`,
    ]);
    expect(await refusalOf(hub.queryLogs({ offset: -1 }))).toEqual(["offset", `"offset" must be an integer between 0 and ${Number.MAX_SAFE_INTEGER}, got -1`]);
    expect(await refusalOf(hub.queryLogs({ beforeId: 0 }))).toEqual(["beforeId", `"beforeId" must be an integer between 1 and ${Number.MAX_SAFE_INTEGER}, got 0`]);
  });

  it("events: category, payload and user", async () => {
    const hub = makeHub();
    expect(await refusalOf(hub.publish({ category: 5, user: "all", payload: {} } as never))).toEqual([
      "category",
      "Unknown event category 5: expected one of image, container, export, import",
    ]);
    expect(await refusalOf(hub.publish({ category: "image", user: "all", payload: [] } as never))).toEqual(["payload", `"payload" must be a JSON object`]);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await refusalOf(hub.publish({ category: "image", user: "all", payload: cyclic } as never))).toEqual([
      "payload",
      `"payload" cannot be serialised as JSON`,
    ]);
    expect(await refusalOf(hub.readEvents({ user: "" }))).toEqual(["user", `"user" must be a non-empty string`]);
    expect(await refusalOf(hub.publish(undefined as never))).toEqual([undefined, "An event must be an object"]);
  });
});

describe("what the mutation run found untested", () => {
  it("parsed queries hold only the fields that were given (no keys set to undefined)", () => {
    expect(parseLogQuery({})).toStrictEqual({});
    expect(parseLogQuery({ level: "", category: "", user: "", text: "" })).toStrictEqual({});
    expect(parseEventQuery({})).toStrictEqual({});
  });

  it("the level and category checks name `level` and `category` when called without a parameter name", () => {
    expect(refusal(() => normalizeLevel(5))).toEqual(["level", `"level" must be a string, got a number`]);
    expect(refusal(() => normalizeCategory(5, ["system"]))).toEqual(["category", `"category" must be a string, got a number`]);
  });

  it("knownCategories without extras is the built-in list", () => {
    expect(knownCategories(undefined)).toEqual(["container", "image", "import", "export", "backup", "system"]);
  });

  it("a typed filter's timeEnd of 0 means no bound, so any timeStart goes with it", () => {
    const limits = resolveLimits(undefined);
    expect(normalizeFilter({ timeStart: 5, timeEnd: 0 }, [], limits)).toStrictEqual({ fromUs: 5_000_000 });
    expect(normalizeFilter({ timeStart: 0, timeEnd: 5 }, [], limits)).toStrictEqual({ toUs: 5_999_999 });
  });

  it("a typed filter's user is checked as a single-line field named `user`", () => {
    expect(refusal(() => normalizeFilter({ user: "a\tb" }, [], resolveLimits(undefined)))).toEqual([
      "user",
      `"user" contains a control character (U+0009), which is not allowed`,
    ]);
  });
});
