/**
 * The event stream at scale: `BENCH_SSE_CONNECTIONS` (default 2,000) concurrent
 * `GET /api/v1/event/stream` connections held by a separate client process against one server
 * process (Express adapter, memory store), beside the same number of long polls
 * (`GET /api/v1/event?index=..&wait=600`, re-polled at once after each answer) in the same run.
 * For `BENCH_SSE_EVENTS` events (default 20) published one at a time, `BENCH_SSE_GAP_MS`
 * apart (default 500), every connection's delay from publish to arrival (wall clock, same
 * machine) gives p50 and p99; server RSS after a full GC, with the connections open minus
 * before, gives the cost per connection. Each side gets a fresh server process, so one side's
 * freed memory does not hide the other's. Both processes raise their open-file limit to the
 * hard limit (each connection is a file descriptor on both sides).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { quantile, scaled, type BenchRow } from "./harness.js";

const connections = scaled(Number(process.env.BENCH_SSE_CONNECTIONS ?? 2000));
const events = Number(process.env.BENCH_SSE_EVENTS ?? 20);
const gapMs = Number(process.env.BENCH_SSE_GAP_MS ?? 500);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const debug = (text: string) => process.env.BENCH_DEBUG && process.stderr.write(`[sse] ${text}\n`);

/** Node with the open-file limit raised to the hard limit first. */
function node(args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn("bash", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "bash", process.execPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
}

/** Resolves with the first stdout line matching `pattern`. */
function line(child: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (text) => {
      const match = pattern.exec(text);
      if (match) {
        lines.close();
        resolve(match);
      }
    });
    child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
  });
}

interface Stats {
  streams: number;
  polls: number;
  rss: number;
  heapUsed: number;
}

async function measure(mode: "sse" | "poll"): Promise<{ p50: number; p99: number; rssPerConnection: number; heapPerConnection: number; received: number }> {
  const server = node(["--expose-gc", "--import", "tsx", fixture("sse-server.ts")]);
  try {
    const base = `http://127.0.0.1:${(await line(server, /^PORT (\d+)$/))[1]}`;
    debug(`${mode}: server at ${base}`);
    const stats = async () => (await (await fetch(`${base}/__stats`)).json()) as Stats;
    const pending = (s: Stats) => (mode === "sse" ? s.streams : s.polls);
    const before = await stats();
    const client = node(["--import", "tsx", fixture("sse-client.ts")], { BASE: base, COUNT: String(connections), MODE: mode });
    try {
      await line(client, /^ready$/);
      debug(`${mode}: client ready`);
      for (let s = await stats(); pending(s) < connections; s = await stats()) await sleep(100);
      await sleep(500);
      const loaded = await stats();
      debug(`${mode}: ${JSON.stringify(loaded)}`);
      for (let i = 0; i < events; i++) {
        await fetch(`${base}/__publish`, { method: "POST" });
        await sleep(gapMs);
        // A long poll is counted again once it re-polled: wait for all before the next event.
        for (let s = await stats(); pending(s) < connections; s = await stats()) await sleep(20);
      }
      const report = line(client, /^(\{.*\})$/);
      client.stdin.write("report\n");
      const { delays } = JSON.parse((await report)[1]!) as { delays: number[] };
      return {
        p50: quantile(delays, 0.5),
        p99: quantile(delays, 0.99),
        rssPerConnection: (loaded.rss - before.rss) / connections,
        heapPerConnection: (loaded.heapUsed - before.heapUsed) / connections,
        received: delays.length,
      };
    } finally {
      client.kill("SIGKILL");
    }
  } finally {
    server.kill("SIGTERM");
  }
}

export default async function sseBench(): Promise<BenchRow[]> {
  const poll = await measure("poll");
  const sse = await measure("sse");
  const expected = connections * events;
  for (const [name, side] of [["long polls", poll], ["streams", sse]] as const) {
    if (side.received !== expected) throw new Error(`${name}: ${side.received} deliveries, expected ${expected}`);
  }
  const suite = "event stream (SSE)";
  const baselineName = `${connections.toLocaleString("en-US")} long polls, same server`;
  const note = `${connections.toLocaleString("en-US")} connections from another process, ${events} events ${gapMs} ms apart`;
  const kb = (bytes: number) => bytes / 1024;
  return [
    { suite, case: `publish to ${connections.toLocaleString("en-US")} streams, delivered p50`, value: sse.p50, unit: "ms", baseline: poll.p50, baselineName, better: "lower", note },
    { suite, case: `publish to ${connections.toLocaleString("en-US")} streams, delivered p99`, value: sse.p99, unit: "ms", baseline: poll.p99, baselineName, better: "lower", note: `target <= 100 ms; ${note}` },
    {
      suite,
      case: "server RSS per open connection",
      value: kb(sse.rssPerConnection),
      unit: "KiB",
      baseline: kb(poll.rssPerConnection),
      baselineName,
      better: "lower",
      note: `target <= 32 KB; JS heap per connection ${kb(sse.heapPerConnection).toFixed(1)} KiB (long poll ${kb(poll.heapPerConnection).toFixed(1)} KiB); after a full GC`,
    },
  ];
}
