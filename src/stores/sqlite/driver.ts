/**
 * The driver layer: the slice of better-sqlite3 this store uses (typed structurally so that
 * users without `@types/better-sqlite3` still typecheck), the lazy loader of the optional peer,
 * and the choice between better-sqlite3 and `node:sqlite` (see `node-sqlite.ts`, which gives
 * `node:sqlite` the same interface). Everything above this layer is driver-agnostic.
 *
 * @module
 */
import { MissingDependencyError, StoreUnavailableError } from "../../errors.js";
import {
  adoptNodeSqlite,
  isNodeSqliteDatabase,
  type NodeSqliteDatabaseLike,
  type NodeSqliteModuleLike,
  openNodeSqlite,
} from "./node-sqlite.js";

export type { NodeSqliteDatabaseLike, NodeSqliteStatementLike } from "./node-sqlite.js";

/** What a statement's `run` reports (better-sqlite3's `RunResult`). */
export interface SqliteRunResultLike {
  /** Rows changed by the statement itself (not by triggers). */
  changes: number;
  /** The rowid of the last inserted row. */
  lastInsertRowid: number | bigint;
}

/** A prepared statement, as better-sqlite3 exposes it. */
export interface SqliteStatementLike {
  /** Executes a writing statement. */
  run(...params: unknown[]): SqliteRunResultLike;
  /** The first row, or `undefined`. */
  get(...params: unknown[]): unknown;
  /** Every row. */
  all(...params: unknown[]): unknown[];
  /** Rows one at a time, without building the whole result. */
  iterate(...params: unknown[]): IterableIterator<unknown>;
  /** With `true`, rows come back as arrays of column values instead of objects. */
  raw(toggle?: boolean): SqliteStatementLike;
}

/** A transaction function made by {@link SqliteDatabaseLike.transaction}. */
export interface SqliteTransactionLike<A extends unknown[], R> {
  /** Runs in `BEGIN` (deferred). */
  (...args: A): R;
  /** Runs in `BEGIN DEFERRED`. */
  deferred(...args: A): R;
  /** Runs in `BEGIN IMMEDIATE`: takes the write lock up front. */
  immediate(...args: A): R;
}

/**
 * An open better-sqlite3 `Database` (versions 12 and 13), described by the members this store
 * calls. `node:sqlite` connections are given this interface by the driver layer.
 */
export interface SqliteDatabaseLike {
  /** Whether the connection is open. */
  readonly open: boolean;
  /** Prepares a statement. */
  prepare(source: string): SqliteStatementLike;
  /** Runs one or more statements without results. */
  exec(source: string): unknown;
  /** Runs a PRAGMA. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps a function in a transaction. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): SqliteTransactionLike<A, R>;
  /** Registers a scalar SQL function. */
  function(name: string, options: { deterministic?: boolean; varargs?: boolean }, fn: (...args: never[]) => unknown): unknown;
  /** Closes the connection. */
  close(): unknown;
}

/** Constructor options of better-sqlite3 that this store passes. */
export interface SqliteOpenOptions {
  /** Milliseconds to wait for a lock (sets `busy_timeout`). */
  timeout?: number;
}

/** The better-sqlite3 module itself (its default export, the `Database` constructor). */
export type SqliteDriverLike = new (filename: string, options?: SqliteOpenOptions) => SqliteDatabaseLike;

/** The npm package this entry point needs. */
export const DRIVER_PACKAGE = "better-sqlite3";

/** The built-in module used when better-sqlite3 is not installed. */
export const NODE_SQLITE = "node:sqlite";

/** The two SQLite drivers the store runs on. */
export type SqliteDriverName = "better-sqlite3" | "node:sqlite";

const ENTRY_POINT = "log-event-hub/sqlite";

/**
 * Loads better-sqlite3 on first use. A dynamic `import()` works in both the ESM and the CommonJS
 * build, and keeps the native module out of anything that never opens a SQLite store.
 *
 * @param specifier Module to load; tests pass a name that does not exist.
 * @throws MissingDependencyError when the package is not installed.
 */
export async function loadSqliteDriver(specifier: string = DRIVER_PACKAGE): Promise<SqliteDriverLike> {
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch (error) {
    if (isNotFound(error)) throw new MissingDependencyError(DRIVER_PACKAGE, ENTRY_POINT, { cause: error });
    throw error;
  }
  const candidate = (mod as { default?: unknown }).default ?? mod;
  if (typeof candidate !== "function") {
    throw new MissingDependencyError(DRIVER_PACKAGE, ENTRY_POINT);
  }
  return candidate as SqliteDriverLike;
}

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND";
}

/**
 * Loads `node:sqlite` when this Node has a usable one, else `undefined`. Usable means
 * unflagged, with user-defined functions and with FTS5 (the schema's trigram index): Node
 * 22.16 and later (22.13 to 22.15 have the module but a SQLite built without FTS5). On Node 22
 * the module prints Node's own "SQLite is an experimental feature" warning once per process;
 * it is left alone (see docs/stores.md: silencing it would hide every other experimental
 * warning of the process).
 *
 * @param specifier Module to load; tests pass a name that does not exist.
 */
