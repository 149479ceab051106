import { describe, expect, it } from "vitest";
import { formatEventMessage, parseEventMessage, toLogJson, ValidationError } from "../../src/index.js";
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
