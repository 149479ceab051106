/**
 * The PostgreSQL store's write path for the tamper-evident log. Each chained write is one
 * transaction that first locks the chain's head row (`SELECT ... FOR UPDATE`): chained writers
 * in every process serialise on it, so ids are drawn, hashed and committed in one order and all
 * processes keep one chain. Ids still come from the log's identity sequence (inserted with
 * `OVERRIDING SYSTEM VALUE`), so they never repeat and a rolled-back write only leaves a gap.
 *
 * @module
 */
import { type ChainedRecord, ChainLinker } from "../../integrity/chain.js";
import { type ChainHead, planRemovals, type RemovalNote, removalFields } from "../../integrity/removal.js";
import { toLogRecord } from "../../store-kit/index.js";
import type { LogRecord, NewLogRecord } from "../../types.js";
import type { PgQueryableLike } from "./driver.js";
import type { TableNames } from "./schema.js";

const num = (value: unknown): number => (typeof value === "number" ? value : Number(value));

/** The chain's state, or `undefined` when the log does not chain; `lock` takes the head row's lock. */
export async function readHead(db: PgQueryableLike, t: TableNames, lock = false): Promise<ChainHead | undefined> {
  const { rows } = await db.query(`SELECT key, id, hash FROM ${t.chain} WHERE key IN ('anchor', 'head') ORDER BY key${lock ? " FOR UPDATE" : ""}`);
  const anchor = rows.find((r) => r.key === "anchor");
  const head = rows.find((r) => r.key === "head");
  if (anchor === undefined) return undefined;
  return { anchorId: num(anchor.id), anchorHash: String(anchor.hash), id: num(head?.id ?? anchor.id), hash: String(head?.hash ?? anchor.hash) };
}

async function drawIds(db: PgQueryableLike, t: TableNames, n: number): Promise<number[]> {
  const { rows } = await db.query(`SELECT nextval(pg_get_serial_sequence($1, 'id')) AS id FROM generate_series(1, $2::int) ORDER BY 1`, [t.logs, n]);
  return rows.map((r) => num(r.id));
}

async function setHead(db: PgQueryableLike, t: TableNames, id: number, hash: string): Promise<void> {
  await db.query(`UPDATE ${t.chain} SET id = $1, hash = $2 WHERE key = 'head'`, [id, hash]);
}

/**
 * Locks the head row and draws `n` ids in one statement (the ids are drawn once the row is
 * locked: the scalar subquery runs per locked row). `undefined` when the log does not chain.
 */
export async function lockAndDraw(db: PgQueryableLike, t: TableNames, n: number): Promise<{ head: ChainHead; ids: number[] } | undefined> {
  const { rows } = await db.query(
    `SELECT h.id, h.hash, a.id AS anchor_id, a.hash AS anchor_hash,
       (SELECT array_agg(v ORDER BY v)::text[] FROM (SELECT nextval(pg_get_serial_sequence($1, 'id')) AS v FROM generate_series(1, $2::int)) s) AS ids
     FROM (SELECT id, hash FROM ${t.chain} WHERE key = 'head' FOR UPDATE) h, ${t.chain} a WHERE a.key = 'anchor'`,
    [t.logs, n],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    head: { anchorId: num(row.anchor_id), anchorHash: String(row.anchor_hash), id: num(row.id), hash: String(row.hash) },
    ids: (row.ids as string[]).map(num),
  };
}

/**
 * Inserts `records` chained onto the locked `head` with the drawn `ids`, moves the head row and
 * sends `notice` (SQL text, given `$10` as the channel and `$11` as the newest id) in one
 * statement (inside the caller's transaction).
 */
export async function insertChained(
  db: PgQueryableLike,
  t: TableNames,
  head: ChainHead,
  ids: readonly number[],
  records: readonly NewLogRecord[],
  notify: { channel: string; origin: string } | undefined,
): Promise<LogRecord[]> {
  const linker = new ChainLinker(head.hash);
  const out = records.map((r, i) => toLogRecord(ids[i]!, r));
  const linked = out.map((r) => linker.link(r));
  const last = linked[linked.length - 1]!;
  await db.query(
    `WITH ins AS (
       INSERT INTO ${t.logs} (id, time_us, level, category, user_name, message, hash, prev_hash) OVERRIDING SYSTEM VALUE
       SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
     ), upd AS (
       UPDATE ${t.chain} SET id = $9::bigint, hash = $10 WHERE key = 'head'
     )
     SELECT ${notify === undefined ? "1" : `pg_notify($11, 'l:' || $9::text || ':' || $12::text)`}`,
    [
      linked.map((r) => r.id),
      linked.map((r) => r.timeUs),
      linked.map((r) => r.level),
      linked.map((r) => r.category),
      linked.map((r) => r.user),
      linked.map((r) => r.message),
      linked.map((r) => r.hash),
      linked.map((r) => r.prevHash),
      last.id,
      last.hash,
      ...(notify === undefined ? [] : [notify.channel, notify.origin]),
    ],
  );
  return out;
}

