/**
 * The seed's "Log and Event" API as one framework-neutral function: a request in (method, path,
 * query, abort signal), an {@link ApiResponse} out. Express, Koa or plain `node:http` adapters
 * are a page of glue around it.
 *
 * @module
 */
import { csvHttpHeaders, startedStream } from "../csv/http.js";
import type { CsvExportOptions } from "../csv/export.js";
import { ValidationError } from "../errors.js";
import type { EventMessageOptions } from "../events/wire.js";
import type { LogEventHub } from "../hub.js";
import { parseStreamQuery, refuseEmptyFilterParams, type ParsedLogQuery, type QueryParams } from "../query.js";
import { EventPageWriter } from "./event-page.js";
import { EVENT_STREAM_HEADERS, EventStreams, isEventStreamBody, type EventStreamOptions, type EventStreamStats } from "./event-stream.js";
import { LogPageWriter } from "./log-page.js";
import {
  errorResponse,
  jsonResponse,
  jsonTextResponse,
  methodNotAllowedResponse,
  routeNotFoundResponse,
  type ApiResponse,
} from "./response.js";
import { matchApiRoute, type ApiRouteMatch } from "./routes.js";

/** What the API needs from a hub: any `LogEventHub`, whatever its categories. */
export type ApiHub = Pick<
  LogEventHub<any, any>,
  | "parseLogQuery"
  | "parseExportQuery"
  | "parseEventQuery"
  | "parseWaitQuery"
  | "queryLogs"
  | "countLogs"
  | "clearLogs"
  | "exportCsv"
  | "readEvents"
  | "waitForState"
  | "timeZone"
  | "limits"
>;

