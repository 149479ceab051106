/**
 * Random and hostile HTTP input against real servers on ephemeral loopback ports: the Express
 * and Koa adapters (mounted under /hub, as test/http/servers.ts builds them) and the demo app,
 * each over a SQLite file. Random methods, paths (known routes, odd segments, broken
 * percent-encoding, NULs), query strings (every parameter, repeated, empty, any bytes), headers
 * and bodies. Whatever comes in:
 *
 * - never a 5xx, never a hang (each request must answer within its deadline);
 * - every 4xx is the JSON error body; a `param` in it names something the client sent;
 * - no stack trace, file path, SQL or driver text in any body or header;
 * - the log is unchanged after any refused request.
 *
 * Seed and runs: `LEH_PROPERTY_SEED`, `LEH_PROPERTY_RUNS` (see test/properties/store-model.ts).
 */
import { fc, test } from "@fast-check/vitest";
import { request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { answerClientErrors, LogEventHub } from "log-event-hub";
import { SqliteStore } from "log-event-hub/sqlite";
import { SimulatedRuntime } from "log-event-hub/testing";
import { createDemoApp } from "../../examples/demo/app.js";
import { Sessions } from "../../examples/demo/sessions.js";
import { PROPERTY_SEED, propertyRuns } from "../properties/store-model.js";
import { adapters, PREFIX } from "./servers.js";

const dir = mkdtempSync(join(tmpdir(), "leh-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Accepted long polls and waits end within a second: a hang is then a real hang.
const LIMITS = { maxWaitMs: 1000, defaultWaitTimeoutMs: 1000 };
const DEADLINE_MS = 10_000;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(port: number, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    // As real clients do, a body travels with its length.
    const withLength = body === undefined ? headers : { ...headers, "content-length": String(body.length) };
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers: withLength, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(DEADLINE_MS, () => req.destroy(new Error(`no answer within ${DEADLINE_MS} ms: ${method} ${path}`)));
    req.on("error", reject);
    req.end(body);
  });
}

// --- generators ------------------------------------------------------------------------------

const PARAMS = [
  "time_start", "time_end", "start", "end", "limit", "offset", "before_id", "user", "level", "category", "text",
  "index", "wait", "duration", "_", "lastEventId", "username",
];

/** A percent-encoded piece of a URL: safe characters, encoded UTF-8, raw bytes, broken escapes. */
const urlPiece = fc.oneof(
  fc.constantFrom("a", "Z", "0", "9", "-", ".", "_", "~", "!", "*", "'", "(", ")", ",", ";", ":", "@", "$", "+", "=", "&"),
  fc.constantFrom("INFO", "warn", "ERROR", "container", "import", "lxc", "docker", "utest", "running", "stopped", "20", "1e3", "-1", "05"),
  fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`),
  fc.constantFrom("%", "%Z", "%E0%A4%A", "%C4%B1nfo", "%00", "%ED%A0%80", "%E2%84%AA", "%F0%9F%98%80", "%25", "%2F", "%5C", "%22", "%27"),
  fc.string({ unit: "grapheme", maxLength: 3 }).map((s) => encodeURIComponent(s)),
);
const urlText = (maxLength: number) => fc.array(urlPiece, { maxLength }).map((a) => a.join(""));

const pair = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PARAMS) }, { weight: 1, arbitrary: urlText(3) }), urlText(6), fc.boolean());
const queryArb = fc.array(pair, { maxLength: 6 }).map((pairs) => ({
  // Repeats come from duplicated names; `name` alone (no `=`) now and then.
  query: pairs.map(([name, value, bare]) => (bare && value === "" ? name : `${name}=${value}`)).join("&"),
  names: pairs.map(([name]) => safeDecode(name)),
}));

function safeDecode(s: string): string {
  try {
    return new URLSearchParams(`${s}=`).keys().next().value ?? s;
  } catch {
    return s;
  }
}

const segment = fc.oneof(fc.constantFrom("lxc", "docker", "utest", "DockerTestAPI", "running", "stopped", "start", "..", "."), urlText(4));
const apiPath = fc.oneof(
  fc.constantFrom("/api/v1/log", "/api/v1/log/", "/api/v1/log/export", "/api/v1/event", "/api/v1/event/", "/api/v1/event/wait"),
  fc.tuple(segment, segment, segment).map(([a, b, c]) => `/api/v1/event/wait/${a}/${b}/${c}`),
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/api/v1/${s.join("/")}`),
  fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => `/${s.join("/")}`),
);
const demoPath = fc.oneof(
  apiPath,
  fc.constantFrom("/api/v1/login", "/api/v1/logout", "/api/v1/login/"),
  fc.tuple(segment, segment, segment).map(([a, b, c]) => `/api/v1/container/${a}/${b}/${c}`),
);

