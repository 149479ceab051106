/**
 * Table names and the versioned schema, created or migrated on open under an advisory lock so
 * that several processes opening the same database at once serialise instead of racing.
 *
 * @module
 */
import { IncompatibleStoreError } from "../../errors.js";
import type { PgPoolLike, PgQueryableLike } from "./driver.js";

/** Quotes an identifier for SQL (`"my ""odd"" name"`). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** 32-bit FNV-1a, as a signed integer (what `pg_advisory_xact_lock(int, int)` takes). */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

/** First key of every advisory lock this library takes ("LEH"), so it never collides with an app's single-key locks by accident. */
const LOCK_CLASS = 0x4c4548;
/** Second key of the lock that serialises `CREATE EXTENSION pg_trgm` across schemas. */
const EXTENSION_LOCK = 0;

/** Fully qualified names of everything the store owns. */
export interface TableNames {
  schema: string;
  /** `schema_version`: one row per applied migration. */
  version: string;
  /** `logs`: the activity log. */
  logs: string;
  /** `events`: the event feed. */
  events: string;
  /** `feed`: one row holding the newest event index (the commit-ordered counter). */
  feed: string;
  /** `chain`: the tamper-evident log's anchor and head rows (`docs/integrity.md`). */
  chain: string;
  /** `removals`: the chained removal records. */
  removals: string;
  /** Bare (unqualified, unquoted) names for indexes. */
  bare: { logs: string; events: string };
  /** The NOTIFY channel (database-wide, so it is derived from schema and prefix). */
  channel: string;
}

/** Builds the names for a schema and a table prefix. */
export function tableNames(schema: string, prefix: string): TableNames {
  const q = (table: string) => `${quoteIdent(schema)}.${quoteIdent(prefix + table)}`;
  return {
    schema,
    version: q("schema_version"),
    logs: q("logs"),
    events: q("events"),
    feed: q("feed"),
    chain: q("chain"),
    removals: q("removals"),
    bare: { logs: prefix + "logs", events: prefix + "events" },
    channel: `leh_${(hash32(`${schema}.${prefix}`) >>> 0).toString(16).padStart(8, "0")}`,
  };
}

/** The newest schema version this code knows. */
export const SCHEMA_VERSION = 2;

/** Statements of each migration, by version. */
function migrations(t: TableNames): Record<number, string[]> {
  const index = (table: string, suffix: string) => quoteIdent(`${table}_${suffix}`);
  return {
    1: [
      // Log ids come from an identity sequence: increasing, never reused, even after clearing.
      `CREATE TABLE ${t.logs} (
         id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         time_us bigint NOT NULL,
         level text NOT NULL,
         category text NOT NULL,
         user_name text NOT NULL,
         message text NOT NULL
       )`,
      // One index per filter of the seed's queries, each ending in id for "newest first".
      `CREATE INDEX ${index(t.bare.logs, "level_id")} ON ${t.logs} (level, id)`,
      `CREATE INDEX ${index(t.bare.logs, "category_id")} ON ${t.logs} (category, id)`,
      `CREATE INDEX ${index(t.bare.logs, "user_id")} ON ${t.logs} (user_name, id)`,
      `CREATE INDEX ${index(t.bare.logs, "time")} ON ${t.logs} (time_us)`,
      // The commit-ordered counter: publishers update this row inside their transaction.
      `CREATE TABLE ${t.feed} (id smallint PRIMARY KEY CHECK (id = 1), head bigint NOT NULL)`,
      `INSERT INTO ${t.feed} (id, head) VALUES (1, 0)`,
      `CREATE TABLE ${t.events} (
         idx bigint PRIMARY KEY,
         time_us bigint NOT NULL,
         category text NOT NULL,
         user_name text NOT NULL,
         payload text NOT NULL
       )`,
    ],
    // The tamper-evident log: each record's hash and its predecessor's (existing rows stay
    // unchained), the chain's anchor and head, the removal records.
    2: [
      `ALTER TABLE ${t.logs} ADD COLUMN hash text, ADD COLUMN prev_hash text`,
      `CREATE TABLE ${t.chain} (key text PRIMARY KEY, id bigint NOT NULL, hash text NOT NULL)`,
      `CREATE TABLE ${t.removals} (
         id bigint PRIMARY KEY,
         time_us bigint NOT NULL,
         level text NOT NULL,
         category text NOT NULL,
         user_name text NOT NULL,
         message text NOT NULL,
         hash text NOT NULL,
         prev_hash text NOT NULL
       )`,
    ],
  };
}

