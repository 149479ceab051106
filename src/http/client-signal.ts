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
  /** Whether the response (or its connection) was already closed or destroyed. */
  readonly destroyed: boolean;
}

/** A lazily created signal; see {@link clientGoneSignal}. */
export interface LazySignal {
  /** Aborts once the response closes before it finished (the client went away). */
  readonly signal: AbortSignal;
}

/** The one implementation of {@link LazySignal}: its getter lives on the prototype, so making one per request is a plain allocation. */
class ResponseSignal implements LazySignal {
  private controller: AbortController | undefined;

  constructor(private readonly res: ClosableResponse) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = new AbortController();
      this.controller = controller;
      const res = this.res;
      if (!res.writableFinished) {
        if (res.destroyed) controller.abort();
        else
          res.once("close", () => {
            if (!res.writableFinished) controller.abort();
          });
      }
    }
    return this.controller.signal;
  }
}

/**
 * Offers a `signal` that aborts when `res` closes before it finished. Nothing is created or
 * subscribed until the first access of `signal` (most requests never ask): the signal is then
 * already aborted if the response was destroyed in the meantime, and otherwise follows the
 * response's `close` event.
 */
export function clientGoneSignal(res: ClosableResponse): LazySignal {
  return new ResponseSignal(res);
}
