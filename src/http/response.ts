/**
 * Framework-neutral HTTP responses: a status, headers and a body that is either a string or a
 * stream of strings. Adapters (Express, Koa, plain `node:http`) only copy them onto the wire.
 *
 * @module
 */
import { ErrorCodes, toHttpError, type ErrorCode } from "../errors.js";
import type { EventStreamBody } from "./event-stream.js";

/** A response for an adapter to write. */
export interface ApiResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers (`Content-Type`, `Content-Length` for string bodies, ...). */
  headers: Record<string, string>;
  /**
   * The body: a string (JSON), or string chunks to stream with back-pressure (CSV). A streamed
   * body has already produced its first chunk, so store errors surface as an error status
   * rather than a truncated `200`; a later failure makes the iteration throw, and the adapter
   * should then destroy the connection so the client sees an incomplete transfer.
   * An {@link EventStreamBody} (the event stream) is written by handing it the response
   * object: `await body.pipeTo(res)` after writing the status and headers.
   */
  body: string | AsyncIterable<string> | EventStreamBody;
}

/**
 * Error codes the HTTP layer adds to the library's {@link ErrorCode}s: a known route asked with
 * a method it does not answer.
 */
export const HttpErrorCodes = {
  /** The route exists but does not answer this method (HTTP 405). */
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  /** A request refused for where it comes from: a Host not served, a cross-origin write (HTTP 403). */
  FORBIDDEN: "FORBIDDEN",
  /** A request body over the size limit (HTTP 413). */
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  /** A request body in a content type, charset or encoding the server does not read (HTTP 415). */
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
} as const;

/** Every code an error body can carry. */
export type HttpErrorCode = ErrorCode | (typeof HttpErrorCodes)[keyof typeof HttpErrorCodes];

/** The JSON body of every error response: `{ "error": { "code", "message", "param"? } }`. */
export interface HttpErrorBody {
  /** What went wrong. */
  error: {
    /** Stable machine-readable code, for example `VALIDATION`. */
    code: HttpErrorCode;
    /** For humans; never a stack trace, SQL or driver text. */
    message: string;
    /** The parameter at fault, as the client spelled it, when one is (`VALIDATION` only). */
    param?: string;
  };
}

const JSON_TYPE = "application/json; charset=utf-8";

/**
 * A JSON response: compact `JSON.stringify` output (the seed's bytes), `Cache-Control: no-store`
 * (activity data is private and changes; a cached long poll would be wrong),
 * `X-Content-Type-Options: nosniff` (a browser never runs it as something else), and its length.
 */
export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): ApiResponse {
  return jsonTextResponse(status, JSON.stringify(value), headers);
}

/** Like {@link jsonResponse}, for a body already serialised as JSON text. */
export function jsonTextResponse(status: number, body: string, headers: Record<string, string> = {}): ApiResponse {
  return {
    status,
    headers: {
      "Content-Type": JSON_TYPE,
      "Content-Length": String(Buffer.byteLength(body)),
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      ...headers,
    },
    body,
  };
}

/**
 * The response for any thrown value: 400 / 404 / 410 / 503 for the library's typed errors with
 * their code and message, 500 `INTERNAL` with a generic message for anything else (no stack
 * trace, SQL or driver text ever reaches the client).
 */
export function errorResponse(error: unknown): ApiResponse {
  const { status, body } = toHttpError(error);
  return jsonResponse(status, body);
}

/** The `404 NOT_FOUND` answer for a path that is not a route. */
export function routeNotFoundResponse(method: string, path: string): ApiResponse {
  const body: HttpErrorBody = { error: { code: ErrorCodes.NOT_FOUND, message: `No route for ${method} ${path}` } };
  return jsonResponse(404, body);
}

/** The `405 METHOD_NOT_ALLOWED` answer, with the `Allow` header listing what the route answers. */
export function methodNotAllowedResponse(method: string, path: string, allowed: readonly string[]): ApiResponse {
  const body: HttpErrorBody = {
    error: { code: HttpErrorCodes.METHOD_NOT_ALLOWED, message: `${method} is not allowed on ${path}: use ${allowed.join(", ")}` },
  };
  return jsonResponse(405, body, { Allow: allowed.join(", ") });
}
