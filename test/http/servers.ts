/**
 * Real HTTP servers on ephemeral loopback ports, one per adapter, each mounting the API under
 * `/hub` beside a host route of its own.
 */
import express from "express";
import Koa from "koa";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiHandlerOptions, ApiHub } from "log-event-hub";
import { hubErrorHandler, hubRouter } from "../../examples/express/hub-router.js";
import { hubErrors, hubMiddleware } from "../../examples/koa/hub-middleware.js";

/** The API's mount point in every test server. */
export const PREFIX = "/hub";

/** A running server: its base URL (mount point included) and a way to stop it. */
export interface RunningServer {
  /** `http://127.0.0.1:PORT/hub` */
  base: string;
  /** The host's own route, outside the mount point. */
  hostRoute: string;
  server: Server;
  close(): Promise<void>;
}

/** Options every adapter takes; the test reads the user from an `x-user` header or a `user` cookie. */
export type AdapterOptions = Omit<ApiHandlerOptions, "getUser">;

/** One adapter under test. */
export interface Adapter {
  name: string;
  start(hub: ApiHub, options?: AdapterOptions): Promise<RunningServer>;
}

function listen(server: Server): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      const origin = `http://127.0.0.1:${port}`;
      resolve({
        base: `${origin}${PREFIX}`,
        hostRoute: `${origin}/host`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

const header = (value: string | string[] | undefined) => (typeof value === "string" ? value : undefined);

/** The reader: the `x-user` header, else the `user` cookie (what a browser's EventSource sends). */
function userOf(headers: IncomingHttpHeaders): string | undefined {
  const cookie = /(?:^|;\s*)user=([^;]*)/.exec(headers.cookie ?? "");
  return header(headers["x-user"]) ?? (cookie ? decodeURIComponent(cookie[1]!) : undefined);
}

export const adapters: Adapter[] = [
  {
    name: "express",
    start(hub, options = {}) {
      const app = express();
      app.get("/host", (_req, res) => {
        res.send("host");
      });
      app.use(PREFIX, hubRouter(hub, { ...options, getUser: (req) => userOf(req.headers) }));
      app.use(hubErrorHandler());
      return listen(createServer(app));
    },
  },
  {
    name: "koa",
    start(hub, options = {}) {
      const app = new Koa();
      app.use(hubErrors());
      app.use(hubMiddleware(hub, { ...options, prefix: PREFIX, getUser: (ctx) => userOf(ctx.req.headers) }));
      app.use((ctx) => {
        if (ctx.path === "/host") ctx.body = "host";
      });
      return listen(createServer(app.callback()));
    },
  },
];
