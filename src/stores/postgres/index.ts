/**
 * `log-event-hub/postgres`: a store shared by several hub instances in several processes (or
 * machines) through one PostgreSQL database.
 *
 * - `pg` is an optional peer dependency, loaded on {@link PostgresStore.open} only.
 * - Event indexes are commit-ordered: every publish updates one counter row inside its own
 *   transaction, so publishers serialise on that row and a reader paging by index never skips
 *   an event that commits late (see `docs/postgres.md` for the cost).
 * - Cross-process wake-ups use LISTEN/NOTIFY with tiny notices, backed by a fallback poll.
 *
 * @example
 * ```ts
 * import { LogEventHub } from "log-event-hub";
 * import { PostgresStore } from "log-event-hub/postgres";
 *
 * const hub = new LogEventHub({ store: new PostgresStore({ connectionString: process.env.DATABASE_URL }) });
 * ```
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { ClosedError, IncompatibleStoreError } from "../../errors.js";
import type { PruneRequest, PruneResult, Store, StoreCapabilities, StoreChange, StoreEventRead, StoreEventWindow } from "../../store.js";
import { logRecordFromColumns, sqlCount, storedEventFromColumns, toLogRecord, visibleUsers, type NumericColumn } from "../../store-kit/index.js";
import type { LogRecord, NewEvent, NewLogRecord, StoreLogFilter, StoreLogQuery, StoredEvent } from "../../types.js";
import { loadPg, whenEnded, type PgModuleLike, type PgPoolClientLike, type PgPoolLike, type PgQueryResultLike } from "./driver.js";
import { toHubError } from "./errors.js";
import { type TextClauseOptions, whereClause } from "./filter.js";
import { type PageContext, readLogPage } from "./pages.js";
import { FeedListener, noticeSql } from "./listener.js";
import { migrate, tableNames, type TableNames } from "./schema.js";

export type {
  PgModuleLike,
  PgNotificationLike,
  PgPoolClientLike,
  PgPoolConfigLike,
  PgPoolConstructorLike,
  PgPoolLike,
  PgQueryResultLike,
  PgQueryableLike,
} from "./driver.js";
export { loadPg } from "./driver.js";
export { escapeLike } from "../../store-kit/text.js";
export { SCHEMA_VERSION } from "./schema.js";

/** Backoff of the LISTEN connection's reconnects. */
export interface ReconnectOptions {
  /** First delay after a failure, milliseconds. @default 100 */
  minDelayMs?: number;
  /** Longest delay between attempts, milliseconds. @default 5000 */
  maxDelayMs?: number;
}

/** How many rows {@link PostgresStore.prune} removed: the store contract's `PruneResult`. */
export type PruneCounts = PruneResult;

