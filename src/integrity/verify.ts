/**
 * Verification of a chained log: records are read once, oldest first, with flat memory; each
 * break is reported with its kind and the first id where it shows.
 *
 * What each kind means, and how it is told apart:
 *
 * - `edited`: a record's stored hash is not the hash of its fields (a field was changed), or a
 *   record links correctly to a predecessor whose content was changed and re-hashed.
 * - `reordered`: a record's stored hash is the hash of its fields under another id nearby (rows
 *   swapped, or ids renumbered).
 * - `deleted`: the chain skips records (the next record links to a hash that is not its
 *   predecessor's) and no recorded removal covers the missing ids.
 * - `inserted`: a record links to its predecessor correctly, but the record after it links to
 *   the record before it: it was slipped in.
 * - `truncated`: a checkpoint names a newer record than the newest stored one (the tail was cut).
 * - `checkpoint-mismatch`: a checkpoint's signature does not verify, or the stored record at a
 *   checkpoint's id has another hash (the chain was rewritten after the checkpoint was signed).
 *
 * Id gaps alone are not breaks: a sequence may skip values (a rolled-back transaction), and the
 * chain proves what the predecessor was.
 *
 * @module
 */
import { type ChainedRecord, GENESIS_HASH, uncheckedRecordHash as recordHash } from "./chain.js";
import { type Checkpoint, type KeyInput, verifyCheckpoint } from "./checkpoint.js";

/** The kinds of break {@link verifyChain} reports. */
export type ChainBreakKind = "edited" | "reordered" | "deleted" | "inserted" | "truncated" | "checkpoint-mismatch";

/** One break of the chain. */
export interface ChainBreak {
  /** What is wrong. */
  kind: ChainBreakKind;
  /** The first id where it shows (for `deleted` and `truncated`: the first missing id). */
  id: number;
  /** The hash the chain expected there, when there is one. */
  expected?: string;
  /** The hash found there, when there is one. */
  found?: string;
  /** One sentence for a person. */
  message: string;
}

/**
 * A removal the log recorded (retention, a clear): the ids from `fromId` to `toId` (inclusive)
 * that existed were removed on purpose, and the first record after them links to
 * `continueFrom` (the hash of the last removed record).
 */
export interface RecordedRemoval {
  /** The first removed id. */
  fromId: number;
  /** The last removed id. */
  toId: number;
  /** The hash of the record with id `toId` (what the next record links to). */
  continueFrom: string;
}

/** Options of {@link verifyChain} and {@link ChainVerifier}. */
export interface VerifyOptions {
  /**
   * Where the chain starts: the hash the first record links to when no removal explains
   * otherwise. @default {@link GENESIS_HASH}; with `fromId`, the first record's own `prevHash`
   * is trusted.
   */
  anchor?: string;
  /** Verify from this id on (the first record read is trusted to link where it says). */
  fromId?: number;
  /** Removals the log recorded; a break they explain is not reported. */
  removals?: readonly RecordedRemoval[];
  /** Signed checkpoints to hold the chain against (needs `publicKey`). */
  checkpoints?: readonly Checkpoint[];
  /** The Ed25519 public key the checkpoints were signed with. */
  publicKey?: KeyInput;
  /** At most this many breaks are listed (all are counted). @default 1000 */
  maxBreaks?: number;
  /** How far (in ids) to look for a record's own id when its hash does not verify. @default 64 */
  reorderWindow?: number;
}

/** What {@link verifyChain} found. */
export interface VerifyReport {
  /** No break at all. */
  ok: boolean;
  /** Records read. */
  checked: number;
  /** The oldest and newest ids read (undefined when none). */
  firstId: number | undefined;
  lastId: number | undefined;
  /** The newest record's stored hash. */
  lastHash: string | undefined;
  /** Checkpoints compared with the chain (a checkpoint inside a recorded removal cannot be). */
  checkpointsChecked: number;
  /** Breaks that recorded removals explained (not errors). */
  removalsApplied: number;
  /** The breaks, oldest first, at most `maxBreaks`. */
  breaks: ChainBreak[];
  /** How many breaks there were in all. */
  breakCount: number;
}

/** Records verified between two yields to the event loop (a few milliseconds of work). */
const YIELD_EVERY = 2048;

/** How many breaks get the search for a moved record's own id. */
const SEARCHED_BREAKS = 100;

/** The most recent records kept to classify a broken link. */
interface Seen {
  id: number;
  hash: string;
  prevHash: string;
}

