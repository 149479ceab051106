/**
 * The tamper suite, run on every store: legitimate histories verify, and every direct change
 * to the database is reported with the right kind and id. Each store supplies a {@link Harness}
 * that makes a chained store and changes its data behind its back (state access, SQL).
 */
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import { ChainLinker, type ChainedRecord } from "../../src/integrity/chain.js";
import type { Store } from "../../src/store.js";
import type { NewLogRecord } from "../../src/types.js";

/** Direct changes to a store's data, as someone with access to the database would make them. */
export interface Tamper {
  edit(id: number, field: "message" | "level" | "user" | "timeUs", value: string | number): Promise<void>;
  remove(ids: number[]): Promise<void>;
  /** Exchanges everything but the ids of two rows (hashes included). */
  swap(a: number, b: number): Promise<void>;
  /** Inserts a row as given. */
  insert(record: ChainedRecord): Promise<void>;
  /** Overwrites the fields and hashes of existing rows, and the store's head with the last one. */
  rewrite(records: ChainedRecord[]): Promise<void>;
  /** Makes the next id skip `n` values (what a rolled-back PostgreSQL transaction does). */
  gap(n: number): Promise<void>;
}

export interface Chained {
  store: Store;
  tamper: Tamper;
  /** Another store on the same data (a second writer, or a restart after `store.close()`). */
  another?(): Promise<Store>;
}

export interface Harness {
  name: string;
  /** Whether `another()` exists: several writers share the data (SQLite, PostgreSQL). */
  shared: boolean;
  make(): Promise<Chained>;
}

const keys = generateKeyPairSync("ed25519");
const otherKeys = generateKeyPairSync("ed25519");

let clock = 1_700_000_000_000_000;
export function batch(n: number, user = "alice", level: NewLogRecord["level"] = "INFO"): NewLogRecord[] {
  return Array.from({ length: n }, (_, i) => ({ timeUs: (clock += 1000), level, category: "system", user, message: `message ${i} "quoted" \\ é` }));
}

export async function readAll(store: Store): Promise<ChainedRecord[]> {
  const out: ChainedRecord[] = [];
  for (let after = 0; ; ) {
    const page = await store.readChain!(after, 1000);
    out.push(...page);
    if (page.length < 1000) return out;
    after = page[page.length - 1]!.id;
  }
}

