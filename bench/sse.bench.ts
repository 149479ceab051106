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
import { spawn, type ChildProcessByStdio } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { quantile, scaled, type BenchRow } from "./harness.js";

const connections = scaled(Number(process.env.BENCH_SSE_CONNECTIONS ?? 2000));
const events = Number(process.env.BENCH_SSE_EVENTS ?? 20);
const gapMs = Number(process.env.BENCH_SSE_GAP_MS ?? 500);
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const debug = (text: string) => process.env.BENCH_DEBUG && process.stderr.write(`[sse] ${text}\n`);

type Child = ChildProcessByStdio<Writable, Readable, null>;

/** A control request on a fresh connection (no kept-alive socket that the server may be closing), retried once. */
async function control(url: string, method = "GET"): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(url, { method, headers: { connection: "close" } });
    } catch (error) {
      if (attempt >= 2) throw error;
      await sleep(200);
    }
  }
}

/** Node with the open-file limit raised to the hard limit first. */
function node(args: string[], env: Record<string, string> = {}): Child {
  return spawn("bash", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "bash", process.execPath, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "inherit"],
  });
}

/** A child's whole stdout, with a wait for the first line matching a pattern (`m` flag). */
function output(child: Child): { line(pattern: RegExp): Promise<RegExpExecArray> } {
  let text = "";
  let ended = false;
  const checks = new Set<() => void>();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    text += chunk;
    for (const check of [...checks]) check();
  });
  child.stdout.on("end", () => {
    ended = true;
    for (const check of [...checks]) check();
  });
  return {
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match) resolve(match);
          else if (ended) reject(new Error(`no line matching ${pattern} before the child's output ended`));
          else return;
          checks.delete(check);
        };
        checks.add(check);
        check();
      }),
  };
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
    const base = `http://127.0.0.1:${(await output(server).line(/^PORT (\d+)$/m))[1]}`;
    debug(`${mode}: server at ${base}`);
    server.once("exit", (code, signal) => debug(`${mode}: server exited (${code ?? signal})`));
    const stats = async () => (await (await control(`${base}/__stats`)).json()) as Stats;
    const pending = (s: Stats) => (mode === "sse" ? s.streams : s.polls);
    const before = await stats();
    const client = node(["--import", "tsx", fixture("sse-client.ts")], { BASE: base, COUNT: String(connections), MODE: mode });
    const clientOutput = output(client);
    try {
      await clientOutput.line(/^ready$/m);
      debug(`${mode}: client ready`);
      for (let s = await stats(); pending(s) < connections; s = await stats()) await sleep(100);
      await sleep(500);
      const loaded = await stats();
      debug(`${mode}: ${JSON.stringify(loaded)}`);
      for (let i = 0; i < events; i++) {
        await control(`${base}/__publish`, "POST");
        await sleep(gapMs);
        // A long poll is counted again once it re-polled: wait for all before the next event.
        for (let s = await stats(); pending(s) < connections; s = await stats()) await sleep(20);
      }
      const report = clientOutput.line(/^(\{.*\})$/m);
      client.stdin.write("report\n");
      const { delays, retries } = JSON.parse((await report)[1]!) as { delays: number[]; retries: number };
      debug(`${mode}: ${delays.length} deliveries, ${retries} retried requests`);
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
