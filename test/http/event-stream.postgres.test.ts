/**
 * The event stream across processes on PostgreSQL: streams held by this process (A) receive,
 * in order and without gaps, the events another process (B) publishes to the same schema, and
 * a stream cut mid-way resumes there by `Last-Event-ID`. Read with the `eventsource` package.
 */
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { EventSource } from "eventsource";
import { afterAll, describe, expect, it, vi } from "vitest";
import { LogEventHub, parseEventMessage } from "log-event-hub";
import { PostgresStore } from "log-event-hub/postgres";
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from "../stores/fixtures/postgres/env.js";
import { adapters } from "./servers.js";

const available = await requirePostgres("test/http/event-stream.postgres.test.ts");
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

/** Runs process B; resolves with what it committed. */
function publishFromAnotherProcess(schema: string, count: number): Promise<[number, string, number][]> {
  const script = fileURLToPath(new URL("./fixtures/stream-publisher.ts", import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], { env: { ...process.env, LEH_PG_URL: PG_URL, SCHEMA: schema, COUNT: String(count) } });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as [number, string, number][]) : reject(new Error(`publisher exited ${code}: ${err}`))));
  });
}

describe.runIf(available).each(adapters)("event stream on PostgreSQL, two processes, $name adapter", (adapter) => {
  it("events published by process B reach streams held by process A in order, without gaps, across a cut connection", async () => {
    const schema = uniqueSchema("sse");
    schemas.push(schema);
    const hub = new LogEventHub({ store: new PostgresStore({ connectionString: PG_URL, schema }) });
    await hub.open();
    const api = await adapter.start(hub, { stream: { retryMs: 20 } });
    const sockets = new Set<Socket>();
    api.server.on("connection", (socket: Socket) => sockets.add(socket));
    const readers = ["", "u1", "u2"].map((user) => {
      const received: { id: number; user: string; n: number }[] = [];
      const resumedFrom: (string | undefined)[] = [];
      const source = new EventSource(`${api.base}/api/v1/event/stream`, {
        fetch: (input, init) => {
          resumedFrom.push(init.headers["Last-Event-ID"]);
          return fetch(input, { ...init, headers: { ...init.headers, ...(user && { "x-user": user }) } });
        },
      });
      source.addEventListener("message", (event) => {
        const { user: to, payload } = parseEventMessage(String(event.data));
        received.push({ id: Number(event.lastEventId), user: to, n: Number((payload as { from: string }).from.slice(1)) });
      });
      source.addEventListener("lost", () => received.push({ id: -1, user: "lost", n: -1 }));
      const opened = new Promise<void>((resolve) => source.addEventListener("open", () => resolve(), { once: true }));
      return { user, source, received, opened, resumedFrom };
    });
    try {
      await Promise.all(readers.map((r) => r.opened));
      const count = 600;
      const publishing = publishFromAnotherProcess(schema, count);
      // Cut every connection once, mid-way: the clients resume by Last-Event-ID.
      await vi.waitFor(() => expect(readers[0]!.received.length).toBeGreaterThan(50), { timeout: 20_000 });
      for (const socket of sockets) socket.destroy();
      const committed = (await publishing).sort((a, b) => a[0] - b[0]);
      expect(committed.map((c) => c[0])).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      for (const reader of readers) {
        const expected = committed.filter(([, to]) => to === "all" || to === reader.user).map(([index, to, n]) => ({ id: index, user: to, n }));
        await vi.waitFor(() => expect(reader.received.length).toBeGreaterThanOrEqual(expected.length), { timeout: 20_000 });
        expect(reader.received).toEqual(expected);
        // It did reconnect, from an id it had seen.
        expect(reader.resumedFrom.length).toBeGreaterThanOrEqual(2);
        expect(expected.map((e) => String(e.id))).toContain(reader.resumedFrom[1]);
      }
    } finally {
      for (const reader of readers) reader.source.close();
      await api.close();
      await hub.close();
    }
  });
});
