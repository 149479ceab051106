/**
 * Several real processes on one SQLite file: concurrent writers with a cursor reader, and a
 * writer killed with SIGKILL mid-stream.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import { SqliteStore, type SqliteDriverName } from "../../src/stores/sqlite/index.js";
import { openWith, sqliteDrivers } from "./fixtures/sqlite-drivers.js";
import { TSX_ARGS } from "../helpers/tsx.js";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "leh-sqlite-processes-"));
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function run(
  driver: SqliteDriverName,
  script: string,
  args: string[],
): { child: ChildProcess; lines: AsyncIterable<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...TSX_ARGS, join(fixtures, script), ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, LEH_TEST_SQLITE_DRIVER: driver },
  });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      children.delete(child);
      if (code !== 0 && code !== null) process.stderr.write(`${script} failed:\n${stderr}\n`);
      resolve(code);
    }),
  );
  return { child, lines: createInterface({ input: child.stdout as NodeJS.ReadableStream }), exit };
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}

// Each test starts child processes through tsx (several seconds on a loaded machine) and
// waits for hundreds of commits: the guard against a hang is generous, not a speed check.
describe.each(sqliteDrivers)("SQLite store shared by several processes (%s)", { timeout: 120_000 }, (driver) => {
  it("two appending processes and a cursor reader: every event once, in order", async () => {
    const file = join(dir, `feed-${driver}.db`);
    // Create the schema first so the three processes race on data, not on creation.
    const setup = new SqliteStore({ filename: file, driver });
    await setup.open();
    await setup.close();

    const perWriter = 240;
    const reader = run(driver, "sqlite-read-events.ts", [file, String(perWriter * 2)]);
    const readLines = collect(reader.lines);
    const a = run(driver, "sqlite-publish-events.ts", [file, "A", String(perWriter)]);
    const b = run(driver, "sqlite-publish-events.ts", [file, "B", String(perWriter)]);
    expect(await a.exit).toBe(0);
    expect(await b.exit).toBe(0);
    expect(await reader.exit).toBe(0);

    const seen = (await readLines).map((l) => JSON.parse(l) as { index: number; tag: string; seq: number });
    expect(seen).toHaveLength(perWriter * 2);
    const indexes = seen.map((e) => e.index);
    expect(indexes).toEqual([...indexes].sort((x, y) => x - y));
    expect(new Set(indexes).size).toBe(indexes.length);
    for (const tag of ["A", "B"]) {
      expect(seen.filter((e) => e.tag === tag).map((e) => e.seq)).toEqual(Array.from({ length: perWriter }, (_, i) => i));
    }
  });

  for (const synchronous of ["NORMAL", "FULL"] as const) {
    it(`crash safety (synchronous=${synchronous}): every resolved append survives SIGKILL`, async () => {
      const file = join(dir, `crash-${driver}-${synchronous}.db`);
      const writer = run(driver, "sqlite-append-forever.ts", [file, synchronous]);
      const resolved: number[] = [];
      for await (const line of writer.lines) {
        resolved.push(Number(line));
        if (resolved.length >= 300) break;
      }
      writer.child.kill("SIGKILL");
      await writer.exit;
      // Lines already written by the child but not yet read here were resolved too.
      for await (const line of writer.lines) resolved.push(Number(line));

      const check = await openWith(driver, file);
      expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
      check.close();

      const hub = new LogEventHub({ store: new SqliteStore({ filename: file, driver }) });
      const stored = new Set<number>();
      let beforeId: number | undefined;
      for (;;) {
        const page = await hub.queryLogs({ limit: 1000, ...(beforeId !== undefined && { beforeId }) });
        for (const r of page) stored.add(r.id);
        if (page.length < 1000) break;
        beforeId = page[page.length - 1]?.id;
      }
      const missing = resolved.filter((id) => !stored.has(id));
      expect(missing).toEqual([]);
      const next = await hub.info("system", "after the crash");
      expect(next.id).toBeGreaterThan(Math.max(...stored));
      await hub.close();
    });
  }
});