export async function loadNodeSqlite(specifier: string = NODE_SQLITE): Promise<NodeSqliteModuleLike | undefined> {
  if (nodeSqliteProbe !== undefined && specifier === NODE_SQLITE) return nodeSqliteProbe.mod;
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch {
    return undefined; // Node 20, or Node 22 before 22.13 without --experimental-sqlite.
  }
  const usable = hasFts5(mod);
  if (specifier === NODE_SQLITE) nodeSqliteProbe = { mod: usable ? (mod as NodeSqliteModuleLike) : undefined };
  return usable ? (mod as NodeSqliteModuleLike) : undefined;
}

/** The answer of {@link loadNodeSqlite} for `node:sqlite`, once known. */
let nodeSqliteProbe: { mod: NodeSqliteModuleLike | undefined } | undefined;

/** Whether a `node:sqlite` module can register functions and create the trigram FTS5 table. */
function hasFts5(mod: unknown): boolean {
  const ctor = (mod as { DatabaseSync?: unknown }).DatabaseSync;
  if (typeof ctor !== "function" || typeof (ctor.prototype as { function?: unknown }).function !== "function") return false;
  let db: NodeSqliteDatabaseLike | undefined;
  try {
    db = new (ctor as NodeSqliteModuleLike["DatabaseSync"])(":memory:");
    db.exec("CREATE VIRTUAL TABLE probe USING fts5 (x, tokenize = 'trigram')");
    return true;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/** Opens files with the chosen driver. */
export interface SqliteOpener {
  /** Which driver this is. */
  readonly name: SqliteDriverName;
  /** Opens (or creates) `filename`. */
  open(filename: string, options: { timeout: number }): SqliteDatabaseLike;
}

/** Whether an exception from `new Database()` means the native module did not load (missing or built for another Node). */
function isAddonLoadFailure(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown };
  if (typeof e?.code === "string" && e.code.startsWith("SQLITE_")) return false;
  return e?.code === "ERR_DLOPEN_FAILED" || /bindings file|NODE_MODULE_VERSION|\.node\b|dlopen/i.test(String(e?.message));
}

function betterSqliteOpener(Database: SqliteDriverLike): SqliteOpener {
  return { name: DRIVER_PACKAGE, open: (filename, options) => new Database(filename, options) };
}

function nodeSqliteOpener(mod: NodeSqliteModuleLike): SqliteOpener {
  return { name: NODE_SQLITE, open: (filename, options) => openNodeSqlite(mod, filename, options) };
}

/** Checks that better-sqlite3's native module loads, by opening a private in-memory database. */
function probe(Database: SqliteDriverLike): unknown {
  try {
    new Database(":memory:").close();
    return undefined;
  } catch (error) {
    if (isAddonLoadFailure(error)) return error;
    throw error;
  }
}

function unusableAddon(cause: unknown): StoreUnavailableError {
  return new StoreUnavailableError(
    "better-sqlite3 is installed but its native module does not load in this Node (not built, or built for another " +
      "Node version): run `npm rebuild better-sqlite3`, or use the driver \"node:sqlite\" on Node 22.16 or later",
    { cause },
  );
}

/**
 * Picks the driver for a store that opens its own file.
 *
 * - `"better-sqlite3"`: that package, or `MISSING_DEPENDENCY` with the install command.
 * - `"node:sqlite"`: Node's built-in module, or `MISSING_DEPENDENCY` when this Node has no
 *   usable one (before 22.16).
 * - a better-sqlite3 `Database` constructor: that one.
 * - nothing (`"auto"`): better-sqlite3 when it is installed and its native module loads, else
 *   `node:sqlite` when this Node has it, else `MISSING_DEPENDENCY` naming better-sqlite3.
 */
export async function resolveSqliteDriver(choice: SqliteDriverName | SqliteDriverLike | undefined): Promise<SqliteOpener> {
  if (typeof choice === "function") return betterSqliteOpener(choice);
  if (choice === NODE_SQLITE) {
    const mod = await loadNodeSqlite();
    if (mod === undefined) {
      throw new MissingDependencyError(DRIVER_PACKAGE, ENTRY_POINT, {
        reason: `Node ${process.versions.node} has no usable node:sqlite: it needs Node 22.16 or later`,
      });
    }
    return nodeSqliteOpener(mod);
  }
  if (choice === DRIVER_PACKAGE) {
    const Database = await loadSqliteDriver();
    const failure = probe(Database);
    if (failure !== undefined) throw unusableAddon(failure);
    return betterSqliteOpener(Database);
  }
  let missing: unknown;
  try {
    const Database = await loadSqliteDriver();
    missing = probe(Database);
    if (missing === undefined) return betterSqliteOpener(Database);
  } catch (error) {
    if (!(error instanceof MissingDependencyError)) throw error;
    missing = error;
  }
  const mod = await loadNodeSqlite();
  if (mod !== undefined) return nodeSqliteOpener(mod);
  if (missing instanceof MissingDependencyError) {
    throw new MissingDependencyError(DRIVER_PACKAGE, ENTRY_POINT, {
      cause: missing,
      reason: `and Node ${process.versions.node} has no usable node:sqlite, which needs Node 22.16 or later`,
    });
  }
  throw unusableAddon(missing);
}

/** A connection the caller opened: a better-sqlite3 `Database` as is, a `node:sqlite` `DatabaseSync` wrapped. */
export function adoptDatabase(db: SqliteDatabaseLike | NodeSqliteDatabaseLike): { name: SqliteDriverName; db: SqliteDatabaseLike } {
  return isNodeSqliteDatabase(db) ? { name: NODE_SQLITE, db: adoptNodeSqlite(db) } : { name: DRIVER_PACKAGE, db: db as SqliteDatabaseLike };
}