/** A verifier fed one record at a time, in ascending id order; flat memory at any size. */
export class ChainVerifier {
  private readonly removals: RecordedRemoval[];
  private readonly checkpoints: Checkpoint[];
  private readonly maxBreaks: number;
  private readonly window: number;
  private readonly anchor: string;
  private readonly trustFirst: boolean;
  private last: Seen | undefined;
  private beforeLast: Seen | undefined;
  private nextCheckpoint = 0;
  /** Whether the previous record was found at another id than its own. */
  private lastMoved = false;
  private readonly report: VerifyReport = {
    ok: true,
    checked: 0,
    firstId: undefined,
    lastId: undefined,
    lastHash: undefined,
    checkpointsChecked: 0,
    removalsApplied: 0,
    breaks: [],
    breakCount: 0,
  };

  /** @throws TypeError when checkpoints are given without a public key. */
  constructor(options: VerifyOptions = {}) {
    this.removals = [...(options.removals ?? [])].sort((a, b) => a.fromId - b.fromId);
    this.maxBreaks = options.maxBreaks ?? 1000;
    this.window = options.reorderWindow ?? 64;
    this.anchor = options.anchor ?? GENESIS_HASH;
    this.trustFirst = options.fromId !== undefined && options.anchor === undefined;
    const checkpoints = options.checkpoints ?? [];
    if (checkpoints.length > 0 && options.publicKey === undefined) {
      throw new TypeError("verifyChain: checkpoints need the public key they were signed with (publicKey)");
    }
    this.checkpoints = [];
    for (const checkpoint of checkpoints) {
      if (verifyCheckpoint(checkpoint, options.publicKey!)) this.checkpoints.push(checkpoint);
      else {
        const id = typeof (checkpoint as { id?: unknown }).id === "number" ? (checkpoint as { id: number }).id : 0;
        this.fail({ kind: "checkpoint-mismatch", id, message: `the checkpoint at id ${id} does not verify with the public key (forged, altered, or signed with another key)` });
      }
    }
    this.checkpoints.sort((a, b) => a.id - b.id);
  }

  /** Checks one record (ids ascending). */
  push(record: ChainedRecord): void {
    const report = this.report;
    report.checked++;
    report.firstId ??= record.id;
    this.passCheckpoints(record.id);

    // 1. The record itself: does its stored hash belong to its fields?
    let moved = false;
    if (recordHash(record, record.prevHash) !== record.hash) {
      const actual = this.idOfContent(record);
      if (actual !== undefined) {
        moved = true;
        this.fail({ kind: "reordered", id: record.id, found: record.hash, message: `record ${record.id} holds the content of record ${actual} (rows swapped or renumbered)` });
      } else {
        this.fail({ kind: "edited", id: record.id, expected: recordHash(record, record.prevHash), found: record.hash, message: `record ${record.id} was changed after it was written (its hash does not match its fields)` });
      }
    }

    // 2. The link to what came before. A moved record's link is broken by the move itself, and
    // so is the link of the record after it (to a hash now stored elsewhere): the chain is
    // picked up again from the moved record's successor, as from a fresh start.
    const last = this.last;
    const expected = last?.hash ?? this.anchor;
    const resync = moved || this.lastMoved || (last === undefined && this.trustFirst);
    if (!resync && record.prevHash !== expected) {
      const fromId = (last?.id ?? 0) + 1;
      if (this.explained(fromId, record.id - 1, record.prevHash)) {
        report.removalsApplied++;
      } else if (last !== undefined && this.beforeLast !== undefined && record.prevHash === this.beforeLast.hash && last.prevHash === this.beforeLast.hash) {
        this.fail({ kind: "inserted", id: last.id, expected: this.beforeLast.hash, found: last.hash, message: `record ${last.id} was inserted: record ${record.id} links to record ${this.beforeLast.id}` });
      } else if (record.id > fromId || last === undefined) {
        this.fail({ kind: "deleted", id: fromId, expected, found: record.prevHash, message: `records from id ${fromId} up to ${record.id - 1} were removed without a recorded removal` });
      } else {
        this.fail({ kind: "edited", id: last.id, expected: last.hash, found: record.prevHash, message: `record ${last.id} was changed and re-hashed: record ${record.id} links to a different hash` });
      }
    }

    // 3. A checkpoint at this id.
    const checkpoint = this.checkpoints[this.nextCheckpoint];
    if (checkpoint !== undefined && checkpoint.id === record.id) {
      this.nextCheckpoint++;
      report.checkpointsChecked++;
      if (checkpoint.hash !== record.hash) {
        this.fail({ kind: "checkpoint-mismatch", id: record.id, expected: checkpoint.hash, found: record.hash, message: `record ${record.id} differs from the checkpoint signed ${checkpoint.time} (the chain was rewritten)` });
      }
    }

    this.beforeLast = last;
    this.last = { id: record.id, hash: record.hash, prevHash: record.prevHash };
    this.lastMoved = moved;
    report.lastId = record.id;
    report.lastHash = record.hash;
  }

