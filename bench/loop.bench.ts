/**
 * The event loop stays free (issue 11): a host serving HTTP from a SQLite store of 1,000,000
 * rows (times BENCH_SCALE) keeps answering small requests while heavy store work runs.
 *
 * One process holds the hub, its SQLite store and an Express server (the adapter from
 * `examples/`). A client in the same process sends `GET /api/v1/log?limit=1` back to back
 * (one at a time) and records each latency, while `monitorEventLoopDelay` samples the loop.
 * Two phases, same run: idle (only the small requests), then heavy: at the same time, in a
 * loop until the phase ends, the worst text query (a short non-ASCII text that matches nothing
 * and so checks every row in JavaScript), a count (`text=container`, a third of the table),
 * and a CSV export of every row over HTTP (read and discarded by the client).
 *
 * Targets: during the heavy phase the small request's p99 at most 50 ms and the loop delay's
 * max at most 100 ms.
 *
 * Both ways the store can read, in the same run, each on a fresh hub over the same file: with
 * its reader thread (the default; data-dependent reads on a worker) and without
 * (`readerThread: false`, windows on the main thread: the baseline). `BENCH_LOOP_MODES`
 * (`reader,main` by default) picks them.
 */
import express from "express";
import { mkdtempSync, rmSync } from "node:fs";
import { request, Agent } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { hubRouter } from "../examples/express/hub-router.js";
import { LogEventHub } from "../src/hub.js";
import { SqliteStore } from "../src/stores/sqlite/index.js";
import { type BenchRow, quantile, scaled } from "./harness.js";
import { bigFile } from "./sqlite.bench.js";

const SUITE = "event loop (sqlite)";
const PHASE_MS = Number(process.env.BENCH_LOOP_MS ?? 15_000);

