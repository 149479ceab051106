import { afterEach, describe, expect, it } from "vitest";
import { LogEventHub, MemoryStore, toLogJson, ValidationError, type LogRecord } from "../../src/index.js";
import { seedLogResponse } from "../fixtures/seed.js";

const hubs: LogEventHub<string>[] = [];
function makeHub(options: ConstructorParameters<typeof LogEventHub<string>>[0] = {}) {
  const hub = new LogEventHub<string>(options);
  hubs.push(hub);
  return hub;
}
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

/** Appends the seed's five records (oldest first) after 47 filler records, so ids are 48..52. */
async function seedHub() {
  const hub = makeHub();
  for (let i = 1; i <= 47; i++) await hub.info("system", `filler ${i}`, "system");
  for (const r of [...seedLogResponse].reverse()) {
    await hub.log({ level: r.level, category: r.category as "import", user: r.user, message: r.message, timeUs: r.ts * 1_000_000 + 250_000 });
  }
  return hub;
}

describe("activity log on the memory store", () => {
  it("reproduces the seed's GET /api/v1/log?limit=5 response", async () => {
    const hub = await seedHub();
    const records = await hub.queryLogs(hub.parseLogQuery(new URLSearchParams("limit=5")));
    expect(JSON.stringify(records.map(toLogJson))).toBe(JSON.stringify(seedLogResponse));
  });

  it("assigns strictly increasing ids, never reused after clearing", async () => {
    const hub = makeHub();
    const a = await hub.info("system", "one");
    const b = await hub.info("system", "two");
    expect(b.id).toBe(a.id + 1);
    expect(await hub.clearLogs()).toBe(2);
    const c = await hub.info("system", "three");
    expect(c.id).toBeGreaterThan(b.id);
  });

  it("keeps microsecond time and integer seconds", async () => {
    const hub = makeHub();
    const r = await hub.log({ level: "info", category: "backup", user: "system", message: "m", timeUs: 1426613226452144 });
    expect(r).toMatchObject({ level: "INFO", ts: 1426613226, timeUs: 1426613226452144 });
    const d = await hub.log({ level: "Warn", category: "backup", user: "system", message: "m", time: new Date(1426613226452) });
    expect(d.timeUs).toBe(1426613226452000);
    expect(d.level).toBe("WARN");
  });

  it("uses the injected clock and defaults info/warn/error user to system", async () => {
    const hub = makeHub({ clock: { nowUs: () => 1_000_000_123_456 } });
    const r = await hub.warn("image", "careful");
    expect(r).toMatchObject({ user: "system", level: "WARN", timeUs: 1_000_000_123_456, ts: 1_000_000 });
    expect((await hub.error("image", "bad", "alice")).user).toBe("alice");
  });

  it("commits concurrent appends together and keeps call order", async () => {
    let batches = 0;
    const store = new MemoryStore();
    const append = store.appendLogs.bind(store);
    store.appendLogs = (records) => {
      batches++;
      return append(records);
    };
    const hub = makeHub({ store });
    const records = await Promise.all(Array.from({ length: 100 }, (_, i) => hub.info("system", `m${i}`)));
    expect(records.map((r) => r.message)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    expect(records.every((r, i) => i === 0 || r.id === records[i - 1]!.id + 1)).toBe(true);
    expect(batches).toBe(1);
  });

  describe("filters", () => {
    async function sample() {
      const hub = makeHub();
      const base = 1_700_000_000;
      const rows: [number, string, string, string, string][] = [
        [base + 0, "INFO", "container", "alice", "Start container (lxc, utest)"],
        [base + 1, "WARN", "image", "bob", "Disk 90% full_ish"],
        [base + 2, "ERROR", "backup", "system", "Backup error: [[Errno 2]] (lxc, utest)"],
        [base + 3, "INFO", "import", "alice", "Import task logs are cleared"],
        [base + 4, "WARN", "container", "bob", "Stop container (docker, 08fd4fac14b8, DockerTestAPI)"],
        [base + 5, "INFO", "system", "Anonymous", "path C:\\temp\\*.log with 'quotes' and \"double\" (a+b)?"],
      ];
      for (const [ts, level, category, user, message] of rows) {
        await hub.log({ level, category: category as "system", user, message, timeUs: ts * 1_000_000 + 500_000 });
      }
      return { hub, base };
    }
    const messages = (records: LogRecord[]) => records.map((r) => r.message);

    it("returns newest first with limit and offset", async () => {
      const { hub } = await sample();
      const all = await hub.queryLogs();
      expect(all.map((r) => r.id)).toEqual([6, 5, 4, 3, 2, 1]);
      expect((await hub.queryLogs({ limit: 2, offset: 1 })).map((r) => r.id)).toEqual([5, 4]);
      expect((await hub.queryLogs({ beforeId: 4, limit: 2 })).map((r) => r.id)).toEqual([3, 2]);
      expect(await hub.countLogs()).toBe(6);
    });

    it("time range is inclusive and time_end covers its whole second", async () => {
      const { hub, base } = await sample();
      const rs = await hub.queryLogs({ timeStart: base + 1, timeEnd: base + 3 });
      expect(rs.map((r) => r.id)).toEqual([4, 3, 2]);
      expect((await hub.queryLogs({ timeStart: 0, timeEnd: 0 })).length).toBe(6);
      expect((await hub.queryLogs({ timeEnd: base })).map((r) => r.id)).toEqual([1]);
      await expect(hub.queryLogs({ timeStart: 5, timeEnd: 4 })).rejects.toBeInstanceOf(ValidationError);
    });

    it("user is exact; level and category accept lists, any case", async () => {
      const { hub } = await sample();
      expect((await hub.queryLogs({ user: "alice" })).map((r) => r.id)).toEqual([4, 1]);
      expect((await hub.queryLogs({ user: "ALICE" })).length).toBe(0);
      expect((await hub.queryLogs({ level: ["warn", "ERROR"] })).map((r) => r.id)).toEqual([5, 3, 2]);
      expect((await hub.queryLogs({ category: "container" })).map((r) => r.id)).toEqual([5, 1]);
      expect((await hub.queryLogs({ category: ["Container", "image"] as never, level: "WARN" })).map((r) => r.id)).toEqual([5, 2]);
      expect(await hub.countLogs({ level: "INFO", user: "alice" })).toBe(2);
    });

    it("text is a literal, case-insensitive substring", async () => {
      const { hub } = await sample();
      expect(messages(await hub.queryLogs({ text: "CONTAINER (" }))).toHaveLength(2);
      expect((await hub.queryLogs({ text: "90%" })).map((r) => r.id)).toEqual([2]);
      expect((await hub.queryLogs({ text: "l_i" })).map((r) => r.id)).toEqual([2]);
      expect((await hub.queryLogs({ text: "_" })).map((r) => r.id)).toEqual([2]);
      expect((await hub.queryLogs({ text: "%" })).map((r) => r.id)).toEqual([2]);
      expect((await hub.queryLogs({ text: "[[errno" })).map((r) => r.id)).toEqual([3]);
      expect((await hub.queryLogs({ text: "\\*.log" })).map((r) => r.id)).toEqual([6]);
      expect((await hub.queryLogs({ text: "'quotes'" })).map((r) => r.id)).toEqual([6]);
      expect((await hub.queryLogs({ text: '"double"' })).map((r) => r.id)).toEqual([6]);
      expect((await hub.queryLogs({ text: "(a+b)?" })).map((r) => r.id)).toEqual([6]);
      expect((await hub.queryLogs({ text: ".*" })).length).toBe(0);
    });

    it("clears by category and counts what it removed", async () => {
      const { hub } = await sample();
      expect(await hub.clearLogs({ category: "container" })).toBe(2);
      expect(await hub.countLogs()).toBe(4);
      expect(await hub.countLogs({ category: "container" })).toBe(0);
    });
  });

  describe("bad input is refused and nothing is written", () => {
    const cases: [string, Record<string, unknown>][] = [
      ["unknown level", { level: "DEBUG", category: "system", user: "u", message: "m" }],
      ["unknown category", { level: "INFO", category: "network", user: "u", message: "m" }],
      ["empty message", { level: "INFO", category: "system", user: "u", message: "" }],
      ["non-string message", { level: "INFO", category: "system", user: "u", message: 42 }],
      ["oversized message", { level: "INFO", category: "system", user: "u", message: "x".repeat(8193) }],
      ["empty user", { level: "INFO", category: "system", user: "", message: "m" }],
      ["user with a colon", { level: "INFO", category: "system", user: "a:b", message: "m" }],
      ["oversized user", { level: "INFO", category: "system", user: "u".repeat(129), message: "m" }],
      ["bad time", { level: "INFO", category: "system", user: "u", message: "m", time: Number.NaN }],
      ["fractional timeUs", { level: "INFO", category: "system", user: "u", message: "m", timeUs: 1.5 }],
    ];
    for (const [name, input] of cases) {
      it(name, async () => {
        const hub = makeHub();
        const error = await hub.log(input as never).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ValidationError);
        expect((error as ValidationError).code).toBe("VALIDATION");
        expect(await hub.countLogs()).toBe(0);
      });
    }

    it("a bad record in a concurrent burst fails alone", async () => {
      const hub = makeHub();
      const results = await Promise.allSettled([
        hub.info("system", "ok 1"),
        hub.log({ level: "NOPE", category: "system", user: "u", message: "m" }),
        hub.info("system", "ok 2"),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
      expect(await hub.countLogs()).toBe(2);
    });

    it("typed queries are validated too, never clamped", async () => {
      const hub = makeHub();
      for (const q of [{ limit: 0 }, { limit: 1001 }, { limit: 2.5 }, { offset: -1 }, { beforeId: 0 }, { level: "TRACE" }, { category: "nope" }, { level: [] }]) {
        await expect(hub.queryLogs(q as never)).rejects.toBeInstanceOf(ValidationError);
      }
      await expect(hub.countLogs({ category: [] as never })).rejects.toBeInstanceOf(ValidationError);
      await expect(hub.clearLogs({ level: "x" })).rejects.toBeInstanceOf(ValidationError);
    });
  });

  it("registers host categories through a generic", async () => {
    const hub = new LogEventHub({ categories: ["audit"] as const });
    hubs.push(hub as unknown as LogEventHub<string>);
    const r = await hub.info("audit", "login");
    expect(r.category).toBe("audit");
    expect((await hub.queryLogs({ category: "audit" })).length).toBe(1);
  });

  it("an unknown category is refused naming each known category once", () => {
    const hub = makeHub({ categories: ["audit"] });
    const error = (() => {
      try {
        hub.parseLogQuery({ category: "nope" });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ValidationError);
    const listed = (error as Error).message.split("expected one of ")[1]!.split(", ");
    expect(listed).toEqual(["container", "image", "import", "export", "backup", "system", "audit"]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  it("applies retention: max records and max age", async () => {
    let now = 2_000_000_000_000_000;
    const hub = makeHub({ clock: { nowUs: () => now }, retention: { maxLogs: 3, maxEvents: 2 } });
    for (let i = 0; i < 5; i++) await hub.info("system", `m${i}`);
    expect(await hub.prune()).toEqual({ logs: 2, events: 0 });
    expect((await hub.queryLogs()).map((r) => r.message)).toEqual(["m4", "m3", "m2"]);
    const aged = makeHub({ clock: { nowUs: () => now }, retention: { maxLogAgeMs: 1000 } });
    await aged.info("system", "old");
    now += 2_000_000;
    await aged.info("system", "new");
    expect((await aged.prune()).logs).toBe(1);
    expect((await aged.queryLogs()).map((r) => r.message)).toEqual(["new"]);
  });

  it("the memory store is bounded by default", async () => {
    const hub = makeHub({ store: new MemoryStore({ maxLogs: 10 }) });
    for (let i = 0; i < 25; i++) await hub.info("system", `m${i}`);
    expect(await hub.countLogs()).toBe(10);
    expect((await hub.queryLogs({ limit: 1 }))[0]!.id).toBe(25);
  });

  it("refuses an unknown CSV time zone at construction", () => {
    expect(() => new LogEventHub({ timeZone: "Mars/Olympus" })).toThrow(ValidationError);
    expect(new LogEventHub({ timeZone: "Europe/Berlin" }).timeZone).toBe("Europe/Berlin");
  });

  it("emits typed log events after commit", async () => {
    const hub = makeHub();
    const seen: number[] = [];
    hub.on("log", (r) => seen.push(r.id));
    await hub.info("system", "a");
    await hub.info("system", "b");
    expect(seen).toEqual([1, 2]);
  });
});
