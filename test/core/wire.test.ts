import { describe, expect, it } from "vitest";
import { formatEventMessage, parseEventMessage, toEventPageJson, toLogJson, ValidationError } from "../../src/index.js";
import { seedEventResponse, seedLogResponse } from "../fixtures/seed.js";

describe("event wire form", () => {
  it("parses every message of the seed's example", () => {
    for (const message of seedEventResponse.messages) {
      const parsed = parseEventMessage(message);
      expect(["import", "image", "container", "export"]).toContain(parsed.category);
      expect(["Anonymous", "all"]).toContain(parsed.user);
      expect(parsed.ts).toBeUndefined();
      const json = message.slice(parsed.category.length + parsed.user.length + 2);
      expect(parsed.payload).toEqual(JSON.parse(json));
    }
  });

  it("formats category:user:JSON with compact JSON and round-trips", () => {
    const event = { category: "container", user: "all", ts: 1426613412, payload: { container: "utest", state: "start", type: "lxc" } };
    const text = formatEventMessage(event);
    expect(text).toBe('container:all:{"container":"utest","state":"start","type":"lxc"}');
    expect(parseEventMessage(text)).toEqual({ category: "container", user: "all", payload: event.payload });
  });

  it("formats and parses the timestamped form category:user:ts:JSON", () => {
    const event = { category: "image", user: "bob", ts: 1426613412, payload: { action: "update", from: "local", type: "lxc" } };
    const text = formatEventMessage(event, { withTimestamp: true });
    expect(text).toBe('image:bob:1426613412:{"action":"update","from":"local","type":"lxc"}');
    expect(parseEventMessage(text)).toEqual({ category: "image", user: "bob", ts: 1426613412, payload: event.payload });
  });

  it("keeps colons inside the JSON and unknown payload fields", () => {
    const parsed = parseEventMessage('export:alice:{"path":"/a:b","extra":{"x":1}}');
    expect(parsed.payload).toEqual({ path: "/a:b", extra: { x: 1 } });
  });

  for (const bad of ["", "container", "container:all", "container::{}", ":all:{}", "container:all:not json", "container:all:[1]", "container:all:null"]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      expect(() => parseEventMessage(bad)).toThrow(ValidationError);
    });
  }
});

describe("toLogJson", () => {
  it("gives exactly the seed's object, keys in the seed's order", () => {
    const seed = seedLogResponse[0]!;
    const record = { ...seed, ts: seed.ts, timeUs: seed.ts * 1_000_000 + 123_456 };
    const json = toLogJson(record);
    expect(json).toEqual(seed);
    expect(Object.keys(json)).toEqual(["category", "id", "level", "message", "ts", "user"]);
    expect(JSON.stringify(json)).toBe(JSON.stringify(seed));
  });
});

describe("event wire form: what parseEventMessage refuses and why", () => {
  /** The ValidationError `text` gets, as [param, message]. */
  function refusal(text: unknown): [string | undefined, string] {
    try {
      parseEventMessage(text as string);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return [(error as ValidationError).param, (error as ValidationError).message];
    }
    throw new Error(`accepted ${String(text)}`);
  }

  it("refuses a payload that is valid JSON but not an object: 42, \"x\", true, null, an array", () => {
    for (const json of ["42", '"x"', "true", "null", "[1]", "[]"]) {
      expect(refusal(`container:all:${json}`)).toEqual(["message", "An event message's payload must be a JSON object"]);
    }
  });

  it("refuses a payload that is not JSON, saying so", () => {
    expect(refusal("container:all:{")).toEqual(["message", "An event message's payload is not valid JSON"]);
    expect(refusal("container:all:")).toEqual(["message", "An event message's payload is not valid JSON"]);
  });

  it("refuses text without both separators or with an empty category or user", () => {
    for (const text of ["", "container", "container:all", ":all:{}", "container::{}", "::{}"]) {
      expect(refusal(text)).toEqual(["message", "An event message must look like category:user:JSON"]);
    }
  });

  it("refuses a value that is not a string", () => {
    for (const value of [42, null, undefined, {}]) expect(refusal(value)).toEqual(["message", "An event message must be a string"]);
  });

  it("accepts one-character category and user names", () => {
    expect(parseEventMessage("c:u:{}")).toEqual({ category: "c", user: "u", payload: {} });
  });

  it("reads a timestamp with fractional seconds", () => {
    expect(parseEventMessage('image:bob:1426613412.25:{"a":1}')).toEqual({ category: "image", user: "bob", ts: 1426613412.25, payload: { a: 1 } });
    expect(parseEventMessage("image:bob:0:{}")).toEqual({ category: "image", user: "bob", ts: 0, payload: {} });
  });

  it("does not mistake a payload holding \"8080:80\" for a timestamp", () => {
    const plain = parseEventMessage('container:all:{"ports":"8080:80"}');
    expect(plain).toEqual({ category: "container", user: "all", payload: { ports: "8080:80" } });
    expect("ts" in plain).toBe(false);
    expect(parseEventMessage('container:all:1426613412:{"ports":"8080:80"}')).toEqual({
      category: "container",
      user: "all",
      ts: 1426613412,
      payload: { ports: "8080:80" },
    });
    // Digits then a colon with no JSON object after them is not a message at all.
    expect(refusal("container:all:8080:80")).toEqual(["message", "An event message's payload must be a JSON object"]);
    // A number that is not a plain decimal is not a timestamp: the whole rest must then be JSON.
    expect(refusal("container:all:1e3:{}")).toEqual(["message", "An event message's payload is not valid JSON"]);
    expect(refusal("container:all:12.:{}")).toEqual(["message", "An event message's payload is not valid JSON"]);
  });
});

describe("toEventPageJson", () => {
  const event = { index: 7, ts: 1426613412, timeUs: 1426613412_000_000, category: "image", user: "all", payload: { a: 1 } };

  it("gives { index, messages, offset }, adding lost only when it is above 0", () => {
    expect(toEventPageJson({ index: 6, events: [event] as never, offset: 7 })).toEqual({ index: 6, messages: ['image:all:{"a":1}'], offset: 7 });
    expect(Object.keys(toEventPageJson({ index: 6, events: [event] as never, offset: 7, lost: 0 }))).toEqual(["index", "messages", "offset"]);
    expect(toEventPageJson({ index: 6, events: [], offset: 7, lost: 3 })).toEqual({ index: 6, messages: [], offset: 7, lost: 3 });
  });

  it("passes the timestamp option on to every message", () => {
    expect(toEventPageJson({ index: 6, events: [event] as never, offset: 7 }, { withTimestamp: true }).messages).toEqual(['image:all:1426613412:{"a":1}']);
    expect(formatEventMessage(event, {})).toBe('image:all:{"a":1}');
  });
});
