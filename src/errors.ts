/**
 * Typed errors with stable, machine-readable codes.
 *
 * Every error the library raises on purpose is a {@link HubError}; its `code` is part of the
 * public contract and never changes between minor versions. Messages are for humans and carry
 * no SQL, stack traces or credentials.
 *
 * @module
 */

/** Every stable error code, in one place. */
export const ErrorCodes = {
  /** Input (a query parameter, a record, an option) does not meet the contract. */
  VALIDATION: "VALIDATION",
  /** The thing asked for (a container) does not exist. */
  NOT_FOUND: "NOT_FOUND",
  /** An event cursor points before the retained feed and the hub was told to refuse it. */
  CURSOR_EXPIRED: "CURSOR_EXPIRED",
  /** The store cannot be reached or refused the operation. */
  STORE_UNAVAILABLE: "STORE_UNAVAILABLE",
  /**
   * A store read (a query, a count, an export page) ran past the store's time budget
   * (`queryTimeoutMs`) and was abandoned. Retrying the same read will likely fail again: narrow
   * the filter (a time range, a user) instead.
   */
  QUERY_TIMEOUT: "QUERY_TIMEOUT",
  /** The container runtime cannot be reached. */
  RUNTIME_UNAVAILABLE: "RUNTIME_UNAVAILABLE",
  /** The hub (or store) was closed before or during the call. */
  CLOSED: "CLOSED",
  /** An optional peer dependency (a driver) is not installed. */
  MISSING_DEPENDENCY: "MISSING_DEPENDENCY",
  /** A database file or schema that this library cannot use. */
  INCOMPATIBLE_STORE: "INCOMPATIBLE_STORE",
  /** Anything unexpected; the HTTP layer answers 500 without details. */
  INTERNAL: "INTERNAL",
} as const;

/** A stable error code; see {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Base class of every error this library throws on purpose. */
export class HubError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = "HubError";
  }
}

/** Bad input: a parameter, a record or an option outside the contract. HTTP 400. */
export class ValidationError extends HubError {
  /** The parameter or field at fault, when there is one (for example `limit`). */
  readonly param: string | undefined;

  constructor(message: string, param?: string) {
    super(ErrorCodes.VALIDATION, message);
    this.name = "ValidationError";
    this.param = param;
  }
}

/** The thing asked for does not exist. HTTP 404. */
export class NotFoundError extends HubError {
  constructor(message: string) {
    super(ErrorCodes.NOT_FOUND, message);
    this.name = "NotFoundError";
  }
}

/** An event cursor older than retention, when the hub is set to refuse such cursors. HTTP 410. */
export class CursorExpiredError extends HubError {
  /** How many events were dropped between the cursor and the oldest retained one. */
  readonly lost: number;
  /** The oldest index still retained. */
  readonly oldest: number;

  constructor(message: string, lost: number, oldest: number) {
    super(ErrorCodes.CURSOR_EXPIRED, message);
    this.name = "CursorExpiredError";
    this.lost = lost;
    this.oldest = oldest;
  }
}

/** The store could not be reached or failed. HTTP 503. */
export class StoreUnavailableError extends HubError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.STORE_UNAVAILABLE, message, options);
    this.name = "StoreUnavailableError";
  }
}

/**
 * A store read ran past the store's time budget (`queryTimeoutMs`) and was abandoned, so one
 * expensive filter cannot hold the server. HTTP 503.
 */
export class QueryTimeoutError extends HubError {
  /** The budget that was exceeded, milliseconds. */
  readonly budgetMs: number;

  constructor(message: string, budgetMs: number, options?: { cause?: unknown }) {
    super(ErrorCodes.QUERY_TIMEOUT, message, options);
    this.name = "QueryTimeoutError";
    this.budgetMs = budgetMs;
  }
}

/** The container runtime could not be reached. HTTP 503. */
export class RuntimeUnavailableError extends HubError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.RUNTIME_UNAVAILABLE, message, options);
    this.name = "RuntimeUnavailableError";
  }
}

/** The hub was closed. HTTP 503. */
export class ClosedError extends HubError {
  constructor(message = "The hub is closed") {
    super(ErrorCodes.CLOSED, message);
    this.name = "ClosedError";
  }
}

/** An optional peer dependency is missing; the message names the package to install. */
export class MissingDependencyError extends HubError {
  /** The npm package to install. */
  readonly packageName: string;