/**
 * Records the removal of the rows a `DELETE ... RETURNING id, hash` answered (inside the
 * caller's transaction, after the delete): one chained removal record per contiguous run.
 */
export async function recordRemovals(
  db: PgQueryableLike,
  t: TableNames,
  head: ChainHead,
  returned: readonly Record<string, unknown>[],
  reason: RemovalNote["reason"],
  nowUs: number,
  by = "system",
): Promise<void> {
  const removed = returned
    .map((r) => ({ id: num(r.id), hash: r.hash }))
    .filter((r): r is { id: number; hash: string } => r.id > head.anchorId && typeof r.hash === "string")
    .sort((a, b) => a.id - b.id);
  if (removed.length === 0) return;
  // The neighbours of every removed id that remain, in one statement.
  const { rows } = await db.query(
    `SELECT r.id,
       greatest((SELECT max(id) FROM ${t.logs} WHERE id < r.id), (SELECT max(id) FROM ${t.removals} WHERE id < r.id)) AS before,
       least((SELECT min(id) FROM ${t.logs} WHERE id > r.id), (SELECT min(id) FROM ${t.removals} WHERE id > r.id)) AS after
     FROM unnest($1::bigint[]) AS r(id)`,
    [removed.map((r) => r.id)],
  );
  const near = new Map(rows.map((r) => [num(r.id), { before: r.before === null ? 0 : num(r.before), after: r.after === null ? undefined : num(r.after) }]));
  const notes = planRemovals(
    removed,
    { before: (id) => Math.max(head.anchorId, near.get(id)?.before ?? 0), after: (id) => near.get(id)?.after },
    reason,
  );
  const ids = await drawIds(db, t, notes.length);
  const linker = new ChainLinker(head.hash);
  const records = notes.map((note, i) => linker.link(removalFields(ids[i]!, nowUs, by, note)));
  await db.query(
    `INSERT INTO ${t.removals} (id, time_us, level, category, user_name, message, hash, prev_hash)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])`,
    [
      records.map((r) => r.id),
      records.map((r) => r.timeUs),
      records.map((r) => r.level),
      records.map((r) => r.category),
      records.map((r) => r.user),
      records.map((r) => r.message),
      records.map((r) => r.hash),
      records.map((r) => r.prevHash),
    ],
  );
  const last = records[records.length - 1]!;
  await setHead(db, t, last.id, last.hash);
}

function toChained(row: Record<string, unknown>): ChainedRecord {
  return {
    id: num(row.id),
    timeUs: num(row.time_us),
    level: String(row.level),
    category: String(row.category),
    user: String(row.user_name),
    message: String(row.message),
    hash: typeof row.hash === "string" ? row.hash : "",
    prevHash: typeof row.prev_hash === "string" ? row.prev_hash : "",
  };
}

const COLUMNS = "id, time_us, level, category, user_name, message, hash, prev_hash";

/** Chained records (log and removal records) above `afterId` and the anchor, oldest first, at most `limit`. */
export async function readChainPage(db: PgQueryableLike, t: TableNames, head: ChainHead, afterId: number, limit: number): Promise<ChainedRecord[]> {
  const { rows } = await db.query(
    `(SELECT ${COLUMNS} FROM ${t.logs} WHERE id > $1 ORDER BY id LIMIT $2)
     UNION ALL
     (SELECT ${COLUMNS} FROM ${t.removals} WHERE id > $1 ORDER BY id LIMIT $2)
     ORDER BY id LIMIT $2`,
    [Math.max(afterId, head.anchorId), limit],
  );
  return rows.map(toChained);
}

/** Every removal record, oldest first. */
export async function readRemovalRecords(db: PgQueryableLike, t: TableNames): Promise<ChainedRecord[]> {
  const { rows } = await db.query(`SELECT ${COLUMNS} FROM ${t.removals} ORDER BY id`);
  return rows.map(toChained);
}
