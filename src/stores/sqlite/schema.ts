/**
 * The SQLite schema, its version history, and the check that a file is ours before anything
 * is written to it.
 *
 * @module
 */
import { IncompatibleStoreError } from "../../errors.js";
import type { SqliteDatabaseLike } from "./driver.js";

/**
 * `PRAGMA application_id` of every file this store creates ("LEHB"), so a foreign SQLite file
 * is told apart from ours without guessing from table names.
 */
export const APPLICATION_ID = 0x4c454842;

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = 3;

/** One step of the schema history: the SQL that moves version `version - 1` to `version`. */
interface Migration {
  version: number;
  up: string;
}

// Appended to, never edited: a file made by any earlier release replays the missing steps.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    up: `
      CREATE TABLE hub_schema_version (version INTEGER PRIMARY KEY, applied_us INTEGER NOT NULL);
      CREATE TABLE log_records (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time_us INTEGER NOT NULL,
        level TEXT NOT NULL,
        category TEXT NOT NULL,
        user TEXT NOT NULL,
        message TEXT NOT NULL
      );
      CREATE INDEX log_records_time ON log_records (time_us);
      CREATE TABLE events (
        idx INTEGER PRIMARY KEY AUTOINCREMENT,
        time_us INTEGER NOT NULL,
        category TEXT NOT NULL,
        user TEXT NOT NULL,
        payload TEXT NOT NULL
      );`,
  },
  {
    version: 2,
    up: `
      CREATE TABLE hub_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX log_records_user ON log_records (user);
      CREATE INDEX log_records_level ON log_records (level);
      CREATE INDEX log_records_category ON log_records (category);
      CREATE VIRTUAL TABLE log_records_fts USING fts5 (
        message, content = 'log_records', content_rowid = 'id', tokenize = 'trigram'
      );
      CREATE TRIGGER log_records_fts_insert AFTER INSERT ON log_records BEGIN
        INSERT INTO log_records_fts (rowid, message) VALUES (new.id, new.message);
      END;
      CREATE TRIGGER log_records_fts_delete AFTER DELETE ON log_records BEGIN
        INSERT INTO log_records_fts (log_records_fts, rowid, message) VALUES ('delete', old.id, old.message);
      END;
      CREATE TRIGGER log_records_fts_update AFTER UPDATE OF message ON log_records BEGIN
        INSERT INTO log_records_fts (log_records_fts, rowid, message) VALUES ('delete', old.id, old.message);
        INSERT INTO log_records_fts (rowid, message) VALUES (new.id, new.message);
      END;
      INSERT INTO log_records_fts (log_records_fts) VALUES ('rebuild');
      INSERT INTO hub_meta (key, value)
        SELECT 'logs_time_ordered', NOT EXISTS (
          SELECT 1 FROM (SELECT time_us < lag(time_us) OVER (ORDER BY id) AS back FROM log_records) WHERE back
        );`,
  },
  {
    // The tamper-evident log (docs/integrity.md): each record's hash and its predecessor's,
    // the chain's anchor and head, and the removal records. Existing rows stay unchained; a
    // store with `chain: true` starts the chain after them (the anchor).
    version: 3,
    up: `
      ALTER TABLE log_records ADD COLUMN hash TEXT;
      ALTER TABLE log_records ADD COLUMN prev_hash TEXT;
      CREATE TABLE log_chain (key TEXT PRIMARY KEY, id INTEGER NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE log_removals (
        id INTEGER PRIMARY KEY,
        time_us INTEGER NOT NULL,
        level TEXT NOT NULL,
        category TEXT NOT NULL,
        user TEXT NOT NULL,
        message TEXT NOT NULL,
        hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL
      );`,
  },
];

/** What {@link inspectDatabase} found. */
export type DatabaseState = { kind: "empty" } | { kind: "ours"; version: number };

/**
 * Reads (never writes) enough to tell an empty database, one of ours (and its version), or
 * anything else, which is refused with {@link IncompatibleStoreError}.
 */
export function inspectDatabase(db: SqliteDatabaseLike): DatabaseState {
  const applicationId = Number(db.pragma("application_id", { simple: true }));
  const tables = (
    db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  if (applicationId === 0 && tables.length === 0) return { kind: "empty" };
  if (applicationId !== APPLICATION_ID) {
    throw new IncompatibleStoreError(
      "The SQLite file belongs to another application (its application_id or tables are not this library's); " +
        "give the store a file of its own",
    );
  }
  if (!tables.includes("hub_schema_version")) {
    throw new IncompatibleStoreError("The SQLite file is marked as a log-event-hub store but has no schema version table");
  }
  const row = db.prepare("SELECT max(version) AS version FROM hub_schema_version").get() as { version: number | null };
  const version = row.version ?? 0;
  if (version > SCHEMA_VERSION) {
    throw new IncompatibleStoreError(
      `The SQLite file has schema version ${version}, newer than this release supports (${SCHEMA_VERSION}); upgrade log-event-hub`,
    );
  }
  return { kind: "ours", version };
}

/**
 * Brings the schema to {@link SCHEMA_VERSION}. Runs inside the caller's IMMEDIATE transaction,
 * so two processes opening one new file at once create it once.
 */
export function migrate(db: SqliteDatabaseLike, from: number, nowUs: number): void {
  if (from === 0) db.pragma(`application_id = ${APPLICATION_ID}`);
  for (const step of MIGRATIONS) {
    if (step.version <= from) continue;
    db.exec(step.up);
    db.prepare("INSERT INTO hub_schema_version (version, applied_us) VALUES (?, ?)").run(step.version, nowUs);
  }
}

/**
 * Removes any planner statistics (the rows of `sqlite_stat1` and `sqlite_stat4`) from the file and from
 * this connection. The store's query shapes name their indexes and are planned for a large
 * table; statistics gathered while the log was small (by `ANALYZE` or `PRAGMA optimize`, which
 * this store never runs) make SQLite believe the table still holds a handful of rows, and it
 * then scans the table instead of seeking (issue 11). `ANALYZE sqlite_schema` analyses
 * nothing but makes the connection reload the (now absent) statistics, which is SQLite's
 * documented way. Runs inside the caller's IMMEDIATE transaction; writes nothing when there
 * are none.
 */
export function dropStatistics(db: SqliteDatabaseLike): void {
  const tables = (
    db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name IN ('sqlite_stat1', 'sqlite_stat4')").all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  const filled = tables.filter((name) => db.prepare(`SELECT 1 FROM ${name} LIMIT 1`).get() !== undefined);
  if (filled.length === 0) return;
  for (const name of filled) db.exec(`DELETE FROM ${name}`);
  db.exec("ANALYZE sqlite_schema");
}