const methodArb = fc.constantFrom("GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "DELETE", "PATCH", "OPTIONS", "PROPFIND");

const headerValue = fc.string({ unit: "grapheme-ascii", maxLength: 20 }).map((s) => s.replace(/[^\x20-\x7e]/g, ""));
const headersArb = fc.record(
  {
    "content-type": fc.constantFrom(
      "application/json", "application/json; charset=utf-8", "application/json; charset=koi8-r", "application/json; charset=foo",
      "application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16", "text/plain", "multipart/form-data",
      "", "*/*",
    ),
    "content-encoding": fc.constantFrom("gzip", "deflate", "br", "identity", "foo", "gzip, foo"),
    origin: fc.constantFrom("null", "http://evil.example", "http://localhost:1", "https://127.0.0.1"),
    "sec-fetch-site": fc.constantFrom("cross-site", "same-origin", "none", "same-site"),
    "x-user": headerValue,
    "last-event-id": headerValue,
    accept: fc.constantFrom("*/*", "text/html", "application/json", "text/event-stream"),
    cookie: fc.constantFrom("hub_session=%E0%A4%A", "hub_session=abc", "a"),
  },
  { requiredKeys: [] },
);

const bodyArb = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom('{"username":"alice"}', '{"username":', "username=alice", "username=a%00b", '{"username":"a\\u0000b"}', "username=%E0%A4%A", '{"username":1}', "[]", "null"),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 5000, max: 20_000 }).map((n) => `username=${"a".repeat(n)}`),
);

const requestArb = (pathArb: fc.Arbitrary<string>) =>
  fc.record({ method: methodArb, path: pathArb, query: queryArb, headers: headersArb, body: bodyArb });

// --- assertions ------------------------------------------------------------------------------

const LEAK = /\n\s+at |\bat [\w.<>]+ \(|\/work\/|\/home\/|node_modules|\.[cm]?[tj]s:\d+|\bSELECT\b|\bINSERT\b|\bDELETE FROM\b|SQLITE|sqlite3?_|\bpg_|syntax error|<html|<!DOCTYPE|TypeError|ReferenceError|RangeError/i;

function checkReply(
  reply: Reply,
  sent: { method: string; names: readonly string[]; pathParams: readonly string[]; headerNames: readonly string[] },
  what: string,
): void {
  expect(reply.status, `${what}: no 5xx`).toBeLessThan(500);
  expect(reply.body, `${what}: no leak in the body`).not.toMatch(LEAK);
  for (const [name, value] of Object.entries(reply.headers)) {
    expect(`${name}: ${String(value)}`, `${what}: no leak in headers`).not.toMatch(LEAK);
  }
  expect(reply.headers["x-content-type-options"], `${what}: nosniff`).toBe("nosniff");
  if (reply.status >= 400) {
    expect(reply.headers["content-type"], `${what}: JSON error`).toBe("application/json; charset=utf-8");
    if (sent.method === "HEAD") return;
    const body = JSON.parse(reply.body) as { error: { code: string; message: string; param?: string } };
    expect(Object.keys(body), what).toEqual(["error"]);
    expect(typeof body.error.code, what).toBe("string");
    expect(typeof body.error.message, what).toBe("string");
    if (body.error.param !== undefined) {
      const known = [...sent.names, ...sent.pathParams, ...(sent.headerNames.includes("x-user") ? ["user"] : [])];
      expect(known, `${what}: param ${body.error.param} names something the client sent`).toContain(body.error.param);
    }
  }
}

interface Target {
  name: string;
  prefix: string;
  paths: fc.Arbitrary<string>;
  pathParams: readonly string[];
  port: number;
  hub: LogEventHub;
  close(): Promise<void>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });
}

