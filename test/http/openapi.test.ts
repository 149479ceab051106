/**
 * The shipped OpenAPI document against the code: the parameters each operation documents are
 * exactly those the handler reads, every route is documented, the error codes are the code's,
 * and the response checker used by the HTTP tests does reject what the document forbids.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createApiHandler, ErrorCodes, HttpErrorCodes, LogEventHub, matchApiRoute, type ApiRouteName } from "log-event-hub";
import { expectMatchesOpenApi, openapi, operations } from "../helpers/openapi.js";

const hubs: LogEventHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

/** A record whose reads are written down: what the handler looks at. */
function recording(): { names: Set<string>; record: Record<string, string> } {
  const names = new Set<string>();
  const record = new Proxy({} as Record<string, string>, {
    get(target, key) {
      if (typeof key === "string") names.add(key);
      return Reflect.get(target, key);
    },
  });
  return { names, record };
}

/** A concrete path for a template (`{type}` -> a valid value, so parsing reaches the query). */
const concrete = (template: string) => template.replace("{type}", "lxc").replace("{id}", "utest").replace("{state}", "running");

describe("openapi.json", () => {
  it("is OpenAPI 3.1 with the package's version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    expect(openapi.openapi).toMatch(/^3\.1\./);
    expect(openapi.info.version).toBe(pkg.version);
  });

  it("documents every route of the handler, with the methods it answers", () => {
    // A Record over ApiRouteName: a new route fails to compile here until it gets a sample.
    const samples: Record<ApiRouteName, string> = {
      log: "/api/v1/log",
      logExport: "/api/v1/log/export",
      events: "/api/v1/event",
      eventStream: "/api/v1/event/stream",
      waitForState: "/api/v1/event/wait/lxc/utest/running",
    };
    const documented = operations().map((o) => `${o.method.toUpperCase()} ${concrete(o.template)}`).sort();
    const routed = Object.values(samples).flatMap((path) => matchApiRoute(path)!.methods.filter((m) => m !== "HEAD").map((m) => `${m} ${path}`)).sort();
    expect(documented).toEqual(routed);
  });

  it("lists exactly the error codes the code can send (ErrorCodes and the HTTP layer's own)", () => {
    const schema = openapi.components.schemas.ErrorCode as { enum: string[] };
    expect([...schema.enum].sort()).toEqual([...new Set([...Object.values(ErrorCodes), ...Object.values(HttpErrorCodes)])].sort());
  });

  it.each(operations().map((o) => [`${o.method.toUpperCase()} ${o.template}`, o] as const))(
    "%s: the parameters documented are the parameters the handler reads",
    async (_name, { method, template, parameters }) => {
      const hub = new LogEventHub();
      hubs.push(hub);
      const api = createApiHandler(hub);
      const query = recording();
      const headers = recording();
      const path = concrete(template);
      const response = await api({ method: method.toUpperCase(), path, query: query.record, headers: headers.record });
      expect(response.status).not.toBe(404);
      const documentedQuery = parameters.filter((p) => p.in === "query").map((p) => p.name).sort();
      const documentedHeaders = parameters.filter((p) => p.in === "header").map((p) => p.name.toLowerCase()).sort();
      const documentedPath = parameters.filter((p) => p.in === "path").map((p) => p.name).sort();
      // Read but not documented: only parameters the route reads in order to refuse them.
      const refused = [...query.names].filter((name) => !documentedQuery.includes(name));
      for (const name of refused) {
        const answer = await api({ method: method.toUpperCase(), path, query: `${name}=1` });
        expect({ name, status: answer.status, body: answer.body }).toMatchObject({ status: 400, body: expect.stringContaining("not accepted") });
      }
      expect([...query.names].filter((name) => !refused.includes(name)).sort()).toEqual(documentedQuery);
      expect([...headers.names].sort()).toEqual(documentedHeaders);
      expect(Object.keys(matchApiRoute(path)!.params).sort()).toEqual(documentedPath);
      expect(template.match(/\{(\w+)\}/g)?.map((p) => p.slice(1, -1)).sort() ?? []).toEqual(documentedPath);
    },
  );

  describe("the response checker rejects what the document forbids", () => {
    const record = { category: "system", id: 1, level: "INFO", message: "m", ts: 1, user: "system" };
    const json = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
    const check = (path: string, status: number, body: unknown, headers: Record<string, string> = json, method = "GET") => () =>
      expectMatchesOpenApi({ method, path, status, headers, body: typeof body === "string" ? body : JSON.stringify(body) });

    it("accepts a conforming answer", () => {
      expect(check("/api/v1/log", 200, [record])).not.toThrow();
      expect(check("/api/v1/log", 400, { error: { code: "VALIDATION", message: "m", param: "limit" } })).not.toThrow();
      expect(check("/api/v1/nope", 404, { error: { code: "NOT_FOUND", message: "m" } })).not.toThrow();
    });

    it.each([
      ["a record without ts", check("/api/v1/log", 200, [{ ...record, ts: undefined }])],
      ["an extra field", check("/api/v1/log", 200, [{ ...record, extra: 1 }])],
      ["a level outside the enum", check("/api/v1/log", 200, [{ ...record, level: "DEBUG" }])],
      ["an undocumented status", check("/api/v1/log", 418, [])],
      ["an unknown error code", check("/api/v1/log", 400, { error: { code: "NOPE", message: "m" } })],
      ["an error body with a stack", check("/api/v1/log", 500, { error: { code: "INTERNAL", message: "m", stack: "at x" } })],
      ["the wrong content type", check("/api/v1/log/export", 200, "a,b", json)],
      ["a page without offset", check("/api/v1/event", 200, { index: 0, messages: [] })],
      ["lost: 0 (sent only when > 0)", check("/api/v1/event", 200, { index: 0, messages: [], offset: 0, lost: 0 })],
      ["a 405 without Allow", check("/api/v1/log", 405, { error: { code: "METHOD_NOT_ALLOWED", message: "m" } }, json, "POST")],
      ["a wait answer without ipaddress", check("/api/v1/event/wait/lxc/u/running", 200, { cpu: 0, id: "u", image: "i", memory: 0, name: "u", rx: 0, state: "running", tx: 0, type: "lxc" })],
    ])("rejects %s", (_what, attempt) => {
      expect(attempt).toThrow(/does not match openapi\.json/);
    });
  });
});
