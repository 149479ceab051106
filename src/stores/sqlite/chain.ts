/**
 * The SQLite store's write path for the tamper-evident log: linking appended records, recording
 * removals, and reading the chain back for the verifier. Every function runs inside the
 * caller's IMMEDIATE transaction, so the tail hash read, the ids assigned and the rows written
 * are one atomic step across every process sharing the file.
 *
 * The chain's state lives in `log_chain` (rows `anchor` and `head`: id and hash); a database
 * without the `anchor` row does not chain. Removal records live in `log_removals`, with ids
 * drawn from the log's own AUTOINCREMENT sequence.
 *
 * @module
 */
import { type ChainedRecord, ChainLinker, GENESIS_HASH } from "../../integrity/chain.js";
import { type ChainHead, planRemovals, type RemovalNote, removalFields, type RemovedLink } from "../../integrity/removal.js";
import type { LogRecord, NewLogRecord } from "../../types.js";
import { toLogRecord } from "../../store-kit/index.js";
import type { SqliteStatementLike } from "./driver.js";

/** The store's cached statement factory. */
export type Prepare = (sql: string) => SqliteStatementLike;

/** The chain's state, or `undefined` when the database does not chain. */
export function readHead(stmt: Prepare): ChainHead | undefined {
  const rows = stmt("SELECT key, id, hash FROM log_chain WHERE key IN ('anchor', 'head')").all() as { key: string; id: number; hash: string }[];
  const anchor = rows.find((r) => r.key === "anchor");
  const head = rows.find((r) => r.key === "head");
  if (anchor === undefined) return undefined;
  return { anchorId: anchor.id, anchorHash: anchor.hash, id: head?.id ?? anchor.id, hash: head?.hash ?? anchor.hash };
}

/**
 * Starts the chain (idempotent): records the anchor, the newest id ever assigned, so records
 * written before the chain stay unchained and every later one links from the genesis hash.
 */
export function startChain(stmt: Prepare): void {
  if (readHead(stmt) !== undefined) return;
  const anchorId = lastAssigned(stmt);
  const insert = stmt("INSERT INTO log_chain (key, id, hash) VALUES (?, ?, ?)");
  insert.run("anchor", anchorId, GENESIS_HASH);
  insert.run("head", anchorId, GENESIS_HASH);
}

/** The newest log id ever assigned (the AUTOINCREMENT sequence), 0 for none. */
function lastAssigned(stmt: Prepare): number {
  const row = stmt("SELECT seq FROM sqlite_sequence WHERE name = 'log_records'").get() as { seq: number } | undefined;
  return row?.seq ?? 0;
}

function setHead(stmt: Prepare, id: number, hash: string): void {
  stmt("UPDATE log_chain SET id = ?, hash = ? WHERE key = 'head'").run(id, hash);
}

/** Inserts `records` chained onto `head`, with ids assigned here (after the sequence's newest). */
export function appendChained(stmt: Prepare, head: ChainHead, records: readonly NewLogRecord[]): LogRecord[] {
  let id = Math.max(lastAssigned(stmt), head.id);
  const linker = new ChainLinker(head.hash);
  const insert = stmt("INSERT INTO log_records (id, time_us, level, category, user, message, hash, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const out: LogRecord[] = [];
  for (const r of records) {
    const record = toLogRecord(++id, r);
    const { hash, prevHash } = linker.link(record);
    insert.run(record.id, r.timeUs, r.level, r.category, r.user, r.message, hash, prevHash);
    out.push(record);
  }
  if (out.length > 0) setHead(stmt, id, linker.head);
  return out;
}

/**
 * Records the removal of `removed` (the rows a `DELETE ... RETURNING id, hash` answered, after
 * the delete): one chained removal record per contiguous run of removed chained records.
 */
export function recordRemovals(
  stmt: Prepare,
  head: ChainHead,
  returned: readonly { id: number; hash: string | null }[],
  reason: RemovalNote["reason"],
  nowUs: number,
  by = "system",
): void {
  const removed: RemovedLink[] = returned
    .filter((r) => r.id > head.anchorId && typeof r.hash === "string")
    .map((r) => ({ id: r.id, hash: r.hash as string }))
    .sort((a, b) => a.id - b.id);
  if (removed.length === 0) return;
  const before = stmt(
    "SELECT max(coalesce((SELECT max(id) FROM log_records WHERE id < ?), 0), coalesce((SELECT max(id) FROM log_removals WHERE id < ?), 0)) AS id",
  );
  const after = stmt("SELECT min(coalesce((SELECT min(id) FROM log_records WHERE id > ?), 1e18), coalesce((SELECT min(id) FROM log_removals WHERE id > ?), 1e18)) AS id");
  const notes = planRemovals(
    removed,
    {
      before: (id) => Math.max(head.anchorId, (before.get(id, id) as { id: number }).id),
      after: (id) => {
        const found = (after.get(id, id) as { id: number }).id;
        return found >= 1e18 ? undefined : found;
      },
    },
    reason,
  );
  let id = Math.max(lastAssigned(stmt), head.id);
  const linker = new ChainLinker(head.hash);
  const insert = stmt("INSERT INTO log_removals (id, time_us, level, category, user, message, hash, prev_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const note of notes) {
    const r = linker.link(removalFields(++id, nowUs, by, note));
    insert.run(r.id, r.timeUs, r.level, r.category, r.user, r.message, r.hash, r.prevHash);
  }
  // The removal records take ids from the log's sequence, so no log record ever reuses one.
  stmt("UPDATE sqlite_sequence SET seq = ? WHERE name = 'log_records'").run(id);
  setHead(stmt, id, linker.head);
}

type ChainTuple = { id: number; time_us: number; level: string; category: string; user: string; message: string; hash: string | null; prev_hash: string | null };

function toChained(row: ChainTuple): ChainedRecord {
  return {
    id: row.id,
    timeUs: row.time_us,
    level: row.level,
    category: row.category,
    user: row.user,
    message: row.message,
    hash: row.hash ?? "",
    prevHash: row.prev_hash ?? "",
  };
}

const CHAIN_COLUMNS = "id, time_us, level, category, user, message, hash, prev_hash";

/** Chained records (log and removal records) above `afterId` and the anchor, oldest first, at most `limit`. */
export function readChainPage(stmt: Prepare, head: ChainHead, afterId: number, limit: number): ChainedRecord[] {
  const from = Math.max(afterId, head.anchorId);
  const logs = stmt(`SELECT ${CHAIN_COLUMNS} FROM log_records WHERE id > ? ORDER BY id LIMIT ?`).all(from, limit) as ChainTuple[];
  const removals = stmt(`SELECT ${CHAIN_COLUMNS} FROM log_removals WHERE id > ? ORDER BY id LIMIT ?`).all(from, limit) as ChainTuple[];
  const out: ChainedRecord[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < logs.length || j < removals.length)) {
    const log = logs[i];
    const removal = removals[j];
    if (log !== undefined && (removal === undefined || log.id < removal.id)) {
      out.push(toChained(log));
      i++;
    } else {
      out.push(toChained(removal!));
      j++;
    }
  }
  return out;
}

/** Every removal record, oldest first. */
export function readRemovalRecords(stmt: Prepare): ChainedRecord[] {
  return (stmt(`SELECT ${CHAIN_COLUMNS} FROM log_removals ORDER BY id`).all() as ChainTuple[]).map(toChained);
}
