/**
 * `GET /api/v1/event/stream` (Server-Sent Events) through both adapters on real servers, read
 * by the `eventsource` npm package (a client nobody here wrote, which reconnects with
 * `Last-Event-ID` as browsers do) and, where the wire bytes matter, by a raw HTTP client.
 */
import compression from "compression";
import { EventSource } from "eventsource";
import express from "express";
import { createServer, get, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { createGunzip } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LogEventHub, MemoryStore, parseEventMessage, type EventStreamDrop, type HubOptions } from "log-event-hub";
import { hubRouter } from "../../examples/express/hub-router.js";
import { expectMatchesOpenApi } from "../helpers/openapi.js";
import { adapters, type AdapterOptions, type RunningServer } from "./servers.js";

const update = { action: "update", from: "local", type: "lxc" } as const;
const imageFor = (user: string, n: number) => ({ category: "image" as const, user, payload: { ...update, n } });

/** Every message an EventSource received: `message` events and the named `lost` ones. */
interface Received {
  type: string;
  id: string;
  data: string;
}

/** An `eventsource` client that records what it receives and how often it (re)connected. */
function follow(url: string, cookie?: string) {
  const received: Received[] = [];
  const requests: { lastEventId: string | undefined }[] = [];
  const source = new EventSource(url, {
    fetch: (input, init) => {
      requests.push({ lastEventId: init.headers["Last-Event-ID"] ?? init.headers["last-event-id"] });
      return fetch(input, { ...init, headers: { ...init.headers, ...(cookie && { cookie }) } });
    },
  });
  const record = (type: string) => (event: MessageEvent) => received.push({ type, id: event.lastEventId, data: String(event.data) });
  source.addEventListener("message", record("message"));
  source.addEventListener("lost", record("lost"));
  const opened = new Promise<void>((resolve) => source.addEventListener("open", () => resolve(), { once: true }));
  return { source, received, requests, opened, messages: () => received.filter((r) => r.type === "message") };
}

/** Collects a raw response body as text, without consuming the stream the way `for await` does. */
class BodyText {
  text = "";
  ended = false;
  constructor(readonly res: IncomingMessage | NodeJS.ReadableStream) {
    res.on("data", (chunk: Buffer) => (this.text += chunk.toString()));
    res.on("end", () => (this.ended = true));
    res.on("error", () => undefined);
  }

  /** Resolves with everything received once `done` holds for it (or the body ended). */
  async until(done: (text: string) => boolean): Promise<string> {
    await vi.waitFor(() => expect(done(this.text) || this.ended).toBe(true), { timeout: 60_000, interval: 5 });
    return this.text;
  }
}

/** Reads a raw response body until `done` holds for what arrived. */
function readUntil(res: IncomingMessage, done: (text: string) => boolean): Promise<string> {
  return new BodyText(res).until(done);
}

function rawGet(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(url, { headers }, resolve).once("error", reject));
}

