/**
 * `log-event-hub/console`: the prebuilt web console (Log, Live feed, Containers, login) as
 * static files, and framework-neutral helpers that serve them under any prefix. The console
 * talks only to the API's routes (`api/v1/...`, relative to the page unless `apiBase` says
 * otherwise), so it works in front of any host that serves them.
 *
 * ```ts
 * app.use("/hub", serveConsole(), hubRouter(hub, { totalCountHeader: true })); // Express
 * ```
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

/** One of the console's files, ready to send. */
export interface ConsoleAsset {
  /** Path relative to the console's folder, such as `console.js`. */
  path: string;
  /** `Content-Type` header value. */
  contentType: string;
  /** The file's bytes (for `index.html`, with `apiBase` written in). */
  body: Buffer;
  /** The same bytes gzip-compressed, for clients that accept `gzip`. */
  gzip: Buffer;
  /** A strong ETag of `body`. */
  etag: string;
}

/** Options of {@link consoleAssets}, {@link createConsoleHandler} and {@link serveConsole}. */
export interface ConsoleOptions {
  /**
   * Where the API's routes are, as the page resolves it: a path relative to the console's own
   * URL, an absolute path or a URL. The console requests `${apiBase}api/v1/...`.
   * @default "./" (the API mounted at the same prefix as the console)
   */
  apiBase?: string;
  /** The folder holding the built console. @default the package's `dist/console` */
  root?: string;
}

const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "console.js": "text/javascript; charset=utf-8",
  "console.css": "text/css; charset=utf-8",
};

/** The folder of the built console shipped in the package. */
export function consoleRoot(): string {
  // dist/console.js and dist/console.cjs sit beside dist/console/; from the sources (tests,
  // examples run with tsx) the build is in dist/console at the project's root.
  const here = typeof __dirname === "string" ? __dirname : dirname(fileURLToPath(import.meta.url));
  const beside = join(here, "console");
  return existsSync(join(beside, "index.html")) ? beside : join(here, "..", "..", "dist", "console");
}

/**
 * Reads the console's files (`index.html`, `console.js`, `console.css`) with their content
 * types, gzip-compressed copies and ETags.
 * @throws Error naming the folder when the console is not built there
 */
