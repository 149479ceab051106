/**
 * A PostgreSQL store (and the hub over it) that could not open at boot is used once the
 * database is there: the failed open is retried on the next call, not cached. Real failures
 * only: a port where nothing listens (then a proxy to the real server on that port), and a
 * database that is created after the first attempt. Needs a real server (LEH_PG_URL).
 */
import { randomBytes } from "node:crypto";
import { createServer, connect, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { PG_URL, requirePostgres, sql } from "./fixtures/postgres/env.js";

const available = await requirePostgres("test/stores/postgres.lifecycle.test.ts");
const databases: string[] = [];
afterAll(async () => {
  if (!available) return;
  for (const name of databases) await sql(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

/** A free loopback port, with nothing listening on it once this resolves. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A TCP proxy on `port` to the test server. */
async function proxyTo(port: number): Promise<{ server: Server; sockets: Set<Socket> }> {
  const target = new URL(PG_URL);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, sockets };
}

describe.skipIf(!available)("PostgreSQL: a failed open is retried", () => {
  it("a server that is not listening at boot, then is", async () => {
    const port = await freePort();
    const url = new URL(PG_URL);
    url.host = `127.0.0.1:${port}`;
    const schema = `leh_i12_late_${process.pid}_${randomBytes(3).toString("hex")}`;
    const store = new PostgresStore({ connectionString: url.toString(), schema, connectionTimeoutMs: 2000 });
    const hub = new LogEventHub({ store });
    const proxy = { current: undefined as Awaited<ReturnType<typeof proxyTo>> | undefined };
    try {
      await expect(hub.open()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await expect(hub.info("system", "too early")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      proxy.current = await proxyTo(port);
      const record = await hub.info("system", "after the server came up");
      expect(record.id).toBe(1);
      await expect(hub.queryLogs()).resolves.toMatchObject([{ message: "after the server came up" }]);
    } finally {
      await hub.close();
      if (proxy.current) {
        for (const s of proxy.current.sockets) s.destroy();
        await new Promise((resolve) => proxy.current?.server.close(resolve));
      }
      await sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  });

  it("a database that is created after the first attempt", async () => {
    const name = `leh_i12_late_${process.pid}_${randomBytes(3).toString("hex")}`;
    databases.push(name);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    const store = new PostgresStore({ connectionString: url.toString() });
    const hub = new LogEventHub({ store });
    try {
      // 3D000: the database does not exist.
      await expect(store.open()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await expect(hub.open()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await sql(`CREATE DATABASE "${name}"`);
      const event = await hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" } });
      expect(event.index).toBe(1);
      expect((await hub.readEvents()).events.map((e) => e.index)).toEqual([1]);
    } finally {
      await hub.close();
    }
  });
});
