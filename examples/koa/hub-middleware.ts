/**
 * Koa 3 glue for the seed's "Log and Event" API. Everything else (parsing, validation, JSON,
 * CSV, error mapping) is the core's `createApiHandler`.
 *
 * ```ts
 * app.use(hubMiddleware(hub, { prefix: "/hub", getUser: (ctx) => ctx.state.user?.name }));
 * // GET /hub/api/v1/log?limit=5, GET /hub/api/v1/event, ...
 * ```
 */
import type { Context, Middleware } from "koa";
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

/** Options of {@link hubMiddleware}: the core handler's (its `getUser` gets the Koa context), plus routing. */
export interface HubMiddlewareOptions extends ApiHandlerOptions<Context> {
  /** Mount point, for example `/hub`; requests outside it go to the next middleware. @default "" */
  prefix?: string;
  /**
   * Pass paths under the prefix that are not API routes to the next middleware instead of
   * answering a JSON 404. @default false
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
class KoaApiRequest implements ApiRequest<Context> {
  readonly method: string;
  readonly query: string;
  readonly headers: Context["headers"];
  constructor(
    readonly native: Context,
    readonly path: string,
    private readonly client: LazySignal,
  ) {
    this.method = native.method;
    this.query = native.querystring;
    this.headers = native.headers;
  }

  get signal(): AbortSignal {
    return this.client.signal;
  }
}

/** A Koa middleware serving the API under `prefix`. */
export function hubMiddleware(hub: ApiHub, options: HubMiddlewareOptions = {}): Middleware {
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  const handle = createApiHandler<Context>(hub, options);
  return async (ctx, next) => {
    const full = ctx.path;
    if (prefix !== "" && full !== prefix && !full.startsWith(`${prefix}/`)) return next();
    const path = full.slice(prefix.length) || "/";
    if (options.fallthrough && !matchApiRoute(path)) return next();
    const response =
      crossOriginWriteResponse(ctx.method, ctx.req.headers, options) ??
      (await handle(new KoaApiRequest(ctx, path, clientGoneSignal(ctx.res))));
    if (isEventStreamBody(response.body)) {
      // The stream writes itself into the raw response (Koa's body handling would buffer it).
      ctx.respond = false;
      ctx.res.writeHead(response.status, response.headers);
      await response.body.pipeTo(ctx.res);
      return;
    }
    send(ctx, response.status, response.headers, response.body);
  };
}

function send(ctx: Context, status: number, headers: ApiResponse["headers"], body: string | AsyncIterable<string>): void {
  ctx.status = status;
  // Koa pipes a stream body with stream.pipeline: back-pressure, and the source is destroyed
  // (ending the store reads) when the client leaves or the export fails mid-way.
  ctx.body = typeof body === "string" ? body : csvReadable(body);
  // After the body, whose setter guesses a type and length: a HEAD answer keeps the GET's.
  ctx.set(headers);
}

/**
 * The app's first middleware: every error a later middleware throws answers JSON
 * (`{"error":{"code","message"}}`) instead of Koa's plain-text default, with no stack trace.
 *
 * ```ts
 * app.use(hubErrors()); // before every other middleware
 * ```
 */
export function hubErrors(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (ctx.headerSent) throw error;
      const response = frameworkErrorResponse(error);
      send(ctx, response.status, response.headers, response.body as string);
    }
  };
}
