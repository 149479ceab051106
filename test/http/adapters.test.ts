/**
 * One table of HTTP tests, run unchanged against the Express 5 and the Koa 3 adapter, each on a
 * real server on an ephemeral loopback port with the API mounted under `/hub`.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  LogEventHub,
  MemoryStore,
  StoreUnavailableError,
  parseEventMessage,
  type ContainerChange,
  type ContainerRuntime,
  type HubOptions,
  type NewLogRecord,
  type StoreEventRead,
  type StoreLogQuery,
} from "log-event-hub";
import { SimulatedRuntime } from "log-event-hub/testing";
import { seedEventResponse, seedLogResponse, seedWaitResponse } from "../fixtures/seed.js";
import { seedCsvText, seedLogRecords } from "../fixtures/seed-logs.js";
import { expectMatchesOpenApi } from "../helpers/openapi.js";
import { adapters, PREFIX, type AdapterOptions, type RunningServer } from "./servers.js";

/** A memory store that counts the reads the API causes. */
class CountingStore extends MemoryStore {
  queryCalls = 0;
  readEventCalls = 0;
  override queryLogs(query: StoreLogQuery) {
    this.queryCalls++;
    return super.queryLogs(query);
  }
  override readEvents(read: StoreEventRead) {
    this.readEventCalls++;
    return super.readEvents(read);
  }
}