/** Options of {@link PostgresStore}. Give `connectionString` or `pool` (not both). */
export interface PostgresStoreOptions {
  /**
   * `postgres://user:password@host:5432/database`. The store creates (and on close ends) its
   * own pool. Absent together with `pool`: `pg` reads the standard `PG*` environment variables.
   */
  connectionString?: string;
  /**
   * An existing `pg.Pool` (or anything shaped like it). The store borrows it: `close()` leaves
   * it open, and the LISTEN connection is one client checked out of it for the store's life.
   */
  pool?: PgPoolLike;
  /**
   * The `pg` module to use instead of `import("pg")`, for bundlers or a patched driver.
   * @default the installed `pg`
   */
  driver?: PgModuleLike;
  /**
   * Schema holding the tables; created if missing.
   * @default "public"
   */
  schema?: string;
  /**
   * Prefix of every table and index name, so the store can share a schema with an application.
   * Letters, digits and `_`, at most 40 characters.
   * @default "leh_"
   */
  tablePrefix?: string;
  /**
   * Connections in the pool the store creates (not counting the one LISTEN connection).
   * Ignored with `pool`.
   * @default 10
   */
  poolSize?: number;
  /**
   * Give up connecting after this long, milliseconds; the call then fails with
   * `STORE_UNAVAILABLE`. Ignored with `pool`.
   * @default 10000
   */
  connectionTimeoutMs?: number;
  /**
   * Period of the fallback poll behind LISTEN/NOTIFY while someone watches, milliseconds:
   * the longest a lost notice can delay a cross-process wake-up. `0` turns it off.
   * @default 1000
   */
  pollIntervalMs?: number;
  /**
   * Reconnect backoff of the LISTEN connection (capped exponential, with jitter).
   * @default { minDelayMs: 100, maxDelayMs: 5000 }
   */
  reconnect?: ReconnectOptions;
  /**
   * Send a NOTIFY for log appends too (events always notify). Turn off when nothing in other
   * processes follows the log, to spare the commit-time notify lock on busy logs.
   * @default true
   */
  notifyLogs?: boolean;
  /**
   * Try to create `pg_trgm` and a trigram index on messages when the schema is created, so
   * `text` filters stay fast on large tables. Without the privilege or the extension the store
   * works the same, with slower text filters.
   * @default true
   */
  trigramIndex?: boolean;
  /**
   * Time budget of one statement, milliseconds: the `statement_timeout` of the pool the store
   * creates, so the server cancels a query, count, export page, clear or prune batch (or a
   * write stuck on a lock) that runs longer, and the call fails with `QueryTimeoutError`
   * (`QUERY_TIMEOUT`, HTTP 503) instead of holding a connection. Schema migrations are exempt.
   * `0`: no budget. Ignored with `pool`: set `statement_timeout` on your pool instead.
   * @default 10000
   */
  queryTimeoutMs?: number;
}

const PREFIX = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;
/** Rows deleted per statement by retention, so a large prune never holds one long transaction. */
const PRUNE_BATCH = 10_000;

function positiveInteger(value: number | undefined, name: string, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new TypeError(`${name} must be a ${allowZero ? "non-negative" : "positive"} integer`);
  }
  return value;
}

