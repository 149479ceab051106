import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_LIMITS,
  LogEventHub,
  parseEventQuery,
  parseLogQuery,
  parseWaitQuery,
  ValidationError,
  type HubLimits,
} from "../../src/index.js";
import { resolveLimits } from "../../src/limits.js";

const hubs: LogEventHub<string>[] = [];
function makeHub(limits: Partial<HubLimits>) {
  const hub = new LogEventHub<string>({ limits });
  hubs.push(hub);
  return hub;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

/** The error `fn` throws (the test fails when it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

async function rejected(promise: Promise<unknown>): Promise<ValidationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
}

describe("resolveLimits", () => {
  it("gives the documented defaults when nothing is given", () => {
    expect(resolveLimits(undefined)).toEqual({
      defaultLimit: 20,
      maxLimit: 1000,
      maxWaitMs: 3_600_000,
      defaultWaitTimeoutMs: 60_000,
      maxMessageLength: 8192,
      maxUserLength: 128,
      maxPayloadLength: 65_536,
      maxTextLength: 1024,
    });
    expect(resolveLimits({})).toEqual(DEFAULT_LIMITS);
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });

  it("keeps every given limit and fills in the rest", () => {
    expect(resolveLimits({ maxLimit: 50, maxTextLength: 3 })).toEqual({ ...DEFAULT_LIMITS, maxLimit: 50, maxTextLength: 3 });
  });

  it("treats a limit given as undefined as not given (the default applies, it is not erased)", () => {
    const limits = resolveLimits({ maxLimit: undefined, defaultLimit: 5 } as Partial<HubLimits>);
    expect(limits.maxLimit).toBe(1000);
    expect(limits.defaultLimit).toBe(5);
  });

  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, "10", null]) {
    it(`refuses ${String(bad)} as a limit, naming it and the value`, () => {
      const error = thrown(() => resolveLimits({ maxTextLength: bad as number }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe(`limits.maxTextLength must be a positive integer, got ${String(bad)}`);
    });
  }

  it("accepts 1, the smallest positive integer, for every limit", () => {
    const ones = Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, 1])) as unknown as HubLimits;
    expect(resolveLimits(ones)).toEqual(ones);
  });

  it("checks every limit, not just the first", () => {
    for (const key of Object.keys(DEFAULT_LIMITS)) {
      expect(thrown(() => resolveLimits({ [key]: 0 })).message).toBe(`limits.${key} must be a positive integer, got 0`);
    }
  });

  it("refuses a default page size above the maximum, and accepts it equal", () => {
    const error = thrown(() => resolveLimits({ defaultLimit: 51, maxLimit: 50 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("limits.defaultLimit (51) must not exceed limits.maxLimit (50)");
    expect(resolveLimits({ defaultLimit: 50, maxLimit: 50 }).defaultLimit).toBe(50);
    // The default (20) against a smaller maximum is caught too.
    expect(thrown(() => resolveLimits({ maxLimit: 10 })).message).toBe("limits.defaultLimit (20) must not exceed limits.maxLimit (10)");
  });

  it("refuses a default wait timeout above the longest wait, and accepts it equal", () => {
    const error = thrown(() => resolveLimits({ defaultWaitTimeoutMs: 2000, maxWaitMs: 1999 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe("limits.defaultWaitTimeoutMs (2000) must not exceed limits.maxWaitMs (1999)");
    expect(resolveLimits({ defaultWaitTimeoutMs: 2000, maxWaitMs: 2000 }).maxWaitMs).toBe(2000);
    expect(thrown(() => resolveLimits({ maxWaitMs: 59_999 })).message).toBe(
      "limits.defaultWaitTimeoutMs (60000) must not exceed limits.maxWaitMs (59999)",
    );
  });

  it("refuses a limit of an unknown name instead of ignoring it", () => {
    const error = thrown(() => resolveLimits({ maxLimt: 10 } as Partial<HubLimits>));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^limits\.maxLimt is not a known limit; known limits: defaultLimit, maxLimit, /);
  });

  it("refuses limits that are not an object", () => {
    expect(thrown(() => resolveLimits(5 as unknown as Partial<HubLimits>)).message).toBe("limits must be an object, got number");
    expect(thrown(() => resolveLimits(null as unknown as Partial<HubLimits>)).message).toBe("limits must be an object, got null");
    expect(thrown(() => resolveLimits([] as unknown as Partial<HubLimits>))).toBeInstanceOf(TypeError);
  });

  it("is what the hub's constructor uses: a bad limit fails at construction", () => {
    expect(() => new LogEventHub({ limits: { maxLimit: 0 } })).toThrow("limits.maxLimit must be a positive integer, got 0");
    expect(makeHub({ maxLimit: 7, defaultLimit: 7 }).limits.maxLimit).toBe(7);
  });
});

describe("custom limits on the hub", () => {
  it("bounds the page size of queries and event reads by maxLimit, and uses defaultLimit", async () => {
    const hub = makeHub({ maxLimit: 3, defaultLimit: 2 });
    for (let i = 0; i < 4; i++) await hub.info("system", `m${i}`);
    for (let i = 0; i < 4; i++) await hub.publish({ category: "image", user: "all", payload: { i } } as never);
    expect(await hub.queryLogs()).toHaveLength(2);
    expect(await hub.queryLogs({ limit: 3 })).toHaveLength(3);
    const error = await rejected(hub.queryLogs({ limit: 4 }));
    expect(error.param).toBe("limit");
    expect(error.message).toBe(`"limit" must be an integer between 1 and 3, got 4`);
    expect((await hub.readEvents()).events).toHaveLength(2);
    expect((await rejected(hub.readEvents({ limit: 4 }))).message).toBe(`"limit" must be an integer between 1 and 3, got 4`);
    expect(() => hub.parseLogQuery(new URLSearchParams("limit=4"))).toThrow(`Parameter "limit" must be between 1 and 3, got 4`);
    expect(hub.parseEventQuery(new URLSearchParams("limit=3"))).toEqual({ limit: 3 });
  });

  it("bounds messages, users, payloads and text filters at exactly their maximum length", async () => {
    const hub = makeHub({ maxMessageLength: 5, maxUserLength: 3, maxPayloadLength: 9, maxTextLength: 2 });
    expect((await hub.info("system", "12345", "abc")).message).toBe("12345");
    const long = await rejected(hub.info("system", "123456", "abc"));
    expect([long.param, long.message]).toEqual(["message", `"message" is longer than 5 characters`]);
    const user = await rejected(hub.info("system", "x", "abcd"));
    expect([user.param, user.message]).toEqual(["user", `"user" is longer than 3 characters`]);
    // {"a":"12"} is 10 characters as JSON, {"a":"1"} is 9.
    expect((await hub.publish({ category: "image", user: "all", payload: { a: "1" } } as never)).payload).toEqual({ a: "1" });
    const payload = await rejected(hub.publish({ category: "image", user: "all", payload: { a: "12" } } as never));
    expect([payload.param, payload.message]).toEqual(["payload", `"payload" is larger than 9 characters as JSON`]);
    expect(await hub.countLogs({ text: "12" })).toBe(1);
    const text = await rejected(hub.countLogs({ text: "123" }));
    expect([text.param, text.message]).toEqual(["text", `"text" is longer than 2 characters`]);
    expect(() => hub.parseLogQuery(new URLSearchParams("text=123"))).toThrow(`"text" is longer than 2 characters`);
  });

  it("bounds long polls and wait-for-state durations by maxWaitMs", async () => {
    const hub = makeHub({ maxWaitMs: 2000, defaultWaitTimeoutMs: 1000 });
    expect(hub.parseEventQuery(new URLSearchParams("wait=2"))).toEqual({ wait: 2000 });
    expect(() => hub.parseEventQuery(new URLSearchParams("wait=3"))).toThrow(`Parameter "wait" must be between 0 and 2, got 3`);
    expect(hub.parseWaitQuery({ type: "lxc", id: "c1", state: "running" }).timeout).toBe(1000);
    expect(hub.parseWaitQuery({ type: "lxc", id: "c1", state: "running", duration: "2" }).timeout).toBe(2000);
    expect(() => hub.parseWaitQuery({ type: "lxc", id: "c1", state: "running", duration: "3" })).toThrow(
      `Parameter "duration" must be between 0 and 2, got 3`,
    );
    const wait = await rejected(hub.readEvents({ index: 0, wait: 2001 }));
    expect([wait.param, wait.message]).toEqual(["wait", `"wait" must be an integer between 0 and 2000, got 2001`]);
  });
});

describe("limits given to the parsing functions", () => {
  it("apply the defaults to a limit given as undefined, instead of lifting the bound", () => {
    const limits = { maxLimit: undefined } as Partial<HubLimits>;
    expect(() => parseLogQuery({ limit: "1001" }, { limits })).toThrow(`Parameter "limit" must be between 1 and 1000, got 1001`);
    expect(() => parseEventQuery({ limit: "1001" }, { limits })).toThrow(ValidationError);
    const wait = { maxWaitMs: undefined, defaultWaitTimeoutMs: undefined } as Partial<HubLimits>;
    expect(parseWaitQuery({ type: "lxc", id: "a", state: "stopped" }, { limits: wait }).timeout).toBe(60_000);
  });

  it("are checked like the hub's", () => {
    expect(() => parseLogQuery({}, { limits: { maxLimit: -1 } })).toThrow("limits.maxLimit must be a positive integer, got -1");
  });
});
