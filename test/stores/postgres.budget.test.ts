/**
 * The PostgreSQL store's time budget (issue 11): `queryTimeoutMs` becomes the pool's
 * `statement_timeout`, a statement past it fails with `QUERY_TIMEOUT` (HTTP 503 over both
 * adapters) and the store keeps working. Needs a real server (see fixtures/postgres/env.ts).
 *
 * The slow statement is forced by size, not by timing: a count with a two-character text
 * (which no trigram index can answer) reads every one of 400,000 rows, hundreds of
 * milliseconds, against a 50 ms budget; the cheap reads that follow take well under 1 ms.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueryTimeoutError } from "../../src/errors.js";
import { LogEventHub } from "../../src/hub.js";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { adapters } from "../http/servers.js";
import { dropSchema, PG_URL, requirePostgres, sql, uniqueSchema } from "./fixtures/postgres/env.js";

const available = await requirePostgres("test/stores/postgres.budget.test.ts");
const schema = uniqueSchema("budget");
const ROWS = 400_000;

describe.skipIf(!available)("PostgreSQL time budget", () => {
  beforeAll(async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema, trigramIndex: false });
    await store.open();
    await store.close();
    await sql(
      `INSERT INTO "${schema}".leh_logs (time_us, level, category, user_name, message)
       SELECT 1426000000000000 + g, 'INFO', 'system', 'system', 'Start container (lxc, utest' || g || ')'
       FROM generate_series(1, $1::int) g`,
      [ROWS],
    );
    await sql(`VACUUM ANALYZE "${schema}".leh_logs`);
  }, 300_000);
  afterAll(() => dropSchema(schema));

  it("validates the option", () => {
    expect(() => new PostgresStore({ connectionString: PG_URL, queryTimeoutMs: -1 })).toThrow(/queryTimeoutMs/);
  });

  it("a count past the budget fails with QUERY_TIMEOUT; the store keeps working", async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema, queryTimeoutMs: 50 });
    try {
      const counted = store.countLogs({ text: "zq" });
      await expect(counted).rejects.toBeInstanceOf(QueryTimeoutError);
      await expect(counted).rejects.toMatchObject({ code: "QUERY_TIMEOUT", budgetMs: 50 });
      const newest = await store.queryLogs({ order: "desc", limit: 1 });
      expect(newest[0]?.id).toBe(ROWS);
      const [appended] = await store.appendLogs([{ timeUs: 1, level: "WARN", category: "system", user: "u", message: "after" }]);
      expect(appended?.id).toBeGreaterThan(ROWS);
      await store.clearLogs({ levels: ["WARN"] });
    } finally {
      await store.close();
    }
  });

  it("without a budget (0) the same count completes", async () => {
    const store = new PostgresStore({ connectionString: PG_URL, schema, queryTimeoutMs: 0 });
    try {
      expect(await store.countLogs({ text: "zq" })).toBe(0);
    } finally {
      await store.close();
    }
  });

  describe.each(adapters)("HTTP ($name)", (adapter) => {
    it("answers 503 with the JSON error body, then serves the next request", async () => {
      const store = new PostgresStore({ connectionString: PG_URL, schema, queryTimeoutMs: 50 });
      const hub = new LogEventHub({ store });
      const server = await adapter.start(hub);
      try {
        const slow = await fetch(`${server.base}/api/v1/log?text=zq&limit=1`);
        expect(slow.status).toBe(503);
        const body = (await slow.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("QUERY_TIMEOUT");
        expect(body.error.message).not.toMatch(/SELECT|leh_logs|statement_timeout|\//i);
        const fast = await fetch(`${server.base}/api/v1/log?limit=1`);
        expect(fast.status).toBe(200);
      } finally {
        await server.close();
        await hub.close();
      }
    });
  });
});