  /**
   * @param packageName The npm package to install.
   * @param entryPoint The entry point that needs it.
   * @param options `cause`, and `reason`: why no alternative applies (shown in brackets).
   */
  constructor(packageName: string, entryPoint: string, options?: { cause?: unknown; reason?: string }) {
    const why = options?.reason === undefined ? "" : ` (${options.reason})`;
    super(
      ErrorCodes.MISSING_DEPENDENCY,
      `${entryPoint} needs the optional peer dependency "${packageName}"${why}: run \`npm install ${packageName}\``,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "MissingDependencyError";
    this.packageName = packageName;
  }
}

/** A database that this library cannot use (corrupt, foreign, or from a newer version). */
export class IncompatibleStoreError extends HubError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.INCOMPATIBLE_STORE, message, options);
    this.name = "IncompatibleStoreError";
  }
}

/**
 * Codes of {@link BackgroundTaskError}: which of the hub's background tasks failed. Stable like
 * {@link ErrorCodes}, but never sent over HTTP (no request is waiting for a background task).
 */
export const BackgroundErrorCodes = {
  /** Applying retention on its interval (`retention.intervalMs`) failed; the next interval retries. */
  RETENTION_FAILED: "RETENTION_FAILED",
  /**
   * Reading other processes' events from a shared store failed; the relay retries at its next
   * poll, and listeners get the events they missed once the store answers again.
   */
  RELAY_FAILED: "RELAY_FAILED",
} as const;

/** A stable background failure code; see {@link BackgroundErrorCodes}. */
export type BackgroundErrorCode = (typeof BackgroundErrorCodes)[keyof typeof BackgroundErrorCodes];

/**
 * A failure of work the hub does on its own, with no caller to reject: retention on its timer,
 * the relay of other processes' events. Delivered to the hub's `error` listeners
 * (`hub.on("error", (error) => ...)`); with no `error` listener, the hub reports the first
 * failure of each kind once through `process.emitWarning` and drops the rest. The store's own
 * error (usually a {@link HubError} such as `STORE_UNAVAILABLE`) is the `cause`.
 */
export class BackgroundTaskError extends Error {
  /** Which task failed; see {@link BackgroundErrorCodes}. */
  readonly code: BackgroundErrorCode;
  /** The task, in words: `retention` or `relay`. */
  readonly task: "retention" | "relay";

  constructor(task: "retention" | "relay", cause: unknown) {
    const why = cause instanceof Error ? `: ${cause.message}` : "";
    super(`The hub's ${task === "retention" ? "retention" : "event relay"} failed${why}`, { cause });
    this.name = "BackgroundTaskError";
    this.task = task;
    this.code = task === "retention" ? BackgroundErrorCodes.RETENTION_FAILED : BackgroundErrorCodes.RELAY_FAILED;
  }
}

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  CURSOR_EXPIRED: 410,
  STORE_UNAVAILABLE: 503,
  QUERY_TIMEOUT: 503,
  RUNTIME_UNAVAILABLE: 503,
  CLOSED: 503,
  MISSING_DEPENDENCY: 500,
  INCOMPATIBLE_STORE: 500,
  INTERNAL: 500,
};

/** The HTTP status for an error: 400, 404, 410, 503, or 500 for anything unexpected. */
export function httpStatusOf(error: unknown): number {
  return error instanceof HubError ? STATUS_BY_CODE[error.code] : 500;
}

/** The JSON body the HTTP adapters send for an error. */
export interface ErrorBody {
  /** The error's stable code and a human-readable message. */
  error: {
    /** The error's stable code. */
    code: ErrorCode;
    /** What went wrong, for humans. */
    message: string;
    /**
     * For `VALIDATION` errors about one parameter: its name as the client spelled it
     * (`time_end` or `end`, `text`). Absent otherwise.
     */
    param?: string;
  };
}

/** An error as an HTTP response: status and JSON body. */
export interface HttpError {
  /** 400, 404, 410, 503 or 500. */
  status: number;
  /** `{ "error": { "code", "message", "param"? } }`. */
  body: ErrorBody;
}

/**
 * Maps any thrown value to `{ status, body }` for an HTTP response; a `ValidationError` about one
 * parameter adds `param` to the body. Unexpected errors become
 * `500 INTERNAL` with a generic message, so no stack trace or SQL ever reaches a client.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HubError) {
    const status = STATUS_BY_CODE[error.code];
    const message = status >= 500 && error.code !== "CLOSED" && error.code !== "STORE_UNAVAILABLE" && error.code !== "QUERY_TIMEOUT" && error.code !== "RUNTIME_UNAVAILABLE"
      ? "Internal error"
      : error.message;
    const param = error instanceof ValidationError ? error.param : undefined;
    return { status, body: { error: { code: error.code, message, ...(param !== undefined && { param }) } } };
  }
  return { status: 500, body: { error: { code: ErrorCodes.INTERNAL, message: "Internal error" } } };
}