describe.each(adapters)("event stream through the $name adapter", (adapter) => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(hubOptions: HubOptions = {}, options: AdapterOptions = {}) {
    const hub = new LogEventHub(hubOptions);
    cleanups.push(() => hub.close());
    const drops: EventStreamDrop[] = [];
    const api: RunningServer = await adapter.start(hub, { ...options, stream: { retryMs: 20, ...options.stream, onDrop: (d) => drops.push(d) } });
    cleanups.push(() => api.close());
    const sockets = new Set<Socket>();
    api.server.on("connection", (socket: Socket) => {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    });
    return { hub, api, url: `${api.base}/api/v1/event/stream`, drops, sockets };
  }

  function open(url: string, cookie?: string) {
    const client = follow(url, cookie);
    cleanups.push(() => client.source.close());
    return client;
  }

  it("answers text/event-stream with no-store, no proxy buffering, retry:, then one message per event from the head", async () => {
    const { hub, url } = await start();
    await hub.publish(imageFor("all", 0)); // before the connection: not replayed
    const res = await rawGet(url);
    cleanups.push(() => res.destroy());
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["x-accel-buffering"]).toBe("no");
    expectMatchesOpenApi({ method: "GET", path: "/api/v1/event/stream", status: res.statusCode!, headers: res.headers });
    const body = new BodyText(res);
    expect(await body.until((t) => t.includes("\n\n"))).toBe("retry: 20\n\n");
    await hub.publish(imageFor("all", 1));
    await hub.publish({ category: "container", user: "all", payload: { container: "utest", state: "start", type: "lxc" } });
    const all = await body.until((t) => t.split("\n\n").length > 3);
    expect(all).toBe(
      "retry: 20\n\n" +
      `id: 2\ndata: image:all:${JSON.stringify({ ...update, n: 1 })}\n\n` + `id: 3\ndata: container:all:{"container":"utest","state":"start","type":"lxc"}\n\n`,
    );
  });

  it("resumes after lastEventId (query) or Last-Event-ID (header), and the header wins", async () => {
    const { hub, url } = await start();
    for (let n = 1; n <= 5; n++) await hub.publish(imageFor("all", n));
    const ids = async (query: string, headers: Record<string, string> = {}) => {
      const res = await rawGet(`${url}${query}`, headers);
      const text = await readUntil(res, (t) => t.includes("id: 5\n"));
      res.destroy();
      return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    };
    expect(await ids("?lastEventId=2")).toEqual([3, 4, 5]);
    expect(await ids("", { "Last-Event-ID": "3" })).toEqual([4, 5]);
    expect(await ids("?lastEventId=1", { "Last-Event-ID": "4" })).toEqual([5]);
    // A reconnect keeps the first URL: its stale (even bad) lastEventId must not matter then.
    expect(await ids("?lastEventId=nope", { "Last-Event-ID": "4" })).toEqual([5]);
    expect(await ids("?lastEventId=0")).toEqual([1, 2, 3, 4, 5]);
  });

  it.each([
    ["?lastEventId=abc", {}, "lastEventId"],
    ["?lastEventId=-1", {}, "lastEventId"],
    ["?lastEventId=1&lastEventId=2", {}, "lastEventId"],
    ["?lastEventId=99", {}, "index"],
    ["", { "Last-Event-ID": "1.5" }, "Last-Event-ID"],
    ["", { "Last-Event-ID": "99" }, "index"],
  ] as const)("a bad cursor %s %j is 400 VALIDATION as JSON, before any stream", async (query, headers, named) => {
    const { hub, url } = await start();
    await hub.publish(imageFor("all", 1));
    const reply = await fetch(`${url}${query}`, { headers });
    expect(reply.status).toBe(400);
    expect(reply.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const text = await reply.text();
    expectMatchesOpenApi({ method: "GET", path: "/api/v1/event/stream", status: reply.status, headers: reply.headers, body: text });
    const body = JSON.parse(text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("VALIDATION");
    expect(body.error.message).toContain(named);
  });

  it("eventsource: the server cuts the connection mid-stream; the client resumes with Last-Event-ID, nothing lost or repeated", async () => {
    const { hub, url, sockets } = await start();
    const client = open(url);
    await client.opened;
    for (let n = 1; n <= 5; n++) await hub.publish(imageFor("all", n));
    await vi.waitFor(() => expect(client.messages()).toHaveLength(5));
    for (const socket of sockets) socket.destroy();
    // Published while the client is away: it must get these after it reconnects.
    for (let n = 6; n <= 10; n++) await hub.publish(imageFor("all", n));
    await vi.waitFor(() => expect(client.requests.length).toBeGreaterThanOrEqual(2));
    for (let n = 11; n <= 15; n++) await hub.publish(imageFor("all", n));
    await vi.waitFor(() => expect(client.messages()).toHaveLength(15));
    expect(client.requests[0]!.lastEventId).toBeUndefined();
    expect(client.requests[1]!.lastEventId).toBe("5");
    const messages = client.messages();
    expect(messages.map((m) => m.id)).toEqual(Array.from({ length: 15 }, (_, i) => String(i + 1)));
    expect(messages.map((m) => (parseEventMessage(m.data).payload as { n: number }).n)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it("eventsource: each cookie sees its own events and all's, never another user's", async () => {
    const { hub, url } = await start();
    const alice = open(url, "user=alice");
    const bob = open(url, "theme=dark; user=bob");
    const anonymous = open(url);
    await Promise.all([alice.opened, bob.opened, anonymous.opened]);
    for (const user of ["alice", "all", "bob", "alice", "carol", "all"]) await hub.publish(imageFor(user, 0));
    const users = (client: ReturnType<typeof open>) => client.messages().map((m) => parseEventMessage(m.data).user);
    await vi.waitFor(() => {
      expect(users(alice)).toEqual(["alice", "all", "alice", "all"]);
      expect(users(bob)).toEqual(["all", "bob", "all"]);
      expect(users(anonymous)).toEqual(["all", "all"]);
    });
    expect(alice.messages().map((m) => m.id)).toEqual(["1", "2", "4", "6"]);
  });

  it("eventsource: a cursor older than retention first gets `event: lost` with the count, then the rest", async () => {
    const { hub, url } = await start({ store: new MemoryStore({ maxEvents: 5 }) });
    for (let n = 1; n <= 10; n++) await hub.publish(imageFor("all", n));
    const client = open(`${url}?lastEventId=1`);
    await vi.waitFor(() => expect(client.received).toHaveLength(6));
    expect(client.received[0]).toEqual({ type: "lost", id: "5", data: "4" });
    expect(client.received.slice(1).map((r) => [r.type, r.id])).toEqual([6, 7, 8, 9, 10].map((i) => ["message", String(i)]));
  });

  it("a hub that refuses expired cursors (410 on the feed) still streams, after `event: lost`", async () => {
    const { hub, url } = await start({ store: new MemoryStore({ maxEvents: 3 }), expiredCursor: "error" });
    for (let n = 1; n <= 6; n++) await hub.publish(imageFor("all", n));
    const res = await rawGet(`${url}?lastEventId=0`);
    const text = await readUntil(res, (t) => t.includes("id: 6\n"));
    res.destroy();
    expect(text).toContain("event: lost\nid: 3\ndata: 3\n\n");
    expect([...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([3, 4, 5, 6]);
  });

  it("sends a keep-alive comment at the configured interval", async () => {
    const { url } = await start({}, { stream: { keepAliveMs: 30 } });
    const res = await rawGet(url);
    const text = await readUntil(res, (t) => t.includes(": keepalive\n\n"));
    res.destroy();
    expect(text).toMatch(/^retry: 20\n\n(: keepalive\n\n)+$/);
  });

  it("hub.close() ends every stream cleanly (a complete response, not a cut one) and leaves nothing behind", async () => {
    const { hub, api, url } = await start();
    const bodies = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const res = await rawGet(url, { "x-user": `u${i}` });
        let aborted = false;
        res.on("aborted", () => (aborted = true));
        const body = new BodyText(res);
        return { text: () => body.until(() => false), state: () => ({ ended: body.ended, aborted, complete: res.complete }) };
      }),
    );
    await vi.waitFor(() => expect(hub.listenerCount("event")).toBe(0)); // memory store: no relay listeners
    await hub.publish(imageFor("all", 1));
    await hub.close();
    for (const body of bodies) {
      expect(await body.text()).toContain("id: 1\n");
      expect(body.state()).toEqual({ ended: true, aborted: false, complete: true });
    }
    await vi.waitFor(async () => {
      const open = await new Promise<number>((resolve) => api.server.getConnections((_e, n) => resolve(n)));
      expect(open).toBeLessThanOrEqual(3); // keep-alive sockets may stay idle; no response is pending
    });
  });

  it("a client that stops reading is dropped, counted, and resumes by id with nothing lost", async () => {
    const { hub, url, drops } = await start({}, { stream: { stallTimeoutMs: 100 } });
    const res = await rawGet(url);
    const body = new BodyText(res);
    await body.until((t) => t.includes("retry:"));
    res.pause(); // stops reading: the socket fills up
    let aborted = false;
    res.on("aborted", () => (aborted = true));
    const big = "x".repeat(60_000);
    let published = 0;
    while (drops.length === 0 && published < 2000) {
      await hub.publish({ category: "image", user: "all", payload: { ...update, from: big } });
      published++;
      if (published % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(drops).toHaveLength(1);
    expect(drops[0]).toMatchObject({ reason: "stalled", user: undefined });
    res.resume();
    await vi.waitFor(() => expect(aborted || body.ended).toBe(true));
    // What the client fully received before the cut (a torn last message does not count).
    const complete = body.text.slice(0, body.text.lastIndexOf("\n\n") + 2);
    const before = [...complete.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(before.length).toBeLessThan(published);
    // It resumes from its last id: the rest arrives once, so together nothing is lost or repeated.
    const resumed = await rawGet(url, { "Last-Event-ID": String(before.at(-1) ?? 0) });
    const text = await readUntil(resumed, (t) => t.includes(`id: ${published}\n`));
    resumed.destroy();
    const after = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect([...before, ...after]).toEqual(Array.from({ length: published }, (_, i) => i + 1));
  }, 120_000);

  it("a message larger than maxBufferedBytes is never queued without bound: that client is dropped at once", async () => {
    const { hub, url, drops } = await start({}, { stream: { maxBufferedBytes: 4096 } });
    const res = await rawGet(url);
    await new BodyText(res).until((t) => t.includes("retry:"));
    res.pause();
    for (let i = 0; i < 100 && drops.length === 0; i++) {
      await hub.publish({ category: "image", user: "all", payload: { ...update, from: "y".repeat(60_000) } });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(drops.map((d) => d.reason)).toEqual(["buffer"]);
  });

  it("streams at the same place share one read: a publish costs a few store reads, not one per stream", async () => {
    const store = new MemoryStore();
    let reads = 0;
    const readEvents = store.readEvents.bind(store);
    store.readEvents = (read) => {
      reads++;
      return readEvents(read);
    };
    const { hub, url } = await start({ store });
    const bodies = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await rawGet(url);
        cleanups.push(() => res.destroy());
        const body = new BodyText(res);
        await body.until((t) => t.includes("retry:"));
        return body;
      }),
    );
    const before = reads;
    await hub.publish(imageFor("all", 1));
    for (const body of bodies) await body.until((t) => t.includes("id: 1\n"));
    // One read finds the event for all 20; one more (shared again) finds nothing and waits.
    expect(reads - before).toBeLessThanOrEqual(4);
  });

  it("a client that leaves ends its stream: no read, timer or listener stays behind", async () => {
    const store = new MemoryStore();
    let reads = 0;
    const readEvents = store.readEvents.bind(store);
    store.readEvents = (read) => {
      reads++;
      return readEvents(read);
    };
    const { hub, url } = await start({ store });
    const aborter = new AbortController();
    const response = await fetch(url, { signal: aborter.signal });
    const reader = response.body!.getReader();
    await reader.read();
    aborter.abort();
    await hub.publish(imageFor("all", 1));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = reads;
    await hub.publish(imageFor("all", 2));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(reads).toBe(after);
  });
});

describe("event stream behind the compression middleware (Express)", () => {
  it("each event arrives at once, gzip-flushed, not when a buffer fills", async () => {
    const hub = new LogEventHub();
    const app = express();
    app.use(compression());
    app.use(hubRouter(hub, { stream: { keepAliveMs: 3_600_000 } }));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/event/stream`;
    try {
      const res = await rawGet(url, { "accept-encoding": "gzip" });
      expect(res.headers["content-encoding"]).toBe("gzip");
      const text = createGunzip();
      res.pipe(text);
      let received = "";
      text.on("data", (chunk: Buffer) => (received += chunk.toString()));
      await vi.waitFor(() => expect(received).toBe("retry: 3000\n\n"));
      // One small event at a time: each must come through on its own (no keep-alive, no filler).
      for (let n = 1; n <= 3; n++) {
        await hub.publish(imageFor("all", n));
        await vi.waitFor(() => expect(received).toContain(`id: ${n}\n`));
      }
      res.destroy();
    } finally {
      await hub.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
