/**
 * PostgreSQL-specific behaviour: schema on open, batching, the no-skip guarantee across
 * processes, cross-process wake-ups, LISTEN reconnects, error mapping. The shared contract is in
 * postgres.conformance.test.ts. Needs a real server (LEH_PG_URL); see fixtures/postgres/env.ts.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import type { ContainerRuntime } from "../../src/runtime.js";
import { PostgresStore, type PgPoolLike } from "../../src/stores/postgres/index.js";
import type { ContainerInfo, NewLogRecord } from "../../src/types.js";
import { dropSchema, PG_URL, requirePostgres, sql, uniqueSchema } from "./fixtures/postgres/env.js";
import { TSX_ARGS } from "../helpers/tsx.js";

const available = await requirePostgres("test/stores/postgres.test.ts");
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/postgres/${name}`, import.meta.url));
const base = uniqueSchema("pg");
const schemas: string[] = [];
/** A schema for one test, dropped after the file. */
const schemaFor = (tag: string) => {
  const name = `${base}_${tag}`;
  schemas.push(name);
  return name;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();
const log = (message: string, i = 0): NewLogRecord => ({
  timeUs: 1_700_000_000_000_000 + i,
  level: "INFO",
  category: "system",
  user: "system",
  message,
});

/** Another process on the same schema (fixtures/postgres/peer.ts), driven line by line. */
class Peer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(schema: string) {
    this.child = spawn(process.execPath, [...TSX_ARGS, fixture("peer.ts")], {
      env: { ...process.env, LEH_PG_URL: PG_URL, SCHEMA: schema },
    });
    this.child.stderr.on("data", (chunk) => process.stderr.write(chunk));
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<Record<string, number>> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error("peer exited");
    return JSON.parse(value) as Record<string, number>;
  }

  async send(command: string): Promise<Record<string, number>> {
    this.child.stdin.write(`${command}\n`);
    return this.next();
  }

  async exit(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.stdin.write("exit\n");
    this.child.stdin.end();
    await exited;
  }
}

/** The backend pid of a store's LISTEN connection, once it is listening. */
async function listenerPid(channel: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await sql("SELECT pid FROM pg_stat_activity WHERE query = $1 AND datname = current_database()", [
      `LISTEN "${channel}"`,
    ]);
    if (rows.length === 1) return rows[0].pid as number;
    await sleep(25);
  }
  throw new Error("the store never started listening");
}

