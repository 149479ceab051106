/**
 * `node:sqlite` (Node 22.16 and later) behind the same {@link SqliteDatabaseLike} interface as
 * better-sqlite3, so the store above never knows which driver it runs on. Every difference
 * between the two drivers that the store could notice is handled here:
 *
 * - no `transaction()` helper: `BEGIN DEFERRED|IMMEDIATE` / `COMMIT` / `ROLLBACK`, and
 *   savepoints when nested, as better-sqlite3 does;
 * - no `pragma()`: a prepared `PRAGMA` statement;
 * - raw mode is `setReturnArrays(true)` (Node 22.16+); older lines get `Object.values` of each
 *   row, which is what raw mode means for the distinct column names this store selects;
 * - errors carry `code: "ERR_SQLITE_ERROR"` and a numeric `errcode`: they are rethrown with
 *   better-sqlite3's `SQLITE_*` names so the store's error mapping is the same;
 * - `cache_size`: better-sqlite3 is built with a 16 MiB page cache, SQLite's default is 2 MiB;
 *   a connection opened here gets better-sqlite3's figure, so both drivers plan and cache alike.
 * - Settings that were checked and need nothing: both drivers reject double-quoted string
 *   literals (both builds disable them), both enable foreign keys by default, and the store
 *   sets `busy_timeout` and `synchronous` itself (`node:sqlite` before 22.16 ignores its
 *   `timeout` option; neither driver's build default for `synchronous` is relied on).
 *
 * @module
 */
import type { SqliteDatabaseLike, SqliteRunResultLike, SqliteStatementLike, SqliteTransactionLike } from "./driver.js";

/** A `node:sqlite` `StatementSync`, by the members used here (typed structurally: `@types/node` 20 has none). */
export interface NodeSqliteStatementLike {
  /** Executes a writing statement. */
  run(...params: unknown[]): SqliteRunResultLike;
  /** The first row, or `undefined`. */
  get(...params: unknown[]): unknown;
  /** Every row. */
  all(...params: unknown[]): unknown[];
  /** Rows one at a time. */
  iterate?(...params: unknown[]): IterableIterator<unknown>;
  /** Rows as arrays (Node 22.16 and later). */
  setReturnArrays?(enabled: boolean): void;
}

/** A `node:sqlite` `DatabaseSync`, by the members used here. */
export interface NodeSqliteDatabaseLike {
  /** Whether the connection is open (Node 22.15 and later). */
  readonly isOpen?: boolean;
  /** Prepares a statement. */
  prepare(source: string): NodeSqliteStatementLike;
  /** Runs statements without results. */
  exec(source: string): void;
  /** Registers a scalar SQL function (Node 22.16 and later). */
  function(name: string, options: { deterministic?: boolean; varargs?: boolean }, fn: (...args: never[]) => unknown): void;
  /** Closes the connection. */
  close(): void;
}

/** The `node:sqlite` module, by the member used here. */
export interface NodeSqliteModuleLike {
  /** The connection class. */
  DatabaseSync: new (filename: string, options?: { timeout?: number }) => NodeSqliteDatabaseLike;
}

/** SQLite's primary result codes, by number, as better-sqlite3 names them. */
const RESULT_CODES: readonly string[] = [
  "SQLITE_OK", "SQLITE_ERROR", "SQLITE_INTERNAL", "SQLITE_PERM", "SQLITE_ABORT", "SQLITE_BUSY", "SQLITE_LOCKED",
  "SQLITE_NOMEM", "SQLITE_READONLY", "SQLITE_INTERRUPT", "SQLITE_IOERR", "SQLITE_CORRUPT", "SQLITE_NOTFOUND",
  "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_PROTOCOL", "SQLITE_EMPTY", "SQLITE_SCHEMA", "SQLITE_TOOBIG",
  "SQLITE_CONSTRAINT", "SQLITE_MISMATCH", "SQLITE_MISUSE", "SQLITE_NOLFS", "SQLITE_AUTH", "SQLITE_FORMAT",
  "SQLITE_RANGE", "SQLITE_NOTADB",
];

/** better-sqlite3's page cache (`SQLITE_DEFAULT_CACHE_SIZE=-16000` in its build), in KiB as a negative pragma value. */
const CACHE_SIZE_KIB = -16000;

/** An error from `node:sqlite`, renamed to the `SQLITE_*` code better-sqlite3 would give. */
export class NodeSqliteError extends Error {
  /** `SQLITE_BUSY`, `SQLITE_CORRUPT`, ... (the primary code). */
  readonly code: string;

  constructor(code: string, message: string, cause: unknown) {
    super(message, { cause });
    this.name = "SqliteError";
    this.code = code;
  }
}

/** Gives a `node:sqlite` error better-sqlite3's `code`; anything else passes unchanged. */
function rename(error: unknown): unknown {
  const e = error as { code?: unknown; errcode?: unknown; message?: unknown };
  if (e === null || typeof e !== "object" || e.code !== "ERR_SQLITE_ERROR" || typeof e.errcode !== "number") return error;
  const code = RESULT_CODES[e.errcode & 0xff] ?? "SQLITE_ERROR";
  return new NodeSqliteError(code, String(e.message), error);
}

class Statement implements SqliteStatementLike {
  private arrays = false;
  private emulateArrays = false;

  constructor(private readonly inner: NodeSqliteStatementLike) {}

  run(...params: unknown[]): SqliteRunResultLike {
    try {
      return this.inner.run(...params);
    } catch (error) {
      throw rename(error);
    }
  }

