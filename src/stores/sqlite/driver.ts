/**
 * The slice of better-sqlite3 this store uses, typed structurally so that users without
 * `@types/better-sqlite3` still typecheck, and the lazy loader of the optional peer.
 *
 * @module
 */
import { MissingDependencyError } from "../../errors.js";

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
 * An open better-sqlite3 `Database` (versions 11 to 13), described by the members this store
 * calls. Pass one as {@link SqliteStoreOptions.database} to share a connection you manage.
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

/**
 * Loads the driver on first use. A dynamic `import()` works in both the ESM and the CommonJS
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
    const code = (error as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new MissingDependencyError(DRIVER_PACKAGE, "log-event-hub/sqlite", { cause: error });
    }
    throw error;
  }
  const candidate = (mod as { default?: unknown }).default ?? mod;
  if (typeof candidate !== "function") {
    throw new MissingDependencyError(DRIVER_PACKAGE, "log-event-hub/sqlite");
  }
  return candidate as SqliteDriverLike;
}
