/**
 * The tamper suite on the PostgreSQL store (direct SQL), the migration of an unchained schema,
 * and concurrent writers keeping one chain. Needs a real server (LEH_PG_URL).
 */
import { afterAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import type { ChainedRecord } from "../../src/integrity/chain.js";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { dropSchema, PG_URL, requirePostgres, sql, uniqueSchema } from "../stores/fixtures/postgres/env.js";
import { batch, readAll, tamperSuite } from "./tamper.js";

const available = await requirePostgres("test/integrity/postgres.test.ts");
const base = uniqueSchema("chain");
const schemas: string[] = [];
let n = 0;
const schemaFor = () => {
  const name = `${base}_${++n}`;
  schemas.push(name);
  return name;
};
afterAll(async () => {
  if (available) for (const schema of schemas) await dropSchema(schema);
});

const COLUMNS: Record<string, string> = { message: "message", level: "level", user: "user_name", timeUs: "time_us" };

function sqlTamper(schema: string) {
  const logs = `"${schema}"."leh_logs"`;
  return {
    async edit(id: number, field: string, value: string | number) {
      await sql(`UPDATE ${logs} SET ${COLUMNS[field]} = $1 WHERE id = $2`, [value, id]);
    },
    async remove(ids: number[]) {
      await sql(`DELETE FROM ${logs} WHERE id = ANY($1::bigint[])`, [ids]);
    },
    async swap(a: number, b: number) {
      await sql(
        `UPDATE ${logs} AS x SET time_us = y.time_us, level = y.level, category = y.category, user_name = y.user_name,
           message = y.message, hash = y.hash, prev_hash = y.prev_hash
         FROM ${logs} AS y WHERE (x.id, y.id) IN (($1::bigint, $2::bigint), ($2::bigint, $1::bigint))`,
        [a, b],
      );
    },
    async insert(r: ChainedRecord) {
      await sql(
        `INSERT INTO ${logs} (id, time_us, level, category, user_name, message, hash, prev_hash) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [r.id, r.timeUs, r.level, r.category, r.user, r.message, r.hash, r.prevHash],
      );
    },
    async rewrite(records: ChainedRecord[]) {
      for (const r of records) await sql(`UPDATE ${logs} SET message = $1, hash = $2, prev_hash = $3 WHERE id = $4`, [r.message, r.hash, r.prevHash, r.id]);
      const last = records[records.length - 1]!;
      await sql(`UPDATE "${schema}"."leh_chain" SET id = $1, hash = $2 WHERE key = 'head'`, [last.id, last.hash]);
    },
    async gap(count: number) {
      await sql(`SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT last_value FROM pg_sequences WHERE schemaname = $2 AND sequencename = 'leh_logs_id_seq') + $3)`, [
        logs,
        schema,
        count,
      ]);
    },
  };
}

tamperSuite(
  {
    name: "postgres",
    shared: true,
    async make() {
      const schema = schemaFor();
      const store = new PostgresStore({ connectionString: PG_URL, schema, chain: true, poolSize: 2 });
      await store.open();
      return { store, tamper: sqlTamper(schema), another: async () => new PostgresStore({ connectionString: PG_URL, schema, poolSize: 2 }) };
    },
  },
  available,
);

describe.runIf(available)("postgres chain", () => {
  it("an unchained schema migrates: the chain starts after its records, at a recorded anchor", async () => {
    const schema = schemaFor();
    const plain = new PostgresStore({ connectionString: PG_URL, schema, poolSize: 2 });
    await plain.appendLogs(batch(5));
    expect(await plain.chainHead()).toBeUndefined();
    await plain.close();
    const store = new PostgresStore({ connectionString: PG_URL, schema, chain: true, poolSize: 2 });
    expect(await store.chainHead()).toMatchObject({ anchorId: 5, id: 5 });
    await store.appendLogs(batch(4));
    await store.prune({ maxLogs: 3 }); // 1..5 unchained and 6 chained: one removal record
    const hub = new LogEventHub({ store });
    expect(await hub.verifyLogs()).toMatchObject({ ok: true, firstId: 7, removalsApplied: 1, breaks: [] });
    expect((await readAll(store)).map((r) => r.id)).toEqual([7, 8, 9, 10]);
    await hub.close();
  });

  it("a chained append still notifies other stores (LISTEN/NOTIFY) with the newest id", async () => {
    const schema = schemaFor();
    const writer = new PostgresStore({ connectionString: PG_URL, schema, chain: true, poolSize: 2 });
    await writer.open();
    const watcher = new PostgresStore({ connectionString: PG_URL, schema, poolSize: 2, pollIntervalMs: 0 });
    await watcher.open();
    const heads: number[] = [];
    const seen = new Promise<void>((resolve) => {
      watcher.watch((change) => {
        if (change.kind === "log" && change.head !== undefined) {
          heads.push(change.head);
          resolve();
        }
      });
    });
    // The LISTEN connection starts asynchronously: append until a notice arrives.
    let last = 0;
    let done = false;
    void seen.then(() => (done = true));
    while (!done) {
      last = (await writer.appendLogs(batch(2)))[1]!.id;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(heads[0]).toBeGreaterThan(0);
    expect(heads[0]).toBeLessThanOrEqual(last);
    await writer.close();
    await watcher.close();
  });

  it("concurrent writers on several pools keep one chain, with removals between", async () => {
    const schema = schemaFor();
    const first = new PostgresStore({ connectionString: PG_URL, schema, chain: true, poolSize: 4 });
    await first.open();
    const others = [1, 2, 3].map(() => new PostgresStore({ connectionString: PG_URL, schema, poolSize: 4 }));
    const writers = [first, ...others];
    await Promise.all(
      writers.flatMap((store, w) =>
        Array.from({ length: 8 }, async (_, i) => {
          await store.appendLogs(batch(3, `w${w}`));
          if (i === 4) await store.clearLogs({ user: `w${(w + 1) % 4}` });
        }),
      ),
    );
    const hub = new LogEventHub({ store: first });
    const report = await hub.verifyLogs();
    expect(report.breaks).toEqual([]);
    expect(report.ok).toBe(true);
    await hub.close();
    await Promise.all(others.map((s) => s.close()));
  });
});
