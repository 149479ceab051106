/**
 * Request guards a service puts in front of the API, framework-neutral: a Host allow-list
 * (against DNS rebinding), a refusal of cross-origin writes from browsers (against cross-site
 * form posts and `fetch` from other sites), and JSON answers for the errors web frameworks
 * raise themselves (body parsing, size limits, charsets, URI decoding). Each returns an
 * {@link ApiResponse} to send, or `undefined` to let the request through.
 *
 * @module
 */
import type { Socket } from "node:net";
import { errorResponse, HttpErrorCodes, jsonResponse, type ApiResponse, type HttpErrorBody } from "./response.js";
import { ErrorCodes } from "../errors.js";

/** Request headers as Node gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Host names every loopback service answers to. */
export const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

function first(value: string | readonly string[] | undefined): string | undefined {
  return typeof value === "string" ? value : value?.[0];
}

/** The host name of a `Host` header value, lower case, without the port (`[::1]` keeps brackets). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  return (colon < 0 ? h : h.slice(0, colon)).replace(/\.$/, "");
}

function forbidden(message: string): ApiResponse {
  const body: HttpErrorBody = { error: { code: HttpErrorCodes.FORBIDDEN, message } };
  return jsonResponse(403, body);
}

/**
 * Refuses a request whose `Host` is not one the service answers to: a page on another site that
 * resolves its own name to this address (DNS rebinding) then reaches nothing. `allowed` holds
 * host names without ports (`example.org`, `[::1]`); compare with {@link LOOPBACK_HOSTS}.
 *
 * @returns a `403 FORBIDDEN` response, or `undefined` when the host is allowed.
 */
export function foreignHostResponse(host: string | undefined, allowed: readonly string[]): ApiResponse | undefined {
  if (host !== undefined && allowed.some((a) => a.toLowerCase() === hostName(host))) return undefined;
  return forbidden("This server does not answer to that host name");
}

/** Methods that change state, refused from another origin. */
const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Options of {@link crossOriginWriteResponse}. */
export interface CrossOriginOptions {
  /** Origins allowed to write besides the server's own, exactly as browsers send them (`https://admin.example.org`). */
  allowedOrigins?: readonly string[];
}

/**
 * Refuses a state-changing request (POST, PUT, PATCH, DELETE) that a browser sent from another
 * origin: its `Origin` header names another scheme, host or port than the request's `Host`
 * (or is `null`, as sandboxed pages send), or `Sec-Fetch-Site` says `cross-site`. A request
 * without those headers (curl, scripts, servers) passes: it carries no browser's cookies
 * against the user's will.
 *
 * @returns a `403 FORBIDDEN` response, or `undefined` when the request may proceed.
 */
export function crossOriginWriteResponse(
  method: string,
  headers: RequestHeaders,
  options: CrossOriginOptions = {},
): ApiResponse | undefined {
  if (!WRITES.has(method.toUpperCase())) return undefined;
  const origin = first(headers.origin);
  const fetchSite = first(headers["sec-fetch-site"]);
  if (origin === undefined) {
    return fetchSite === "cross-site" ? forbidden("Cross-site requests may not change state") : undefined;
  }
  if (options.allowedOrigins?.includes(origin)) return undefined;
  const host = first(headers.host);
  let originHost: string | undefined;
  try {
    originHost = origin === "null" ? undefined : new URL(origin).host.toLowerCase();
  } catch {
    originHost = undefined;
  }
  if (originHost !== undefined && host !== undefined && originHost === host.trim().toLowerCase()) return undefined;
  return forbidden("Requests from another origin may not change state");
}

/**
 * The JSON answer for an error a web framework raised itself, before or around the API: body
 * parsing (malformed JSON, too large, an unknown charset or content encoding), a path segment
 * that is not valid percent-encoding. Errors carrying a 4xx `status` or `statusCode` (the
 * `http-errors` convention Express's body parsers and Koa use, and Express's router for
 * `URIError`s) become a 4xx with a fixed message for that status (the framework's own message
 * may quote the input or name internals); anything else becomes the library's usual answer
 * (a `HubError`'s status, or `500 INTERNAL`). Never a stack trace, a path or an HTML page.
 */
export function frameworkErrorResponse(error: unknown): ApiResponse {
  const status = statusOf(error);
  if (status === undefined) return errorResponse(error);
  const [code, message] =
    status === 413
      ? [HttpErrorCodes.PAYLOAD_TOO_LARGE, "The request body is too large"]
      : status === 415
        ? [HttpErrorCodes.UNSUPPORTED_MEDIA_TYPE, "The request body's content type, charset or encoding is not supported"]
        : status === 404
          ? [ErrorCodes.NOT_FOUND, "Not found"]
          : [ErrorCodes.VALIDATION, error instanceof URIError ? "The path is not valid percent-encoding" : "The request is malformed"];
  const body: HttpErrorBody = { error: { code, message } };
  // Any other 4xx is answered as 400: its code and message say what kind.
  return jsonResponse(status === 413 || status === 415 || status === 404 ? status : 400, body);
}

function statusOf(error: unknown): number | undefined {
  if (error === null || typeof error !== "object") return undefined;
  if ("code" in error && typeof (error as { code: unknown }).code === "string" && (error as { code: string }).code in ErrorCodes) {
    return undefined; // a HubError: its own mapping applies
  }
  const e = error as { status?: unknown; statusCode?: unknown };
  const status = typeof e.status === "number" ? e.status : typeof e.statusCode === "number" ? e.statusCode : undefined;
  return status !== undefined && Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}

/** What {@link answerClientErrors} needs from a server: Node's `http.Server` has it. */
export interface ClientErrorSource {
  /** Node's `clientError` event: a request the HTTP parser could not read. */
  on(event: "clientError", listener: (error: Error & { code?: string }, socket: Socket) => void): unknown;
}

/**
 * Answers requests that Node's HTTP parser refuses (malformed request lines or headers, headers
 * too large), which never reach a framework, with the JSON error body instead of Node's bare
 * `400 Bad Request`, then closes the connection.
 */
export function answerClientErrors(server: ClientErrorSource): void {
  server.on("clientError", (error, socket) => {
    if (!socket.writable || error.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const body = JSON.stringify({
      error: { code: ErrorCodes.VALIDATION, message: tooLarge ? "The request headers are too large" : "The request is malformed" },
    });
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        "Content-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n" +
        `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}
