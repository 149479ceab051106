/**
 * The slice of the `ws` package the event stream uses, typed structurally so that users without
 * `ws` (or its types) still typecheck, and the lazy loader of the optional peer.
 *
 * @module
 */
import { MissingDependencyError } from "../../errors.js";

/** An open (or opening) WebSocket, as `ws` exposes it. */
export interface WebSocketLike {
  /** Registers a listener: `open`, `message` (data), `close` (code, reason), `error` (error). */
  on(event: "open" | "message" | "close" | "error", listener: (...args: never[]) => void): unknown;
  /** Starts the closing handshake. */
  close(code?: number): void;
  /** Destroys the connection at once. */
  terminate(): void;
}

/** The `ws` module's `WebSocket` constructor. */
export type WebSocketConstructorLike = new (address: string, options?: { handshakeTimeout?: number; perMessageDeflate?: boolean }) => WebSocketLike;

/** The npm package the event stream needs. */
export const WEBSOCKET_PACKAGE = "ws";

let cached: Promise<WebSocketConstructorLike> | undefined;

/**
 * Loads `ws` on first use. A dynamic `import()` works in both builds and keeps `ws` out of
 * anything that never watches LXD.
 *
 * @param specifier Module to load; tests pass a name that does not exist.
 * @throws MissingDependencyError when the package is not installed.
 */
export function loadWebSocket(specifier: string = WEBSOCKET_PACKAGE): Promise<WebSocketConstructorLike> {
  if (specifier === WEBSOCKET_PACKAGE && cached) return cached;
  const loading = (async () => {
    let mod: unknown;
    try {
      mod = await import(specifier);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
        throw new MissingDependencyError(WEBSOCKET_PACKAGE, "log-event-hub/lxd", { cause: error });
      }
      throw error;
    }
    const m = mod as { WebSocket?: unknown; default?: unknown };
    const candidate = m.WebSocket ?? (m.default as { WebSocket?: unknown } | undefined)?.WebSocket ?? m.default;
    if (typeof candidate !== "function") throw new MissingDependencyError(WEBSOCKET_PACKAGE, "log-event-hub/lxd");
    return candidate as WebSocketConstructorLike;
  })();
  if (specifier === WEBSOCKET_PACKAGE) {
    cached = loading;
    loading.catch(() => {
      if (cached === loading) cached = undefined;
    });
  }
  return loading;
}
