import { createHash, generateKeyPairSync } from "node:crypto";
import { fc, test as propTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import {
  CHAIN_FORMAT,
  ChainLinker,
  GENESIS_HASH,
  canonicalRecord,
  recordHash,
  signCheckpoint,
  verifyChain,
  verifyCheckpoint,
  type ChainFields,
  type ChainedRecord,
  type RecordedRemoval,
} from "../../src/integrity/index.js";

const keys = generateKeyPairSync("ed25519");
const otherKeys = generateKeyPairSync("ed25519");

function fields(id: number): ChainFields {
  return { id, timeUs: 1_700_000_000_000_000 + id * 1000, level: id % 7 === 0 ? "ERROR" : "INFO", category: "container", user: `user${id % 5}`, message: `Start container (lxc, c${id})` };
}

/** A chain of `n` records with ids 1..n (or the given ids). */
function chain(ids: number[]): ChainedRecord[] {
  const linker = new ChainLinker();
  return ids.map((id) => linker.link(fields(id)));
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the chain's canonical format (leh-chain-v1)", () => {
  it("is the documented JSON array, hashed with SHA-256", () => {
    const record = { id: 42, timeUs: 1_733_000_000_123_456, level: "WARN", category: "image", user: "Anonymous", message: 'quote " backslash \\ tab \t é 😀' };
    const literal = `["leh-chain-v1",42,1733000000123456,"WARN","image","Anonymous","quote \\" backslash \\\\ tab \\t é 😀","${GENESIS_HASH}"]`;
    expect(canonicalRecord(record, GENESIS_HASH).toString("utf8")).toBe(literal);
    expect(recordHash(record, GENESIS_HASH)).toBe(createHash("sha256").update(literal, "utf8").digest("hex"));
    expect(CHAIN_FORMAT).toBe("leh-chain-v1");
  });

  it("every field and the link change the hash", () => {
    const base = fields(3);
    const hash = recordHash(base, GENESIS_HASH);
    for (const changed of [{ ...base, id: 4 }, { ...base, timeUs: base.timeUs + 1 }, { ...base, level: "WARN" }, { ...base, category: "image" }, { ...base, user: "x" }, { ...base, message: `${base.message} ` }]) {
      expect(recordHash(changed, GENESIS_HASH)).not.toBe(hash);
    }
    expect(recordHash(base, "1".repeat(64))).not.toBe(hash);
  });

  it("refuses what it cannot serialise canonically", () => {
    expect(() => canonicalRecord({ ...fields(1), id: 1.5 }, GENESIS_HASH)).toThrow(/id must be a positive safe integer/);
    expect(() => canonicalRecord({ ...fields(1), timeUs: Number.NaN }, GENESIS_HASH)).toThrow(/timeUs/);
    expect(() => canonicalRecord(fields(1), "ABC")).toThrow(/prevHash/);
    expect(() => new ChainLinker("nope")).toThrow(/tail/);
  });

  it("the linker chains each record onto the previous hash", () => {
    const records = chain([1, 2, 3]);
    expect(records[0]!.prevHash).toBe(GENESIS_HASH);
    expect(records[1]!.prevHash).toBe(records[0]!.hash);
    expect(records[2]!.hash).toBe(recordHash(fields(3), records[1]!.hash));
  });
});

describe("signed checkpoints (leh-checkpoint-v1)", () => {
  const state = { id: 10, hash: recordHash(fields(10), GENESIS_HASH) };

  it("verify with the signer's public key (as a KeyObject or PEM), and with nothing else", () => {
    const checkpoint = signCheckpoint(state, keys.privateKey, new Date("2026-12-02T03:00:00Z"));
    expect(checkpoint).toMatchObject({ format: "leh-checkpoint-v1", id: 10, hash: state.hash, time: "2026-12-02T03:00:00.000Z" });
    expect(verifyCheckpoint(checkpoint, keys.publicKey)).toBe(true);
    expect(verifyCheckpoint(checkpoint, keys.publicKey.export({ type: "spki", format: "pem" }))).toBe(true);
    expect(verifyCheckpoint(checkpoint, otherKeys.publicKey)).toBe(false);
    for (const altered of [{ ...checkpoint, id: 11 }, { ...checkpoint, hash: "0".repeat(64) }, { ...checkpoint, time: "2026-12-02T03:00:01.000Z" }, { ...checkpoint, signature: "AAAA" }, { ...checkpoint, format: "x" }, null, "text"]) {
      expect(verifyCheckpoint(altered, keys.publicKey)).toBe(false);
    }
  });

  it("refuses a key that is not Ed25519 and a malformed state", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    expect(() => signCheckpoint(state, rsa.privateKey)).toThrow(/Ed25519 private key/);
    expect(() => signCheckpoint(state, keys.publicKey)).toThrow(/Ed25519 private key/);
    expect(() => verifyCheckpoint(signCheckpoint(state, keys.privateKey), rsa.publicKey)).toThrow(/Ed25519 public key/);
    expect(() => signCheckpoint({ id: -1, hash: state.hash }, keys.privateKey)).toThrow(/id/);
    expect(() => signCheckpoint({ id: 1, hash: "X" }, keys.privateKey)).toThrow(/hash/);
  });
});

