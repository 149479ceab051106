/**
 * The slice of `pg` this store uses, typed structurally so that declaration files never import
 * `pg`'s own types (users without `@types/pg` still compile), and the lazy loader.
 *
 * @module
 */
import { MissingDependencyError } from "../../errors.js";

/** A query result as `pg` returns it: rows of column name to value. */
export interface PgQueryResultLike {
  /** The rows, each an object keyed by column name. */
  rows: Record<string, unknown>[];
  /** Rows affected by an INSERT, UPDATE or DELETE. */
  rowCount: number | null;
}

/** A notification delivered to a client that ran `LISTEN`. */
export interface PgNotificationLike {
  /** The channel name. */
  channel: string;
  /** The payload text, if any. */
  payload?: string | undefined;
}

/** Anything that runs a parameterised statement (`pg.Pool`, `pg.Client`, `pg.PoolClient`). */
export interface PgQueryableLike {
  /** Runs one statement with positional parameters `$1, $2, ...`. */
  query(text: string, values?: unknown[]): Promise<PgQueryResultLike>;
}

/** A client checked out of a pool (`pg.PoolClient`). */
export interface PgPoolClientLike extends PgQueryableLike {
  /** Returns the client to its pool; with an error (or `true`) the pool destroys it instead. */
  release(destroy?: Error | boolean): void;
  /** A notification arrived on a channel this client LISTENs to. */
  on(event: "notification", listener: (message: PgNotificationLike) => void): unknown;
  /** The connection failed (for example the server terminated it). */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** The connection closed. */
  on(event: "end", listener: () => void): unknown;
  /** Removes a listener added with {@link PgPoolClientLike.on}. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- must accept pg's own `(...args: any[])` signature
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}

/** A connection pool (`pg.Pool`). */
export interface PgPoolLike extends PgQueryableLike {
  /** Checks a client out of the pool. */
  connect(): Promise<PgPoolClientLike>;
  /** Closes every connection of the pool. */
  end(): Promise<void>;
  /** An idle client failed; the store listens only on pools it created. */
  on(event: "error", listener: (error: Error) => void): unknown;
  /** The pool opened a connection; the store listens only on pools it created. */
  on(event: "connect", listener: (client: PgPoolClientLike) => void): unknown;
  /** Removes a listener added with {@link PgPoolLike.on}. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- must accept pg's own `(...args: any[])` signature
  removeListener(event: string, listener: (...args: any[]) => void): unknown;
}

/** The pool configuration this store passes when it creates a pool itself. */
export interface PgPoolConfigLike {
  /** `postgres://user:password@host:port/database`. */
  connectionString?: string;
  /** Most connections the pool opens. */
  max?: number;
  /** Give up connecting after this many milliseconds. */
  connectionTimeoutMillis?: number;
  /** Close connections idle for this long. */
  idleTimeoutMillis?: number;
  /** Shown in `pg_stat_activity`. */
  application_name?: string;
  /** The server cancels any statement running longer, milliseconds (`statement_timeout`). */
  statement_timeout?: number;
}

/**
 * Resolves once a client's connection has closed (its `end` event), or after `capMs` at most,
 * so `close()` returns only when sockets are gone without ever hanging on a stuck one.
 */
export function whenEnded(client: PgPoolClientLike, capMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.removeListener("end", done);
      resolve();
    };
    const timer = setTimeout(done, capMs);
    client.on("end", done);
  });
}

/** The pool class (`pg.Pool`). */
export interface PgPoolConstructorLike {
  /** Creates a pool; connections open lazily. */
  new (config?: PgPoolConfigLike): PgPoolLike;
}

/** The `pg` module, or anything shaped like it (only `Pool` is used). */
export interface PgModuleLike {
  /** The pool class. */
  Pool: PgPoolConstructorLike;
}

/**
 * Loads `pg` on first use. A dynamic `import()` works in both builds: the ESM build keeps it,
 * the CommonJS build turns it into a `require` wrapped in a promise.
 *
 * @throws MissingDependencyError when `pg` is not installed.
 */
export async function loadPg(): Promise<PgModuleLike> {
  let loaded: unknown;
  try {
    loaded = await import("pg");
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      throw new MissingDependencyError("pg", "log-event-hub/postgres", { cause: error });
    }
    throw error;
  }
  // `pg` is CommonJS: ESM sees it under `default`, the CommonJS build sees it directly.
  const candidate = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof (candidate as Partial<PgModuleLike>).Pool !== "function") {
    throw new MissingDependencyError("pg", "log-event-hub/postgres");
  }
  return candidate as PgModuleLike;
}