/** One request, as an adapter hands it over. */
export interface ApiRequest<Native = unknown> {
  /** HTTP method, upper case. */
  method: string;
  /** Path relative to the mount point, without the query string, still percent-encoded (`/api/v1/log`). */
  path: string;
  /** The query: a raw query string (without `?`), `URLSearchParams`, or a record of strings. */
  query: string | QueryParams;
  /**
   * Aborts when the client goes away: ends long polls, waits and exports early. Adapters tie
   * it to the response's `close` event; it is read only by routes that can outlive a client,
   * so it may be a getter that creates it lazily ({@link clientGoneSignal}).
   */
  signal?: AbortSignal;
  /** The framework's own request object, handed to {@link ApiHandlerOptions.getUser}. */
  native?: Native;
  /**
   * Request headers by lower-case name, as Node gives them (`req.headers`). Only
   * `last-event-id` is read (by the event stream).
   */
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/**
 * Who is asking: the host's session or token lookup. Returns the user name, or `undefined`
 * (or `null`) for an anonymous reader, who sees only events for `all`. It may throw a
 * `HubError` to answer with that error's status.
 */
export type GetUser<Native> = (native: Native) => string | undefined | null | Promise<string | undefined | null>;

/** Options of {@link createApiHandler}. */
export interface ApiHandlerOptions<Native = unknown> {
  /**
   * The reader of `GET /api/v1/event`: events addressed to this name or to `all` are visible.
   * The reader's identity comes only from here, never from a query parameter.
   * @default every reader is anonymous
   */
  getUser?: GetUser<Native>;
  /** Wire form of event messages: `{ withTimestamp: true }` sends `category:user:ts:JSON`. @default `category:user:JSON` */
  eventMessages?: EventMessageOptions;
  /** CSV options of `GET /api/v1/log/export`. `timeZone` defaults to the hub's. */
  csv?: Pick<CsvExportOptions, "timeZone" | "escapeFormulae" | "bom" | "batchSize">;
  /**
   * Add `X-Total-Count` (all matches, for a pager) to `GET /api/v1/log`. Costs one count query
   * per request. @default false
   */
  totalCountHeader?: boolean;
  /**
   * Called with every error answered as `500` (unexpected ones), for the host's logging: the
   * client only ever sees `{"error":{"code":"INTERNAL","message":"Internal error"}}`.
   * Not called for errors caused by the client going away.
   */
  onError?: (error: unknown, request: ApiRequest<Native>) => void;
  /** The event stream (`GET /api/v1/event/stream`): keep-alive, `retry:`, slow-client bounds. */
  stream?: EventStreamOptions;
}

/** The API as a function; see {@link createApiHandler}. */
export interface ApiHandler<Native = unknown> {
  /** Answers one request. The returned promise never rejects. */
  (request: ApiRequest<Native>): Promise<ApiResponse>;
  /** Live counts of the handler's event streams: open, opened, and clients dropped for not reading. */
  readonly streams: EventStreamStats;
}

/**
 * Builds the API over a hub. Routes, relative to the mount point:
 *
 * - `GET /api/v1/log`: the seed's JSON array, newest first; every filter of the log query
 *   (`time_start`/`start`, `time_end`/`end`, `limit`, `offset`, `before_id`, `user`, `level`,
 *   `category`, `text`).
 * - `DELETE /api/v1/log`: clears matching records (all when no filter parameter is sent; a
 *   filter parameter present but empty, `?category=`, is refused); `{ "records": N }`, how many
 *   were removed.
 * - `GET /api/v1/log/export`: streamed CSV, oldest first, same filters plus `limit`, with a
 *   dated `Content-Disposition` file name.
 * - `GET /api/v1/event`: `{ index, messages, offset }` for `index`, `limit`, `wait` (seconds of
 *   long poll), as the user from `getUser` sees the feed.
 * - `GET /api/v1/event/stream`: the same feed as Server-Sent Events (`id:` the event's index,
 *   `data:` its message), resuming after the `Last-Event-ID` header or the `lastEventId`
 *   parameter (the header wins), else from the head; `event: lost` (data: how many) when the
 *   cursor is older than retention. The body is an {@link EventStreamBody} for the adapter to
 *   pipe into its response.
 * - `GET /api/v1/event/wait/{type}/{id}/{state}?duration=`: the container's info object.
 *
 * Errors answer `{ "error": { "code", "message", "param"? } }` (`param`: the query parameter
 * at fault, as sent): 400 bad input, 404 unknown container or
 * route, 405 wrong method, 410 expired cursor, 503 closed hub or unreachable store/runtime,
 * 500 otherwise. The returned promise never rejects.
 *
 * @example
 * ```ts
 * const api = createApiHandler(hub, { getUser: (req: IncomingMessage) => sessionUser(req) });
 * const response = await api({ method: "GET", path: "/api/v1/log", query: "limit=5", native: req });
 * ```
 */
export function createApiHandler<Native = unknown>(hub: ApiHub, options: ApiHandlerOptions<Native> = {}): ApiHandler<Native> {
  const { getUser, eventMessages = {}, csv = {}, totalCountHeader = false, onError } = options;
  const eventPages = new EventPageWriter(eventMessages);
  const streams = new EventStreams(hub, options.stream, eventMessages);
  const logPages = new LogPageWriter();

  async function resolveUser(request: ApiRequest<Native>): Promise<string | undefined> {
    if (!getUser) return undefined;
    const user = await getUser(request.native as Native);
    return user === null || user === undefined || user === "" ? undefined : user;
  }

  async function getLog(params: QueryParams): Promise<ApiResponse> {
    const query = hub.parseLogQuery(params);
    if (!totalCountHeader) return jsonTextResponse(200, logPages.write(await hub.queryLogs(query)));
    const { limit: _limit, offset: _offset, beforeId: _beforeId, ...filter } = query;
    const [records, total] = await Promise.all([hub.queryLogs(query), hub.countLogs(filter)]);
    return jsonTextResponse(200, logPages.write(records), { "X-Total-Count": String(total) });
  }

  async function deleteLog(request: ApiRequest<Native>, params: QueryParams): Promise<ApiResponse> {
    refuseEmptyFilterParams(params);
    const query = hub.parseLogQuery(params);
    refusePaging(query, ["limit", "offset", "before_id"], "clearing");
    // Attribution only (the removal record's user): a failing lookup does not refuse the clear.
    const by = await resolveUser(request).catch(() => undefined);
    const records = await hub.clearLogs(query, by === undefined ? {} : { by });
    return jsonResponse(200, { records });
  }

  async function exportLog(params: QueryParams, signal: AbortSignal | undefined): Promise<ApiResponse> {
    const query = hub.parseExportQuery(params);
    const timeZone = csv.timeZone ?? hub.timeZone;
    const chunks = hub.exportCsv(query, { ...csv, timeZone, ...(signal && { signal }) });
    const body = await startedStream(chunks);
    return { status: 200, headers: csvHttpHeaders({ timeZone }), body };
  }

  async function getEvents(request: ApiRequest<Native>, params: QueryParams): Promise<ApiResponse> {
    const query = hub.parseEventQuery(params);
    const user = await resolveUser(request);
    // Only a long poll can outlive its client; a plain read needs no signal.
    const signal = query.wait ? request.signal : undefined;
    const page = await hub.readEvents({
      ...query,
      ...(user !== undefined && { user }),
      ...(signal && { signal }),
    });
    return jsonTextResponse(200, eventPages.write(page));
  }

  async function streamEvents(request: ApiRequest<Native>, params: QueryParams): Promise<ApiResponse> {
    const header = request.headers?.["last-event-id"];
    const { lastEventId } = parseStreamQuery(params, Array.isArray(header) ? header.join(", ") : (header as string | undefined));
    const user = await resolveUser(request);
    const body = await streams.open(lastEventId, user, onError && ((error) => onError(error, request)));
    return { status: 200, headers: { ...EVENT_STREAM_HEADERS }, body };
  }

  async function waitForState(match: ApiRouteMatch, params: QueryParams, signal: AbortSignal | undefined): Promise<ApiResponse> {
    const query = hub.parseWaitQuery({
      type: decodeSegment(match.params.type, "type"),
      id: decodeSegment(match.params.id, "id"),
      state: decodeSegment(match.params.state, "state"),
      duration: valuesOf(params, "duration"),
    });
    const info = await hub.waitForState({ ...query, ...(signal && { signal }) });
    return jsonResponse(200, info);
  }

  const handleApiRequest = async function handleApiRequest(request: ApiRequest<Native>): Promise<ApiResponse> {
    const method = request.method.toUpperCase();
    const match = matchApiRoute(request.path);
    if (!match) return routeNotFoundResponse(method, request.path);
    if (!match.methods.includes(method)) return methodNotAllowedResponse(method, request.path, match.methods);
    if (method === "HEAD") return withoutBody(await handleApiRequest(new GetForHead(request)));
    try {
      const params = typeof request.query === "string" ? new URLSearchParams(request.query) : request.query;
      switch (match.route) {
        case "log":
          return method === "DELETE" ? await deleteLog(request, params) : await getLog(params);
        case "logExport":
          return await exportLog(params, request.signal);
        case "events":
          return await getEvents(request, params);
        case "eventStream":
          return await streamEvents(request, params);
        case "waitForState":
          return await waitForState(match, params, request.signal);
      }
    } catch (error) {
      const response = errorResponse(error);
      if (response.status === 500 && !request.signal?.aborted) onError?.(error, request);
      return response;
    }
  };
  return Object.defineProperty(handleApiRequest, "streams", { get: () => streams.stats, enumerable: true }) as ApiHandler<Native>;
}

/** A HEAD request answered as its GET, keeping the request's lazy `signal` getter. */
class GetForHead<Native> implements ApiRequest<Native> {
  readonly method = "GET";
  constructor(private readonly head: ApiRequest<Native>) {}
  get path(): string {
    return this.head.path;
  }
  get query(): string | QueryParams {
    return this.head.query;
  }
  get native(): Native | undefined {
    return this.head.native;
  }
  get signal(): AbortSignal | undefined {
    return this.head.signal;
  }
  get headers(): ApiRequest<Native>["headers"] {
    return this.head.headers;
  }
}

/**
 * HEAD: the GET's status and headers, no body; a streamed body is closed unread (an event
 * stream holds nothing until it is piped, so it is simply dropped).
 */
async function withoutBody(response: ApiResponse): Promise<ApiResponse> {
  if (typeof response.body !== "string" && !isEventStreamBody(response.body)) await response.body[Symbol.asyncIterator]().return?.();
  return { ...response, body: "" };
}

/** Paging parameters have no meaning for clearing (and offsets none for an oldest-first export). */
function refusePaging(query: ParsedLogQuery, refused: readonly ("limit" | "offset" | "before_id")[], what: string): void {
  const given = {
    limit: query.limit !== undefined,
    offset: query.offset !== undefined,
    before_id: query.beforeId !== undefined,
  };
  for (const name of refused) {
    if (given[name]) throw new ValidationError(`Parameter "${name}" is not accepted by ${what}`, name);
  }
}

function decodeSegment(raw: string | undefined, param: string): string {
  try {
    return decodeURIComponent(raw ?? "");
  } catch {
    throw new ValidationError(`Path parameter "${param}" is not valid percent-encoding`, param);
  }
}

/** Every value of one parameter, so the parse functions still see repeats. */
function valuesOf(params: QueryParams, name: string): unknown {
  return params instanceof URLSearchParams ? params.getAll(name) : (params as Record<string, unknown>)[name];
}
