/**
 * One HTTP call to a local engine (Docker's API, LXD's REST API): an optional JSON body out, the
 * whole answer in. The engine clients decide what the status and the text mean.
 *
 * @module
 */
import http from "node:http";

/** Where and how to send one call (Node's request options, minus what the body sets). */
export type HttpCallTarget = Omit<http.RequestOptions, "headers" | "timeout">;

/** The answer of one call: status and the body as text (`""` when empty). */
export interface HttpCallAnswer {
  /** The HTTP status (0 if the engine sent none). */
  status: number;
  /** The body, decoded as UTF-8. */
  text: string;
}

/**
 * Sends one call and collects the answer. Rejects with the socket's or response's error, or
 * with `timeoutError()` when no answer came within `timeoutMs`.
 */
export function httpCall(target: HttpCallTarget, body: unknown, timeoutMs: number, timeoutError: () => Error): Promise<HttpCallAnswer> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        ...target,
        headers: payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", reject);
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(timeoutError()));
    req.on("error", reject);
    req.end(payload);
  });
}
