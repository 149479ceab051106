/**
 * Express 5 glue for the seed's "Log and Event" API. Everything else (parsing, validation, JSON,
 * CSV, error mapping) is the core's `createApiHandler`.
 *
 * ```ts
 * app.use("/hub", hubRouter(hub, { getUser: (req) => req.session?.user }));
 * // GET /hub/api/v1/log?limit=5, GET /hub/api/v1/event, ...
 * ```
 */
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from "express";
import { pipeline } from "node:stream/promises";
import {
  clientGoneSignal,
  createApiHandler,
  crossOriginWriteResponse,
  csvReadable,
  frameworkErrorResponse,
  isEventStreamBody,
  matchApiRoute,
  type ApiHandlerOptions,
  type ApiHub,
  type ApiRequest,
  type ApiResponse,
  type LazySignal,
} from "log-event-hub";

/** Options of {@link hubRouter}: the core handler's, plus routing. */
export interface HubRouterOptions extends ApiHandlerOptions<Request> {
  /**
   * Pass paths that are not API routes to the next middleware instead of answering a JSON 404
   * (for mounting at `/` beside the host's own routes). @default false
   */
  fallthrough?: boolean;
  /**
   * Origins (besides the server's own) from which browsers may send DELETE. Writes from any
   * other origin are refused with 403 (a request without `Origin`, as curl sends, passes).
   * @default none
   */
  allowedOrigins?: readonly string[];
}

/** The core's view of one request; `signal` is made only if a route asks (long polls, exports). */
class ExpressApiRequest implements ApiRequest<Request> {
  readonly method: string;
  readonly headers: Request["headers"];
  constructor(
    readonly native: Request,
    readonly path: string,
    readonly query: string,
    private readonly client: LazySignal,
  ) {
    this.method = native.method;
    this.headers = native.headers;
  }

  get signal(): AbortSignal {
    return this.client.signal;
  }
}

/** A middleware serving the API; mount it under any prefix with `app.use(prefix, ...)`. */
export function hubRouter(hub: ApiHub, options: HubRouterOptions = {}): RequestHandler {
  const handle = createApiHandler<Request>(hub, options);
  return (req: Request, res: Response, next: NextFunction) => {
    // Under app.use(prefix), req.url is relative to the prefix; keep its raw query string.
    const url = req.url;
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    if (options.fallthrough && !matchApiRoute(path)) return next();
    const refused = crossOriginWriteResponse(req.method, req.headers, options);
    if (refused) return void sendApiResponse(res, refused);
    const client = clientGoneSignal(res);
    handle(new ExpressApiRequest(req, path, q < 0 ? "" : url.slice(q + 1), client))
      .then((response) => sendApiResponse(res, response, typeof response.body === "string" || isEventStreamBody(response.body) ? undefined : client.signal))
      .catch(next);
  };
}

/**
 * The app's last error handler: every error Express or a middleware raises (malformed or
 * oversized bodies, unknown charsets, bad percent-encoding in a path) answers JSON
 * (`{"error":{"code","message"}}`, 4xx), never Express's HTML page with a stack trace.
 *
 * ```ts
 * app.use(hubErrorHandler()); // after every route
 * ```
 */
export function hubErrorHandler(): ErrorRequestHandler {
  return (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    void sendApiResponse(res, frameworkErrorResponse(error));
  };
}

/**
 * Writes a core response (also usable for a host's own routes): string bodies at once, streams
 * with back-pressure, stopping when the client leaves (`signal`). The event stream writes
 * itself into `res` (flushing `compression` after each message) until it ends.
 */
export async function sendApiResponse(res: Response, response: ApiResponse, signal?: AbortSignal): Promise<void> {
  const { body } = response;
  if (isEventStreamBody(body)) {
    if (res.destroyed) return;
    res.writeHead(response.status, response.headers);
    await body.pipeTo(res);
    return;
  }
  if (signal?.aborted || res.destroyed) {
    if (typeof body !== "string") await body[Symbol.asyncIterator]().return?.();
    return;
  }
  if (typeof body === "string") {
    res.writeHead(response.status, response.headers).end(body);
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  // pipeline destroys the response on a mid-stream failure (an incomplete transfer, never a
  // silently short file) and the source when the client leaves (ending the store reads).
  await pipeline(csvReadable(body), res).catch(() => undefined);
}
