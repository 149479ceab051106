/**
 * A small client for Docker Engine's HTTP API (and podman's Docker-compatible service) over a
 * unix socket or plain TCP, with `node:http` only. Every failure to reach the engine is a
 * `RuntimeUnavailableError` with a stable message that names nothing of the host (no socket
 * path, URL or daemon text); those details go to the `logger` hook.
 *
 * @module
 */
import http from "node:http";
import { RuntimeUnavailableError } from "../../errors.js";
import { httpCall } from "../http-call.js";

/** Where the engine listens. */
export interface EngineEndpoint {
  /**
   * Unix socket path. @default from `DOCKER_HOST=unix://...`, else `/var/run/docker.sock`
   */
  socketPath?: string;
  /** TCP host (plain HTTP, no TLS), instead of a socket; also read from `DOCKER_HOST=tcp://host:port`. */
  host?: string;
  /** TCP port. @default 2375 */
  port?: number;
  /**
   * Pin an API version (`"1.41"`): paths become `/v1.41/...`. By default paths carry no version
   * and the engine answers with its current one.
   */
  apiVersion?: string;
  /** Per-request timeout, milliseconds (not applied to the event stream). @default 10000 */
  requestTimeoutMs?: number;
}

/**
 * What a host's logs get about an engine failure; clients get only the stable message of the
 * error (`RUNTIME_UNAVAILABLE`).
 */
export interface EngineFailure {
  /** The stable message of the error the caller gets, for example `The container engine cannot be reached`. */
  message: string;
  /** One line for a log, with every detail: request, address, errno or status, the engine's own message. */
  detail: string;
  /** The request, for example `GET /containers/web/json` (`GET /events` for the event stream). */
  request: string;
  /** Where the engine is: the socket path or `host:port`. */
  address: string;
  /** The engine's HTTP status, when it answered. */
  status?: number;
  /** The engine's own error message (`{"message": ...}` of its answer), when it gave one. */
  engineMessage?: string;
  /** The underlying error (a socket error, a timeout), when there is one. */
  cause?: unknown;
}

/** Options of {@link EngineClient}: where the engine is, and where failure details go. */
export interface EngineClientOptions extends EngineEndpoint {
  /**
   * Called with the details of every failure (unreachable engine, timeout, refused request,
   * dropped event stream). Errors thrown to callers carry only a stable message, so this is the
   * only place socket paths, URLs and daemon messages appear. @default none
   */
  logger?: (failure: EngineFailure) => void;
}

/** Stable messages of the engine's `RuntimeUnavailableError`s: nothing of the host in them. */
export const EngineErrorMessages = {
  /** The socket is missing, the connection was refused or reset. */
  unreachable: "The container engine cannot be reached",
  /** The engine accepted the connection but did not answer within the request timeout. */
  timeout: "The container engine did not answer in time",
  /** The engine answered with a status the call does not expect (a 5xx, say). */
  refused: "The container engine could not carry out the request",
  /** The engine answered something that is not what its API promises. */
  unexpected: "The container engine gave an unexpected answer",
  /** `close()` was called. */
  closed: "The container engine client is closed",
} as const;

/** An engine's answer: status and body (parsed JSON; text when not JSON; `undefined` when empty). */
export interface EngineResponse<T = unknown> {
  /** HTTP status code. */
  status: number;
  /** The response body. */
  body: T;
}

/** Options of one {@link EngineClient.request}. */
export interface EngineRequestOptions {
  /** Query parameters; objects are sent as JSON (as `filters` must be). */
  query?: Record<string, string | number | boolean | object | undefined>;
  /** A JSON body. */
  body?: unknown;
  /** Overrides the client's timeout, milliseconds. */
  timeoutMs?: number;
}

/** The `message` of an engine's JSON error answer (`{"message": "..."}`), if any. */
function engineMessageOf(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() === "" ? undefined : body.trim().slice(0, 500);
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") {
    return (body as { message: string }).message;
  }
  return undefined;
}

/** The default socket: `DOCKER_HOST=unix://...` when set, else `/var/run/docker.sock`. */
export function resolveEndpoint(given: EngineEndpoint = {}, env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  if (given.socketPath !== undefined || given.host !== undefined) return given;
  const dockerHost = env.DOCKER_HOST;
  if (dockerHost?.startsWith("unix://")) return { ...given, socketPath: dockerHost.slice("unix://".length) };
  if (dockerHost?.startsWith("tcp://")) {
    const url = new URL(`http://${dockerHost.slice("tcp://".length)}`);
    return { ...given, host: url.hostname, port: url.port === "" ? 2375 : Number(url.port) };
  }
  return { ...given, socketPath: "/var/run/docker.sock" };
}

/**
 * Speaks the engine's HTTP API. Keeps connections alive between calls; {@link EngineClient.close}
 * drops them.
 */
export class EngineClient {
  /** The resolved endpoint. */
  readonly endpoint: Readonly<EngineEndpoint>;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  private readonly streams = new Set<http.ClientRequest>();
  private readonly logger: ((failure: EngineFailure) => void) | undefined;
  private closed = false;

  constructor(options: EngineClientOptions = {}) {
    const { logger, ...endpoint } = options;
    this.endpoint = Object.freeze(resolveEndpoint(endpoint));
    this.logger = logger;
  }

