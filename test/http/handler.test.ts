/**
 * The framework-neutral handler on its own, for what an HTTP client cannot observe directly.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createApiHandler, EventPageWriter, LogEventHub, LogPageWriter, matchApiRoute, MemoryStore, toEventPageJson, toLogJson, type LogRecord } from "log-event-hub";

const hubs: LogEventHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

function makeHub() {
  const hub = new LogEventHub();
  hubs.push(hub);
  return hub;
}

describe("createApiHandler", () => {
  it("an aborted request ends a long poll at once (the adapters abort on client disconnect)", async () => {
    const hub = makeHub();
    const api = createApiHandler(hub);
    const aborter = new AbortController();
    const pending = api({ method: "GET", path: "/api/v1/event", query: "index=0&wait=3600", signal: aborter.signal });
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    aborter.abort();
    await pending;
    expect(settled).toBe(true);
  });

  it("accepts a record of strings as the query (Express's req.query) and still refuses repeats", async () => {
    const hub = makeHub();
    await hub.info("system", "one");
    await hub.info("system", "two");
    const api = createApiHandler(hub);
    const ok = await api({ method: "get", path: "/api/v1/log", query: { limit: "1" } });
    expect([ok.status, JSON.parse(ok.body as string).length]).toEqual([200, 1]);
    const repeated = await api({ method: "GET", path: "/api/v1/log", query: { limit: ["1", "2"] } });
    expect(repeated.status).toBe(400);
    const wait = await api({ method: "GET", path: "/api/v1/event/wait/lxc/utest/running", query: { duration: ["1", "2"] } });
    expect(wait.status).toBe(400);
  });

  it("getUser receives the native request and decides visibility", async () => {
    const hub = makeHub();
    await hub.publish({ category: "image", user: "carol", payload: { action: "update", from: "local", type: "lxc" } });
    const api = createApiHandler<{ session: string }>(hub, { getUser: async (native) => native.session });
    const carol = await api({ method: "GET", path: "/api/v1/event", query: "", native: { session: "carol" } });
    expect(JSON.parse(carol.body as string).messages).toHaveLength(1);
    const dave = await api({ method: "GET", path: "/api/v1/event", query: "", native: { session: "dave" } });
    expect(JSON.parse(dave.body as string).messages).toHaveLength(0);
  });

  it("matches the seed's routes and nothing else", () => {
    expect(matchApiRoute("/api/v1/log")?.route).toBe("log");
    expect(matchApiRoute("/api/v1/log/")?.route).toBe("log");
    expect(matchApiRoute("/api/v1/log/export")?.route).toBe("logExport");
    expect(matchApiRoute("/api/v1/event")?.route).toBe("events");
    expect(matchApiRoute("/api/v1/event/wait/lxc/utest/stopped")).toEqual({
      route: "waitForState",
      methods: ["GET", "HEAD"],
      params: { type: "lxc", id: "utest", state: "stopped" },
    });
    for (const path of ["/", "/api/v1", "/api/v1/logs", "/api/v1/event/wait/lxc/utest", "/api/v1/event/wait/lxc//running", "/api/v1/event/wait/a/b/c/d"]) {
      expect(matchApiRoute(path)).toBeUndefined();
    }
  });
});

describe("EventPageWriter", () => {
  it("writes exactly JSON.stringify(toEventPageJson(page)), with and without timestamps, cached or not", async () => {
    const hub = new LogEventHub({ store: new MemoryStore({ maxEvents: 5 }) });
    hubs.push(hub);
    const payloads = [
      { action: "update", from: "local", type: "lxc" },
      { action: "download", name: 'quo"te\\back\u2028line', from: "dockerhub", type: "docker", state: "success", tag: "ünï" },
      { container: "utest", state: "start", type: "lxc" },
    ];
    for (let i = 0; i < 9; i++) {
      const payload = payloads[i % payloads.length]!;
      await hub.publish({ category: "container" in payload ? "container" : "image", user: i % 2 ? "all" : "alice", payload: payload as never });
    }
    for (const options of [{}, { withTimestamp: true }]) {
      const writer = new EventPageWriter(options, 3);
      for (const query of [{ user: "alice" }, {}, { index: 1, user: "alice" }, { index: 6, limit: 2 }, { index: 9 }]) {
        const page = await hub.readEvents(query);
        const expected = JSON.stringify(toEventPageJson(page, options));
        expect(writer.write(page)).toBe(expected);
        expect(writer.write(page)).toBe(expected);
      }
    }
  });
});

describe("EventPageWriter: lost events and the cache", () => {
  const event = { index: 7, ts: 1_700_000_000, category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" } };

  it("writes \"lost\" only when events were dropped (> 0), as toEventPageJson does", () => {
    const writer = new EventPageWriter();
    const base = { index: 4, events: [event], offset: 7 } as never as Parameters<EventPageWriter["write"]>[0];
    const message = JSON.stringify(toEventPageJson(base).messages[0]);
    expect(writer.write({ ...base, lost: 3 })).toBe(`{"index":4,"messages":[${message}],"offset":7,"lost":3}`);
    expect(writer.write({ ...base, lost: 0 })).not.toContain("lost");
    expect(writer.write(base)).not.toContain("lost");
    for (const lost of [undefined, 0, 1, 3]) {
      const page = { ...base, lost };
      expect(writer.write(page)).toBe(JSON.stringify(toEventPageJson(page)));
    }
  });

  it("formats an event once per index: a later event object with the same index is served from the cache", () => {
    const writer = new EventPageWriter({}, 2);
    const first = writer.write({ index: 6, events: [event], offset: 7 } as never);
    const changed = { ...event, user: "bob" };
    expect(writer.write({ index: 6, events: [changed], offset: 7 } as never)).toBe(first);
    // With caching off (maxCached 0) every write formats the event it is given.
    const uncached = new EventPageWriter({}, 0);
    expect(uncached.write({ index: 6, events: [event], offset: 7 } as never)).toBe(first);
    expect(uncached.write({ index: 6, events: [changed], offset: 7 } as never)).toContain("image:bob:");
  });
});

describe("LogPageWriter", () => {
  it("serialises a record once per id: a later record object with the same id is served from the cache", () => {
    const record: LogRecord<string> = { id: 3, ts: 1_700_000_000, timeUs: 1_700_000_000_000_000, level: "INFO", category: "system", user: "alice", message: "one" };
    const writer = new LogPageWriter(2);
    const first = writer.write([record]);
    expect(first).toBe(JSON.stringify([toLogJson(record)]));
    expect(writer.write([{ ...record, message: "two" }])).toBe(first);
    // With caching off (maxCached 0) every write serialises the record it is given.
    const uncached = new LogPageWriter(0);
    expect(uncached.write([{ ...record, message: "two" }])).toBe(JSON.stringify([toLogJson({ ...record, message: "two" })]));
  });

  it("writes exactly JSON.stringify(records.map(toLogJson)), cached or not", async () => {
    const hub = makeHub();
    const messages = ["plain", 'quo"te \\ back', "line\nbreak\u2028sep", "ünïcödé 🚀", "=cmd|' /C calc'!A0"];
    for (let i = 0; i < 12; i++) await hub.log({ level: "WARN", category: "system", user: i % 2 ? "Anonymous" : "al\"ice", message: messages[i % messages.length]! });
    const writer = new LogPageWriter(4);
    for (const query of [{ limit: 5 }, { limit: 12 }, { limit: 3, offset: 2 }, { limit: 1000 }]) {
      const records = await hub.queryLogs(query);
      expect(writer.write(records)).toBe(JSON.stringify(records.map(toLogJson)));
      expect(writer.write(records)).toBe(JSON.stringify(records.map(toLogJson)));
    }
    expect(writer.write([])).toBe("[]");
  });
});
