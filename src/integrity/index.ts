/**
 * `log-event-hub/integrity`: the tamper-evident log's building blocks: the hash chain's
 * canonical format, signed checkpoints and the streaming verifier.
 *
 * @module
 */
export { CHAIN_FORMAT, ChainLinker, GENESIS_HASH, canonicalRecord, isChainHash, recordHash, type ChainFields, type ChainedRecord } from "./chain.js";
export { CHECKPOINT_FORMAT, checkpointBytes, isCheckpointShape, signCheckpoint, verifyCheckpoint, type Checkpoint, type KeyInput } from "./checkpoint.js";
export { ChainVerifier, verifyChain, type ChainBreak, type ChainBreakKind, type RecordedRemoval, type VerifyOptions, type VerifyReport } from "./verify.js";
