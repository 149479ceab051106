/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or those named on the command line) one after
 * another and prints a markdown table of figures beside their same-run baselines.
 *
 * A ratio above 1 means ours is better than the baseline (faster, or less memory).
 */
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { join } from "node:path";
import { type BenchRow, SCALE, withRatio } from "./harness.js";

const dir = fileURLToPath(new URL(".", import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

const fmt = (n: number | undefined): string =>
  n === undefined || Number.isNaN(n) ? "" : Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2);

const rows: BenchRow[] = [];
for (const file of files) {
  process.stderr.write(`running ${file} ...\n`);
  const mod = (await import(pathToFileURL(join(dir, file)).href)) as { default: () => Promise<BenchRow[]> };
  const result = await mod.default();
  rows.push(...result.map(withRatio));
}

console.log(`Node ${process.version}, ${process.platform}/${process.arch}, BENCH_SCALE=${SCALE}\n`);
console.log("| suite | case | ours | baseline | baseline is | ratio (>1 = ours better) | note |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.suite} | ${r.case} | ${fmt(r.value)} ${r.unit} | ${r.baseline === undefined ? "" : `${fmt(r.baseline)} ${r.unit}`} | ${r.baselineName ?? ""} | ${r.ratio === undefined ? "" : r.ratio.toFixed(2)} | ${r.note ?? ""} |`,
  );
}
process.exit(0);
