/**
 * CSV export of 1,000,000 records (scaled by `BENCH_SCALE`): rows per second and peak RSS of
 * the streaming `exportCsv`, beside the naive export (load everything, then one `Papa.unparse`)
 * in the same run, for the memory store and, when they are available, the SQLite and PostgreSQL stores.
 *
 * Each figure comes from its own child process (`bench/csv-child.ts`), so one measurement's
 * garbage cannot inflate another's peak. Each child holds a store of 1M rows and exports either
 * 100k or all of them, so the store's own memory is the same in both. Memory is shown as the
 * process's peak RSS, the export's share of it (peak minus RSS just before, which also counts
 * garbage V8 has not collected yet), and the live heap the export holds (sampled right after a
 * forced GC): streaming keeps the last flat from 100k to 1M rows, the naive export grows.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { type BenchRow, scaled } from "./harness.js";

const run = promisify(execFile);
const child = fileURLToPath(new URL("./csv-child.ts", import.meta.url));
const MiB = 1024 * 1024;

interface Measurement {
  rows: number;
  rowsPerSecond: number;
  rssBefore: number;
  rssPeak: number;
  /** Largest heap growth over the start seen right after a forced GC: what the export keeps alive. */
  liveHeap: number;
  chars: number;
}

async function measure(kind: string, mode: string, rows: number, exported: number, file: string): Promise<Measurement> {
  const stdout = await spawnChild(kind, mode, rows, file, exported);
  return JSON.parse(stdout.trim().split("\n").pop() as string) as Measurement;
}

async function spawnChild(kind: string, mode: string, rows: number, file: string, exported = rows): Promise<string> {
  const args = ["--expose-gc", "--import", "tsx", child, kind, mode, String(rows), String(exported), file];
  const { stdout } = await run(process.execPath, args, {
    maxBuffer: 1024 * 1024,
  });
  return stdout;
}

const PG_URL = process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Runs one statement on a short-lived connection; `false` when PostgreSQL is unreachable. */
async function postgres(sql: string): Promise<boolean> {
  try {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query(sql);
      return true;
    } finally {
      await client.end().catch(() => {});
    }
  } catch {
    return false;
  }
}

async function sqliteAvailable(): Promise<boolean> {
  try {
    await import("better-sqlite3");
    await import("../src/stores/sqlite/index.js");
    return true;
  } catch {
    return false;
  }
}

export default async function csvBench(): Promise<BenchRow[]> {
  const large = scaled(1_000_000);
  const small = Math.max(1, Math.round(large / 10));
  const label = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${Math.round(n / 1000)}k` : String(n));
  const kinds = ["memory", ...((await sqliteAvailable()) ? ["sqlite"] : []), ...((await postgres("SELECT 1")) ? ["postgres"] : [])];
  const out: BenchRow[] = [];
  for (const kind of kinds) {
    const dir = kind === "sqlite" ? mkdtempSync(join(tmpdir(), "leh-csv-bench-")) : "";
    try {
      const results = new Map<string, Measurement>();
      const file = kind === "sqlite" ? join(dir, "logs.db") : kind === "postgres" ? `leh_csv_bench_${process.pid}` : "";
      if (kind !== "memory") await spawnChild(kind, "prepare", large, file);
      for (const rows of [small, large]) {
        for (const mode of ["stream", "naive"]) results.set(`${mode}:${rows}`, await measure(kind, mode, large, rows, file));
      }
      const get = (mode: string, rows: number) => results.get(`${mode}:${rows}`) as Measurement;
      const suite = `csv export (${kind} store)`;
      const naiveName = "load all + one Papa.unparse";
      const [streamLarge, naiveLarge] = [get("stream", large), get("naive", large)];
      if (streamLarge.chars !== naiveLarge.chars) throw new Error(`csv bench: outputs differ (${streamLarge.chars} vs ${naiveLarge.chars} chars)`);
      for (const rows of [small, large]) {
        const [s, n] = [get("stream", rows), get("naive", rows)];
        out.push({
          suite,
          case: `${label(rows)} rows, throughput`,
          value: s.rowsPerSecond,
          unit: "rows/s",
          baseline: n.rowsPerSecond,
          baselineName: naiveName,
          note: `${Math.round(s.chars / MiB)} MiB of CSV, same size both ways; best of ${rows > 200_000 ? 2 : 3}`,
        });
      }
      out.push({
        suite,
        case: `${label(large)} rows, peak RSS of the process`,
        value: streamLarge.rssPeak / MiB,
        unit: "MiB",
        baseline: naiveLarge.rssPeak / MiB,
        baselineName: naiveName,
        better: "lower",
        note: `${Math.round(streamLarge.rssBefore / MiB)} MiB before the export (store of ${label(large)} rows)`,
      });
      for (const rows of [small, large]) {
        const [s, n] = [get("stream", rows), get("naive", rows)];
        out.push({
          suite,
          case: `${label(rows)} rows, RSS growth during the export`,
          value: Math.max(0, s.rssPeak - s.rssBefore) / MiB,
          unit: "MiB",
          baseline: Math.max(0, n.rssPeak - n.rssBefore) / MiB,
          baselineName: naiveName,
          better: "lower",
          note: "includes garbage not yet collected",
        });
      }
      for (const rows of [small, large]) {
        const [s, n] = [get("stream", rows), get("naive", rows)];
        out.push({
          suite,
          case: `${label(rows)} rows, live heap held by the export`,
          value: s.liveHeap / MiB,
          unit: "MiB",
          baseline: n.liveHeap / MiB,
          baselineName: naiveName,
          better: "lower",
          note: rows === large ? `streaming flat from ${label(small)} to ${label(large)}; naive grows with the rows` : "after a forced GC",
        });
      }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      if (kind === "postgres") await postgres(`DROP SCHEMA IF EXISTS leh_csv_bench_${process.pid} CASCADE`);
    }
  }
  return out;
}
