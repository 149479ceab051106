/**
 * Recorded removals: how a chained store writes down that records left the log on purpose
 * (retention, `clearLogs`), so verification of a pruned or cleared log passes while anything
 * removed without such a record is reported.
 *
 * A removal is a chained record of its own (format `leh-chain-v1`, like every record), kept in
 * the store's removals table (never in the log's own table, so queries, counts and exports never
 * show it), with an id from the log's own id sequence:
 *
 * - `level`: `INFO`; `category`: {@link REMOVAL_CATEGORY}; `user`: who removed (`system` for
 *   retention, the hub's caller for a clear);
 * - `message`: the JSON text of a {@link RemovalNote}: the removed id range, how many records it
 *   held, why, and the hash the chain continues from.
 *
 * A filtered clear that leaves holes writes one removal per contiguous hole (a run of removed
 * records with no kept record between them), each with its own continuation hash.
 *
 * @module
 */
import { type ChainedRecord, type ChainFields, GENESIS_HASH, isChainHash } from "./chain.js";
import type { RecordedRemoval } from "./verify.js";

/** The category of a removal record (never a valid log category: it has a dot). */
export const REMOVAL_CATEGORY = "log-event-hub.removal";

/** What a removal record's message holds (as JSON). */
export interface RemovalNote extends RecordedRemoval {
  /** Why: `retention` (prune) or `clear` (`clearLogs`). */
  reason: "retention" | "clear";
  /** How many records the range held when they were removed. */
  count: number;
}

/** The chain state a chained store keeps: where its chain starts and its newest link. */
export interface ChainHead {
  /** Records up to this id predate the chain (a migrated log); 0 for a log chained from the start. */
  anchorId: number;
  /** The hash the first chained record links to ({@link GENESIS_HASH}). */
  anchorHash: string;
  /** The newest chained id (a log record or a removal record), `anchorId` when none. */
  id: number;
  /** Its hash, `anchorHash` when none. */
  hash: string;
}

/** The head of a chain that has no record yet. */
export function emptyHead(anchorId: number): ChainHead {
  return { anchorId, anchorHash: GENESIS_HASH, id: anchorId, hash: GENESIS_HASH };
}

/** The fields of a removal record (its id is assigned by the store). */
export function removalFields(id: number, timeUs: number, user: string, note: RemovalNote): ChainFields {
  const { reason, fromId, toId, count, continueFrom } = note;
  return { id, timeUs, level: "INFO", category: REMOVAL_CATEGORY, user, message: JSON.stringify({ reason, fromId, toId, count, continueFrom }) };
}

/**
 * The removal a record states, or `undefined` when it is not a well-formed removal record (a
 * forged or damaged one then explains nothing, and the verifier reports what it hides).
 */
export function parseRemoval(record: Pick<ChainedRecord, "category" | "message">): RemovalNote | undefined {
  if (record.category !== REMOVAL_CATEGORY) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(record.message);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const int = (x: unknown) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
  if (!int(v.fromId) || !int(v.toId) || !int(v.count) || !isChainHash(v.continueFrom)) return undefined;
  if (v.reason !== "retention" && v.reason !== "clear") return undefined;
  if ((v.fromId as number) > (v.toId as number)) return undefined;
  return { reason: v.reason, fromId: v.fromId as number, toId: v.toId as number, count: v.count as number, continueFrom: v.continueFrom as string };
}

/** A removed chained record: its id and hash. */
export interface RemovedLink {
  /** Its id. */
  id: number;
  /** Its stored hash. */
  hash: string;
}

/** What a store answers about the records left after a removal (inside the removing transaction). */
export interface RemainingLinks {
  /** The greatest remaining chained id (log or removal record) below `id`, or the anchor id. */
  before(id: number): number;
  /** The smallest remaining chained id above `id`, or `undefined`. */
  after(id: number): number | undefined;
}

/**
 * Splits removed records (ascending ids, all chained) into contiguous runs, one
 * {@link RemovalNote} each: a run ends where a remaining record lies between two removed ones.
 * Each note spans from just after the remaining record before the run to the run's last removed
 * id, and continues from that record's hash.
 */
export function planRemovals(removed: readonly RemovedLink[], remaining: RemainingLinks, reason: RemovalNote["reason"]): RemovalNote[] {
  const notes: RemovalNote[] = [];
  let i = 0;
  while (i < removed.length) {
    const first = removed[i]!;
    const next = remaining.after(first.id);
    let j = i;
    while (j + 1 < removed.length && (next === undefined || removed[j + 1]!.id < next)) j++;
    const last = removed[j]!;
    notes.push({ reason, fromId: remaining.before(first.id) + 1, toId: last.id, count: j - i + 1, continueFrom: last.hash });
    i = j + 1;
  }
  return notes;
}

/**
 * The removals to hand the verifier: the recorded ones, and for a migrated log the ids before
 * the chain (they were never chained).
 */
export function verifierRemovals(head: ChainHead, notes: readonly RecordedRemoval[]): RecordedRemoval[] {
  const out = notes.map(({ fromId, toId, continueFrom }) => ({ fromId, toId, continueFrom }));
  if (head.anchorId > 0) out.push({ fromId: 1, toId: head.anchorId, continueFrom: head.anchorHash });
  return out;
}
