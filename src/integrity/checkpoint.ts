/**
 * Signed checkpoints of the chain (format `leh-checkpoint-v1`): the newest id and hash at a
 * moment, signed with the host's Ed25519 key. Kept outside the database, a checkpoint is what
 * makes a truncated tail, or an edit followed by re-hashing everything after it, detectable.
 *
 * The signed bytes are the UTF-8 encoding of
 *
 * ```text
 * leh-checkpoint-v1\n<id>\n<hash>\n<time>
 * ```
 *
 * with the id in decimal, the hash as 64 lower-case hex digits and the time as an ISO 8601 UTC
 * string (`Date.prototype.toISOString`). The signature is Ed25519 (RFC 8032) over those bytes,
 * base64-encoded.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from "node:crypto";
import { isChainHash } from "./chain.js";

/** The version tag of a checkpoint (first line of the signed bytes). */
export const CHECKPOINT_FORMAT = "leh-checkpoint-v1";

/** A signed checkpoint, as JSON a host can store anywhere. */
export interface Checkpoint {
  /** Always {@link CHECKPOINT_FORMAT}. */
  format: typeof CHECKPOINT_FORMAT;
  /** The newest record's id when the checkpoint was taken (0 for an empty chain). */
  id: number;
  /** That record's hash (the genesis hash for an empty chain). */
  hash: string;
  /** When the checkpoint was taken, ISO 8601 UTC. */
  time: string;
  /** Ed25519 signature over the signed bytes, base64. */
  signature: string;
}

/** A key as the host may hold it: a `KeyObject`, or PEM text. */
export type KeyInput = KeyObject | string | Buffer;

/** The bytes a checkpoint's signature covers. */
export function checkpointBytes(checkpoint: Pick<Checkpoint, "id" | "hash" | "time">): Buffer {
  return Buffer.from(`${CHECKPOINT_FORMAT}\n${checkpoint.id}\n${checkpoint.hash}\n${checkpoint.time}`, "utf8");
}

function privateKey(key: KeyInput): KeyObject {
  const object = typeof key === "string" || Buffer.isBuffer(key) ? createPrivateKey(key) : key;
  if (object.type !== "private" || object.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`checkpoint: an Ed25519 private key is needed, got a ${object.asymmetricKeyType ?? "symmetric"} ${object.type} key`);
  }
  return object;
}

function publicKey(key: KeyInput): KeyObject {
  const object = typeof key === "string" || Buffer.isBuffer(key) ? createPublicKey(key) : key.type === "private" ? createPublicKey(key) : key;
  if (object.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`checkpoint: an Ed25519 public key is needed, got a ${object.asymmetricKeyType ?? "symmetric"} key`);
  }
  return object;
}

/**
 * Signs the chain's state `{ id, hash }` at `time` (now by default).
 *
 * @throws TypeError for a key that is not an Ed25519 private key, or a malformed id or hash.
 */
export function signCheckpoint(state: { id: number; hash: string }, key: KeyInput, time: Date = new Date()): Checkpoint {
  if (!Number.isSafeInteger(state.id) || state.id < 0) throw new TypeError(`checkpoint: id must be a safe integer >= 0, got ${String(state.id)}`);
  if (!isChainHash(state.hash)) throw new TypeError(`checkpoint: hash must be 64 lower-case hex digits, got ${JSON.stringify(state.hash)}`);
  const unsigned = { id: state.id, hash: state.hash, time: time.toISOString() };
  const signature = sign(null, checkpointBytes(unsigned), privateKey(key)).toString("base64");
  return { format: CHECKPOINT_FORMAT, ...unsigned, signature };
}

/**
 * Whether `checkpoint` is well formed and its signature verifies with `key` (an Ed25519 public
 * key, or the private key it belongs to). Never throws for a malformed checkpoint: it is simply
 * not valid.
 *
 * @throws TypeError for a key that is not an Ed25519 key.
 */
export function verifyCheckpoint(checkpoint: unknown, key: KeyInput): boolean {
  const verifier = publicKey(key);
  if (!isCheckpointShape(checkpoint)) return false;
  const signature = Buffer.from(checkpoint.signature, "base64");
  if (signature.length !== 64) return false;
  return verify(null, checkpointBytes(checkpoint), verifier, signature);
}

/** Whether a value has a checkpoint's fields with the right types (the signature is not checked). */
export function isCheckpointShape(value: unknown): value is Checkpoint {
  if (typeof value !== "object" || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    c.format === CHECKPOINT_FORMAT &&
    typeof c.id === "number" &&
    Number.isSafeInteger(c.id) &&
    c.id >= 0 &&
    isChainHash(c.hash) &&
    typeof c.time === "string" &&
    !Number.isNaN(Date.parse(c.time)) &&
    typeof c.signature === "string"
  );
}