export function tamperSuite(harness: Harness, enabled = true): void {
  describe.runIf(enabled)(`tamper suite: ${harness.name}`, () => {
    async function setup(n = 10) {
      const chained = await harness.make();
      const hub = new LogEventHub({ store: chained.store });
      await chained.store.appendLogs(batch(n));
      return { ...chained, hub };
    }
    const verify = (hub: LogEventHub, extra: object = {}) => hub.verifyLogs({ publicKey: keys.publicKey, ...extra });

    it("an untouched log verifies, with checkpoints along the way", async () => {
      const { store, hub } = await setup(10);
      const first = await hub.checkpoint(keys.privateKey);
      await store.appendLogs(batch(5));
      const second = await hub.checkpoint(keys.privateKey);
      expect(first.id).toBe(10);
      expect(second.id).toBe(15);
      const report = await verify(hub, { checkpoints: [first, second] });
      expect(report).toMatchObject({ ok: true, checked: 15, firstId: 1, lastId: 15, checkpointsChecked: 2, breaks: [] });
      expect(await hub.verifyLogs({ fromId: 6, toId: 12 })).toMatchObject({ ok: true, checked: 7, firstId: 6, lastId: 12 });
      await hub.close();
    });

    it("retention, filtered clears (holes) and a full clear are recorded and verify", async () => {
      const { store, hub } = await setup(20);
      const checkpoints = [await hub.checkpoint(keys.privateKey)];
      expect(await store.prune({ maxLogs: 15 })).toMatchObject({ logs: 5 });
      await store.appendLogs([...batch(3, "bob"), ...batch(2, "carol"), ...batch(3, "bob")]);
      checkpoints.push(await hub.checkpoint(keys.privateKey));
      expect(await store.clearLogs({ user: "bob" })).toBe(6);
      expect(await verify(hub, { checkpoints })).toMatchObject({ ok: true, breaks: [] });
      const cutoff = (await store.queryLogs({ order: "asc", limit: 3 }))[2]!.timeUs;
      expect(await store.prune({ logsBeforeUs: cutoff })).toMatchObject({ logs: 2 });
      checkpoints.push(await hub.checkpoint(keys.privateKey));
      expect(await store.clearLogs({})).toBeGreaterThan(0);
      checkpoints.push(await hub.checkpoint(keys.privateKey));
      await store.appendLogs(batch(4));
      const report = await verify(hub, { checkpoints });
      expect(report.breaks).toEqual([]);
      expect(report).toMatchObject({ ok: true, checked: 4 + (await store.readRemovals!()).length });
      expect(report.removalsApplied).toBeGreaterThan(0);
      await hub.close();
    });

    it("records removed without a recorded removal are reported even next to a recorded one", async () => {
      const { store, tamper, hub } = await setup(12);
      await store.clearLogs({ user: "nobody" });
      await store.prune({ maxLogs: 9 }); // 1..3 removed on purpose
      await tamper.remove([4]);
      const report = await hub.verifyLogs();
      expect(report.breaks).toEqual([expect.objectContaining({ kind: "deleted", id: 1 })]);
      await hub.close();
    });

    for (const [field, value] of [
      ["message", "nothing happened"],
      ["level", "ERROR"],
      ["user", "mallory"],
      ["timeUs", 1],
    ] as const) {
      it(`an edited ${field} is reported as edited at its id`, async () => {
        const { tamper, hub } = await setup(10);
        const checkpoint = await hub.checkpoint(keys.privateKey);
        await tamper.edit(4, field, value);
        const report = await verify(hub, { checkpoints: [checkpoint] });
        expect(report.ok).toBe(false);
        expect(report.breaks).toEqual([expect.objectContaining({ kind: "edited", id: 4 })]);
        await hub.close();
      });
    }

    it("a record deleted in the middle is reported as deleted at its id", async () => {
      const { tamper, hub } = await setup(10);
      await tamper.remove([5]);
      expect((await hub.verifyLogs()).breaks).toEqual([expect.objectContaining({ kind: "deleted", id: 5 })]);
      await hub.close();
    });

    it("a deleted tail is reported as truncated, from the checkpoint and from the store's head", async () => {
      const { tamper, hub } = await setup(10);
      const checkpoint = await hub.checkpoint(keys.privateKey);
      await tamper.remove([9, 10]);
      expect((await verify(hub, { checkpoints: [checkpoint] })).breaks).toEqual([expect.objectContaining({ kind: "truncated", id: 9 })]);
      expect((await hub.verifyLogs()).breaks).toEqual([expect.objectContaining({ kind: "truncated", id: 9 })]);
      await hub.close();
    });

    it("two swapped records are reported as reordered at both ids", async () => {
      const { tamper, hub } = await setup(10);
      await tamper.swap(4, 6);
      const report = await hub.verifyLogs();
      expect(report.breaks).toEqual([expect.objectContaining({ kind: "reordered", id: 4 }), expect.objectContaining({ kind: "reordered", id: 6 })]);
      await hub.close();
    });

    it("a forged record slipped into an unused id is reported as inserted", async () => {
      const { store, tamper, hub } = await setup(5);
      await tamper.gap(5);
      await store.appendLogs(batch(5));
      expect(await hub.verifyLogs()).toMatchObject({ ok: true, checked: 10 });
      const [before] = await store.readChain!(4, 1);
      const forged = new ChainLinker(before!.hash).link({ id: 8, timeUs: before!.timeUs + 1, level: "INFO", category: "system", user: "alice", message: "approved" });
      await tamper.insert(forged);
      expect((await hub.verifyLogs()).breaks).toEqual([expect.objectContaining({ kind: "inserted", id: 8 })]);
      await hub.close();
    });

    it("an edit followed by re-hashing the whole chain is caught by the checkpoint only", async () => {
      const { store, tamper, hub } = await setup(10);
      const checkpoint = await hub.checkpoint(keys.privateKey);
      const records = await readAll(store);
      const linker = new ChainLinker(records[2]!.hash);
      const rewritten = records.slice(3).map((r) => linker.link({ ...r, message: r.id === 4 ? "nothing happened" : r.message }));
      await tamper.rewrite(rewritten);
      expect(await hub.verifyLogs()).toMatchObject({ ok: true }); // what a chain alone cannot see
      const report = await verify(hub, { checkpoints: [checkpoint] });
      expect(report.breaks).toEqual([expect.objectContaining({ kind: "checkpoint-mismatch", id: 10 })]);
      await hub.close();
    });

    it("a checkpoint signed with another key is reported as a checkpoint mismatch", async () => {
      const { hub } = await setup(10);
      const forged = await hub.checkpoint(otherKeys.privateKey);
      const report = await verify(hub, { checkpoints: [forged] });
      expect(report.breaks).toEqual([expect.objectContaining({ kind: "checkpoint-mismatch", id: 10 })]);
      await hub.close();
    });

    // Only stores whose data several writers share (memory has no second writer).
    if (harness.shared) it("a second writer and a restart keep one chain", async () => {
      const { store, hub, another } = await setup(3);
      const second = await another!();
      for (let i = 0; i < 5; i++) {
        await store.appendLogs(batch(2));
        await second.appendLogs(batch(3));
      }
      await second.prune({ maxLogs: 20 });
      await hub.close();
      const restarted = await another!();
      await restarted.appendLogs(batch(2));
      await second.clearLogs({ user: "nobody" });
      const again = new LogEventHub({ store: restarted });
      expect(await again.verifyLogs()).toMatchObject({ ok: true, breaks: [] });
      await second.close();
      await again.close();
    });
  });
}