/** A runtime that counts its live change-feed subscriptions (to see waits let go). */
class CountingRuntime implements ContainerRuntime {
  subscriptions = 0;
  constructor(readonly inner: SimulatedRuntime) {}
  inspect(type: "lxc" | "docker", id: string) {
    return this.inner.inspect(type, id);
  }
  watch(listener: (change: ContainerChange) => void) {
    this.subscriptions++;
    const off = this.inner.watch(listener);
    return () => {
      this.subscriptions--;
      off();
    };
  }
  close() {
    return this.inner.close();
  }
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

async function request(url: string, init?: RequestInit & { user?: string }): Promise<Reply> {
  const headers = new Headers(init?.headers);
  if (init?.user !== undefined) headers.set("x-user", init.user);
  const response = await fetch(url, { ...init, headers });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // Every answer of the API (not the host's own routes) must be what openapi.json says.
  const { pathname } = new URL(url);
  if (pathname.startsWith(`${PREFIX}/`)) {
    expectMatchesOpenApi({ method: init?.method ?? "GET", path: pathname.slice(PREFIX.length), status: response.status, headers: response.headers, body: text });
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Checks an error answer: status, JSON type, exactly `{ error: { code, message } }`, no stack. */
function expectError(reply: Reply, status: number, code: string) {
  expect({ status: reply.status, code: (reply.json as { error?: { code?: string } })?.error?.code, body: reply.text }).toMatchObject({ status, code });
  expect(reply.headers.get("content-type")).toBe("application/json; charset=utf-8");
  const body = reply.json as { error: Record<string, unknown> };
  expect(Object.keys(body)).toEqual(["error"]);
  // `param` names the parameter at fault (as the client spelled it), when one is.
  const keys = Object.keys(body.error);
  expect(keys.slice(0, 2)).toEqual(["code", "message"]);
  if (keys.length > 2) {
    expect(keys).toEqual(["code", "message", "param"]);
    expect(code).toBe("VALIDATION");
    expect(typeof body.error.param).toBe("string");
  }
  expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
  expect(typeof body.error.message).toBe("string");
  expect(reply.text).not.toMatch(/\n\s+at |\.ts:\d+|SELECT|node_modules/);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const update = { action: "update", from: "local", type: "lxc" } as const;

/** The seed's `GET /api/v1/log?limit=5` records as ids 48..52 (47 fillers first). */
async function seedLog(hub: LogEventHub) {
  for (let i = 1; i <= 47; i++) await hub.info("system", `filler ${i}`);
  for (const r of [...seedLogResponse].reverse()) {
    await hub.log({ level: r.level, category: r.category as "import", user: r.user, message: r.message, timeUs: r.ts * 1_000_000 + 250_000 });
  }
}

/** The seed's event feed: 56 earlier events, then its twenty messages (index 57..76). */
async function seedEvents(hub: LogEventHub) {
  for (let i = 0; i < 56; i++) await hub.publish({ category: "image", user: "all", payload: update });
  for (const message of [...seedEventResponse.messages].reverse()) {
    const { category, user, payload } = parseEventMessage(message);
    await hub.publish({ category: category as "image", user, payload: payload as never });
  }
}

/** The seed's CSV sample's records, with their microsecond times. */
async function seedCsv(hub: LogEventHub) {
  for (const r of seedLogRecords) await hub.log({ ...r, category: r.category as "container" });
}

/** Every bad input of SPEC 2 and 4 (and the wait route of SPEC 5): answered 400 `VALIDATION`. */
const badInputs: [string, string][] = [
  ["GET", "/api/v1/log?limit=0"],
  ["GET", "/api/v1/log?limit=1001"],
  ["GET", "/api/v1/log?limit=1e3"],
  ["GET", "/api/v1/log?limit=20abc"],
  ["GET", "/api/v1/log?limit=%205"],
  ["GET", "/api/v1/log?limit=-1"],
  ["GET", "/api/v1/log?limit=05"],
  ["GET", "/api/v1/log?limit="],
  ["GET", "/api/v1/log?offset=-1"],
  ["GET", "/api/v1/log?offset=1.5"],
  ["GET", "/api/v1/log?limit=5&limit=6"],
  ["GET", "/api/v1/log?time_start=10&time_end=5"],
  ["GET", "/api/v1/log?start=10&end=5"],
  ["GET", "/api/v1/log?time_start=abc"],
  ["GET", "/api/v1/log?time_end=1e9"],
  ["GET", "/api/v1/log?time_start=1&start=1"],
  ["GET", "/api/v1/log?time_end=2&end=2"],
  ["GET", "/api/v1/log?level=DEBUG"],
  ["GET", "/api/v1/log?level=INFO,NOPE"],
  ["GET", "/api/v1/log?category=nope"],
  ["GET", "/api/v1/log?category=container,"],
  ["GET", "/api/v1/log?user=a&user=b"],
  ["GET", `/api/v1/log?text=${"x".repeat(1025)}`],
  ["GET", "/api/v1/log?before_id=0"],
  ["GET", "/api/v1/log/export?limit=0"],
  ["GET", "/api/v1/log/export?level=DEBUG"],
  ["GET", "/api/v1/log/export?time_start=5&time_end=1"],
  ["GET", "/api/v1/log/export?offset=5"],
  ["DELETE", "/api/v1/log?category=nope"],
  ["DELETE", "/api/v1/log?limit=5"],
  ["GET", "/api/v1/event?index=-1"],
  ["GET", "/api/v1/event?index=1.5"],
  ["GET", "/api/v1/event?index=abc"],
  ["GET", "/api/v1/event?index=999"],
  ["GET", "/api/v1/event?index=1&index=2"],
  ["GET", "/api/v1/event?limit=0"],
  ["GET", "/api/v1/event?limit=1001"],
  ["GET", "/api/v1/event?limit=1e3"],
  ["GET", "/api/v1/event?index=0&wait=abc"],
  ["GET", "/api/v1/event?index=0&wait=-5"],
  ["GET", "/api/v1/event?index=0&wait=1.5"],
  ["GET", "/api/v1/event?index=0&wait=3601"],
  ["GET", "/api/v1/event/wait/vm/utest/running"],
  ["GET", "/api/v1/event/wait/lxc/utest/paused"],
  ["GET", "/api/v1/event/wait/lxc/utest/running?duration=-1"],
  ["GET", "/api/v1/event/wait/lxc/utest/running?duration=abc"],
  ["GET", "/api/v1/event/wait/lxc/utest/running?duration=1.5"],
  ["GET", "/api/v1/event/wait/lxc/utest/running?duration=3601"],
  ["GET", "/api/v1/event/wait/lxc/utest/running?duration=1&duration=2"],
  ["GET", `/api/v1/event/wait/lxc/${"u".repeat(257)}/running`],
  ["GET", "/api/v1/event/wait/lxc/%E0%A4%A/running"],
];

describe.each(adapters)("HTTP API through the $name adapter", (adapter) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function start(hubOptions: HubOptions = {}, options: AdapterOptions = {}): Promise<{ hub: LogEventHub; api: RunningServer }> {
    const hub = new LogEventHub(hubOptions);
    cleanups.push(() => hub.close());
    const api = await adapter.start(hub, options);
    cleanups.push(() => api.close());
    return { hub, api };
  }

  async function startWithRuntime(hubOptions: HubOptions = {}) {
    const simulated = new SimulatedRuntime({ actionDelayMs: 0 });
    const runtime = new CountingRuntime(simulated);
    const started = await start({ ...hubOptions, runtime });
    simulated.attachHub(started.hub);
    return { ...started, simulated, runtime };
  }

  // --- the seed's curl examples ------------------------------------------------------------

  it("GET /api/v1/log?limit=5 answers the seed's five records byte for byte", async () => {
    const { hub, api } = await start();
    await seedLog(hub);
    const reply = await request(`${api.base}/api/v1/log?limit=5`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(reply.text).toBe(JSON.stringify(seedLogResponse));
  });

  it("GET /api/v1/event answers the seed's page: index 56, twenty messages, offset 76", async () => {
    const { hub, api } = await start();
    await seedEvents(hub);
    const reply = await request(`${api.base}/api/v1/event`, { user: "Anonymous" });
    expect(reply.status).toBe(200);
    // The seed printed payloads with Python's spaces; the wire form is compact JSON.
    const compact = seedEventResponse.messages.map((m) => {
      const { category, user, payload } = parseEventMessage(m);
      return `${category}:${user}:${JSON.stringify(payload)}`;
    });
    expect(reply.text).toBe(JSON.stringify({ index: 56, messages: compact, offset: 76 }));
  });

  it("GET /api/v1/event/wait/lxc/utest/stopped?duration=5 answers the seed's object when the duration runs out", async () => {
    const { api, simulated } = await startWithRuntime();
    await simulated.start("lxc", "utest");
    const reply = await request(`${api.base}/api/v1/event/wait/lxc/utest/stopped?duration=5`);
    expect(reply.status).toBe(200);
    expect(reply.text).toBe(JSON.stringify(seedWaitResponse));
  });

  // --- wait for state -----------------------------------------------------------------------

  it("a wait answers at once when the container is already in the state, and wakes on a change", async () => {
    const { api, simulated, runtime } = await startWithRuntime();
    const now = await request(`${api.base}/api/v1/event/wait/docker/DockerTestAPI/running?duration=60`);
    expect((now.json as { name: string; state: string })).toMatchObject({ name: "DockerTestAPI", state: "running", type: "docker" });

    const waiting = request(`${api.base}/api/v1/event/wait/lxc/utest/running?duration=60`);
    await vi.waitFor(() => expect(runtime.subscriptions).toBe(1));
    await simulated.start("lxc", "utest", { user: "alice" });
    const reply = await waiting;
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ id: "utest", state: "running", ipaddress: ["10.0.3.177"] });
  });

  it("a client that disconnects during a wait releases the runtime subscription", async () => {
    const { api, runtime } = await startWithRuntime();
    const aborter = new AbortController();
    const waiting = fetch(`${api.base}/api/v1/event/wait/lxc/utest/running?duration=600`, { signal: aborter.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(runtime.subscriptions).toBe(1));
    aborter.abort();
    await waiting;
    await vi.waitFor(() => expect(runtime.subscriptions).toBe(0));
  });

  it("an unknown container is 404 NOT_FOUND; a hub without a runtime is 503", async () => {
    const { api } = await startWithRuntime();
    expectError(await request(`${api.base}/api/v1/event/wait/lxc/nope/running?duration=1`), 404, "NOT_FOUND");
    const bare = await start();
    expectError(await request(`${bare.api.base}/api/v1/event/wait/lxc/utest/running`), 503, "RUNTIME_UNAVAILABLE");
  });

  // --- bad input ----------------------------------------------------------------------------

  it.each(badInputs)("%s %s is 400 VALIDATION with a JSON body", async (method, path) => {
    const { api } = await startWithRuntime();
    expectError(await request(`${api.base}${path}`, { method }), 400, "VALIDATION");
  });

  it("unknown query parameters are ignored (cache busters)", async () => {
    const { hub, api } = await start();
    await hub.info("system", "one");
    const reply = await request(`${api.base}/api/v1/log?_=1712345678&foo=bar`);
    expect((reply.json as unknown[]).length).toBe(1);
  });

  // --- routing ------------------------------------------------------------------------------

  it("unknown routes are 404 and wrong methods 405 (with Allow), as JSON; the host's own routes still work", async () => {
    const { api } = await start();
    expectError(await request(`${api.base}/api/v1/nope`), 404, "NOT_FOUND");
    expectError(await request(`${api.base}/api/v1/event/wait/lxc/utest`), 404, "NOT_FOUND");
    const post = await request(`${api.base}/api/v1/log`, { method: "POST" });
    expectError(post, 405, "METHOD_NOT_ALLOWED");
    expect(post.headers.get("allow")).toBe("GET, HEAD, DELETE");
    const put = await request(`${api.base}/api/v1/event`, { method: "PUT" });
    expectError(put, 405, "METHOD_NOT_ALLOWED");
    expect(put.headers.get("allow")).toBe("GET, HEAD");
    expect((await request(api.hostRoute)).text).toBe("host");
    // The API answers only under its mount point.
    expect((await request(api.base.replace("/hub", "") + "/api/v1/log")).status).toBe(404);
    expect((await request(`${api.base}/api/v1/log/`)).status).toBe(200);
  });

  // --- errors of state ----------------------------------------------------------------------

  it("a cursor older than retention is 410 CURSOR_EXPIRED with expiredCursor: error", async () => {
    const { hub, api } = await start({ store: new MemoryStore({ maxEvents: 5 }), expiredCursor: "error" });
    for (let i = 0; i < 10; i++) await hub.publish({ category: "image", user: "all", payload: update });
    expectError(await request(`${api.base}/api/v1/event?index=1`), 410, "CURSOR_EXPIRED");
    expect((await request(`${api.base}/api/v1/event?index=5`)).status).toBe(200);
  });

  it("a cursor older than retention reports `lost` by default", async () => {
    const { hub, api } = await start({ store: new MemoryStore({ maxEvents: 5 }) });
    for (let i = 0; i < 10; i++) await hub.publish({ category: "image", user: "all", payload: update });
    const reply = await request(`${api.base}/api/v1/event?index=1`);
    expect(reply.json).toMatchObject({ index: 5, offset: 10, lost: 4 });
  });

  it("after hub.close() every route is 503 CLOSED", async () => {
    const { hub, api } = await startWithRuntime();
    await hub.close();
    for (const [method, path] of [
      ["GET", "/api/v1/log"],
      ["DELETE", "/api/v1/log"],
      ["GET", "/api/v1/log/export"],
      ["GET", "/api/v1/event"],
      ["GET", "/api/v1/event?index=0&wait=10"],
      ["GET", "/api/v1/event/wait/lxc/utest/running"],
    ] as const) {
      expectError(await request(`${api.base}${path}`, { method }), 503, "CLOSED");
    }
  });

  it("an unexpected failure is 500 INTERNAL with a generic message; the host's onError sees it", async () => {
    const store = new MemoryStore();
    store.queryLogs = () => Promise.reject(new Error('SQLITE_ERROR near "SELECT": syntax error'));
    const seen: unknown[] = [];
    const { api } = await start({ store }, { onError: (error) => seen.push(error) });
    const reply = await request(`${api.base}/api/v1/log`);
    expectError(reply, 500, "INTERNAL");
    expect((reply.json as { error: { message: string } }).error.message).toBe("Internal error");
    expect(seen).toHaveLength(1);
  });

  // --- CSV export ---------------------------------------------------------------------------

  it("GET /api/v1/log/export streams the seed's CSV sample with download headers", async () => {
    const { hub, api } = await start();
    await seedCsv(hub);
    const reply = await request(`${api.base}/api/v1/log/export`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(reply.headers.get("content-disposition")).toMatch(/^attachment; filename="logs-\d{8}-\d{6}\.csv"$/);
    expect(reply.headers.get("cache-control")).toBe("no-store");
    expect(reply.text).toBe(seedCsvText);
  });

  it("the export takes the log filters and a limit (the oldest matches)", async () => {
    const { hub, api } = await start();
    await seedCsv(hub);
    const lines = (text: string) => text.split("\r\n").filter((l) => l !== "");
    const errors = lines((await request(`${api.base}/api/v1/log/export?category=backup&level=error`)).text);
    expect(errors).toEqual([seedCsvText.split("\r\n")[0], seedCsvText.split("\r\n")[5]]);
    const firstTwo = lines((await request(`${api.base}/api/v1/log/export?limit=2`)).text);
    expect(firstTwo).toEqual(seedCsvText.split("\r\n").slice(0, 3));
    // The export's limit is not the page limit (1000): an export is for large result sets.
    const all = lines((await request(`${api.base}/api/v1/log/export?limit=5000`)).text);
    expect(all).toEqual(lines(seedCsvText));
    const text = lines((await request(`${api.base}/api/v1/log/export?text=DOCKERTESTAPI2`)).text);
    expect(text).toHaveLength(1 + seedLogRecords.filter((r) => r.message.toLowerCase().includes("dockertestapi2")).length);
    expect(text.length).toBeGreaterThan(1);
  });

  it("a store failure before the first chunk is an error status, not a truncated 200", async () => {
    const store = new MemoryStore();
    const { hub, api } = await start({ store });
    await hub.info("system", "one");
    store.queryLogs = () => Promise.reject(new StoreUnavailableError("The database is unreachable"));
    expectError(await request(`${api.base}/api/v1/log/export`), 503, "STORE_UNAVAILABLE");
  });

  it("a store failure mid-export breaks the transfer rather than ending the file early", async () => {
    const store = new MemoryStore();
    const { hub } = await start({ store });
    const api = await adapter.start(hub, { csv: { batchSize: 1 } });
    cleanups.push(() => api.close());
    await hub.info("system", "one");
    await hub.info("system", "two");
    const original = store.queryLogs.bind(store);
    let calls = 0;
    store.queryLogs = (query) => (++calls >= 2 ? Promise.reject(new Error("disk gone")) : original(query));
    const response = await fetch(`${api.base}/api/v1/log/export`);
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
  });

  it("a client that disconnects mid-export stops the store reads", async () => {
    const store = new CountingStore({ maxLogs: 250_000 });
    await store.open();
    const total = 200_000;
    const message = "Finished export container (docker, 08fd4fac14b8, DockerTestAPI) to (/test/d.tgz) (return=0)";
    for (let done = 0; done < total; done += 10_000) {
      const batch: NewLogRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
        timeUs: 1_426_613_412_000_000 + (done + i) * 1000,
        level: "INFO",
        category: "export",
        user: "Anonymous",
        message,
      }));
      await store.appendLogs(batch);
    }
    const { hub, api } = await start({ store });
    // Watch the export the handler starts: when does its iteration end, and was it aborted?
    const exportCsv = hub.exportCsv.bind(hub);
    let ended = false;
    let exportSignal: AbortSignal | undefined;
    hub.exportCsv = (filter, options) => {
      exportSignal = options?.signal;
      const chunks = exportCsv(filter, options);
      return {
        async *[Symbol.asyncIterator]() {
          try {
            yield* chunks;
          } finally {
            ended = true;
          }
        },
      };
    };
    const aborter = new AbortController();
    const response = await fetch(`${api.base}/api/v1/log/export`, { signal: aborter.signal });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).startsWith("Date,Level,Category,User,Message\r\n")).toBe(true);
    aborter.abort();
    await vi.waitFor(() => expect(ended).toBe(true));
    expect(exportSignal?.aborted).toBe(true);
    const calls = store.queryCalls;
    await sleep(200);
    expect(store.queryCalls).toBe(calls);
    // A full export reads 200 pages of 1000; the disconnect ended it far earlier.
    expect(calls).toBeLessThan(total / 1000);
  });

