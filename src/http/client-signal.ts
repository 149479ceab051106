/**
 * An abort signal for "the client went away", created only when a route asks for it: most
 * requests (a log page, a short event read) never need one, and an `AbortController` costs
 * several microseconds per request.
 *
 * @module
 */

/** The part of a Node response this needs (`http.ServerResponse` fits). */
export interface ClosableResponse {
  /** Subscribes to the response's `close` event. */
  once(event: "close", listener: () => void): unknown;
  /** Whether the whole response was handed to the OS. */
  readonly writableFinished: boolean;
}

/** A lazily created signal; see {@link clientGoneSignal}. */
export interface LazySignal {
  /** Aborts once the response closes before it finished (the client went away). */
  readonly signal: AbortSignal;
}

/**
 * Watches `res` and offers a `signal` that aborts when the response closes before it finished.
 * The signal is created on first access (already aborted if the client left before that).
 */
export function clientGoneSignal(res: ClosableResponse): LazySignal {
  let controller: AbortController | undefined;
  let gone = false;
  res.once("close", () => {
    if (res.writableFinished) return;
    gone = true;
    controller?.abort();
  });
  return {
    get signal(): AbortSignal {
      if (controller === undefined) {
        controller = new AbortController();
        if (gone) controller.abort();
      }
      return controller.signal;
    },
  };
}