  /** Where the engine is, for messages: the socket path or `host:port`. */
  get address(): string {
    return this.endpoint.socketPath ?? `${this.endpoint.host ?? "localhost"}:${this.endpoint.port ?? 2375}`;
  }

  /**
   * One call. Resolves with any HTTP status (callers decide what 404 or 304 mean); rejects with
   * `RuntimeUnavailableError` when the engine cannot be reached, times out or answers non-JSON.
   */
  request<T = unknown>(method: string, path: string, options: EngineRequestOptions = {}): Promise<EngineResponse<T>> {
    if (this.closed) return Promise.reject(new RuntimeUnavailableError(EngineErrorMessages.closed));
    const timeoutMs = options.timeoutMs ?? this.endpoint.requestTimeoutMs ?? 10_000;
    const call = `${method} ${path}`;
    const timeout = () => this.failure("timeout", call, { reason: `no answer within ${timeoutMs} ms` });
    return httpCall({ ...this.target(path, options.query), method, agent: this.agent }, options.body, timeoutMs, timeout).then(
      ({ status, text }) => {
        if (text.trim() === "") return { status, body: undefined as T };
        // Not every answer says it is JSON (podman's stats do not), and `/_ping` answers `OK`.
        try {
          return { status, body: JSON.parse(text) as T };
        } catch {
          return { status, body: text as T };
        }
      },
      (error: Error) => Promise.reject(this.unavailable(call, error)),
    );
  }

  /**
   * Opens a long-lived streaming GET (the event stream) on its own connection. `response`
   * resolves once the engine answered 200 (podman sends headers only with the first event);
   * `request.destroy()` ends the stream, before or after that.
   */
  openStream(
    path: string,
    query?: EngineRequestOptions["query"],
  ): {
    /** The streaming request (`undefined` when the client is closed); destroy it to end the stream. */
    request: http.ClientRequest | undefined;
    /** Resolves once the engine answered 200. */
    response: Promise<http.IncomingMessage>;
  } {
    if (this.closed) return { request: undefined, response: Promise.reject(new RuntimeUnavailableError(EngineErrorMessages.closed)) };
    let req!: http.ClientRequest;
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req = http.request({ ...this.target(path, query), method: "GET", agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          req.destroy();
          reject(this.failure("refused", `GET ${path}`, { status: res.statusCode ?? 0 }));
          return;
        }
        resolve(res);
      });
      req.on("error", (error) => reject(this.unavailable(`GET ${path}`, error)));
      req.on("close", () => {
        this.streams.delete(req);
        reject(new RuntimeUnavailableError(EngineErrorMessages.unreachable));
      });
      req.end();
    });
    this.streams.add(req);
    return { request: req, response };
  }

  /** Drops kept-alive connections and open streams; later calls reject. */
  close(): void {
    this.closed = true;
    for (const req of this.streams) req.destroy();
    this.streams.clear();
    this.agent.destroy();
  }

  private target(path: string, query: EngineRequestOptions["query"]): http.RequestOptions {
    const version = this.endpoint.apiVersion === undefined ? "" : `/v${this.endpoint.apiVersion.replace(/^v/, "")}`;
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined) continue;
      search.set(key, typeof value === "object" ? JSON.stringify(value) : String(value));
    }
    const qs = search.size > 0 ? `?${search.toString()}` : "";
    const fullPath = `${version}${path}${qs}`;
    return this.endpoint.socketPath !== undefined
      ? { socketPath: this.endpoint.socketPath, path: fullPath }
      : { host: this.endpoint.host ?? "localhost", port: this.endpoint.port ?? 2375, path: fullPath };
  }

  /**
   * The error for a failed call, with a stable message; its details go to the logger.
   * `kind` picks the message; `status` and `body` are the engine's answer when it gave one.
   */
  failure(
    kind: keyof typeof EngineErrorMessages,
    request: string,
    details: { status?: number; body?: unknown; cause?: unknown; reason?: string } = {},
  ): RuntimeUnavailableError {
    const message = EngineErrorMessages[kind];
    const error = new RuntimeUnavailableError(message, details.cause === undefined ? undefined : { cause: details.cause });
    if (this.logger) {
      const engineMessage = engineMessageOf(details.body);
      const causeText = details.cause instanceof Error ? details.cause.message : undefined;
      const parts = [
        `${request} on ${this.address}`,
        details.status === undefined ? undefined : `status ${details.status}`,
        engineMessage === undefined ? undefined : `engine: ${engineMessage}`,
        details.reason,
        causeText,
      ].filter((part) => part !== undefined);
      const failure: EngineFailure = { message, detail: `${message}: ${parts.join("; ")}`, request, address: this.address };
      if (details.status !== undefined) failure.status = details.status;
      if (engineMessage !== undefined) failure.engineMessage = engineMessage;
      if (details.cause !== undefined) failure.cause = details.cause;
      try {
        this.logger(failure);
      } catch {
        // a faulty logger must not turn an engine failure into another one
      }
    }
    return error;
  }

  private unavailable(request: string, error: unknown): RuntimeUnavailableError {
    if (error instanceof RuntimeUnavailableError) return error;
    return this.failure("unreachable", request, { cause: error });
  }
}