  // --- DELETE -------------------------------------------------------------------------------

  it("DELETE /api/v1/log clears by category, then all, answering { records: N }", async () => {
    const { hub, api } = await start();
    await seedCsv(hub);
    const imports = seedLogRecords.filter((r) => r.category === "import").length;
    const byCategory = await request(`${api.base}/api/v1/log?category=import`, { method: "DELETE" });
    expect(byCategory.status).toBe(200);
    expect(byCategory.text).toBe(JSON.stringify({ records: imports }));
    const left = (await request(`${api.base}/api/v1/log?limit=1000`)).json as { category: string }[];
    expect(left).toHaveLength(seedLogRecords.length - imports);
    expect(left.some((r) => r.category === "import")).toBe(false);
    expect((await request(`${api.base}/api/v1/log`, { method: "DELETE" })).json).toEqual({ records: seedLogRecords.length - imports });
    expect((await request(`${api.base}/api/v1/log`)).text).toBe("[]");
  });

  // --- events -------------------------------------------------------------------------------

  it("a long poll (index + wait) parks, then wakes when an event is published", async () => {
    const store = new CountingStore();
    const { hub, api } = await start({ store });
    await hub.publish({ category: "image", user: "all", payload: update });
    const before = store.readEventCalls;
    const polling = request(`${api.base}/api/v1/event?index=1&wait=600`);
    // The first read found nothing newer: the request is now parked.
    await vi.waitFor(() => expect(store.readEventCalls).toBe(before + 1));
    await hub.publish({ category: "container", user: "all", payload: { container: "utest", state: "start", type: "lxc" } });
    const reply = await polling;
    expect(reply.json).toEqual({
      index: 1,
      messages: ['container:all:{"container":"utest","state":"start","type":"lxc"}'],
      offset: 2,
    });
  });