/** `bigint` columns arrive as strings (exact); every value this store keeps fits a double. */
function num(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

function logFromRow(row: Record<string, unknown>): LogRecord {
  return logRecordFromColumns(
    row.id as NumericColumn,
    row.time_us as NumericColumn,
    row.level as string,
    row.category as string,
    row.user_name as string,
    row.message as string,
  );
}

function eventFromRow(row: Record<string, unknown>): StoredEvent {
  return storedEventFromColumns(row.idx as NumericColumn, row.time_us as NumericColumn, row.category as string, row.user_name as string, row.payload as string);
}

/**
 * The PostgreSQL store. Several instances (in one process or many) may open the same schema;
 * they share one log and one feed.
 *
 * Every method rejects with a `HubError`: `STORE_UNAVAILABLE` when the server cannot be
 * reached or refuses a statement, `INCOMPATIBLE_STORE` for a schema from a newer version,
 * `CLOSED` after {@link PostgresStore.close}, `MISSING_DEPENDENCY` when `pg` is not installed.
 */
export class PostgresStore implements Store {
  /** Shared by processes, with prompt notices through LISTEN/NOTIFY. */
  readonly capabilities: StoreCapabilities = { shared: true, notifications: true };
  /** The NOTIFY channel this store uses (derived from schema and prefix; database-wide). */
  readonly channel: string;

  private readonly options: PostgresStoreOptions;
  private readonly names: TableNames;
  private readonly ownsPool: boolean;
  private readonly poolSize: number;
  private readonly connectionTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly minReconnectDelayMs: number;
  private readonly maxReconnectDelayMs: number;
  private readonly origin = randomBytes(4).toString("hex");
  private readonly watchers = new Set<(change: StoreChange) => void>();
  private pool: PgPoolLike | undefined;
  private opening: Promise<void> | undefined;
  private listener: FeedListener | undefined;
  private onPoolError: ((error: Error) => void) | undefined;
  private readonly clients = new Set<PgPoolClientLike>();
  private closed = false;
  private trigram = false;
  private text: TextClauseOptions = {};

  /**
   * @param options A connection string, or {@link PostgresStoreOptions}.
   * @throws TypeError for options outside their documented range (a programming error).
   */
  constructor(options: PostgresStoreOptions | string = {}) {
    this.options = typeof options === "string" ? { connectionString: options } : { ...options };
    const o = this.options;
    if (o.pool !== undefined && o.connectionString !== undefined) {
      throw new TypeError("Give either connectionString or pool, not both");
    }
    const schema = o.schema ?? "public";
    const prefix = o.tablePrefix ?? "leh_";
    if (typeof schema !== "string" || schema === "" || Buffer.byteLength(schema) > 63) {
      throw new TypeError("schema must be a non-empty name of at most 63 bytes");
    }
    if (!PREFIX.test(prefix)) throw new TypeError("tablePrefix must be letters, digits or _, at most 40 characters");
    this.poolSize = positiveInteger(o.poolSize, "poolSize", 10);
    this.connectionTimeoutMs = positiveInteger(o.connectionTimeoutMs, "connectionTimeoutMs", 10_000);
    this.pollIntervalMs = positiveInteger(o.pollIntervalMs, "pollIntervalMs", 1000, true);
    this.queryTimeoutMs = positiveInteger(o.queryTimeoutMs, "queryTimeoutMs", 10_000, true);
    this.minReconnectDelayMs = positiveInteger(o.reconnect?.minDelayMs, "reconnect.minDelayMs", 100);
    this.maxReconnectDelayMs = positiveInteger(o.reconnect?.maxDelayMs, "reconnect.maxDelayMs", 5000);
    this.names = tableNames(schema, prefix);
    this.channel = this.names.channel;
    this.ownsPool = o.pool === undefined;
  }

  /** Whether `message` has a trigram index (known after {@link PostgresStore.open}). */
  get hasTrigramIndex(): boolean {
    return this.trigram;
  }

  /**
   * Loads `pg` (unless given a pool or driver), connects, and creates or migrates the schema
   * under an advisory lock. Idempotent; after a failure the next call tries again.
   */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("The PostgreSQL store is closed"));
    this.opening ??= this.doOpen().catch((error: unknown) => {
      this.opening = undefined;
      throw toHubError(error, "open the store");
    });
    return this.opening;
  }

  private async doOpen(): Promise<void> {
    const o = this.options;
    if (!this.pool) {
      if (o.pool) {
        this.pool = o.pool;
      } else {
        const driver = o.driver ?? (await loadPg());
        if (this.closed) throw new ClosedError("The PostgreSQL store is closed");
        const pool = new driver.Pool({
          ...(o.connectionString !== undefined ? { connectionString: o.connectionString } : {}),
          // One more than asked for: the LISTEN connection stays checked out while anyone watches.
          max: this.poolSize + 1,
          connectionTimeoutMillis: this.connectionTimeoutMs,
          idleTimeoutMillis: 30_000,
          application_name: "log-event-hub",
          ...(this.queryTimeoutMs > 0 ? { statement_timeout: this.queryTimeoutMs } : {}),
        });
        // An idle client dying (server restart) must not crash the host; the next query reconnects.
        this.onPoolError = () => {};
        pool.on("error", this.onPoolError);
        // Tracked so close() can wait for every socket to close, not just for pool.end().
        pool.on("connect", (client: PgPoolClientLike) => {
          this.clients.add(client);
          client.on("end", () => this.clients.delete(client));
        });
        this.pool = pool;
      }
    }
    const result = await migrate(this.pool, this.names, { trigram: o.trigramIndex ?? true });
    this.trigram = result.trigram;
    // ILIKE may narrow text candidates only where lower() folds ASCII like the text rule, per
    // character (not in Turkish locales, nor with ICU's context-dependent final sigma).
    const probe = await this.pool.query("SELECT lower('IΣ') = 'iσ' AS ok");
    this.text = { ilikePrefilter: probe.rows[0]?.ok === true };
    if (this.closed) throw new ClosedError("The PostgreSQL store is closed");
    if (this.watchers.size > 0) this.startListener();
  }

  /** Runs one statement, after opening; maps every failure to a `HubError`. */
  private async run(action: string, text: string, values: unknown[] = []): Promise<PgQueryResultLike> {
    if (this.closed) throw new ClosedError("The PostgreSQL store is closed");
    await this.open();
    try {
      return await (this.pool as PgPoolLike).query(text, values);
    } catch (error) {
      if (this.closed) throw new ClosedError("The PostgreSQL store is closed");
      throw toHubError(error, action, this.ownsPool ? this.queryTimeoutMs : 0);
    }
  }

  /**
   * One INSERT for the whole batch (arrays through `unnest`); ids come from an identity
   * sequence, assigned in batch order.
   */
  async appendLogs(records: readonly NewLogRecord[]): Promise<LogRecord[]> {
    if (records.length === 0) return [];
    const t = this.names;
    const notify = this.options.notifyLogs ?? true;
    const { rows } = await this.run(
      "append log records",
      `WITH ins AS (
         INSERT INTO ${t.logs} (time_us, level, category, user_name, message)
         SELECT r.time_us, r.level, r.category, r.user_name, r.message
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
              WITH ORDINALITY AS r(time_us, level, category, user_name, message, ord)
         ORDER BY r.ord
         RETURNING id
       )
       SELECT array_agg(id ORDER BY id)::text[] AS ids${notify ? `, pg_notify($6, ${noticeSql("l", "max(id)", this.origin)})` : ""}
       FROM ins`,
      [
        records.map((r) => r.timeUs),
        records.map((r) => r.level),
        records.map((r) => r.category),
        records.map((r) => r.user),
        records.map((r) => r.message),
        ...(notify ? [this.channel] : []),
      ],
    );
    // Identity values are drawn in row order, so sorted ids line up with the batch's order.
    const ids = (rows[0]?.ids as string[] | undefined) ?? [];
    return records.map((r, i) => toLogRecord(num(ids[i]), r));
  }

  async queryLogs(query: StoreLogQuery): Promise<LogRecord[]> {
    // Limit and offset are checked integers written into the SQL (no OFFSET when 0): fewer
    // parameters to bind, and the plan sees the page size as a constant.
    const limit = sqlCount(query.limit, "limit", 1);
    const offset = sqlCount(query.offset ?? 0, "offset", 0);
    if (this.closed) throw new ClosedError("The PostgreSQL store is closed");
    await this.open();
    // The plan is pinned (pages.ts): no statistics can make a page sort every match.
    const page: PageContext = {
      pool: this.pool as PgPoolLike,
      table: this.names.logs,
      text: this.text,
      trigram: this.trigram,
      columns: "id, time_us, level, category, user_name, message",
    };
    try {
      return (await readLogPage(page, query, limit, offset)).map(logFromRow);
    } catch (error) {
      if (this.closed) throw new ClosedError("The PostgreSQL store is closed");
      throw toHubError(error, "query log records", this.ownsPool ? this.queryTimeoutMs : 0);
    }
  }

  async countLogs(filter: StoreLogFilter): Promise<number> {
    const where = whereClause(filter, this.text);
    const { rows } = await this.run("count log records", `SELECT count(*) AS n FROM ${this.names.logs} ${where.sql}`, where.params);
    return num(rows[0]?.n ?? 0);
  }

  async clearLogs(filter: StoreLogFilter): Promise<number> {
    const where = whereClause(filter, this.text);
    const result = await this.run("clear log records", `DELETE FROM ${this.names.logs} ${where.sql}`, where.params);
    return result.rowCount ?? 0;
  }

  async lastLogId(): Promise<number> {
    const { rows } = await this.run("read the last log id", `SELECT coalesce(max(id), 0) AS id FROM ${this.names.logs}`);
    return num(rows[0]?.id ?? 0);
  }

  /**
   * One statement: bump the counter row by the batch size, insert the batch at the indexes just
   * below the new head, NOTIFY. The row lock on the counter is held to commit, so the next
   * publisher reads the head only after this batch is visible: index order is commit order, and
   * a rolled-back publish rolls its bump back too (no gap).
   */
  async appendEvents(events: readonly NewEvent[]): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const t = this.names;
    const { rows } = await this.run(
      "publish events",
      `WITH bump AS (
         UPDATE ${t.feed} SET head = head + $1::bigint WHERE id = 1 RETURNING head
       ), ins AS (
         INSERT INTO ${t.events} (idx, time_us, category, user_name, payload)
         SELECT bump.head - $1::bigint + e.ord, e.time_us, e.category, e.user_name, e.payload
         FROM bump, unnest($2::bigint[], $3::text[], $4::text[], $5::text[])
              WITH ORDINALITY AS e(time_us, category, user_name, payload, ord)
       )
       SELECT head, pg_notify($6, ${noticeSql("e", "head", this.origin)}) FROM bump`,
      [
        events.length,
        events.map((e) => e.timeUs),
        events.map((e) => e.category),
        events.map((e) => e.user),
        events.map((e) => e.payloadJson),
        this.channel,
      ],
    );
    if (rows.length === 0) {
      throw new IncompatibleStoreError("The PostgreSQL feed counter row is missing: the schema was altered outside this library");
    }
    const first = num(rows[0]?.head) - events.length + 1;
    return events.map((e, i) => ({ index: first + i, ...e }));
  }

  /** Events, head and oldest in one statement, hence one snapshot. */
  async readEvents(read: StoreEventRead): Promise<StoreEventWindow> {
    const t = this.names;
    const newest = read.after === undefined;
    const users = visibleUsers(read);
    const { rows } = await this.run(
      "read events",
      `WITH f AS (SELECT head FROM ${t.feed} WHERE id = 1),
       o AS (SELECT coalesce(min(idx), 0) AS oldest FROM ${t.events}),
       e AS (
         SELECT idx, time_us, category, user_name, payload FROM ${t.events}
         WHERE idx > $1::bigint AND ($5::boolean OR user_name = $2 OR user_name = $3::text)
         ORDER BY idx ${newest ? "DESC" : "ASC"} LIMIT $4
       )
       SELECT f.head, o.oldest, e.* FROM f CROSS JOIN o LEFT JOIN e ON true ORDER BY e.idx`,
      // The visibility rule: `all`, and the reader's own user when it names one.
      [read.after ?? 0, users?.[0] ?? null, users?.[1] ?? null, read.limit, users === undefined],
    );
    const first = rows[0];
    return {
      events: rows.filter((r) => r.idx !== null && r.idx !== undefined).map(eventFromRow),
      head: num(first?.head ?? 0),
      oldest: num(first?.oldest ?? 0),
    };
  }

  /** Retention in batches of 10,000 rows, each its own short statement. */
  async prune(request: PruneRequest): Promise<PruneResult> {
    const t = this.names;
    let logs = 0;
    let events = 0;
    if (request.maxLogs !== undefined) {
      // The newest record to drop: everything at or below it goes.
      const { rows } = await this.run(
        "apply log retention",
        `SELECT id FROM ${t.logs} ORDER BY id DESC OFFSET $1 LIMIT 1`,
        [request.maxLogs],
      );
      if (rows[0]) logs += await this.deleteInBatches("apply log retention", t.logs, "id", "id <= $1", [rows[0].id]);
    }
    if (request.logsBeforeUs !== undefined) {
      logs += await this.deleteInBatches("apply log retention", t.logs, "id", "time_us < $1", [request.logsBeforeUs]);
    }
    if (request.maxEvents !== undefined) {
      // Indexes are contiguous (commit-ordered, no gaps), so the cut is arithmetic.
      const { rows } = await this.run("apply event retention", `SELECT head FROM ${t.feed} WHERE id = 1`);
      const cut = num(rows[0]?.head ?? 0) - request.maxEvents;
      if (cut > 0) events += await this.deleteInBatches("apply event retention", t.events, "idx", "idx <= $1", [cut]);
    }
    if (request.eventsBeforeUs !== undefined) {
      // Events leave from the front only, so a cursor can always tell how many it lost.
      const { rows } = await this.run(
        "apply event retention",
        `SELECT coalesce(
           (SELECT idx FROM ${t.events} WHERE time_us >= $1 ORDER BY idx LIMIT 1),
           (SELECT max(idx) + 1 FROM ${t.events}),
           0
         ) AS keep`,
        [request.eventsBeforeUs],
      );
      const keep = num(rows[0]?.keep ?? 0);
      if (keep > 0) events += await this.deleteInBatches("apply event retention", t.events, "idx", "idx < $1", [keep]);
    }
    return { logs, events };
  }

  private async deleteInBatches(action: string, table: string, key: string, condition: string, params: unknown[]): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await this.run(
        action,
        `DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${table} WHERE ${condition} ORDER BY ${key} LIMIT ${PRUNE_BATCH})`,
        params,
      );
      const n = result.rowCount ?? 0;
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  }

  /**
   * Calls `listener` when another process (or another store instance) appends. Notices arrive
   * through LISTEN/NOTIFY, and from the fallback poll; after the LISTEN connection is lost and
   * re-established, a notice without `head` tells watchers to re-read. Returns an unsubscribe
   * function; the LISTEN connection is closed when the last watcher leaves.
   */
  watch(listener: (change: StoreChange) => void): () => void {
    if (this.closed) return () => {};
    this.watchers.add(listener);
    if (this.pool && this.opening) this.startListener();
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size === 0) {
        void this.listener?.stop();
        this.listener = undefined;
      }
    };
  }

  /** How many times the LISTEN connection was re-established (observability and tests). */
  get listenerReconnects(): number {
    return this.listener?.reconnects ?? 0;
  }

  private startListener(): void {
    if (this.listener || this.closed || !this.pool) return;
    const t = this.names;
    this.listener = new FeedListener({
      pool: this.pool,
      channel: this.channel,
      origin: this.origin,
      pollIntervalMs: this.pollIntervalMs,
      minReconnectDelayMs: this.minReconnectDelayMs,
      maxReconnectDelayMs: this.maxReconnectDelayMs,
      readHeads: async () => {
        const { rows } = await (this.pool as PgPoolLike).query(
          `SELECT (SELECT head FROM ${t.feed} WHERE id = 1) AS event, (SELECT coalesce(max(id), 0) FROM ${t.logs}) AS log`,
        );
        return { event: num(rows[0]?.event ?? 0), log: num(rows[0]?.log ?? 0) };
      },
      emit: (change) => {
        for (const watcher of [...this.watchers]) {
          try {
            watcher(change);
          } catch {
            // A watcher's bug must not stop the others from waking.
          }
        }
      },
    });
    this.listener.start();
  }

  /** Stops the listener and its timers, and ends the pool if the store created it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    this.watchers.clear();
    await listener?.stop();
    // Let an open in flight settle, so its connection is back in the pool before it ends.
    await this.opening?.catch(() => {});
    const pool = this.pool;
    this.pool = undefined;
    if (pool && this.ownsPool) {
      const ended = [...this.clients].map((client) => whenEnded(client));
      await pool.end().catch(() => {});
      // pool.end() resolves before the sockets close; wait for them so nothing outlives close().
      await Promise.all(ended);
      if (this.onPoolError) pool.removeListener("error", this.onPoolError);
    }
  }
}