export function consoleAssets(options: ConsoleOptions = {}): ConsoleAsset[] {
  const root = options.root ?? consoleRoot();
  if (!existsSync(join(root, "index.html"))) {
    throw new Error(`The console is not built in ${root} (run \`npm run build\`)`);
  }
  return Object.entries(FILES).map(([path, contentType]) => {
    let body = readFileSync(join(root, path));
    if (path === "index.html" && options.apiBase !== undefined) {
      body = Buffer.from(body.toString("utf8").replace(/(<meta name="log-event-hub-api" content=")[^"]*(")/, `$1${escapeAttribute(options.apiBase)}$2`));
    }
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
    return { path, contentType, body, gzip: gzipSync(body, { level: 9 }), etag };
  });
}

/** A request as {@link createConsoleHandler} reads it. */
export interface ConsoleRequest {
  /** HTTP method; only `GET` and `HEAD` are answered. */
  method: string;
  /** Path relative to where the console is mounted (`/`, `/console.js`, ...; `""` for the mount point itself). */
  path: string;
  /** Request headers (`accept-encoding`, `if-none-match` are read). */
  headers?: Record<string, string | string[] | undefined>;
  /**
   * The path as the client sent it (`/hub` for the mount point `/hub`): needed only to redirect
   * the mount point to itself with a trailing slash. Without it, `path` `""` is not answered.
   */
  fullPath?: string;
}

/** An answer of {@link createConsoleHandler}. */
export interface ConsoleResponse {
  /** 200, 304 (ETag matched), 308 (the mount point's redirect) or 503 (the console is not built). */
  status: number;
  /** Response headers, ready for `writeHead`. */
  headers: Record<string, string>;
  /** Empty for `HEAD`, 304 and redirects. */
  body: Buffer;
}

/**
 * A framework-neutral handler: a request in, the console's answer out, or `undefined` when the
 * path is not one of its files (pass the request on, for example to the API). The mount point
 * itself without a trailing slash (`path` `""`, with `fullPath`) answers a redirect to it with
 * one, so the page's relative URLs resolve under the prefix. Files are read on the first
 * request (a 503 saying so while they are not built); `GET` and `HEAD` only, gzip when
 * accepted, ETags, and a strict `Content-Security-Policy` on the page.
 */
export function createConsoleHandler(options: ConsoleOptions = {}): (request: ConsoleRequest) => ConsoleResponse | undefined {
  let assets: Map<string, ConsoleAsset> | undefined;
  const connect = connectSources(options.apiBase);
  return ({ method, path, headers = {}, fullPath }) => {
    if (method !== "GET" && method !== "HEAD") return undefined;
    if (path === "") {
      if (fullPath === undefined || fullPath.endsWith("/")) return undefined;
      // A relative Location (the last segment plus "/") works behind any proxy prefix.
      const location = `${fullPath.slice(fullPath.lastIndexOf("/") + 1)}/`;
      return { status: 308, headers: { Location: location, "Cache-Control": "no-cache" }, body: Buffer.alloc(0) };
    }
    const name = path === "/" ? "index.html" : path.replace(/^\//, "");
    if (!(name in FILES)) return undefined;
    if (assets === undefined) {
      try {
        assets = new Map(consoleAssets(options).map((a) => [a.path, a]));
      } catch {
        // Not built (a source checkout before `npm run build`): say so, without the server's paths;
        // the next request looks again.
        return {
          status: 503,
          headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" },
          body: Buffer.from(method === "HEAD" ? "" : "The web console is not built on this server (npm run build).\n"),
        };
      }
    }
    const asset = assets.get(name)!;
    const common: Record<string, string> = {
      "Content-Type": asset.contentType,
      // Revalidated on every load (a 304 costs a few bytes): a new package version shows at once.
      "Cache-Control": "no-cache",
      ETag: asset.etag,
      Vary: "Accept-Encoding",
      "X-Content-Type-Options": "nosniff",
    };
    if (name === "index.html") {
      common["Content-Security-Policy"] =
        `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
      common["Referrer-Policy"] = "no-referrer";
    }
    if (header(headers, "if-none-match")?.split(/\s*,\s*/).includes(asset.etag)) return { status: 304, headers: common, body: Buffer.alloc(0) };
    const gzip = /\bgzip\b/.test(header(headers, "accept-encoding") ?? "");
    const body = gzip ? asset.gzip : asset.body;
    const answer: Record<string, string> = { ...common, "Content-Length": String(body.length) };
    if (gzip) answer["Content-Encoding"] = "gzip";
    return { status: 200, headers: answer, body: method === "HEAD" ? Buffer.alloc(0) : body };
  };
}

/** Options of {@link serveConsole}. */
export interface ServeConsoleOptions extends ConsoleOptions {
  /**
   * The mount point when the framework does not strip it (plain `node:http`, Koa): `/hub`
   * serves `/hub/`. Under Express's `app.use(prefix, ...)` leave it out. @default ""
   */
  prefix?: string;
}

/**
 * A `node:http`-style handler `(req, res, next?)` serving the console: Express middleware as it
 * is (`app.use("/hub", serveConsole())`), and usable from Koa or plain `node:http` with
 * `prefix`. Requests that are not for the console's files go to `next`, or get a 404 without it.
 * It is synchronous: by the time it returns it has either answered or called `next`.
 */
export function serveConsole(options: ServeConsoleOptions = {}): (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const handle = createConsoleHandler(options);
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  return (req, res, next) => {
    const url = req.url ?? "/";
    const pathname = url.split("?")[0]!;
    // Express hands a mounted middleware "/" for both "/hub" and "/hub/"; its originalUrl tells them apart.
    const original = ((req as { originalUrl?: string }).originalUrl ?? url).split("?")[0]!;
    let path: string | undefined;
    if (prefix === "") path = pathname === "/" && !original.endsWith("/") ? "" : pathname;
    else if (pathname === prefix) path = "";
    else if (pathname.startsWith(`${prefix}/`)) path = pathname.slice(prefix.length);
    let answer: ConsoleResponse | undefined;
    try {
      answer = path === undefined ? undefined : handle({ method: req.method ?? "GET", path, headers: req.headers, fullPath: original });
    } catch (error) {
      if (next) return next(error);
      res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" }).end("The console is not available\n");
      return;
    }
    if (answer === undefined) {
      if (next) return next();
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" }).end("Not found\n");
      return;
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The CSP `connect-src` for an API base: the page's origin, plus the base's when it is a URL elsewhere. */
function connectSources(apiBase: string | undefined): string {
  if (apiBase === undefined) return "'self'";
  try {
    const origin = new URL(apiBase).origin;
    return origin === "null" ? "'self'" : `'self' ${origin}`;
  } catch {
    return "'self'"; // a relative or absolute path: same origin
  }
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
