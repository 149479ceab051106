/**
 * `npm start`: the whole library in one process. The Express adapter on `PORT` (default 8080),
 * the SQLite store under `DATA_DIR` (default `./data`), and a container runtime: with
 * `RUNTIME=auto` (the default) LXD for `lxc` and a Docker engine for `docker` when they answer,
 * the simulated one with the seed's containers for a type with none.
 *
 * Environment: `PORT`, `HOST` (default 127.0.0.1), `DATA_DIR`, `RUNTIME=auto|simulated|docker|lxd`,
 * `LXD_SOCKET`, `DOCKER_HOST`, `ACTION_DELAY_MS` (simulated actions, default 300),
 * `PUBLIC_HOST` (comma-separated host names the demo answers to besides the loopback ones),
 * `SQLITE_DRIVER=better-sqlite3|node:sqlite` (default: better-sqlite3 when installed, else
 * Node's built-in `node:sqlite`), `LOG_REQUESTS=1` (prints `request: METHOD URL` as each
 * request arrives).
 */
import { mkdirSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { answerClientErrors, LogEventHub, LOOPBACK_HOSTS } from "log-event-hub";
import { SqliteStore, type SqliteDriverName } from "log-event-hub/sqlite";
import { createDemoApp } from "./app.js";
import { chooseRuntime } from "./runtime.js";
import { Sessions } from "./sessions.js";

const env = process.env;
const port = Number(env.PORT ?? 8080);
const host = env.HOST ?? "127.0.0.1";
const dataDir = resolve(env.DATA_DIR ?? "./data");
if (!Number.isInteger(port) || port < 0 || port > 65_535) fatal(`PORT must be 0..65535, got ${env.PORT}`);
const driver = env.SQLITE_DRIVER === undefined || env.SQLITE_DRIVER === "" ? undefined : (env.SQLITE_DRIVER as SqliteDriverName);
if (driver !== undefined && driver !== "better-sqlite3" && driver !== "node:sqlite") {
  fatal(`SQLITE_DRIVER must be better-sqlite3 or node:sqlite, got ${env.SQLITE_DRIVER}`);
}

mkdirSync(dataDir, { recursive: true });
const databaseFile = join(dataDir, "log-event-hub.sqlite");

let demoRuntime: Awaited<ReturnType<typeof chooseRuntime>>;
try {
  demoRuntime = await chooseRuntime(env);
} catch (error) {
  fatal((error as Error).message);
}

const store = new SqliteStore({ filename: databaseFile, ...(driver && { driver }) });
const hub = new LogEventHub({ store, runtime: demoRuntime.runtime });
try {
  await hub.open();
} catch (error) {
  await demoRuntime.runtime.close?.();
  fatal(`Cannot open ${databaseFile}: ${(error as Error).message}`);
}
await hub.info("system", `Demo started (runtime: ${demoRuntime.kind})`);

const inFlight = new Set<Promise<unknown>>();
// Loopback names always; a public name only when configured (DNS rebinding gets nothing else).
const publicHosts = (env.PUBLIC_HOST ?? "").split(",").map((h) => h.trim()).filter((h) => h !== "");
const listenHost = host.includes(":") ? `[${host}]` : host; // the address the banner prints
const allowedHosts = [...new Set([...LOOPBACK_HOSTS, listenHost, ...publicHosts])];
const onRequest = env.LOG_REQUESTS === "1" ? (req: { method: string; originalUrl: string }) => console.log(`request: ${req.method} ${req.originalUrl}`) : undefined;
const app = createDemoApp({
  hub,
  sessions: new Sessions(),
  act: demoRuntime.connect(hub),
  inFlight,
  allowedHosts,
  listContainers: () => demoRuntime.list(),
  ...(onRequest && { onRequest }),
});
const server = app.listen(port, host);
// Requests Node's parser refuses answer the same JSON error body as everything else.
answerClientErrors(server);
await new Promise<void>((resolveListen, reject) => {
  server.once("listening", resolveListen);
  server.once("error", reject);
}).catch(async (error: Error) => {
  await hub.close();
  fatal(`Cannot listen on ${host}:${port}: ${error.message}`);
});

const url = `http://${host.includes(":") ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;
const { type, id } = demoRuntime.example;
console.log(`log-event-hub demo listening on ${url}`);
console.log(`  store:   ${databaseFile} (SQLite driver: ${store.driverName})`);
console.log(`  runtime: ${demoRuntime.kind}${demoRuntime.address ? ` (${demoRuntime.address})` : ""}`);
console.log("");
console.log(`Open the web console: ${url}/`);
console.log("");
console.log("Log in (the cookie makes the event feed yours) and start a container:");
console.log(`  curl -sq -c cookies.txt -d username=alice ${url}/api/v1/login`);
console.log(`  curl -sq -XPUT -b cookies.txt ${url}/api/v1/container/${type}/${id}/start`);
console.log("Then the seed's three examples:");
console.log(`  curl -sq -XGET -b cookies.txt "${url}/api/v1/log?limit=5"`);
console.log(`  curl -sq -XGET -b cookies.txt ${url}/api/v1/event`);
console.log(`  curl -sq -XGET -b cookies.txt "${url}/api/v1/event/wait/${type}/${id}/stopped?duration=5"`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  // A safety net only: a clean shutdown lets the event loop drain long before this fires.
  setTimeout(() => {
    console.error("Shutdown took too long; exiting");
    process.exit(1);
  }, 15_000).unref();
  const serverClosed = new Promise<void>((done) => server.close(() => done()));
  server.closeIdleConnections();
  // Container actions already accepted finish and write their records and events.
  await Promise.allSettled([...inFlight]);
  // Flushes pending appends, answers long polls, ends waits (503), closes SQLite and the runtime.
  await hub.close();
  // Answered long polls leave idle keep-alive connections behind.
  setImmediate(() => server.closeIdleConnections());
  const force = setTimeout(() => server.closeAllConnections(), 2000);
  await serverClosed;
  clearTimeout(force);
  console.log("Stopped");
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    shutdown(signal).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

function fatal(message: string): never {
  console.error(message);
  process.exit(1);
}
