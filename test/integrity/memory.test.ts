/** The tamper suite on the memory store (direct state access), and its cap moving the anchor. */
import { describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import type { ChainedRecord } from "../../src/integrity/chain.js";
import { MemoryStore } from "../../src/stores/memory/index.js";
import type { LogRecord } from "../../src/types.js";
import { batch, tamperSuite } from "./tamper.js";

interface Inside {
  logs: { items: LogRecord[]; start: number };
  links: WeakMap<LogRecord, { hash: string; prevHash: string }>;
  head: { id: number; hash: string };
  nextLogId: number;
}

function memoryTamper(store: MemoryStore) {
  const inside = store as unknown as Inside;
  const find = (id: number) => inside.logs.items.find((r) => r.id === id)!;
  return {
    async edit(id: number, field: "message" | "level" | "user" | "timeUs", value: string | number) {
      (find(id) as unknown as Record<string, unknown>)[field] = value;
    },
    async remove(ids: number[]) {
      inside.logs.items = inside.logs.items.filter((r, i) => i < inside.logs.start || !ids.includes(r.id));
    },
    async swap(a: number, b: number) {
      const ra = find(a);
      const rb = find(b);
      const la = inside.links.get(ra)!;
      const lb = inside.links.get(rb)!;
      const copy = { ...ra };
      Object.assign(ra, { ...rb, id: a });
      Object.assign(rb, { ...copy, id: b });
      inside.links.set(ra, lb);
      inside.links.set(rb, la);
    },
    async insert(record: ChainedRecord) {
      const { hash, prevHash, ...fields } = record;
      const log = { ...fields, ts: Math.floor(fields.timeUs / 1e6) } as LogRecord;
      inside.links.set(log, { hash, prevHash });
      inside.logs.items.push(log);
      inside.logs.items.sort((x, y) => x.id - y.id);
    },
    async rewrite(records: ChainedRecord[]) {
      for (const { hash, prevHash, ...fields } of records) {
        const log = find(fields.id);
        Object.assign(log, fields);
        inside.links.set(log, { hash, prevHash });
      }
      const last = records[records.length - 1]!;
      inside.head = { ...inside.head, id: last.id, hash: last.hash };
    },
    async gap(n: number) {
      inside.nextLogId += n;
    },
  };
}

tamperSuite({
  name: "memory",
  shared: false,
  async make() {
    const store = new MemoryStore({ chain: true });
    return { store, tamper: memoryTamper(store) };
  },
});

describe("memory store chain", () => {
  it("records the maxLogs cap drops on append move the anchor and still verify", async () => {
    const store = new MemoryStore({ chain: true, maxLogs: 10 });
    const hub = new LogEventHub({ store });
    for (let i = 0; i < 5; i++) await store.appendLogs(batch(4));
    await store.clearLogs({ user: "nobody" });
    expect(await store.chainHead()).toMatchObject({ anchorId: 10, id: 20 });
    expect(await hub.verifyLogs()).toMatchObject({ ok: true, checked: 10, firstId: 11 });
    await hub.close();
  });

  it("a clear records who cleared (hub.clearLogs(filter, { by })); retention records system", async () => {
    const store = new MemoryStore({ chain: true });
    const hub = new LogEventHub({ store });
    await store.appendLogs([...batch(3, "bob"), ...batch(3, "carol")]);
    expect(await hub.clearLogs({ user: "bob" }, { by: "alice" })).toBe(3);
    await store.prune({ maxLogs: 1 });
    await expect(hub.clearLogs({}, { by: "a:b" })).rejects.toMatchObject({ code: "VALIDATION", param: "by" });
    const removals = (await store.readRemovals()).map((r) => ({ user: r.user, note: JSON.parse(r.message) }));
    expect(removals).toEqual([
      { user: "alice", note: { reason: "clear", fromId: 1, toId: 3, count: 3, continueFrom: expect.any(String) } },
      { user: "system", note: { reason: "retention", fromId: 1, toId: 5, count: 2, continueFrom: expect.any(String) } },
    ]);
    expect(await hub.verifyLogs()).toMatchObject({ ok: true, checked: 3, removalsApplied: 1 });
    await hub.close();
  });

  it("a store without chain refuses checkpoints and verification with a typed error", async () => {
    const hub = new LogEventHub({ store: new MemoryStore() });
    await expect(hub.verifyLogs()).rejects.toMatchObject({ code: "INCOMPATIBLE_STORE" });
    await hub.close();
  });
});
