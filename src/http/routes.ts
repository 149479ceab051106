/**
 * The routes of the seed's "Log and Event" API, relative to wherever a host mounts them.
 *
 * @module
 */

/** The name of one route of the API. */
export type ApiRouteName = "log" | "logExport" | "events" | "eventStream" | "waitForState";

/** A path matched to a route: which one, the methods it answers, and its path parameters. */
export interface ApiRouteMatch {
  /** Which route. */
  route: ApiRouteName;
  /** The methods the route answers (for `405` and the `Allow` header); `HEAD` wherever `GET` is. */
  methods: readonly string[];
  /** Path parameters, still percent-encoded (`type`, `id`, `state` for `waitForState`). */
  params: Readonly<Record<string, string>>;
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});

const FIXED: Readonly<Record<string, { route: ApiRouteName; methods: readonly string[] }>> = {
  "/api/v1/log": { route: "log", methods: ["GET", "HEAD", "DELETE"] },
  "/api/v1/log/export": { route: "logExport", methods: ["GET", "HEAD"] },
  "/api/v1/event": { route: "events", methods: ["GET", "HEAD"] },
  "/api/v1/event/stream": { route: "eventStream", methods: ["GET", "HEAD"] },
};

const WAIT_PREFIX = "/api/v1/event/wait/";

/**
 * Matches a path (relative to the mount point, without the query string) to a route, or
 * `undefined` when it is not one of the API's. One trailing slash is tolerated, as Express and
 * Koa routers do by default.
 *
 * @example
 * ```ts
 * matchApiRoute("/api/v1/event/wait/lxc/utest/stopped");
 * // { route: "waitForState", methods: ["GET", "HEAD"], params: { type: "lxc", id: "utest", state: "stopped" } }
 * ```
 */
export function matchApiRoute(path: string): ApiRouteMatch | undefined {
  const trimmed = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const fixed = FIXED[trimmed];
  if (fixed) return { ...fixed, params: NO_PARAMS };
  if (!trimmed.startsWith(WAIT_PREFIX)) return undefined;
  const segments = trimmed.slice(WAIT_PREFIX.length).split("/");
  if (segments.length !== 3 || segments.some((s) => s === "")) return undefined;
  const [type, id, state] = segments as [string, string, string];
  return { route: "waitForState", methods: ["GET", "HEAD"], params: { type, id, state } };
}