  /** Ends the verification: checkpoints past the newest record mean a truncated tail. */
  finish(): VerifyReport {
    const report = this.report;
    const lastId = this.last?.id ?? 0;
    for (; this.nextCheckpoint < this.checkpoints.length; this.nextCheckpoint++) {
      const checkpoint = this.checkpoints[this.nextCheckpoint]!;
      if (checkpoint.id === 0) continue; // taken while the chain was empty
      if (checkpoint.id <= lastId) continue; // passed inside a recorded removal or an id gap
      if (this.covered(lastId + 1, checkpoint.id)) continue;
      report.checkpointsChecked++;
      this.fail({ kind: "truncated", id: lastId + 1, expected: checkpoint.hash, message: `the log ends at id ${lastId} but a checkpoint signed ${checkpoint.time} names record ${checkpoint.id}: the newest records were removed` });
      break;
    }
    report.ok = report.breakCount === 0;
    return report;
  }

  /** Checkpoints whose id was skipped (no record with it) before `id`. */
  private passCheckpoints(id: number): void {
    for (let checkpoint = this.checkpoints[this.nextCheckpoint]; checkpoint !== undefined && checkpoint.id < id; checkpoint = this.checkpoints[this.nextCheckpoint]) {
      this.nextCheckpoint++;
      if (checkpoint.id === 0 || this.covered(checkpoint.id, checkpoint.id)) continue;
      // No record has the checkpoint's id: the sequence skipped it (then no record ever had it,
      // which the signed hash contradicts) or the record was removed.
      this.report.checkpointsChecked++;
      this.fail({ kind: "checkpoint-mismatch", id: checkpoint.id, expected: checkpoint.hash, message: `record ${checkpoint.id}, named by the checkpoint signed ${checkpoint.time}, is missing` });
    }
  }

  /** Whether recorded removals cover every id from `fromId` to `toId` and end linking to `prevHash`. */
  private explained(fromId: number, toId: number, prevHash: string): boolean {
    if (toId < fromId) return false;
    const ending = this.removals.filter((r) => r.toId === toId && r.continueFrom === prevHash);
    return ending.length > 0 && this.covered(fromId, toId);
  }

  /** Whether the union of recorded removals covers every id from `fromId` to `toId`. */
  private covered(fromId: number, toId: number): boolean {
    let next = fromId;
    for (const removal of this.removals) {
      if (removal.fromId > next) break;
      if (removal.toId >= next) next = removal.toId + 1;
      if (next > toId) return true;
    }
    return next > toId;
  }

  /** The id near the record's whose hash its content has, if any (a swapped or renumbered row). */
  private idOfContent(record: ChainedRecord): number | undefined {
    // Searching costs up to 2 x window hashes: done for the first breaks only, so a log edited
    // everywhere still verifies at full speed.
    if (this.report.breakCount >= SEARCHED_BREAKS) return undefined;
    for (let distance = 1; distance <= this.window; distance++) {
      for (const id of [record.id - distance, record.id + distance]) {
        if (id < 1) continue;
        if (recordHash({ ...record, id }, record.prevHash) === record.hash) return id;
      }
    }
    return undefined;
  }

  private fail(found: ChainBreak): void {
    this.report.breakCount++;
    if (this.report.breaks.length < this.maxBreaks) this.report.breaks.push(found);
  }
}

/**
 * Verifies a chained log read oldest first (an async iterable streams it with flat memory).
 * Yields to the event loop every few thousand records, so a long verification does not stall
 * the host.
 */
export async function verifyChain(records: AsyncIterable<ChainedRecord> | Iterable<ChainedRecord>, options: VerifyOptions = {}): Promise<VerifyReport> {
  const verifier = new ChainVerifier(options);
  let count = 0;
  if (Symbol.asyncIterator in records) {
    for await (const record of records) {
      verifier.push(record);
      if (++count % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    for (const record of records) {
      verifier.push(record);
      if (++count % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  return verifier.finish();
}
