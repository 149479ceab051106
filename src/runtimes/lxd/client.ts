/**
 * A small client for LXD's REST API over its unix socket, with `node:http` only. Every failure
 * to reach the daemon is a `RuntimeUnavailableError` whose message names no socket path and
 * carries no daemon text; the details go to the optional logger.
 *
 * @module
 */
import http from "node:http";
import { RuntimeUnavailableError } from "../../errors.js";
import { httpCall } from "../http-call.js";

/** The socket Debian's `lxd` package serves on. */
export const DEFAULT_LXD_SOCKET = "/var/lib/lxd/unix.socket";

/**
 * Where diagnostics go: socket paths, the daemon's own error text, dropped connections. None of
 * it reaches an error message a client could see.
 */
export type LxdLogger = (message: string, cause?: unknown) => void;

/** Where the daemon listens, and how to talk to it. */
export interface LxdEndpoint {
  /** The daemon's unix socket. @default "/var/lib/lxd/unix.socket" (or `LXD_SOCKET`) */
  socketPath?: string;
  /** The LXD project the instances live in. @default "default" */
  project?: string;
  /** Per-request timeout, milliseconds (an action's operation wait adds its own). @default 10000 */
  requestTimeoutMs?: number;
  /** Receives diagnostics (paths, the daemon's error text); nothing is logged by default. */
  logger?: LxdLogger;
}

/** LXD's answer envelope (`sync`, `async` or `error`). */
export interface LxdResponse<T = unknown> {
  /** HTTP status code. */
  status: number;
  /** `sync`, `async` or `error`. */
  type: string;
  /** The payload of a `sync` answer, or the operation of an `async` one. */
  metadata: T;
  /** For `async` answers: the operation's path, `/1.0/operations/<id>`. */
  operation: string | undefined;
  /** For `error` answers: the daemon's message (for logs, not for clients). */
  error: string | undefined;
}

/** Options of one {@link LxdClient.request}. */
export interface LxdRequestOptions {
  /** Query parameters (the project is added unless given). */
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body. */
  body?: unknown;
  /** Overrides the client's timeout, milliseconds. */
  timeoutMs?: number;
}

/** The outcome of an operation, as `GET /1.0/operations/<id>/wait` reports it. */
export interface LxdOperationResult {
  /** 200 success, 400 failure, 401 cancelled. */
  statusCode: number;
  /** The daemon's failure text, empty on success (for logs and decisions, not for clients). */
  err: string;
}

/** The endpoint with every default applied. */
export function resolveLxdEndpoint(given: LxdEndpoint = {}, env: NodeJS.ProcessEnv = process.env): Required<Omit<LxdEndpoint, "logger">> & Pick<LxdEndpoint, "logger"> {
  return {
    socketPath: given.socketPath ?? env.LXD_SOCKET ?? DEFAULT_LXD_SOCKET,
    project: given.project ?? "default",
    requestTimeoutMs: given.requestTimeoutMs ?? 10_000,
    logger: given.logger,
  };
}

/** Speaks LXD's REST API. Keeps connections alive between calls; {@link LxdClient.close} drops them. */
export class LxdClient {
  /** The daemon's unix socket. */
  readonly socketPath: string;
  /** The project every call is scoped to. */
  readonly project: string;
  private readonly timeoutMs: number;
  private readonly logger: LxdLogger | undefined;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private closed = false;

  constructor(endpoint: LxdEndpoint = {}) {
    const resolved = resolveLxdEndpoint(endpoint);
    this.socketPath = resolved.socketPath;
    this.project = resolved.project;
    this.timeoutMs = resolved.requestTimeoutMs;
    this.logger = resolved.logger;
  }

  /** Passes a diagnostic to the logger, if any. */
  log(message: string, cause?: unknown): void {
    try {
      this.logger?.(message, cause);
    } catch {
      // a faulty logger must not break a call
    }
  }

  /**
   * One call. Resolves with any HTTP status (callers decide what 404 means); rejects with
   * `RuntimeUnavailableError` when the daemon cannot be reached, times out or answers something
   * that is not LXD's JSON envelope.
   */
  request<T = unknown>(method: string, path: string, options: LxdRequestOptions = {}): Promise<LxdResponse<T>> {
    if (this.closed) return Promise.reject(new RuntimeUnavailableError("The LXD runtime is closed"));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const fullPath = this.path(path, options.query);
    const fail = (detail: string, cause?: unknown): never => {
      this.log(`LXD ${method} ${fullPath} on ${this.socketPath}: ${detail}`, cause);
      throw unreachable(cause);
    };
    const timeout = () => new Error(`no answer within ${timeoutMs} ms`);
    return httpCall({ socketPath: this.socketPath, path: fullPath, method, agent: this.agent }, options.body, timeoutMs, timeout).then(
      ({ status, text }) => {
        let body: { type?: unknown; metadata?: unknown; operation?: unknown; error?: unknown };
        try {
          body = JSON.parse(text) as typeof body;
        } catch (error) {
          return fail(`answered ${status} with a body that is not JSON`, error);
        }
        if (typeof body !== "object" || body === null || typeof body.type !== "string") {
          return fail(`answered ${status} without LXD's envelope`);
        }
        return {
          status,
          type: body.type,
          metadata: body.metadata as T,
          operation: typeof body.operation === "string" && body.operation !== "" ? body.operation : undefined,
          error: typeof body.error === "string" && body.error !== "" ? body.error : undefined,
        };
      },
      (error: NodeJS.ErrnoException) => fail(error.code ?? error.message, error),
    );
  }

  /**
   * Waits for an operation (`/1.0/operations/<id>`) to end. LXD answers this wait with HTTP
   * 200 even when the operation failed: the outcome is in `status_code` and `err`.
   */
  async waitOperation(operation: string, timeoutSeconds: number): Promise<LxdOperationResult> {
    const res = await this.request<{ status_code?: number; err?: string }>("GET", `${operation.replace(/\?.*$/, "")}/wait`, {
      query: { timeout: timeoutSeconds },
      timeoutMs: (timeoutSeconds + 10) * 1000,
    });
    if (res.status !== 200 || typeof res.metadata?.status_code !== "number") {
      this.log(`LXD operation ${operation}: wait answered ${res.status} ${res.error ?? ""}`.trim());
      throw new RuntimeUnavailableError("The LXD daemon did not report the outcome of an operation");
    }
    return { statusCode: res.metadata.status_code, err: res.metadata.err ?? "" };
  }

  /** `path` plus the query and the project, as a request path. */
  path(path: string, query: LxdRequestOptions["query"] = {}): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, String(value));
    if (!search.has("project") && this.project !== "default") search.set("project", this.project);
    return search.size > 0 ? `${path}?${search.toString()}` : path;
  }

  /** Drops kept-alive connections; later calls reject. */
  close(): void {
    this.closed = true;
    this.agent.destroy();
  }
}

/** The one message a client sees when the daemon is out of reach. */
export function unreachable(cause?: unknown): RuntimeUnavailableError {
  return new RuntimeUnavailableError("The LXD daemon cannot be reached", cause === undefined ? undefined : { cause });
}
