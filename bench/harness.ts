/**
 * Tiny benchmark harness shared by every file in `bench/`. Each `*.bench.ts` default-exports an
 * async function returning {@link BenchRow}s; `bench/run.ts` runs them all and prints one
 * markdown table. A row compares a figure with a baseline measured in the same run.
 */

/** One line of the report. */
export interface BenchRow {
  /** The bench file's topic, for example `memory store`. */
  suite: string;
  /** What was measured, for example `append, 1 caller`. */
  case: string;
  /** Our figure. */
  value: number;
  /** Unit of `value` and `baseline`, for example `ops/s`, `ms p99`, `MiB`. */
  unit: string;
  /** The same measure for the baseline, in the same run. */
  baseline?: number;
  /** What the baseline is, for example `array push`. */
  baselineName?: string;
  /** `value / baseline` (or inverted for "lower is better" units); filled by the harness. */
  ratio?: number;
  /** Higher is better (throughput) or lower (latency, memory). @default "higher" */
  better?: "higher" | "lower";
  /** Anything worth saying beside the figure. */
  note?: string;
}

/** Scale factor for data sizes: `BENCH_SCALE=0.1 npm run bench` for a quick run. */
export const SCALE = Number(process.env.BENCH_SCALE ?? "1");

/** `n` scaled by {@link SCALE}, at least 1. */
export function scaled(n: number): number {
  return Math.max(1, Math.round(n * SCALE));
}

/** Runs `fn` and returns elapsed milliseconds. */
export async function time(fn: () => unknown | Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** The q-quantile (0..1) of a list of numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[pos] as number;
}

/** Fills in `ratio`: >1 always means "ours is better than the baseline". */
export function withRatio(row: BenchRow): BenchRow {
  if (row.baseline === undefined || row.baseline === 0 || row.ratio !== undefined) return row;
  const ratio = (row.better ?? "higher") === "higher" ? row.value / row.baseline : row.baseline / row.value;
  return { ...row, ratio };
}

const LEVELS = ["INFO", "WARN", "ERROR"] as const;
const CATEGORIES = ["container", "image", "import", "export", "backup", "system"] as const;
const USERS = ["Anonymous", "system", "alice", "bob"];

/** The i-th record of a seed-like synthetic log (a fixed mix of levels, categories and users). */
export function syntheticLog(i: number) {
  return {
    level: LEVELS[i % 7 === 0 ? 2 : i % 3 === 0 ? 1 : 0]!,
    category: CATEGORIES[i % CATEGORIES.length]!,
    user: USERS[i % USERS.length]!,
    message: `Start container (lxc, utest${i % 1000}) step ${i}`,
    timeUs: 1_426_000_000_000_000 + i * 1000,
  };
}
