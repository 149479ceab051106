/**
 * The hub's side of the tamper-evident log: signed checkpoints of the store's chain, and
 * verification streamed over the store.
 *
 * @module
 */
import { IncompatibleStoreError, ValidationError } from "../errors.js";
import type { ChainedRecord } from "../integrity/chain.js";
import { type Checkpoint, type KeyInput, signCheckpoint } from "../integrity/checkpoint.js";
import { type ChainHead, parseRemoval, verifierRemovals } from "../integrity/removal.js";
import { type VerifyReport, verifyChain } from "../integrity/verify.js";
import type { Store } from "../store.js";

/** Options of `hub.verifyLogs()`. */
export interface VerifyLogsOptions {
  /** Verify from this id on (the first record read is trusted to link where it says). */
  fromId?: number;
  /** Verify up to this id (checkpoints past it are not compared). */
  toId?: number;
  /** Signed checkpoints kept outside the database (need `publicKey`). */
  checkpoints?: readonly Checkpoint[];
  /** The Ed25519 public key the checkpoints were signed with. */
  publicKey?: KeyInput;
  /** Records read per store page. @default 2000 */
  pageSize?: number;
  /** Called with the number of records read so far, every `progressEvery` records (a long run's progress line). */
  onProgress?: (checked: number) => void;
  /** How often `onProgress` is called, in records. @default 100000 */
  progressEvery?: number;
}

const PAGE = 2000;

type ChainStore = Store & Required<Pick<Store, "chainHead" | "readChain" | "readRemovals">>;

/** The store's chain head, or a typed error when it does not chain. */
export async function chainHeadOf(store: Store): Promise<{ store: ChainStore; head: ChainHead }> {
  const head = store.chainHead === undefined || store.readChain === undefined || store.readRemovals === undefined ? undefined : await store.chainHead();
  if (head === undefined) {
    throw new IncompatibleStoreError("The store keeps no hash chain: create it with `chain: true` to use checkpoints and verifyLogs()");
  }
  return { store: store as ChainStore, head };
}

/** Signs the chain's newest id and hash. */
export async function checkpointStore(store: Store, privateKey: KeyInput, time?: Date): Promise<Checkpoint> {
  const { head } = await chainHeadOf(store);
  try {
    return signCheckpoint({ id: head.id, hash: head.hash }, privateKey, time);
  } catch (error) {
    throw new ValidationError(`checkpoint: ${(error as Error).message}`, "privateKey");
  }
}

function checkId(value: number | undefined, name: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 1)) {
    throw new ValidationError(`${name} must be a positive integer, got ${JSON.stringify(value)}`, name);
  }
}

/** Streams the store's chain through the verifier. */
export async function verifyStore(store: Store, options: VerifyLogsOptions = {}): Promise<VerifyReport> {
  checkId(options.fromId, "fromId");
  checkId(options.toId, "toId");
  checkId(options.pageSize, "pageSize");
  checkId(options.progressEvery, "progressEvery");
  const { onProgress, progressEvery = 100_000 } = options;
  if ((options.checkpoints?.length ?? 0) > 0 && options.publicKey === undefined) {
    throw new ValidationError("verifyLogs: checkpoints need the public key they were signed with (publicKey)", "publicKey");
  }
  const { store: chained, head } = await chainHeadOf(store);
  const removals = verifierRemovals(
    head,
    (await chained.readRemovals()).flatMap((r) => {
      const note = parseRemoval(r);
      return note === undefined ? [] : [note];
    }),
  );
  // Without `toId` the stream reads to the end (records appended meanwhile chain like any, and a
  // forged record past the head is read too).
  const toId = options.toId ?? Number.POSITIVE_INFINITY;
  const checkpoints = (options.checkpoints ?? []).filter((c) => typeof c?.id !== "number" || c.id <= toId);
  const pageSize = options.pageSize ?? PAGE;
  const startAfter = options.fromId === undefined ? 0 : options.fromId - 1;
  async function* stream(): AsyncGenerator<ChainedRecord> {
    let after = startAfter;
    let read = 0;
    for (;;) {
      const page = await chained.readChain(after, pageSize);
      for (const record of page) {
        if (record.id > toId) return;
        yield record;
        if (onProgress !== undefined && ++read % progressEvery === 0) onProgress(read);
      }
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.id;
    }
  }
  let report: VerifyReport;
  try {
    report = await verifyChain(stream(), {
      anchor: options.fromId === undefined ? head.anchorHash : undefined,
      fromId: options.fromId,
      removals,
      checkpoints,
      publicKey: options.publicKey,
    });
  } catch (error) {
    if (error instanceof TypeError) throw new ValidationError(`verifyLogs: ${error.message}`, "publicKey");
    throw error;
  }
  // The store's own record of its newest link catches a cut tail even without a checkpoint
  // (not against someone who also rewrote that record: checkpoints kept elsewhere do).
  if (options.toId === undefined || options.toId >= head.id) {
    const lastId = report.lastId ?? head.anchorId;
    const lastHash = report.lastHash ?? head.anchorHash;
    if (head.id > head.anchorId && lastId < head.id && lastHash !== head.hash && !report.breaks.some((b) => b.kind === "truncated")) {
      report.breakCount++;
      report.breaks.push({
        kind: "truncated",
        id: lastId + 1,
        expected: head.hash,
        message: `the log ends at id ${lastId} but the store's chain head names record ${head.id}: the newest records were removed`,
      });
      report.ok = false;
    }
  }
  return report;
}