  get(...params: unknown[]): unknown {
    try {
      const row = this.inner.get(...params);
      return this.emulateArrays && row !== undefined ? Object.values(row as object) : row;
    } catch (error) {
      throw rename(error);
    }
  }

  all(...params: unknown[]): unknown[] {
    try {
      const rows = this.inner.all(...params);
      return this.emulateArrays ? rows.map((row) => Object.values(row as object)) : rows;
    } catch (error) {
      throw rename(error);
    }
  }

  *iterate(...params: unknown[]): IterableIterator<unknown> {
    const inner = this.inner;
    let rows: IterableIterator<unknown>;
    try {
      rows = inner.iterate !== undefined ? inner.iterate(...params) : inner.all(...params)[Symbol.iterator]();
    } catch (error) {
      throw rename(error);
    }
    for (;;) {
      let step: IteratorResult<unknown>;
      try {
        step = rows.next();
      } catch (error) {
        throw rename(error);
      }
      if (step.done === true) return;
      yield this.emulateArrays ? Object.values(step.value as object) : step.value;
    }
  }

  raw(toggle = true): SqliteStatementLike {
    if (toggle === this.arrays) return this;
    this.arrays = toggle;
    if (typeof this.inner.setReturnArrays === "function") this.inner.setReturnArrays(toggle);
    else this.emulateArrays = toggle;
    return this;
  }
}

/**
 * A `node:sqlite` connection wearing better-sqlite3's interface. Created by
 * {@link openNodeSqlite} (which also applies better-sqlite3's defaults) or
 * {@link adoptNodeSqlite} (a connection the caller opened and configured).
 */
class NodeSqliteDatabase implements SqliteDatabaseLike {
  private closedHere = false;
  private depth = 0;

  constructor(readonly inner: NodeSqliteDatabaseLike) {}

  get open(): boolean {
    return this.inner.isOpen ?? !this.closedHere;
  }

  prepare(source: string): SqliteStatementLike {
    try {
      return new Statement(this.inner.prepare(source));
    } catch (error) {
      throw rename(error);
    }
  }

  exec(source: string): this {
    try {
      this.inner.exec(source);
    } catch (error) {
      throw rename(error);
    }
    return this;
  }

  pragma(source: string, options?: { simple?: boolean }): unknown {
    const rows = this.prepare(`PRAGMA ${source}`).all() as Record<string, unknown>[];
    if (options?.simple !== true) return rows;
    const first = rows[0];
    return first === undefined ? undefined : Object.values(first)[0];
  }

  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransactionLike<A, R> {
    const run =
      (mode: "DEFERRED" | "IMMEDIATE") =>
      (...args: A): R =>
        this.inTransaction(mode, () => fn(...args));
    return Object.assign(run("DEFERRED"), { deferred: run("DEFERRED"), immediate: run("IMMEDIATE") });
  }

  function(name: string, options: { deterministic?: boolean; varargs?: boolean }, fn: (...args: never[]) => unknown): this {
    try {
      this.inner.function(name, options, fn);
    } catch (error) {
      throw rename(error);
    }
    return this;
  }

  close(): this {
    this.inner.close();
    this.closedHere = true;
    return this;
  }

  /** `BEGIN ... COMMIT` at the outside, a savepoint inside (better-sqlite3's nesting rule). */
  private inTransaction<R>(mode: "DEFERRED" | "IMMEDIATE", body: () => R): R {
    const nested = this.depth > 0;
    const savepoint = `leh_tx_${this.depth}`;
    this.exec(nested ? `SAVEPOINT ${savepoint}` : `BEGIN ${mode}`);
    this.depth++;
    let result: R;
    try {
      result = body();
    } catch (error) {
      this.depth--;
      this.undo(nested, savepoint);
      throw error;
    }
    this.depth--;
    try {
      this.exec(nested ? `RELEASE ${savepoint}` : "COMMIT");
    } catch (error) {
      this.undo(nested, savepoint);
      throw error;
    }
    return result;
  }

  private undo(nested: boolean, savepoint: string): void {
    try {
      this.inner.exec(nested ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : "ROLLBACK");
    } catch {
      // SQLite may already have rolled back (some errors end the transaction themselves).
    }
  }
}

/** Opens `filename` with `node:sqlite`, with better-sqlite3's defaults (see the module notes). */
export function openNodeSqlite(mod: NodeSqliteModuleLike, filename: string, options: { timeout: number }): SqliteDatabaseLike {
  let inner: NodeSqliteDatabaseLike;
  try {
    inner = new mod.DatabaseSync(filename, { timeout: options.timeout });
  } catch (error) {
    throw rename(error);
  }
  const db = new NodeSqliteDatabase(inner);
  try {
    db.pragma(`busy_timeout = ${options.timeout}`);
    db.pragma(`cache_size = ${CACHE_SIZE_KIB}`);
  } catch (error) {
    inner.close();
    throw error;
  }
  return db;
}

/** Wraps a `DatabaseSync` the caller opened; its settings are left as they are. */
export function adoptNodeSqlite(db: NodeSqliteDatabaseLike): SqliteDatabaseLike {
  return new NodeSqliteDatabase(db);
}

/** Whether `db` looks like a `node:sqlite` `DatabaseSync` rather than a better-sqlite3 `Database`. */
export function isNodeSqliteDatabase(db: object): db is NodeSqliteDatabaseLike {
  return typeof (db as { pragma?: unknown }).pragma !== "function" && typeof (db as { prepare?: unknown }).prepare === "function";
}