describe("verifyChain", () => {
  const checkpointAt = (records: ChainedRecord[], id: number, key = keys.privateKey) => signCheckpoint({ id, hash: records.find((r) => r.id === id)!.hash }, key);

  it("an intact chain verifies, with id gaps a sequence may leave", async () => {
    const records = chain([1, 2, 3, 5, 6, 9, 10]);
    const report = await verifyChain(records, { checkpoints: [checkpointAt(records, 6), checkpointAt(records, 10)], publicKey: keys.publicKey });
    expect(report).toMatchObject({ ok: true, checked: 7, firstId: 1, lastId: 10, lastHash: records[6]!.hash, checkpointsChecked: 2, breakCount: 0, breaks: [] });
  });

  it("an edited field is reported at its id, whichever field", async () => {
    for (const edit of [{ message: "edited" }, { level: "ERROR" }, { user: "mallory" }, { timeUs: 1 }, { category: "image" }]) {
      const records = chain(range(1, 20));
      records[9] = { ...records[9]!, ...edit };
      const report = await verifyChain(records);
      expect(report.ok).toBe(false);
      expect(report.breaks).toEqual([expect.objectContaining({ kind: "edited", id: 10, found: records[9]!.hash })]);
    }
  });

  it("a deleted record in the middle, or the first, is reported at the first missing id", async () => {
    const records = chain(range(1, 20));
    expect((await verifyChain(records.filter((r) => r.id !== 8 && r.id !== 9))).breaks).toEqual([expect.objectContaining({ kind: "deleted", id: 8 })]);
    expect((await verifyChain(records.slice(1))).breaks).toEqual([expect.objectContaining({ kind: "deleted", id: 1 })]);
  });

  it("a truncated tail is caught by a checkpoint, not without one", async () => {
    const records = chain(range(1, 20));
    const checkpoint = checkpointAt(records, 20);
    const cut = records.slice(0, 15);
    expect((await verifyChain(cut)).ok).toBe(true); // the documented limit without checkpoints
    const report = await verifyChain(cut, { checkpoints: [checkpoint], publicKey: keys.publicKey });
    expect(report.breaks).toEqual([expect.objectContaining({ kind: "truncated", id: 16, expected: checkpoint.hash })]);
  });

  it("swapped records are reported as reordered at the first of them", async () => {
    for (const [a, b] of [[5, 6], [5, 30]] as const) {
      const records = chain(range(1, 40));
      const swapped = records.map((r) => (r.id === a ? { ...records[b - 1]!, id: a } : r.id === b ? { ...records[a - 1]!, id: b } : r));
      const report = await verifyChain(swapped);
      expect(report.breaks[0]).toMatchObject({ kind: "reordered", id: a });
      expect(report.breaks.every((x) => x.kind === "reordered")).toBe(true);
    }
  });

  it("a forged record slipped into an id gap is reported as inserted", async () => {
    const records = chain([1, 2, 3, 4, 6, 7]);
    const forged = { ...fields(5), message: "forged" };
    const inserted = new ChainLinker(records[3]!.hash).link(forged);
    const report = await verifyChain([...records.slice(0, 4), inserted, ...records.slice(4)]);
    expect(report.breaks).toEqual([expect.objectContaining({ kind: "inserted", id: 5 })]);
  });

  it("an edit followed by a re-hash of everything after it is caught by the checkpoint", async () => {
    const records = chain(range(1, 30));
    const checkpoint = checkpointAt(records, 25);
    const linker = new ChainLinker(records[8]!.hash);
    const rewritten = [...records.slice(0, 9), ...records.slice(9).map((r, i) => linker.link(i === 0 ? { ...fields(r.id), message: "rewritten" } : fields(r.id)))];
    expect((await verifyChain(rewritten)).ok).toBe(true); // self-consistent without the checkpoint
    const report = await verifyChain(rewritten, { checkpoints: [checkpoint], publicKey: keys.publicKey });
    expect(report.breaks).toEqual([expect.objectContaining({ kind: "checkpoint-mismatch", id: 25, expected: checkpoint.hash })]);
  });

  it("an edited record re-hashed alone is reported at its id", async () => {
    const records = chain(range(1, 10));
    records[4] = new ChainLinker(records[3]!.hash).link({ ...fields(5), user: "mallory" });
    expect((await verifyChain(records)).breaks).toEqual([expect.objectContaining({ kind: "edited", id: 5 })]);
  });

  it("a checkpoint signed with another key is a checkpoint mismatch", async () => {
    const records = chain(range(1, 10));
    const report = await verifyChain(records, { checkpoints: [checkpointAt(records, 10, otherKeys.privateKey)], publicKey: keys.publicKey });
    expect(report.breaks).toEqual([expect.objectContaining({ kind: "checkpoint-mismatch", id: 10 })]);
    await expect(verifyChain(records, { checkpoints: [checkpointAt(records, 10)] })).rejects.toThrow(/publicKey/);
  });

  it("recorded removals (front and holes, several in turn) verify; an unrecorded one does not", async () => {
    const records = chain(range(1, 50));
    const hashOf = (id: number) => records[id - 1]!.hash;
    const removals: RecordedRemoval[] = [
      { fromId: 1, toId: 10, continueFrom: hashOf(10) },
      { fromId: 11, toId: 20, continueFrom: hashOf(20) },
      { fromId: 30, toId: 30, continueFrom: hashOf(30) },
      { fromId: 33, toId: 35, continueFrom: hashOf(35) },
    ];
    const kept = records.filter((r) => !removals.some((x) => r.id >= x.fromId && r.id <= x.toId));
    const checkpoints = [checkpointAt(records, 15), checkpointAt(records, 40)];
    const report = await verifyChain(kept, { removals, checkpoints, publicKey: keys.publicKey });
    expect(report).toMatchObject({ ok: true, firstId: 21, removalsApplied: 3, checkpointsChecked: 1 });
    // A hole nobody recorded, beside the recorded ones.
    const holed = kept.filter((r) => r.id !== 45);
    expect((await verifyChain(holed, { removals })).breaks).toEqual([expect.objectContaining({ kind: "deleted", id: 45 })]);
    // A removal record that claims a different continuation does not explain the break.
    const lying = [{ ...removals[3]!, continueFrom: hashOf(34) }];
    expect((await verifyChain(records.filter((r) => r.id < 33 || r.id > 35), { removals: lying })).breaks).toEqual([expect.objectContaining({ kind: "deleted", id: 33 })]);
  });

  it("verifies from an id on, trusting where the first record links", async () => {
    const records = chain(range(1, 20));
    expect(await verifyChain(records.slice(9), { fromId: 10 })).toMatchObject({ ok: true, firstId: 10, checked: 11 });
  });

  it("lists at most maxBreaks, counts them all", async () => {
    const records = chain(range(1, 50)).map((r) => ({ ...r, message: "x" }));
    const report = await verifyChain(records, { maxBreaks: 5 });
    expect(report.breaks).toHaveLength(5);
    expect(report.breakCount).toBe(50);
  });

  type Tamper = "edit" | "delete" | "swap" | "truncate";
  propTest.prop([fc.integer({ min: 3, max: 60 }), fc.constantFrom<Tamper>("edit", "delete", "swap", "truncate"), fc.nat(), fc.nat()], { numRuns: 200 })(
    "any single tampering is reported first at the right id with the right kind",
    async (n, tamper, x, y) => {
      const records = chain(range(1, n));
      const at = 1 + (x % (n - 1)); // 1..n-1
      const checkpoints = [signCheckpoint({ id: n, hash: records[n - 1]!.hash }, keys.privateKey)];
      let tampered: ChainedRecord[];
      let expected: { kind: string; id: number };
      if (tamper === "edit") {
        tampered = records.map((r) => (r.id === at ? { ...r, message: `${r.message}!` } : r));
        expected = { kind: "edited", id: at };
      } else if (tamper === "delete") {
        tampered = records.filter((r) => r.id !== at);
        expected = { kind: "deleted", id: at };
      } else if (tamper === "swap") {
        const other = at + 1 + (y % (n - at)); // at+1..n
        tampered = records.map((r) => (r.id === at ? { ...records[other - 1]!, id: at } : r.id === other ? { ...records[at - 1]!, id: other } : r));
        expected = { kind: "reordered", id: at };
      } else {
        tampered = records.slice(0, at);
        expected = { kind: "truncated", id: at + 1 };
      }
      const report = await verifyChain(tampered, { checkpoints, publicKey: keys.publicKey });
      expect(report.ok).toBe(false);
      expect(report.breaks[0]).toMatchObject(expected);
    },
  );
});
