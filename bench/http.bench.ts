/**
 * The Express adapter under load: requests per second, p99 latency and server CPU time per
 * request of `GET /api/v1/log?limit=20` and `GET /api/v1/event` (memory store: 1,000 records,
 * 200 events), beside a bare Express handler that sends the same bytes with the same headers,
 * in the same run. autocannon on loopback, 10 connections; the server runs in a child process
 * so the load generator does not share its event loop. After a warm-up, the two alternate for
 * `BENCH_ROUNDS` rounds (default 10; which goes first alternates too) and the median of each
 * side counts: on a 2-core machine single runs swing by 10-20%. `BENCH_SECONDS` sets each
 * run's length (default 2). Each row's note also gives the median of the per-round ratios.
 */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { BenchRow } from "./harness.js";

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 10);
type Run = { rps: number; p99: number; cpuUs: number };
const server = fileURLToPath(new URL("./fixtures/http-server.ts", import.meta.url));

export default async function httpBench(): Promise<BenchRow[]> {
  const child = spawn(process.execPath, ["--import", "tsx", server], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /PORT (\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
    });
    const base = `http://127.0.0.1:${port}`;
    const serverCpuUs = async () => Number(await (await fetch(`${base}/__cpu`)).text());
    const run = async (path: string, headers: Record<string, string> = {}, duration = seconds) => {
      const cpuBefore = await serverCpuUs();
      const result = await autocannon({ url: `${base}${path}`, connections: 10, duration, headers });
      const cpuUs = (await serverCpuUs()) - cpuBefore;
      if (result.errors > 0 || result.non2xx > 0) throw new Error(`${path}: ${result.errors} errors, ${result.non2xx} non-2xx`);
      return { rps: result.requests.average, p99: result.latency.p99, cpuUs: cpuUs / result.requests.total };
    };
    const median = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
    };
    const cases: { name: string; ours: string; bare: string; headers: Record<string, string> }[] = [
      { name: "GET /api/v1/log?limit=20", ours: "/hub/api/v1/log?limit=20", bare: "/bare/log", headers: {} },
      { name: "GET /api/v1/event", ours: "/hub/api/v1/event", bare: "/bare/event", headers: { "x-user": "alice" } },
    ];
    const rows: BenchRow[] = [];
    for (const c of cases) {
      // Warm up both paths (JIT, caches) before measuring.
      await run(c.ours, c.headers, 2);
      await run(c.bare, c.headers, 2);
      const oursRuns: Run[] = [];
      const bareRuns: Run[] = [];
      for (let round = 0; round < rounds; round++) {
        if (round % 2 === 0) {
          oursRuns.push(await run(c.ours, c.headers));
          bareRuns.push(await run(c.bare, c.headers));
        } else {
          bareRuns.push(await run(c.bare, c.headers));
          oursRuns.push(await run(c.ours, c.headers));
        }
      }
      const summary = (runs: { rps: number; p99: number; cpuUs: number }[]) => ({
        rps: median(runs.map((r) => r.rps)),
        p99: median(runs.map((r) => r.p99)),
        cpuUs: median(runs.map((r) => r.cpuUs)),
      });
      const ours = summary(oursRuns);
      const bare = summary(bareRuns);
      // The machine's speed drifts over seconds; a round's two runs are adjacent in time, so
      // the median of the per-round ratios is the steadier figure (given in the note).
      const paired = (pick: (r: { rps: number; p99: number; cpuUs: number }) => number, higher: boolean) =>
        median(oursRuns.map((o, i) => (higher ? pick(o) / pick(bareRuns[i]!) : pick(bareRuns[i]!) / pick(o)))).toFixed(2);
      const baselineName = "bare Express handler, same bytes";
      const note = (ratio: string) => `median of ${rounds} alternating runs; median per-round ratio ${ratio}`;
      rows.push(
        { suite: "http (express)", case: `${c.name}, throughput`, value: ours.rps, unit: "req/s", baseline: bare.rps, baselineName, better: "higher", note: note(paired((r) => r.rps, true)) },
        { suite: "http (express)", case: `${c.name}, latency`, value: ours.p99, unit: "ms p99", baseline: bare.p99, baselineName, better: "lower", note: note(paired((r) => r.p99, false)) },
        { suite: "http (express)", case: `${c.name}, server CPU per request`, value: ours.cpuUs, unit: "µs", baseline: bare.cpuUs, baselineName, better: "lower", note: note(paired((r) => r.cpuUs, false)) },
      );
    }
    return rows;
  } finally {
    child.kill("SIGTERM");
  }
}