function get(agent: Agent, url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      let bytes = 0;
      res.on("data", (chunk: Buffer) => (bytes += chunk.length));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Small requests back to back until `until`; their latencies in ms. */
async function smallRequests(agent: Agent, base: string, until: number): Promise<number[]> {
  const out: number[] = [];
  while (performance.now() < until) {
    const start = performance.now();
    const { status } = await get(agent, `${base}/api/v1/log?limit=1`);
    if (status !== 200) throw new Error(`small request answered ${status}`);
    out.push(performance.now() - start);
  }
  return out;
}

interface Measured {
  idle: number[];
  heavy: number[];
  idleLoop: { max: number; p99: number };
  heavyLoop: { max: number; p99: number };
  work: string;
}

/** The idle phase then the heavy phase, on a fresh hub over `path`. */
async function measure(path: string, rows: number, readerThread: boolean): Promise<Measured> {
  const hub = new LogEventHub({ store: new SqliteStore({ filename: path, queryTimeoutMs: 0, readerThread }) });
  await hub.open();
  const app = express();
  app.use("/hub", hubRouter(hub));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`;
  const small = new Agent({ keepAlive: true, maxSockets: 1 });
  const heavyAgent = new Agent({ keepAlive: true, maxSockets: 4 });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  try {
    // Warm-up: the JIT, the statement cache and the page cache.
    await smallRequests(small, base, performance.now() + 1000);
    await hub.countLogs({ text: "container" });

    histogram.enable();
    const idle = await smallRequests(small, base, performance.now() + PHASE_MS);
    histogram.disable();
    const idleLoop = { max: histogram.max / 1e6, p99: histogram.percentile(99) / 1e6 };
    histogram.reset();

    const until = performance.now() + PHASE_MS;
    const done = { text: 0, count: 0, exports: 0, exportBytes: 0, textMs: [] as number[], countMs: [] as number[], exportMs: [] as number[] };
    const loop = async (fn: () => Promise<void>) => {
      while (performance.now() < until) await fn();
    };
    histogram.enable();
    const cpu0 = process.cpuUsage();
    const [heavy] = await Promise.all([
      smallRequests(small, base, until),
      loop(async () => {
        const t = performance.now();
        const { status } = await get(heavyAgent, `${base}/api/v1/log?limit=20&text=${encodeURIComponent("zé")}`);
        if (status !== 200) throw new Error(`text query answered ${status}`);
        done.text++;
        done.textMs.push(performance.now() - t);
      }),
      loop(async () => {
        const t = performance.now();
        await hub.countLogs({ text: "container" });
        done.count++;
        done.countMs.push(performance.now() - t);
      }),
      loop(async () => {
        const t = performance.now();
        const { status, bytes } = await get(heavyAgent, `${base}/api/v1/log/export`);
        if (status !== 200) throw new Error(`export answered ${status}`);
        done.exports++;
        done.exportBytes += bytes;
        done.exportMs.push(performance.now() - t);
      }),
    ]);
    const cpu = process.cpuUsage(cpu0);
    histogram.disable();
    const heavyLoop = { max: histogram.max / 1e6, p99: histogram.percentile(99) / 1e6 };
    const fmt = (xs: number[]) => (xs.length ? `${Math.round(quantile(xs, 0.5))} ms p50` : "none finished");
    const work =
      `${done.text} text queries (${fmt(done.textMs)}), ${done.count} counts (${fmt(done.countMs)}), ` +
      `${done.exports} full exports (${fmt(done.exportMs)}, ${(done.exportBytes / 2 ** 20).toFixed(0)} MiB) in ${PHASE_MS / 1000} s; ` +
      `process CPU ${((cpu.user + cpu.system) / 1000 / PHASE_MS).toFixed(2)} cores`;
    void rows;
    return { idle, heavy, idleLoop, heavyLoop, work };
  } finally {
    small.destroy();
    heavyAgent.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await hub.close();
  }
}

export default async function loopBench(): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), "leh-loop-bench-"));
  const rows = scaled(1_000_000);
  const modes = (process.env.BENCH_LOOP_MODES ?? "reader,main").split(",").map((m) => m.trim());
  try {
    const path = await bigFile(dir, rows);
    const n = rows.toLocaleString("en-US");
    const results = new Map<string, Measured>();
    for (const mode of modes) {
      if (mode !== "reader" && mode !== "main") throw new Error(`BENCH_LOOP_MODES: unknown mode ${mode}`);
      results.set(mode, await measure(path, rows, mode === "reader"));
    }
    const out: BenchRow[] = [];
    const label = (mode: string) => (mode === "reader" ? "reader thread" : "main thread (readerThread: false)");
    const ours = results.get("reader") ?? results.get("main");
    const baseline = results.has("reader") ? results.get("main") : undefined;
    const oursName = label(results.has("reader") ? "reader" : "main");
    if (ours === undefined) return out;
    const vs = baseline === undefined ? {} : { baselineName: label("main") };
    out.push(
      {
        suite: SUITE,
        case: `GET /api/v1/log?limit=1 during heavy work, ${n} rows, p99, ${oursName} (${ours.heavy.length} requests)`,
        value: quantile(ours.heavy, 0.99),
        unit: "ms",
        ...(baseline === undefined ? {} : { baseline: quantile(baseline.heavy, 0.99), ...vs }),
        better: "lower",
        note:
          `target <= 50 ms; p50 ${quantile(ours.heavy, 0.5).toFixed(2)} ms; idle server p99 ${quantile(ours.idle, 0.99).toFixed(2)} ms ` +
          `(${ours.idle.length} requests); ${ours.work}` +
          (baseline === undefined ? "" : ` | baseline: ${baseline.heavy.length} requests, p50 ${quantile(baseline.heavy, 0.5).toFixed(2)} ms, idle p99 ${quantile(baseline.idle, 0.99).toFixed(2)} ms; ${baseline.work}`),
      },
      {
        suite: SUITE,
        case: `event-loop delay during heavy work, ${n} rows, max, ${oursName}`,
        value: ours.heavyLoop.max,
        unit: "ms",
        ...(baseline === undefined ? {} : { baseline: baseline.heavyLoop.max, ...vs }),
        better: "lower",
        note: `target <= 100 ms; idle server max ${ours.idleLoop.max.toFixed(1)} ms` + (baseline === undefined ? "" : ` (baseline's idle ${baseline.idleLoop.max.toFixed(1)} ms)`),
      },
      {
        suite: SUITE,
        case: `event-loop delay during heavy work, ${n} rows, p99, ${oursName}`,
        value: ours.heavyLoop.p99,
        unit: "ms",
        ...(baseline === undefined ? {} : { baseline: baseline.heavyLoop.p99, ...vs }),
        better: "lower",
        note: `idle server p99 ${ours.idleLoop.p99.toFixed(1)} ms` + (baseline === undefined ? "" : ` (baseline's idle ${baseline.idleLoop.p99.toFixed(1)} ms)`),
      },
    );
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