describe.skipIf(!available)("PostgresStore", () => {
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  describe("opening", () => {
    it("creates a versioned schema once when several processes open a fresh one at the same time", async () => {
      const schema = schemaFor("open");
      const stores = Array.from({ length: 6 }, () => new PostgresStore({ connectionString: PG_URL, schema }));
      await Promise.all(stores.map((s) => s.open()));
      const versions = await sql(`SELECT version FROM "${schema}".leh_schema_version`);
      expect(versions.rows).toEqual([{ version: 1 }, { version: 2 }]);
      const feed = await sql(`SELECT id, head FROM "${schema}".leh_feed`);
      expect(feed.rows).toEqual([{ id: 1, head: "0" }]);
      await Promise.all(stores.map((s) => s.open())); // idempotent
      await Promise.all(stores.map((s) => s.close()));
    });

    it("keeps stores with different table prefixes in one schema apart", async () => {
      const schema = schemaFor("prefix");
      const a = new PostgresStore({ connectionString: PG_URL, schema, tablePrefix: "app_a_" });
      const b = new PostgresStore({ connectionString: PG_URL, schema, tablePrefix: "app_b_" });
      const [ra] = await a.appendLogs([log("in a")]);
      const [rb] = await b.appendLogs([log("in b")]);
      expect(ra?.id).toBe(1);
      expect(rb?.id).toBe(1);
      expect((await a.queryLogs({ order: "desc", limit: 10 })).map((r) => r.message)).toEqual(["in a"]);
      expect(a.channel).not.toBe(b.channel);
      await a.close();
      await b.close();
    });

    it("refuses a schema written by a newer version", async () => {
      const schema = schemaFor("newer");
      const first = new PostgresStore({ connectionString: PG_URL, schema });
      await first.open();
      await first.close();
      await sql(`INSERT INTO "${schema}".leh_schema_version (version) VALUES (99)`);
      const store = new PostgresStore({ connectionString: PG_URL, schema });
      await expect(store.open()).rejects.toMatchObject({ code: "INCOMPATIBLE_STORE" });
      await store.close();
    });

    it("accepts a connection string, a pg.Pool (left open on close) or the pg module", async () => {
      const schema = schemaFor("inputs");
      const fromString = new PostgresStore(`${PG_URL}?application_name=leh_test`);
      // The string form uses the default schema; only check it can reach the server without writing there.
      expect(fromString.capabilities).toEqual({ shared: true, notifications: true });
      await fromString.close();

      const pool = new pg.Pool({ connectionString: PG_URL, max: 3 });
      const withPool = new PostgresStore({ pool, schema });
      await withPool.appendLogs([log("through a pool")]);
      await withPool.close();
      expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".leh_logs`)).rows[0].n).toBe(1);
      await pool.end();

      const withDriver = new PostgresStore({ driver: pg, connectionString: PG_URL, schema });
      expect(await withDriver.countLogs({})).toBe(1);
      await withDriver.close();

      expect(() => new PostgresStore({ pool, connectionString: PG_URL })).toThrow(TypeError);
      expect(() => new PostgresStore({ tablePrefix: "bad-prefix" })).toThrow(TypeError);
      expect(() => new PostgresStore({ poolSize: 0 })).toThrow(TypeError);
    });

    it("loads pg only on open, and names it when it is missing", () => {
      const result = spawnSync(process.execPath, [...TSX_ARGS, fixture("no-pg.ts")], { encoding: "utf8", timeout: 30_000 });
      expect(result.stderr).toBe("");
      const outcome = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { code: string; message: string; packageName: string };
      expect(outcome.code).toBe("MISSING_DEPENDENCY");
      expect(outcome.packageName).toBe("pg");
      expect(outcome.message).toContain("npm install pg");
    });
  });

  describe("data", () => {
    let store: PostgresStore;
    let plain: PostgresStore;
    beforeAll(async () => {
      store = new PostgresStore({ connectionString: PG_URL, schema: schemaFor("data") });
      plain = new PostgresStore({ connectionString: PG_URL, schema: schemaFor("plain"), trigramIndex: false });
      await store.open();
      await plain.open();
    });
    afterAll(async () => {
      await store.close();
      await plain.close();
    });

    it("matches text literally and case-insensitively, with and without the trigram index", async () => {
      expect(store.hasTrigramIndex).toBe(true);
      expect(plain.hasTrigramIndex).toBe(false);
      const messages = ["100% done", "100 percent", "a_b", "axb", "back\\slash", "backslash", "Quote 'it'", "MiXeD Case"];
      for (const s of [store, plain]) {
        await s.appendLogs(messages.map((m, i) => log(m, i)));
        const find = async (text: string) =>
          (await s.queryLogs({ order: "asc", limit: 100, text })).map((r) => r.message);
        expect(await find("0% d")).toEqual(["100% done"]);
        expect(await find("a_b")).toEqual(["a_b"]);
        expect(await find("k\\s")).toEqual(["back\\slash"]);
        expect(await find("'it'")).toEqual(["Quote 'it'"]);
        expect(await find("mixed case")).toEqual(["MiXeD Case"]);
        expect(await find("%")).toEqual(["100% done"]);
        expect(await s.countLogs({ text: "_" })).toBe(1);
      }
    });

    it("keeps ids increasing and never reuses them after clearing", async () => {
      const first = await store.appendLogs(Array.from({ length: 50 }, (_, i) => log(`batch ${i}`, i)));
      const ids = first.map((r) => r.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(50);
      const stored = await store.queryLogs({ order: "asc", limit: 50, afterId: ids[0]! - 1 });
      expect(stored.map((r) => [r.id, r.message])).toEqual(first.map((r) => [r.id, r.message]));
      expect(await store.clearLogs({})).toBeGreaterThan(0);
      expect(await store.lastLogId()).toBe(0);
      const [after] = await store.appendLogs([log("after clearing")]);
      expect(after!.id).toBe(ids.at(-1)! + 1);
    });

    it("reads events, head and oldest in one snapshot, honouring visibility", async () => {
      const events = await store.appendEvents([
        { timeUs: 1, category: "image", user: "all", payloadJson: "{}" },
        { timeUs: 2, category: "image", user: "bob", payloadJson: "{}" },
        { timeUs: 3, category: "image", user: "eve", payloadJson: "{}" },
      ]);
      expect(events.map((e) => e.index)).toEqual([1, 2, 3]);
      const bob = await store.readEvents({ after: 0, limit: 10, user: "bob" });
      expect(bob).toMatchObject({ head: 3, oldest: 1 });
      expect(bob.events.map((e) => e.index)).toEqual([1, 2]);
      expect((await store.readEvents({ limit: 10 })).events.map((e) => e.index)).toEqual([1]);
      expect((await store.readEvents({ after: 0, limit: 10, everyone: true })).events.map((e) => e.index)).toEqual([1, 2, 3]);
      expect(await store.prune({ maxEvents: 1 })).toEqual({ logs: 0, events: 2 });
      expect(await store.readEvents({ after: 0, limit: 10, user: "bob" })).toEqual({ events: [], head: 3, oldest: 3 });
    });
  });

  describe("commit order", () => {
    it("a publish waits for an open publish transaction, so indexes follow commit order", async () => {
      const schema = schemaFor("order");
      const store = new PostgresStore({ connectionString: PG_URL, schema });
      const reader = new PostgresStore({ connectionString: PG_URL, schema });
      await store.appendEvents([{ timeUs: 0, category: "image", user: "all", payloadJson: '{"n":1}' }]);
      const slow = new pg.Client({ connectionString: PG_URL });
      await slow.connect();
      // A publisher that took index 2 and has not committed yet.
      await slow.query("BEGIN");
      await slow.query(`UPDATE "${schema}".leh_feed SET head = head + 1 WHERE id = 1`);
      await slow.query(`INSERT INTO "${schema}".leh_events VALUES (2, 0, 'image', 'all', '{"n":2}')`);
      let settled = false;
      const fast = store.appendEvents([{ timeUs: 0, category: "image", user: "all", payloadJson: '{"n":3}' }]).finally(() => {
        settled = true;
      });
      await sleep(300);
      expect(settled).toBe(false);
      // Readers see neither: index 2 is not committed, and 3 cannot be handed out before it.
      expect(await reader.readEvents({ after: 1, limit: 10 })).toEqual({ events: [], head: 1, oldest: 1 });
      await slow.query("COMMIT");
      expect((await fast).map((e) => e.index)).toEqual([3]);
      const window = await reader.readEvents({ after: 1, limit: 10 });
      expect(window.events.map((e) => [e.index, e.payloadJson])).toEqual([
        [2, '{"n":2}'],
        [3, '{"n":3}'],
      ]);
      await slow.end();
      await store.close();
      await reader.close();
    });
  });

  describe("group commit", () => {
    it("writes concurrent appends through a hub in few statements, each resolving after its own commit", async () => {
      const schema = schemaFor("group");
      const pool = new pg.Pool({ connectionString: PG_URL, max: 5 });
      const statements: string[] = [];
      const counted: PgPoolLike = {
        query: (text, values) => {
          statements.push(text);
          return pool.query(text, values as unknown[]);
        },
        connect: () => pool.connect(),
        end: () => pool.end(),
        on: (event, listener) => pool.on(event, listener),
        removeListener: (event, listener) => pool.removeListener(event, listener as never),
      };
      const hub = new LogEventHub({ store: new PostgresStore({ pool: counted, schema }) });
      await hub.open();
      const observer = new PostgresStore({ connectionString: PG_URL, schema });
      statements.length = 0;

      const visibleOnResolve: boolean[] = [];
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          hub.info("system", `concurrent ${i}`).then(async (record) => {
            const found = await observer.queryLogs({ order: "asc", limit: 1, afterId: record.id - 1 });
            visibleOnResolve.push(found[0]?.message === `concurrent ${i}`);
          }),
        ),
      );
      const logInserts = statements.filter((s) => s.includes("INSERT INTO") && s.includes("leh_logs")).length;
      console.log(`group commit: 300 concurrent appends -> ${logInserts} INSERT statements`);
      expect(logInserts).toBeGreaterThanOrEqual(1);
      expect(logInserts).toBeLessThanOrEqual(5);
      expect(visibleOnResolve).toEqual(Array(300).fill(true));

      statements.length = 0;
      const published = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "docker", id: String(i) } }),
        ),
      );
      const eventInserts = statements.filter((s) => s.includes("leh_events") && s.includes("INSERT INTO")).length;
      expect(eventInserts).toBeLessThanOrEqual(5);
      expect(published.map((e) => e.index)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));

      await hub.close();
      await observer.close();
      await pool.end();
    });
  });

  describe("several processes", () => {
    it(
      "no reader skips an event: 4 writer processes with rollbacks, 3 reader processes, 100,000 events",
      async () => {
        const schema = schemaFor("noskip");
        const setup = new PostgresStore({ connectionString: PG_URL, schema });
        await setup.open();
        await setup.close();
        const dir = mkdtempSync(join(tmpdir(), "leh-pg-"));
        const writers = 4;
        const perWriter = 25_000;
        const total = writers * perWriter;
        const run = (script: string, env: Record<string, string>) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(process.execPath, [...TSX_ARGS, fixture(script)], {
              env: { ...process.env, LEH_PG_URL: PG_URL, SCHEMA: schema, ...env },
            });
            let out = "";
            let err = "";
            child.stdout.on("data", (c) => (out += c));
            child.stderr.on("data", (c) => (err += c));
            child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`${script} exited ${code}: ${err}`))));
          });
        const started = performance.now();
        const readerUsers = ["", "u1", "u2"];
        const readers = readerUsers.map((user, i) =>
          run("reader.ts", { READER_USER: user, TOTAL: String(total), OUT: join(dir, `reader-${i}`) }),
        );
        const writerRuns = Array.from({ length: writers }, (_, w) =>
          run("writer.ts", { WRITER: String(w), COUNT: String(perWriter), OUT: join(dir, `writer-${w}`) }),
        );
        const writerReports = await Promise.all(writerRuns);
        const readerReports = await Promise.all(readers);
        console.log(`no-skip: ${total} events in ${Math.round(performance.now() - started)} ms`, writerReports, readerReports);

        type Row = { index: number; id: string; user: string };
        const parse = (file: string): Row[] =>
          readFileSync(file, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((line) => {
              const [index, id, user] = line.split(" ");
              return { index: Number(index), id: id!, user: user! };
            });
        const committed = Array.from({ length: writers }, (_, w) => parse(join(dir, `writer-${w}`)))
          .flat()
          .sort((a, b) => a.index - b.index);
        // Commit-ordered numbering leaves no gaps, rollbacks included: exactly 1..total.
        expect(committed.length).toBe(total);
        expect(committed.every((row, i) => row.index === i + 1)).toBe(true);
        expect(writerReports.map((r) => JSON.parse(r).rollbacks).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

        readerUsers.forEach((user, i) => {
          const expected = committed.filter((row) => row.user === "all" || row.user === user);
          const seen = parse(join(dir, `reader-${i}`));
          expect(seen.length).toBe(expected.length);
          // Compare as one string: a mismatch still fails, without a 100,000-line diff.
          const firstDifference = seen.findIndex((row, k) => row.index !== expected[k]!.index || row.id !== expected[k]!.id);
          expect(firstDifference).toBe(-1);
        });
        const count = await sql(`SELECT count(*)::int AS n, max(idx)::int AS head FROM "${schema}".leh_events`);
        expect(count.rows[0]).toEqual({ n: total, head: total });
        rmSync(dir, { recursive: true, force: true });
      },
      240_000,
    );

    it("a long poll wakes on a publish in another process (NOTIFY only)", async () => {
      const schema = schemaFor("wake");
      // Fallback polls far away, so only NOTIFY can wake the poll in time.
      const hub = new LogEventHub({
        store: new PostgresStore({ connectionString: PG_URL, schema, pollIntervalMs: 0 }),
        pollIntervalMs: 600_000,
      });
      await hub.open();
      const peer = new Peer(schema);
      expect(await peer.next()).toEqual({ ready: true });
      const latencies: number[] = [];
      let cursor = (await hub.readEvents({ limit: 1 })).offset;
      for (let i = 0; i < 20; i++) {
        const poll = hub.readEvents({ index: cursor, wait: 30_000 });
        await sleep(30); // let the poll start waiting
        const published = await peer.send("publish 1");
        const page = await poll;
        const received = now();
        expect(page.events.map((e) => e.index)).toEqual([published.index]);
        latencies.push(received - published.at!);
        cursor = page.offset;
      }
      latencies.sort((a, b) => a - b);
      console.log(
        `cross-process wake-up (publish commit -> long poll resolved): p50 ${latencies[9]!.toFixed(1)} ms, max ${latencies[19]!.toFixed(1)} ms`,
      );
      await peer.exit();
      await hub.close();
    });

    it("waitForState wakes on a container event published by another process", async () => {
      const schema = schemaFor("waitstate");
      const store = new PostgresStore({ connectionString: PG_URL, schema, pollIntervalMs: 0 });
      await store.open();
      await sql(`CREATE TABLE "${schema}".containers (name text PRIMARY KEY, state text NOT NULL)`);
      await sql(`INSERT INTO "${schema}".containers VALUES ('utest', 'stopped')`);
      let inspects = 0;
      // A runtime without a change feed whose state lives in the database both processes see.
      const runtime: ContainerRuntime = {
        async inspect(type, id) {
          inspects++;
          const { rows } = await sql(`SELECT state FROM "${schema}".containers WHERE name = $1`, [id]);
          if (type !== "lxc" || rows.length === 0) return undefined;
          const info: ContainerInfo = { cpu: 0, id, image: "", ipaddress: [], memory: 0, name: id, rx: 0, state: rows[0].state, tx: 0, type };
          return info;
        },
      };
      const hub = new LogEventHub({ store, runtime, pollIntervalMs: 600_000, statePollIntervalMs: 600_000 });
      await hub.open();
      const peer = new Peer(schema);
      await peer.next();
      const waiting = hub.waitForState({ type: "lxc", id: "utest", state: "running", timeout: 60_000 });
      await sleep(200);
      const before = inspects;
      const published = await peer.send("start utest");
      const info = await waiting;
      console.log(`waitForState cross-process wake-up: ${(now() - published.at!).toFixed(1)} ms`);
      expect(info.state).toBe("running");
      expect(inspects).toBeGreaterThan(before);
      await peer.exit();
      await hub.close();
    });

    it("a lost notice only delays a wake-up until the fallback poll", async () => {
      const schema = schemaFor("fallback");
      const hub = new LogEventHub({
        store: new PostgresStore({ connectionString: PG_URL, schema, pollIntervalMs: 100 }),
        pollIntervalMs: 600_000,
      });
      await hub.open();
      const poll = hub.readEvents({ index: 0, wait: 30_000, user: "bob" });
      await sleep(200);
      // A publish the way the store does it, minus the NOTIFY.
      await sql(
        `WITH bump AS (UPDATE "${schema}".leh_feed SET head = head + 1 WHERE id = 1 RETURNING head)
         INSERT INTO "${schema}".leh_events (idx, time_us, category, user_name, payload)
         SELECT head, 0, 'image', 'all', '{"silent":true}' FROM bump`,
      );
      const page = await poll;
      expect(page.events.map((e) => e.payload)).toEqual([{ silent: true }]);
      await hub.close();
    });

    it("reconnects after pg_terminate_backend and misses nothing published meanwhile", async () => {
      const schema = schemaFor("reconnect");
      const store = new PostgresStore({
        connectionString: PG_URL,
        schema,
        pollIntervalMs: 0,
        reconnect: { minDelayMs: 50, maxDelayMs: 500 },
      });
      const hub = new LogEventHub({ store, pollIntervalMs: 600_000 });
      await hub.open();
      const other = new PostgresStore({ connectionString: PG_URL, schema });
      const relayed: number[] = [];
      hub.on("event", (e) => relayed.push(e.index));

      for (let round = 1; round <= 3; round++) {
        const head = (await hub.readEvents({ limit: 1 })).offset;
        const poll = hub.readEvents({ index: head, wait: 30_000, limit: 100 });
        const pid = await listenerPid(store.channel);
        await sql("SELECT pg_terminate_backend($1)", [pid]);
        // Published while the listener is down: only the reconnect's catch-up can report it.
        const published = await other.appendEvents(
          Array.from({ length: 5 }, (_, i) => ({ timeUs: i, category: "image", user: "all", payloadJson: `{"round":${round}}` })),
        );
        const page = await poll;
        expect(page.events.map((e) => e.index).reverse()).toEqual(published.map((e) => e.index));
        expect(await listenerPid(store.channel)).not.toBe(pid);
        expect(store.listenerReconnects).toBe(round);
      }
      expect(relayed).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      await hub.close();
      await other.close();
      // close() ended the LISTEN connection.
      const listening = await sql("SELECT count(*)::int AS n FROM pg_stat_activity WHERE query = $1", [`LISTEN "${store.channel}"`]);
      expect(listening.rows[0].n).toBe(0);
    });
  });

  it("a process exits by itself after close(): no connection, listener or timer left", async () => {
    const schema = schemaFor("exit");
    const result = spawnSync(process.execPath, [...TSX_ARGS, fixture("exit-after-close.ts")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, LEH_PG_URL: PG_URL, SCHEMA: schema },
    });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { resources: string[]; poll: number; iterator: string };
    expect(report).toMatchObject({ poll: 0, iterator: "ended" });
    expect(report.resources.filter((r) => r !== "PipeWrap" && r !== "TTYWrap")).toEqual([]);
    expect(result.status).toBe(0);
  });

  describe("errors", () => {
    it("an unreachable server is STORE_UNAVAILABLE, with no password or SQL in the message", async () => {
      const store = new PostgresStore({ connectionString: "postgres://leh:s3cret-pw@127.0.0.1:1/test", connectionTimeoutMs: 2000 });
      const error = await store.open().then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error).toMatchObject({ code: "STORE_UNAVAILABLE", name: "StoreUnavailableError" });
      expect(error!.message).not.toContain("s3cret");
      const hub = new LogEventHub({ store });
      await expect(hub.info("system", "x")).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await hub.close();
    });

    it("a statement the server refuses is STORE_UNAVAILABLE without SQL; a closed store is CLOSED", async () => {
      const store = new PostgresStore({ connectionString: PG_URL, schema: schemaFor("errors") });
      // PostgreSQL text cannot hold NUL: the server refuses the statement.
      const error = (await store.appendLogs([log("nul \u0000 byte")]).catch((e: unknown) => e)) as { code: string; message: string };
      expect(error.code).toBe("STORE_UNAVAILABLE");
      expect(error.message).not.toMatch(/INSERT|SELECT|unnest/i);
      expect(await store.countLogs({})).toBe(0);
      await store.close();
      await expect(store.countLogs({})).rejects.toMatchObject({ code: "CLOSED" });
      await store.close();
    });
  });
});
