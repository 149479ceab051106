/**
 * A real server for the console's browser tests and bench: the demo's Express app (login,
 * container actions and list, the console at `/`) over a SQLite store in a fresh folder and the
 * simulated runtime, with the console built into that folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import type { Server, IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogEventHub, type HubEvent, type RetentionOptions } from "log-event-hub";
import { SqliteStore } from "log-event-hub/sqlite";
import { SimulatedRuntime } from "log-event-hub/testing";
import { createDemoApp } from "../../examples/demo/app.js";
import { Sessions } from "../../examples/demo/sessions.js";
// @ts-expect-error: a plain ES module script without declarations
import { buildConsole } from "../../scripts/build-console.mjs";

/** Builds the console into a fresh folder; resolves with the folder. */
export async function buildConsoleInto(dir: string): Promise<string> {
  await (buildConsole as (outDir: string) => Promise<string[]>)(dir);
  return dir;
}

/** A running console server. */
export interface ConsoleServer {
  url: string;
  hub: LogEventHub;
  runtime: SimulatedRuntime;
  /** The folder the console was built into. */
  consoleDir: string;
  /** Destroys the connections of every open event stream (a network drop, as the browser sees it). */
  cutStreams(): number;
  close(): Promise<void>;
}

/** Starts the server; `retention` is applied only by `hub.prune()` (its interval is an hour). */
export async function startConsoleServer(options: { retention?: Omit<RetentionOptions, "intervalMs"> } = {}): Promise<ConsoleServer> {
  const dir = mkdtempSync(join(tmpdir(), "leh-console-"));
  const consoleDir = await buildConsoleInto(join(dir, "console"));
  const runtime = new SimulatedRuntime({ actionDelayMs: 200 });
  const hub = new LogEventHub({
    store: new SqliteStore({ filename: join(dir, "hub.sqlite") }),
    runtime,
    ...(options.retention && { retention: { ...options.retention, intervalMs: 3_600_000 } }),
  });
  runtime.attachHub(hub);
  await hub.open();
  const streams = new Set<Socket>();
  const app = createDemoApp({
    hub,
    sessions: new Sessions(),
    act: (action, type, id, user) => runtime[action](type, id, { user }),
    inFlight: new Set(),
    listContainers: () => runtime.list(),
    console: { root: consoleDir },
    onRequest: (req: IncomingMessage) => {
      if (req.url?.startsWith("/api/v1/event/stream")) {
        const socket = req.socket;
        streams.add(socket);
        socket.once("close", () => streams.delete(socket));
      }
    },
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hub,
    runtime,
    consoleDir,
    cutStreams() {
      const n = streams.size;
      for (const socket of streams) socket.destroy();
      return n;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Appends a varied log: every level, category and a few users over three days, ending now. */
export async function seedLog(hub: LogEventHub, count: number): Promise<void> {
  const levels = ["INFO", "INFO", "WARN", "ERROR"] as const;
  const categories = ["container", "image", "import", "export", "backup", "system"] as const;
  const users = ["alice", "bob", "system", "Anonymous"];
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    await hub.log({
      level: levels[i % levels.length]!,
      category: categories[i % categories.length]!,
      user: users[i % users.length]!,
      // A formula-like message and a comma/quote one: the CSV escapes them, the table shows them as they are.
      message: i % 17 === 0 ? `=HYPERLINK("x") record ${i}` : `Record ${i}, "quoted" (lxc, utest)`,
      time: new Date(now - (count - i) * 3_600_000),
    });
  }
}

/** Publishes one event every reader sees (an image update, as the seed's feed has them). */
export function publishEvent(hub: LogEventHub): Promise<HubEvent> {
  return hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" } });
}
