/**
 * The adapters and the demo behave like a real service, on real servers on ephemeral loopback
 * ports: nosniff everywhere, HEAD for GET routes, 405 with Allow, explicit destructive requests,
 * errors naming the wire parameter, cross-origin writes refused, a Host allow-list in the demo,
 * and JSON (never Express's HTML page) for every error a framework or Node's parser raises.
 */
import express from "express";
import Koa from "koa";
import { createServer, request as httpRequest, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { answerClientErrors, LogEventHub } from "log-event-hub";
import { SimulatedRuntime } from "log-event-hub/testing";
import { createDemoApp } from "../../examples/demo/app.js";
import { Sessions } from "../../examples/demo/sessions.js";
import { hubErrorHandler } from "../../examples/express/hub-router.js";
import { hubErrors } from "../../examples/koa/hub-middleware.js";
import { adapters, type RunningServer } from "./servers.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { error?: { code?: string; message?: string; param?: string } } & Record<string, unknown>;
}

function send(url: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  const u = new URL(url);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers = { ...(body && { "content-length": String(body.length) }), ...options.headers };
  return new Promise((resolve, reject) => {
    // The raw path, as sent: URL would normalise broken percent-encoding away.
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    const req = httpRequest({ host: u.hostname, port: u.port, method: options.method ?? "GET", path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: Reply["json"] = {};
        try {
          json = JSON.parse(text) as Reply["json"];
        } catch {
          // not JSON: the assertions say so
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}

const LEAK = /\n\s+at |\/work\/|node_modules|\.ts:\d+|<html|<!DOCTYPE|SQLITE|SELECT/i;

function expectJsonError(reply: Reply, status: number, code: string, param?: string): void {
  expect({ status: reply.status, body: reply.body }).toMatchObject({ status });
  expect(reply.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect(reply.headers["x-content-type-options"]).toBe("nosniff");
  expect(reply.json.error?.code).toBe(code);
  if (param !== undefined) {
    expect(reply.json.error?.param).toBe(param);
    expect(reply.json.error?.message).toContain(`"${param}"`);
  }
  expect(reply.body).not.toMatch(LEAK);
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      cleanups.push(
        () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      );
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

async function seeded(): Promise<LogEventHub> {
  const hub = new LogEventHub();
  cleanups.push(() => hub.close());
  await hub.info("container", "Start container (lxc, utest)", "Anonymous");
  await hub.warn("import", "Import failed", "alice");
  await hub.error("system", "Disk full");
  return hub;
}

describe.each(adapters)("the $name adapter", (adapter) => {
  async function start(): Promise<{ hub: LogEventHub; api: RunningServer }> {
    const hub = await seeded();
    const api = await adapter.start(hub);
    cleanups.push(() => api.close());
    return { hub, api };
  }

  it("sends nosniff on every answer: JSON, CSV, 404, 405", async () => {
    const { api } = await start();
    for (const [method, path] of [["GET", "/api/v1/log"], ["GET", "/api/v1/log/export"], ["GET", "/api/v1/nope"], ["PUT", "/api/v1/log"], ["GET", "/api/v1/event"]]) {
      const reply = await send(`${api.base}${path}`, { method: method as string });
      expect(reply.headers["x-content-type-options"], `${method} ${path}`).toBe("nosniff");
    }
  });

  it("answers HEAD on every GET route with the GET's status and headers and no body", async () => {
    const { api } = await start();
    for (const path of ["/api/v1/log?limit=2", "/api/v1/event", "/api/v1/log/export"]) {
      const get = await send(`${api.base}${path}`);
      const head = await send(`${api.base}${path}`, { method: "HEAD" });
      expect(head.status, path).toBe(200);
      expect(head.body, path).toBe("");
      expect(head.headers["content-type"], path).toBe(get.headers["content-type"]);
      if (get.headers["content-length"] !== undefined) expect(head.headers["content-length"], path).toBe(get.headers["content-length"]);
    }
    const bad = await send(`${api.base}/api/v1/log?limit=0`, { method: "HEAD" });
    expect(bad.status).toBe(400);
    const wrong = await send(`${api.base}/api/v1/log`, { method: "PATCH" });
    expectJsonError(wrong, 405, "METHOD_NOT_ALLOWED");
    expect(wrong.headers.allow).toBe("GET, HEAD, DELETE");
  });

  it("refuses a DELETE with an empty filter parameter (400, naming it) and changes nothing", async () => {
    const { hub, api } = await start();
    for (const query of ["category=&level=&text=", "text=", "user=", "level=", "category=", "start=", "time_end=", "text=Disk&user="]) {
      const reply = await send(`${api.base}/api/v1/log?${query}`, { method: "DELETE" });
      const empty = query.split("&").filter((p) => p.endsWith("=")).map((p) => p.slice(0, -1));
      expectJsonError(reply, 400, "VALIDATION");
      // One of the empty parameters is named, as sent.
      expect(empty, query).toContain(reply.json.error?.param);
    }
    expect(await hub.countLogs()).toBe(3);
    const some = await send(`${api.base}/api/v1/log?category=system`, { method: "DELETE" });
    expect(some.json).toEqual({ records: 1 });
    const all = await send(`${api.base}/api/v1/log`, { method: "DELETE" });
    expect(all.json).toEqual({ records: 2 });
    expect(await hub.countLogs()).toBe(0);
  });

  it("refuses NUL and control characters in filters as 400 naming the parameter, never a 503", async () => {
    const { hub, api } = await start();
    for (const [query, param] of [["text=%00", "text"], ["text=a%00b", "text"], ["user=%00", "user"], ["text=%1B%5B2J", "text"], ["level=INFO%00", "level"]]) {
      expectJsonError(await send(`${api.base}/api/v1/log?${query}`, { method: "DELETE" }), 400, "VALIDATION", param);
      expectJsonError(await send(`${api.base}/api/v1/log?${query}`), 400, "VALIDATION", param);
      expectJsonError(await send(`${api.base}/api/v1/log/export?${query}`), 400, "VALIDATION", param);
    }
    expectJsonError(await send(`${api.base}/api/v1/event/wait/lxc/u%00test/running`), 400, "VALIDATION", "id");
    expect(await hub.countLogs()).toBe(3);
  });

  it("names the wire parameter the client sent, in the message and in param", async () => {
    const { api } = await start();
    for (const [query, param] of [
      ["time_end=99999999999999", "time_end"],
      ["end=99999999999999", "end"],
      ["start=5&end=4", "start"],
      ["time_start=5&time_end=4", "time_start"],
      ["level=%C4%B1nfo", "level"],
      ["level=WARN,%20ERROR", "level"],
      ["before_id=0", "before_id"],
    ]) {
      expectJsonError(await send(`${api.base}/api/v1/log?${query}`), 400, "VALIDATION", param);
    }
    const both = await send(`${api.base}/api/v1/log?start=5&end=4`);
    expect(both.json.error?.message).toBe('"start" must not be after "end"');
  });

  it("refuses a cross-origin DELETE from a browser; same origin and curl (no Origin) still work", async () => {
    const { hub, api } = await start();
    const origin = new URL(api.base).origin;
    const crossOrigin: Record<string, string>[] = [
      { origin: "http://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
      { origin: origin.replace("127.0.0.1", "localhost") },
    ];
    for (const headers of crossOrigin) {
      expectJsonError(await send(`${api.base}/api/v1/log?category=system`, { method: "DELETE", headers }), 403, "FORBIDDEN");
    }
    expect(await hub.countLogs()).toBe(3);
    expect((await send(`${api.base}/api/v1/log?category=system`, { method: "DELETE", headers: { origin } })).json).toEqual({ records: 1 });
    expect((await send(`${api.base}/api/v1/log?category=import`, { method: "DELETE" })).json).toEqual({ records: 1 });
    // Reads are not writes: a cross-origin GET is answered (the browser's CORS rules apply).
    expect((await send(`${api.base}/api/v1/log`, { headers: { origin: "http://evil.example" } })).status).toBe(200);
  });
});

describe("the adapters' error middleware", () => {
  it("Express: hubErrorHandler answers JSON for http-errors and 500 INTERNAL for anything else", async () => {
    const app = express();
    app.post("/json", express.json({ limit: "10b" }), (_req, res) => void res.json({ ok: true }));
    app.get("/boom", () => {
      throw new Error("boom at /work/secret/app.ts:12 SELECT * FROM users");
    });
    app.get("/segment/:id", (req, res) => void res.json({ id: req.params.id }));
    app.use(hubErrorHandler());
    const base = await listen(createServer(app));
    expectJsonError(await send(`${base}/json`, { method: "POST", headers: { "content-type": "application/json" }, body: "{bad" }), 400, "VALIDATION");
    expectJsonError(await send(`${base}/json`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"a":"0123456789"}' }), 413, "PAYLOAD_TOO_LARGE");
    expectJsonError(await send(`${base}/json`, { method: "POST", headers: { "content-type": "application/json; charset=foo" }, body: "{}" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectJsonError(await send(`${base}/json`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "foo" }, body: "{}" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectJsonError(await send(`${base}/segment/%E0%A4%A`), 400, "VALIDATION");
    const boom = await send(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(boom.json).toEqual({ error: { code: "INTERNAL", message: "Internal error" } });
  });

  it("Koa: hubErrors answers JSON for thrown http errors and 500 INTERNAL for anything else", async () => {
    const app = new Koa();
    app.silent = true;
    app.use(hubErrors());
    app.use((ctx) => {
      if (ctx.path === "/big") ctx.throw(413, "body at /work/secret exceeded");
      if (ctx.path === "/bad") ctx.throw(400, "Unexpected token } in JSON at position 10");
      throw new Error("boom at /work/secret/app.ts:12");
    });
    const base = await listen(createServer(app.callback()));
    expectJsonError(await send(`${base}/big`), 413, "PAYLOAD_TOO_LARGE");
    expectJsonError(await send(`${base}/bad`), 400, "VALIDATION");
    const boom = await send(`${base}/boom`);
    expect(boom.status).toBe(500);
    expect(boom.json).toEqual({ error: { code: "INTERNAL", message: "Internal error" } });
  });
});

describe("the demo app", () => {
  async function startDemo(allowedHosts?: readonly string[]): Promise<{ hub: LogEventHub; base: string; port: number }> {
    const runtime = new SimulatedRuntime({ actionDelayMs: 0 });
    const hub = new LogEventHub({ runtime });
    runtime.attachHub(hub);
    cleanups.push(() => hub.close());
    await hub.info("system", "Demo started");
    const app = createDemoApp({
      hub,
      sessions: new Sessions(),
      act: (action, type, id, user) => runtime[action](type, id, { user }),
      inFlight: new Set(),
      listContainers: () => runtime.list(),
      ...(allowedHosts && { allowedHosts }),
    });
    const server = createServer(app);
    answerClientErrors(server);
    const base = await listen(server);
    return { hub, base, port: Number(new URL(base).port) };
  }

  const form = { "content-type": "application/x-www-form-urlencoded" };

  it("answers malformed, oversized and undecodable bodies and paths with JSON, never an HTML stack trace", async () => {
    const { base } = await startDemo();
    const json = { "content-type": "application/json" };
    expectJsonError(await send(`${base}/api/v1/login`, { method: "POST", headers: json, body: '{"username":' }), 400, "VALIDATION");
    expectJsonError(await send(`${base}/api/v1/login`, { method: "POST", headers: form, body: `username=${"a".repeat(5000)}` }), 413, "PAYLOAD_TOO_LARGE");
    expectJsonError(await send(`${base}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json; charset=foo" }, body: "{}" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectJsonError(await send(`${base}/api/v1/login`, { method: "POST", headers: { ...form, "content-encoding": "foo" }, body: "username=a" }), 415, "UNSUPPORTED_MEDIA_TYPE");
    expectJsonError(await send(`${base}/api/v1/container/lxc/%E0%A4%A/start`, { method: "PUT" }), 400, "VALIDATION");
    expectJsonError(await send(`${base}/api/v1/event/wait/lxc/%E0%A4%A/running`), 400, "VALIDATION", "id");
  });

  it("answers requests Node's parser refuses with the JSON error body", async () => {
    const { port } = await startDemo();
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.end("GARBAGE / NOPE\r\n\r\n"));
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain("application/json");
    expect(raw.slice(raw.indexOf("\r\n\r\n") + 4)).toBe('{"error":{"code":"VALIDATION","message":"The request is malformed"}}');
  });

  it("answers only the allowed host names (DNS rebinding gets a 403)", async () => {
    const { base, port } = await startDemo();
    for (const host of ["evil.example", `evil.example:${port}`, "127.0.0.1.evil.example", "localhost."]) {
      const reply = await send(`${base}/api/v1/log`, { headers: { host } });
      if (host === "localhost.") expect(reply.status).toBe(200); // the same name, fully qualified
      else expectJsonError(reply, 403, "FORBIDDEN");
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, "LOCALHOST", `[::1]:${port}`]) {
      expect((await send(`${base}/api/v1/log`, { headers: { host } })).status, host).toBe(200);
    }
    const configured = await startDemo(["localhost", "logs.example.org"]);
    expect((await send(`${configured.base}/api/v1/log`, { headers: { host: "logs.example.org" } })).status).toBe(200);
    expectJsonError(await send(`${configured.base}/api/v1/log`, { headers: { host: "127.0.0.1" } }), 403, "FORBIDDEN");
  });

  it("refuses cross-origin state changes (login, actions, clearing); curl without Origin and same origin work", async () => {
    const { hub, base } = await startDemo();
    const evil = { origin: "http://evil.example" };
    const login = await send(`${base}/api/v1/login`, { method: "POST", headers: { ...form, ...evil }, body: "username=mallory" });
    expectJsonError(login, 403, "FORBIDDEN");
    expect(login.headers["set-cookie"]).toBeUndefined();
    expectJsonError(await send(`${base}/api/v1/container/lxc/utest/start`, { method: "PUT", headers: evil }), 403, "FORBIDDEN");
    expectJsonError(await send(`${base}/api/v1/log`, { method: "DELETE", headers: { "sec-fetch-site": "cross-site" } }), 403, "FORBIDDEN");
    expect(await hub.countLogs()).toBe(1);
    expect((await send(`${base}/api/v1/login`, { method: "POST", headers: form, body: "username=alice" })).status).toBe(200);
    expect((await send(`${base}/api/v1/login`, { method: "POST", headers: { ...form, origin: base }, body: "username=alice" })).status).toBe(200);
  });

  it("serves HEAD for GET routes, and 405 with Allow for a wrong method on its own routes", async () => {
    const { base } = await startDemo();
    const head = await send(`${base}/api/v1/log`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["x-content-type-options"]).toBe("nosniff");
    for (const [method, path, allow] of [
      ["DELETE", "/api/v1/login", "GET, HEAD, POST"],
      ["POST", "/api/v1/container", "GET, HEAD"],
      ["HEAD", "/api/v1/logout", "POST"],
      ["DELETE", "/api/v1/container/lxc/utest/start", "PUT"],
      ["POST", "/api/v1/log", "GET, HEAD, DELETE"],
    ] as const) {
      const reply = await send(`${base}${path}`, { method });
      expect(reply.status, `${method} ${path}`).toBe(405);
      expect(reply.headers.allow, `${method} ${path}`).toBe(allow);
      if (method !== "HEAD") expectJsonError(reply, 405, "METHOD_NOT_ALLOWED");
    }
  });
});
