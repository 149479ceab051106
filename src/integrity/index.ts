/**
 * `log-event-hub/integrity`: the tamper-evident log's building blocks: the hash chain's
 * canonical format, signed checkpoints, the streaming verifier, and the removal records a
 * chained store writes. A hub uses them through `hub.checkpoint()` and `hub.verifyLogs()`
 * over a store created with `chain: true`; see `docs/integrity.md`.
 *
 * @module
 */
export { CHAIN_FORMAT, ChainLinker, GENESIS_HASH, canonicalRecord, isChainHash, recordHash, type ChainFields, type ChainedRecord } from "./chain.js";
export { CHECKPOINT_FORMAT, checkpointBytes, isCheckpointShape, signCheckpoint, verifyCheckpoint, type Checkpoint, type KeyInput } from "./checkpoint.js";
export { ChainVerifier, verifyChain, type ChainBreak, type ChainBreakKind, type RecordedRemoval, type VerifyOptions, type VerifyReport } from "./verify.js";
export {
  REMOVAL_CATEGORY,
  parseRemoval,
  planRemovals,
  removalFields,
  verifierRemovals,
  emptyHead,
  type ChainHead,
  type RemainingLinks,
  type RemovalNote,
  type RemovedLink,
} from "./removal.js";
export type { VerifyLogsOptions } from "../hub/integrity.js";
