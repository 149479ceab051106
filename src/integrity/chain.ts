/**
 * The hash chain of the activity log, format `leh-chain-v1`: each record's hash is SHA-256 over
 * a canonical serialisation of its fields and the previous record's hash.
 *
 * The canonical bytes of a record are the UTF-8 encoding of
 *
 * ```text
 * JSON.stringify(["leh-chain-v1", id, timeUs, level, category, user, message, prevHash])
 * ```
 *
 * a JSON array with no spaces: the format tag, the id and the time in epoch microseconds as JSON
 * integers, the four strings as JSON strings (ECMAScript's `JSON.stringify` escaping: `"`, `\`
 * and C0 controls escaped, everything else as is), and the previous hash as 64 lower-case hex
 * digits. The format tag is part of the hashed bytes, so a later format can never produce the
 * same hash for different content. The first record of a chain links to {@link GENESIS_HASH}
 * (or, for a log that existed before the chain, to the anchor recorded when it was migrated).
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The version tag of the chain's canonical serialisation (hashed into every record). */
export const CHAIN_FORMAT = "leh-chain-v1";

/** The "previous hash" of a chain's first record: 64 zeros. */
export const GENESIS_HASH = "0".repeat(64);

/** The fields of a log record that the chain covers (every stored field; `ts` derives from `timeUs`). */
export interface ChainFields {
  /** The record's id: a positive safe integer. */
  id: number;
  /** Epoch microseconds: a safe integer. */
  timeUs: number;
  /** `INFO`, `WARN` or `ERROR`. */
  level: string;
  /** The record's category. */
  category: string;
  /** The acting user. */
  user: string;
  /** The message. */
  message: string;
}

/** A record as a chained store keeps it: its fields, its hash and the hash it links to. */
export interface ChainedRecord extends ChainFields {
  /** SHA-256 of {@link canonicalRecord}, 64 lower-case hex digits. */
  hash: string;
  /** The previous record's hash (or the genesis or migration anchor), 64 lower-case hex digits. */
  prevHash: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Whether `value` is a hash as the chain writes them: 64 lower-case hex digits. */
export function isChainHash(value: unknown): value is string {
  return typeof value === "string" && HEX64.test(value);
}

/**
 * The canonical bytes of a record linked to `prevHash` (see the module's description).
 *
 * @throws TypeError when a field cannot be serialised canonically (an id or time that is not a
 *   safe integer, a previous hash that is not 64 lower-case hex digits).
 */
export function canonicalRecord(fields: ChainFields, prevHash: string): Buffer {
  if (!Number.isSafeInteger(fields.id) || fields.id < 1) throw new TypeError(`chain: id must be a positive safe integer, got ${String(fields.id)}`);
  if (!Number.isSafeInteger(fields.timeUs)) throw new TypeError(`chain: timeUs must be a safe integer, got ${String(fields.timeUs)}`);
  if (!isChainHash(prevHash)) throw new TypeError(`chain: prevHash must be 64 lower-case hex digits, got ${JSON.stringify(prevHash)}`);
  const text = JSON.stringify([CHAIN_FORMAT, fields.id, fields.timeUs, String(fields.level), String(fields.category), String(fields.user), String(fields.message), prevHash]);
  return Buffer.from(text, "utf8");
}

/** The hash of a record linked to `prevHash`: SHA-256 of its canonical bytes, lower-case hex. */
export function recordHash(fields: ChainFields, prevHash: string): string {
  return createHash("sha256").update(canonicalRecord(fields, prevHash)).digest("hex");
}

/**
 * {@link recordHash} without the checks, for the verifier's loop: a record whose id, time or
 * previous hash could not be serialised canonically gets a hash no honest record has (the
 * serialisation of a non-integer differs from every writer's), so it is reported as edited.
 *
 * @internal
 */
export function uncheckedRecordHash(fields: ChainFields, prevHash: string): string {
  const text = JSON.stringify([CHAIN_FORMAT, fields.id, fields.timeUs, String(fields.level), String(fields.category), String(fields.user), String(fields.message), String(prevHash)]);
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Links records in order: each call hashes one record onto the chain's current tail. A store
 * keeps one per writer, fed in id order inside the transaction that assigns the ids (after
 * reading the stored tail hash in that same transaction).
 */
export class ChainLinker {
  private tail: string;

  /** @param tail The hash the next record links to (the stored newest hash, or the genesis). */
  constructor(tail: string = GENESIS_HASH) {
    if (!isChainHash(tail)) throw new TypeError(`chain: tail must be 64 lower-case hex digits, got ${JSON.stringify(tail)}`);
    this.tail = tail;
  }

  /** The hash the next record will link to. */
  get head(): string {
    return this.tail;
  }

  /** Hashes `fields` onto the tail and returns the chained record. */
  link<F extends ChainFields>(fields: F): F & { hash: string; prevHash: string } {
    const prevHash = this.tail;
    const hash = recordHash(fields, prevHash);
    this.tail = hash;
    return { ...fields, hash, prevHash };
  }
}
