import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { clientGoneSignal } from "../../src/index.js";

/** A real server on an ephemeral loopback port; `onRequest` gets each request. */
async function serve(onRequest: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Sends a GET and destroys the connection once the server has the request (`abort()`). */
function getThenAbort(port: number) {
  const req = request({ host: "127.0.0.1", port, path: "/" });
  req.on("error", () => {});
  req.end();
  return { abort: () => req.destroy() };
}

const servers: { close(): void; closeAllConnections(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

describe("clientGoneSignal", () => {
  it("subscribes to nothing until the signal is asked for", async () => {
    const seen = new Promise<number>((resolve) => {
      void serve((_req, res) => {
        clientGoneSignal(res);
        resolve(res.listenerCount("close"));
        res.end("ok");
      }).then(({ server, port }) => {
        servers.push(server);
        request({ host: "127.0.0.1", port, path: "/" }).on("error", () => {}).end();
      });
    });
    const before = await seen;
    // Node itself may listen; the helper must not have added one.
    const bare = await new Promise<number>((resolve) => {
      void serve((_req, res) => {
        resolve(res.listenerCount("close"));
        res.end("ok");
      }).then(({ server, port }) => {
        servers.push(server);
        request({ host: "127.0.0.1", port, path: "/" }).on("error", () => {}).end();
      });
    });
    expect(before).toBe(bare);
  });

  it("aborts when the client leaves after the signal was taken", async () => {
    let client: { abort(): void } | undefined;
    const signal = await new Promise<AbortSignal>((resolve) => {
      void serve((_req, res) => {
        const { signal } = clientGoneSignal(res);
        expect(signal.aborted).toBe(false);
        resolve(signal);
        client?.abort();
      }).then(({ server, port }) => {
        servers.push(server);
        client = getThenAbort(port);
      });
    });
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve())));
    expect(signal.aborted).toBe(true);
  });

  it("is already aborted when the client left before the signal was taken", async () => {
    let client: { abort(): void } | undefined;
    const signal = await new Promise<AbortSignal>((resolve) => {
      void serve((_req, res) => {
        const lazy = clientGoneSignal(res);
        client?.abort();
        res.once("close", () => resolve(lazy.signal));
      }).then(({ server, port }) => {
        servers.push(server);
        client = getThenAbort(port);
      });
    });
    expect(signal.aborted).toBe(true);
  });

  it("never aborts for a response that finished", async () => {
    const [before, after] = await new Promise<[AbortSignal, AbortSignal]>((resolve) => {
      void serve((_req, res) => {
        const taken = clientGoneSignal(res).signal;
        const late = clientGoneSignal(res);
        // The second is taken only after the response finished and its connection closed.
        res.end("done", () => res.once("close", () => setTimeout(() => resolve([taken, late.signal]), 20)));
      }).then(({ server, port }) => {
        servers.push(server);
        request({ host: "127.0.0.1", port, path: "/", agent: false }, (r) => r.resume()).on("error", () => {}).end();
      });
    });
    expect(before.aborted).toBe(false);
    expect(after.aborted).toBe(false);
  });
});
