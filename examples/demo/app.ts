/**
 * The demo's Express app: the hub's API at the root, plus the two routes the seed's curl flow
 * needs around it: a login that sets a session cookie, and container actions.
 */
import express, { type Request, type Response } from "express";
import openapi from "log-event-hub/openapi.json" with { type: "json" };
import { serveConsole, type ConsoleOptions } from "log-event-hub/console";
import {
  crossOriginWriteResponse,
  errorResponse,
  foreignHostResponse,
  jsonResponse,
  jsonTextResponse,
  LOOPBACK_HOSTS,
  methodNotAllowedResponse,
  ValidationError,
  type ContainerInfo,
  type ContainerType,
  type LogEventHub,
} from "log-event-hub";
import { hubErrorHandler, hubRouter, sendApiResponse } from "../express/hub-router.js";
import type { ContainerActor, DemoAction } from "./runtime.js";
import type { Sessions } from "./sessions.js";

/** What the app is built from. */
export interface DemoAppOptions {
  hub: LogEventHub;
  sessions: Sessions;
  act: ContainerActor;
  /** Every container action in flight, so shutdown can let them finish writing. */
  inFlight: Set<Promise<unknown>>;
  /**
   * Host names (no port) the demo answers to; any other `Host` is refused with 403, so a web
   * page cannot reach it through DNS rebinding. @default the loopback names
   */
  allowedHosts?: readonly string[];
  /** Called as each request arrives, before any route (the demo's `LOG_REQUESTS=1` access log). */
  onRequest?: (req: Request) => void;
  /** The runtime's containers, for `GET /api/v1/container` (the console's Containers screen). */
  listContainers?: () => Promise<ContainerInfo[]>;
  /** Where the web console served at `/` is built. @default the package's */
  console?: ConsoleOptions;
}

const ACTIONS: readonly DemoAction[] = ["start", "stop", "restart"];
const TYPES: readonly ContainerType[] = ["lxc", "docker"];
/** Who acts when nobody logged in: the seed's records say `Anonymous`. */
const ANONYMOUS = "Anonymous";

/** Builds the app. */
export function createDemoApp({ hub, sessions, act, inFlight, allowedHosts = LOOPBACK_HOSTS, onRequest, listContainers, console: consoleOptions }: DemoAppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  if (onRequest) {
    app.use((req, _res, next) => {
      onRequest(req);
      next();
    });
  }

  const fail = (res: Response, error: unknown) => void sendApiResponse(res, errorResponse(error));

  // Before anything else: nosniff on every answer, the Host allow-list, no cross-origin writes.
  app.use((req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    const refused = foreignHostResponse(req.headers.host, allowedHosts) ?? crossOriginWriteResponse(req.method, req.headers);
    if (refused) return void sendApiResponse(res, refused);
    next();
  });

  // POST /api/v1/login with `username` (form or JSON): the session cookie for -c cookies.txt.
  app.post("/api/v1/login", express.urlencoded({ extended: false, limit: "4kb" }), express.json({ limit: "4kb" }), (req: Request, res) => {
    const username: unknown = (req.body as Record<string, unknown> | undefined)?.username;
    if (typeof username !== "string" || username.trim() === "" || username.length > 128 || username.includes(":")) {
      return fail(res, new ValidationError('"username" must be a non-empty name of at most 128 characters without ":"', "username"));
    }
    const user = username.trim();
    sessions.end(req);
    res.setHeader("Set-Cookie", sessions.cookie(sessions.create(user)));
    void sendApiResponse(res, jsonResponse(200, { user }));
  });

  // GET /api/v1/login: who the session cookie says you are (`null`: nobody), for the console.
  app.get("/api/v1/login", (req, res) => void sendApiResponse(res, jsonResponse(200, { user: sessions.userOf(req) ?? null })));

  app.post("/api/v1/logout", (req, res) => {
    const user = sessions.end(req);
    res.setHeader("Set-Cookie", sessions.cookie(undefined));
    void sendApiResponse(res, jsonResponse(200, { user: user ?? null }));
  });

  // PUT /api/v1/container/{type}/{id}/{start|stop|restart}: acts, logs, publishes.
  app.put("/api/v1/container/:type/:id/:action", (req: Request<{ type: string; id: string; action: string }>, res) => {
    const { type, id, action } = req.params;
    if (!(TYPES as readonly string[]).includes(type)) return fail(res, new ValidationError(`"type" must be one of ${TYPES.join(", ")}`, "type"));
    if (!(ACTIONS as readonly string[]).includes(action)) {
      return fail(res, new ValidationError(`"action" must be one of ${ACTIONS.join(", ")}`, "action"));
    }
    const user = sessions.userOf(req) ?? ANONYMOUS;
    const running = act(action as DemoAction, type as ContainerType, id, user);
    inFlight.add(running);
    running
      .then((info) => sendApiResponse(res, jsonResponse(200, info)), (error: unknown) => fail(res, error))
      .finally(() => inFlight.delete(running));
  });

  // GET /api/v1/container: the runtime's containers with their state (the console lists them).
  if (listContainers) {
    app.get("/api/v1/container", (_req, res) => {
      listContainers().then((list) => sendApiResponse(res, jsonResponse(200, list)), (error: unknown) => fail(res, error));
    });
    app.all("/api/v1/container", (req, res) => void sendApiResponse(res, methodNotAllowedResponse(req.method, req.path, ["GET", "HEAD"])));
  }

  // The API's OpenAPI 3.1 document, as the package ships it (for client generators and tools).
  const openapiText = JSON.stringify(openapi);
  app.get("/api/v1/openapi.json", (_req, res) => {
    void sendApiResponse(res, jsonTextResponse(200, openapiText, { "Cache-Control": "no-cache" }));
  });
  // The demo's own routes asked with another method: 405 with Allow, as the API's routes answer.
  for (const [path, allowed] of [
    ["/api/v1/login", ["GET", "HEAD", "POST"]],
    ["/api/v1/logout", ["POST"]],
    ["/api/v1/openapi.json", ["GET", "HEAD"]],
    ["/api/v1/container/:type/:id/:action", ["PUT"]],
  ] as const) {
    app.all(path, (req, res) => void sendApiResponse(res, methodNotAllowedResponse(req.method, req.path, allowed)));
  }

  // The web console at `/` (its files only; every other path goes on to the API).
  app.use(serveConsole(consoleOptions));
  // Everything else under /api/v1: the hub's API (unknown routes answer a JSON 404). The
  // console shows the total of a filtered log, hence the count header.
  app.use(hubRouter(hub, { getUser: (req) => sessions.userOf(req), totalCountHeader: true }));
  // Errors Express raises itself (bodies, charsets, path decoding) answer JSON, never HTML.
  app.use(hubErrorHandler());
  return app;
}