  it("a long poll with nothing new answers an empty page when the wait runs out", async () => {
    const { hub, api } = await start();
    await hub.publish({ category: "image", user: "all", payload: update });
    expect((await request(`${api.base}/api/v1/event?index=1&wait=1`)).json).toEqual({ index: 1, messages: [], offset: 1 });
  });

  it("visibility follows getUser only: own events and all, never another user's, whatever the query says", async () => {
    const { hub, api } = await start();
    for (const user of ["alice", "all", "bob"]) {
      await hub.publish({ category: "import", user, payload: { type: "lxc", cid: user, path: "/x", state: "running" } });
    }
    const seen = async (user?: string, query = "") =>
      ((await request(`${api.base}/api/v1/event${query}`, user === undefined ? {} : { user })).json as { messages: string[] }).messages.map(
        (m) => parseEventMessage(m).user,
      );
    expect(await seen("alice")).toEqual(["all", "alice"]);
    expect(await seen("bob")).toEqual(["bob", "all"]);
    expect(await seen()).toEqual(["all"]);
    expect(await seen("alice", "?user=bob")).toEqual(["all", "alice"]);
    expect(await seen(undefined, "?user=bob")).toEqual(["all"]);
  });

  it("pages by cursor: reading again with index = offset continues exactly", async () => {
    const { hub, api } = await start();
    for (let i = 0; i < 5; i++) await hub.publish({ category: "image", user: "all", payload: update });
    const first = (await request(`${api.base}/api/v1/event?index=0&limit=3`)).json as { offset: number; messages: string[] };
    expect([first.offset, first.messages.length]).toEqual([3, 3]);
    const second = (await request(`${api.base}/api/v1/event?index=${first.offset}&limit=3`)).json as { offset: number; messages: string[] };
    expect([second.offset, second.messages.length]).toEqual([5, 2]);
  });

  it("eventMessages.withTimestamp sends category:user:ts:JSON", async () => {
    const { hub } = await start();
    const api = await adapter.start(hub, { eventMessages: { withTimestamp: true } });
    cleanups.push(() => api.close());
    const event = await hub.publish({ category: "image", user: "all", payload: update });
    const reply = (await request(`${api.base}/api/v1/event`)).json as { messages: string[] };
    expect(reply.messages).toEqual([`image:all:${event.ts}:${JSON.stringify(update)}`]);
  });

  it("totalCountHeader adds X-Total-Count for a pager", async () => {
    const { hub } = await start();
    const api = await adapter.start(hub, { totalCountHeader: true });
    cleanups.push(() => api.close());
    await seedCsv(hub);
    const reply = await request(`${api.base}/api/v1/log?category=backup&limit=2`);
    expect((reply.json as unknown[]).length).toBe(2);
    expect(reply.headers.get("x-total-count")).toBe(String(seedLogRecords.filter((r) => r.category === "backup").length));
  });
});