/** What {@link migrate} found and did. */
export interface MigrationResult {
  /** The version before this open (0: a fresh schema). */
  from: number;
  /** Whether the trigram index on `message` exists. */
  trigram: boolean;
  /** Whether the log chains (the `anchor` row exists). */
  chained: boolean;
}

/**
 * Creates or migrates the schema in one transaction under `pg_advisory_xact_lock`, keyed by the
 * schema name: concurrent openers wait, then see the finished schema.
 */
export async function migrate(pool: PgPoolLike, t: TableNames, options: { trigram: boolean; chain?: boolean }): Promise<MigrationResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("BEGIN");
    try {
      // Building indexes over an existing table may take longer than the read budget.
      await client.query("SET LOCAL statement_timeout = 0");
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, hash32(t.schema)]);
      // Checked first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege even when it exists.
      const found = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [t.schema]);
      if (!found.rowCount) await client.query(`CREATE SCHEMA ${quoteIdent(t.schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${t.version} (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query(`SELECT coalesce(max(version), 0)::int AS v FROM ${t.version}`);
      const from = Number(rows[0]?.v ?? 0);
      if (from > SCHEMA_VERSION) {
        throw new IncompatibleStoreError(
          `The PostgreSQL schema "${t.schema}" is at version ${from}, newer than this library's ${SCHEMA_VERSION}: upgrade log-event-hub`,
        );
      }
      const all = migrations(t);
      for (let v = from + 1; v <= SCHEMA_VERSION; v++) {
        for (const statement of all[v] ?? []) await client.query(statement);
        await client.query(`INSERT INTO ${t.version} (version) VALUES ($1)`, [v]);
      }
      if (options.chain === true) {
        // The chain starts after every id assigned so far (the anchor); idempotent.
        await client.query(
          `INSERT INTO ${t.chain} (key, id, hash)
           SELECT k, coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0), $2
           FROM unnest(ARRAY['anchor', 'head']) AS k
           ON CONFLICT (key) DO NOTHING`,
          [t.logs, "0".repeat(64)],
        );
      }
      const chained = await client.query(`SELECT 1 FROM ${t.chain} WHERE key = 'anchor'`);
      // The trigram index is built only with a fresh table: building it later would block writers.
      if (from === 0 && options.trigram) await tryTrigramIndex(client, t);
      const trigram = await client.query("SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", [
        t.schema,
        `${t.bare.logs}_message_trgm`,
      ]);
      await client.query("COMMIT");
      return { from, trigram: (trigram.rowCount ?? 0) > 0, chained: (chained.rowCount ?? 0) > 0 };
    } catch (error) {
      await client.query("ROLLBACK").catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    }
  } finally {
    client.release(broken ?? false);
  }
}

/**
 * Creates `pg_trgm` (a trusted extension since PostgreSQL 13) if it is missing and indexes
 * `message` with it, so `text` filters (ILIKE) use the index. Any failure (no privilege, no
 * contrib package) leaves the store working with sequential text scans.
 */
async function tryTrigramIndex(client: PgQueryableLike, t: TableNames): Promise<void> {
  await client.query("SAVEPOINT leh_trgm");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, EXTENSION_LOCK]);
    const locate = () =>
      client.query(
        "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'",
      );
    let found = await locate();
    if (!found.rowCount) {
      await client.query("CREATE EXTENSION IF NOT EXISTS pg_trgm");
      found = await locate();
    }
    const extSchema = String(found.rows[0]?.schema);
    await client.query(
      `CREATE INDEX ${quoteIdent(`${t.bare.logs}_message_trgm`)} ON ${t.logs} USING gin (message ${quoteIdent(extSchema)}.gin_trgm_ops)`,
    );
    await client.query("RELEASE SAVEPOINT leh_trgm");
  } catch {
    await client.query("ROLLBACK TO SAVEPOINT leh_trgm");
  }
}
