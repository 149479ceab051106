/**
 * `log-event-hub/console` on the server side: the size budget of the built console, the
 * framework-neutral handler (content types, CSP, gzip, ETags, the mount point's redirect,
 * `apiBase`), and mounting under a prefix in Express and Koa as the examples do, on real
 * servers; then the console itself in chromium under Koa's `/hub/`, where the host has no login
 * route and no container list.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import express from "express";
import Koa from "koa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogEventHub } from "log-event-hub";
import { consoleAssets, createConsoleHandler, serveConsole, type ConsoleResponse } from "log-event-hub/console";
import { hubErrorHandler, hubRouter } from "../../examples/express/hub-router.js";
import { hubErrors, hubMiddleware } from "../../examples/koa/hub-middleware.js";
import { chromiumInstalled, launchChromium } from "./browser.js";
import { buildConsoleInto } from "./fixtures.js";

/** The budget: script and styles together, gzip-compressed. */
const BUDGET_BYTES = 100 * 1024;

let dir: string;
let root: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "leh-console-serve-"));
  root = await buildConsoleInto(join(dir, "console"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the built console", () => {
  it(`is at most ${BUDGET_BYTES / 1024} KB of JavaScript and CSS, gzip-compressed`, () => {
    const assets = consoleAssets({ root });
    const gzipped = assets.filter((a) => a.path !== "index.html").reduce((sum, a) => sum + gzipSync(a.body, { level: 9 }).length, 0);
    console.log(`[console] console.js + console.css: ${gzipped} bytes gzip-compressed (budget ${BUDGET_BYTES})`);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
    // Self-contained: nothing loaded from elsewhere.
    for (const asset of assets) expect(asset.body.toString("utf8"), asset.path).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it("names the folder when the console is not built there; the handler answers 503 without it", () => {
    expect(() => consoleAssets({ root: join(dir, "nowhere") })).toThrow(join(dir, "nowhere"));
    const answer = createConsoleHandler({ root: join(dir, "nowhere") })({ method: "GET", path: "/" })!;
    expect(answer.status).toBe(503);
    expect(answer.body.toString()).toBe("The web console is not built on this server (npm run build).\n");
    expect(answer.body.toString()).not.toContain(dir);
  });
});

describe("createConsoleHandler", () => {
  // Made once the console is built into `root` (beforeAll above), not while tests are collected.
  let handle: ReturnType<typeof createConsoleHandler>;
  beforeAll(() => {
    handle = createConsoleHandler({ root });
  });
  const get = (path: string, headers: Record<string, string> = {}, fullPath?: string) =>
    handle({ method: "GET", path, headers, ...(fullPath !== undefined && { fullPath }) }) as ConsoleResponse;

  it("answers the page with a strict CSP, and the script and styles with their types", () => {
    const page = get("/");
    expect(page.status).toBe(200);
    expect(page.headers["Content-Type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["Content-Security-Policy"]).toContain("script-src 'self'");
    expect(page.headers["Content-Security-Policy"]).toContain("connect-src 'self';");
    expect(page.headers["X-Content-Type-Options"]).toBe("nosniff");
    expect(page.body.toString()).toContain('<script defer src="console.js"></script>');
    expect(get("/index.html").body).toEqual(page.body);
    expect(get("/console.js").headers["Content-Type"]).toBe("text/javascript; charset=utf-8");
    expect(get("/console.css").headers["Content-Type"]).toBe("text/css; charset=utf-8");
  });

  it("sends gzip when accepted, the same bytes once inflated", () => {
    const plain = get("/console.js");
    const zipped = get("/console.js", { "accept-encoding": "gzip, deflate, br" });
    expect(zipped.headers["Content-Encoding"]).toBe("gzip");
    expect(plain.headers["Content-Encoding"]).toBeUndefined();
    expect(gunzipSync(zipped.body)).toEqual(plain.body);
    expect(Number(zipped.headers["Content-Length"])).toBe(zipped.body.length);
  });

  it("answers 304 to a matching If-None-Match, and HEAD without a body", () => {
    const { etag } = { etag: get("/console.css").headers.ETag! };
    expect(get("/console.css", { "if-none-match": etag }).status).toBe(304);
    expect(get("/console.css", { "if-none-match": '"other"' }).status).toBe(200);
    const head = handle({ method: "HEAD", path: "/" })!;
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers["Content-Length"])).toBe(get("/").body.length);
  });

  it("leaves other paths and methods to the host", () => {
    expect(handle({ method: "GET", path: "/api/v1/log" })).toBeUndefined();
    expect(handle({ method: "GET", path: "/../package.json" })).toBeUndefined();
    expect(handle({ method: "GET", path: "/console.js.map" })).toBeUndefined();
    expect(handle({ method: "POST", path: "/" })).toBeUndefined();
    expect(handle({ method: "DELETE", path: "/console.js" })).toBeUndefined();
  });

  it("redirects the mount point to itself with a slash, relatively", () => {
    expect(get("", {}, "/tools/hub")).toMatchObject({ status: 308, headers: { Location: "hub/" } });
    expect(handle({ method: "GET", path: "" })).toBeUndefined();
  });

  it("writes apiBase into the page, escaped, and lets the page connect to its origin", () => {
    const other = createConsoleHandler({ root, apiBase: 'https://api.example.test/hub/"><script>' });
    const page = other({ method: "GET", path: "/" })!;
    expect(page.body.toString()).toContain('content="https://api.example.test/hub/&quot;&gt;&lt;script&gt;"');
    expect(page.body.toString()).not.toContain('"><script>');
    expect(page.headers["Content-Security-Policy"]).toContain("connect-src 'self' https://api.example.test;");
    const relative = createConsoleHandler({ root, apiBase: "/api-root/" })({ method: "GET", path: "/" })!;
    expect(relative.body.toString()).toContain('<meta name="log-event-hub-api" content="/api-root/">');
  });
});

/** Starts an app on a loopback port. */
async function listen(app: { listen: (port: number, host: string, cb: () => void) => Server }): Promise<{ url: string; close: () => Promise<void> }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function expressApp(hub: LogEventHub) {
  const app = express();
  app.use("/hub", serveConsole({ root }), hubRouter(hub, { totalCountHeader: true }));
  app.use(hubErrorHandler());
  return app;
}

function koaApp(hub: LogEventHub) {
  const app = new Koa();
  app.use(hubErrors());
  const consoleFiles = serveConsole({ root, prefix: "/hub" });
  app.use(async (ctx, next) => {
    let passed = false;
    consoleFiles(ctx.req, ctx.res, () => (passed = true));
    if (passed) return next();
    ctx.respond = false;
  });
  app.use(hubMiddleware(hub, { prefix: "/hub", totalCountHeader: true }));
  app.use((ctx) => {
    ctx.body = "host page";
  });
  return app;
}

for (const [name, makeApp] of [["Express", expressApp], ["Koa", koaApp]] as const) {
  describe(`mounted under /hub in ${name}, beside the API`, () => {
    let hub: LogEventHub;
    let server: { url: string; close: () => Promise<void> };
    beforeAll(async () => {
      hub = new LogEventHub();
      await hub.info("system", "hello");
      server = await listen(makeApp(hub));
    });
    afterAll(async () => {
      await server.close();
      await hub.close();
    });

    it("serves the page at /hub/ and redirects /hub there", async () => {
      const bare = await fetch(`${server.url}/hub?x=1`, { redirect: "manual" });
      expect(bare.status).toBe(308);
      expect(new URL(bare.headers.get("location")!, `${server.url}/hub`).pathname).toBe("/hub/");
      const page = await fetch(`${server.url}/hub/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await page.text()).toContain("console.js");
      const script = await fetch(`${server.url}/hub/console.js`);
      expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect((await script.text()).length).toBeGreaterThan(1000);
    });

    it("passes every other request to the API, DELETE included", async () => {
      const log = await fetch(`${server.url}/hub/api/v1/log`);
      expect(log.status).toBe(200);
      expect(log.headers.get("x-total-count")).toBe("1");
      const cleared = await fetch(`${server.url}/hub/api/v1/log`, { method: "DELETE" });
      expect(await cleared.json()).toEqual({ records: 1 });
      expect((await fetch(`${server.url}/hub/nothing`)).status).toBe(404);
    });
  });
}

describe.skipIf(!chromiumInstalled)("the console in chromium under Koa's /hub/, a host with no login route and no container list", () => {
  it("loads the log, goes live, says the host signs users in, and offers to add containers by name", async () => {
    const hub = new LogEventHub();
    await hub.warn("container", "Stop container (lxc, utest)", "carol");
    const server = await listen(koaApp(hub));
    const { context, close } = await launchChromium();
    const errors: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${server.url}/hub`);
      expect(new URL(page.url()).pathname).toBe("/hub/");
      await page.waitForSelector("table.log tbody tr[data-id]");
      expect(await page.textContent("table.log tbody tr td.message")).toBe("Stop container (lxc, utest)");
      await page.waitForFunction(() => (window as unknown as { logEventHubConsole: { feed: { status: string } } }).logEventHubConsole.feed.status === "live");
      await expect.poll(() => page.textContent(".identity")).toBe("Signed in by the host");
      await page.goto(`${server.url}/hub/#/containers`);
      await page.waitForSelector("form.add:not([hidden])");
      // The CSV link points under the prefix.
      await page.goto(`${server.url}/hub/#/log`);
      expect(await page.getAttribute("#csv-download", "href")).toBe(`${server.url}/hub/api/v1/log/export`);
      // The only errors: the probes of the routes this host does not have (404s).
      expect(errors.filter((e) => !/404/.test(e))).toEqual([]);
    } finally {
      await close();
      await server.close();
      await hub.close();
    }
  });
});
