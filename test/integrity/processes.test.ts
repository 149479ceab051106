/**
 * Several writer processes on one chained log (SQLite file, PostgreSQL schema), one of them
 * killed with SIGKILL mid-stream: the chain verifies afterwards, and a restarted writer
 * continues it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import { PostgresStore } from "../../src/stores/postgres/index.js";
import { SqliteStore } from "../../src/stores/sqlite/index.js";
import type { Store } from "../../src/store.js";
import { TSX_ARGS } from "../helpers/tsx.js";
import { dropSchema, PG_URL, requirePostgres, uniqueSchema } from "../stores/fixtures/postgres/env.js";

const writer = fileURLToPath(new URL("./fixtures/chain-writer.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "leh-chain-processes-"));
const children = new Set<ChildProcess>();
const available = await requirePostgres("test/integrity/processes.test.ts");
const schema = uniqueSchema("chainproc");

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  if (available) await dropSchema(schema);
});

function start(args: string[]): { child: ChildProcess; firstLine: Promise<void>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [...TSX_ARGS, writer, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      children.delete(child);
      if (code !== 0 && code !== null) process.stderr.write(`chain-writer failed:\n${stderr}\n`);
      resolve(code);
    }),
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  // Resolves once the writer committed 20 batches (so the kill lands mid-stream).
  const firstLine = new Promise<void>((resolve) => {
    let n = 0;
    lines.on("line", () => {
      if (++n === 20) resolve();
    });
    child.on("exit", () => resolve());
  });
  return { child, firstLine, exit };
}

async function scenario(args: (name: string, count: number) => string[], open: () => Store): Promise<void> {
  const writers = ["a", "b", "c"].map((name) => start(args(name, 60)));
  const victim = start(args("killed", 0));
  await victim.firstLine;
  victim.child.kill("SIGKILL");
  await victim.exit;
  expect(await Promise.all(writers.map((w) => w.exit))).toEqual([0, 0, 0]);
  const restarted = start(args("restarted", 12));
  expect(await restarted.exit).toBe(0);
  const hub = new LogEventHub({ store: open() });
  const report = await hub.verifyLogs();
  expect(report.breaks).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.checked).toBeGreaterThan(3 * 60);
  await hub.close();
}

describe("several writer processes keep one chain", () => {
  it("on SQLite, with one writer killed by SIGKILL", async () => {
    const filename = join(dir, "chain.db");
    await scenario((name, count) => ["sqlite", filename, name, String(count)], () => new SqliteStore({ filename }));
  }, 120_000);

  it.runIf(available)("on PostgreSQL, with one writer killed by SIGKILL", async () => {
    await scenario((name, count) => ["postgres", PG_URL, schema, name, String(count)], () => new PostgresStore({ connectionString: PG_URL, schema }));
  }, 120_000);
});
