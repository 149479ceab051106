/**
 * A small client for Docker Engine's HTTP API (and podman's Docker-compatible service) over a
 * unix socket or plain TCP, with `node:http` only. Every failure to reach the engine is a
 * `RuntimeUnavailableError`.
 *
 * @module
 */
import http from "node:http";
import { RuntimeUnavailableError } from "../../errors.js";

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
  private closed = false;

  constructor(endpoint: EngineEndpoint = {}) {
    this.endpoint = Object.freeze(resolveEndpoint(endpoint));
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
    if (this.closed) return Promise.reject(new RuntimeUnavailableError("The engine client is closed"));
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const timeoutMs = options.timeoutMs ?? this.endpoint.requestTimeoutMs ?? 10_000;
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          ...this.target(path, options.query),
          method,
          agent: this.agent,
          headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", (error) => reject(this.unavailable(error)));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = res.statusCode ?? 0;
            if (text.trim() === "") return resolve({ status, body: undefined as T });
            // Not every answer says it is JSON (podman's stats do not), and `/_ping` answers `OK`.
            try {
              resolve({ status, body: JSON.parse(text) as T });
            } catch {
              resolve({ status, body: text as T });
            }
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new RuntimeUnavailableError(`The engine at ${this.address} did not answer ${method} ${path} within ${timeoutMs} ms`)));
      req.on("error", (error) => reject(this.unavailable(error)));
      req.end(payload);
    });
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
    if (this.closed) return { request: undefined, response: Promise.reject(new RuntimeUnavailableError("The engine client is closed")) };
    let req!: http.ClientRequest;
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req = http.request({ ...this.target(path, query), method: "GET", agent: false }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          req.destroy();
          reject(new RuntimeUnavailableError(`The engine at ${this.address} answered GET ${path} with ${res.statusCode}`));
          return;
        }
        resolve(res);
      });
      req.on("error", (error) => reject(this.unavailable(error)));
      req.on("close", () => {
        this.streams.delete(req);
        reject(new RuntimeUnavailableError(`The stream GET ${path} closed before the engine answered`));
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

  private unavailable(error: unknown): RuntimeUnavailableError {
    if (error instanceof RuntimeUnavailableError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    return new RuntimeUnavailableError(`Cannot reach the container engine at ${this.address}${code ? ` (${code})` : ""}`, { cause: error });
  }
}