async function makeHub(name: string): Promise<{ hub: LogEventHub; runtime: SimulatedRuntime }> {
  const runtime = new SimulatedRuntime({ actionDelayMs: 0 });
  const hub = new LogEventHub({ store: new SqliteStore(join(dir, `${name}.db`)), runtime, limits: LIMITS });
  runtime.attachHub(hub);
  await hub.open();
  return { hub, runtime };
}

async function seedLog(hub: LogEventHub): Promise<void> {
  for (const [i, message] of ["Start container (lxc, utest)", "Download 100% done", "École ſtop \u212A", "a_b\\c*d"].entries()) {
    await hub.log({ level: ["INFO", "WARN", "ERROR"][i % 3] as string, category: "container", user: i % 2 ? "alice" : "Anonymous", message });
  }
  await hub.publish({ category: "container", user: "all", payload: { container: "utest", state: "start", type: "lxc" } });
}

const snapshot = async (hub: LogEventHub) => JSON.stringify(await hub.queryLogs({ limit: 1000 }));

const targets: (() => Promise<Target>)[] = [
  ...adapters.map((adapter) => async (): Promise<Target> => {
    const { hub } = await makeHub(adapter.name);
    const running = await adapter.start(hub);
    const port = Number(new URL(running.base).port);
    return {
      name: adapter.name,
      prefix: PREFIX,
      paths: apiPath,
      pathParams: ["type", "id", "state"],
      port,
      hub,
      close: async () => {
        await running.close();
        await hub.close();
      },
    };
  }),
  async (): Promise<Target> => {
    const { hub, runtime } = await makeHub("demo");
    const app = createDemoApp({
      hub,
      sessions: new Sessions(),
      act: (action, type, id, user) => runtime[action](type, id, { user }),
      inFlight: new Set(),
    });
    const { createServer } = await import("node:http");
    const server = createServer(app);
    answerClientErrors(server); // as examples/demo/server.ts does
    const port = await listen(server);
    return {
      name: "demo",
      prefix: "",
      paths: demoPath,
      pathParams: ["type", "id", "state", "action", "username"],
      port,
      hub,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((done) => server.close(() => done()));
        await hub.close();
      },
    };
  },
];

for (const [i, makeTarget] of targets.entries()) {
  const label = i < adapters.length ? (adapters[i] as { name: string }).name : "demo";
  describe(`hostile HTTP input: ${label}`, { timeout: 180_000 }, () => {
    let target: Target;
    beforeAll(async () => {
      target = await makeTarget();
      await seedLog(target.hub);
    });
    afterAll(async () => {
      await target.close();
    });

    test.prop([requestArb(label === "demo" ? demoPath : apiPath)], { seed: PROPERTY_SEED, numRuns: propertyRuns(150) })(
      `no 5xx, no hang, JSON 4xx naming what was sent, no leaks, nothing changed by a refused request (seed ${PROPERTY_SEED})`,
      async ({ method, path, query, headers, body }) => {
        const full = `${target.prefix}${path}${query.query ? `?${query.query}` : ""}`;
        const sentHeaders: Record<string, string> = { ...headers, host: `127.0.0.1:${target.port}` };
        const before = await snapshot(target.hub);
        const reply = await send(target.port, method, full, sentHeaders, method === "GET" || method === "HEAD" || body === undefined ? undefined : Buffer.from(body));
        const what = `${method} ${full} ${JSON.stringify(headers)}`;
        checkReply(reply, { method, names: query.names, pathParams: target.pathParams, headerNames: Object.keys(headers) }, what);
        if (reply.status >= 400) expect(await snapshot(target.hub), `${what}: a refused request changes nothing`).toBe(before);
        if ((await target.hub.countLogs()) === 0) await seedLog(target.hub);
      },
    );
  });
}
