/**
 * Wait-for-state at scale: 10,000 concurrent `hub.waitForState` calls on 1,000 containers of a
 * runtime with a change feed. Every container changes state; we measure, per waiter, the time
 * from its container's change to its promise resolving (p50, p99, last), and the heap each
 * pending waiter costs. Baseline in the same run: the same number of bare promises, each
 * resolved by a `once` listener on one eventemitter3 emitter that the change emits on.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { EventEmitter } from "eventemitter3";
import { LogEventHub } from "../src/index.js";
import { StateWaiter } from "../src/wait/state-waiter.js";
import type { ContainerChange, ContainerRuntime } from "../src/runtime.js";
import type { ContainerInfo, ContainerType } from "../src/types.js";
import { type BenchRow, SCALE, quantile, scaled } from "./harness.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** A runtime whose state lives in a map and which pushes every change. */
class MapRuntime implements ContainerRuntime {
  readonly states = new Map<string, string>();
  private readonly listeners = new Set<(change: ContainerChange) => void>();

  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    const state = this.states.get(id);
    if (state === undefined) return undefined;
    return { cpu: 0, id, image: "busybox:latest", ipaddress: [], memory: 0, name: id, rx: 0, state, tx: 0, type };
  }

  watch(listener: (change: ContainerChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  change(id: string, state: "running" | "stopped"): void {
    this.states.set(id, state);
    for (const l of this.listeners) l({ type: "lxc", id, name: id, state });
  }
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

interface Figures {
  registerMs: number;
  /** Process CPU time from the first change to the last resolve (wall time suffers on a loaded machine). */
  cpuMs: number;
  p50: number;
  p99: number;
  last: number;
  bytesPerWaiter: number;
}

async function ours(waiters: number, containers: number, via: "hub" | "waiter" = "hub"): Promise<Figures> {
  const runtime = new MapRuntime();
  for (let c = 0; c < containers; c++) runtime.states.set(`c${c}`, "stopped");
  const hub = new LogEventHub({ runtime });
  await hub.open();
  const bare = new StateWaiter({ runtime, subscribeEvents: () => () => undefined });
  const wait = (id: string) =>
    via === "hub"
      ? hub.waitForState({ type: "lxc", id, state: "running", timeout: 600_000 })
      : bare.wait({ type: "lxc", id, state: "running", timeoutMs: 600_000 });
  const changedAt = new Float64Array(containers);
  const latency = new Float64Array(waiters);
  const before = heapUsed();
  const done: Promise<void>[] = [];
  const registering = performance.now();
  for (let i = 0; i < waiters; i++) {
    const c = i % containers;
    done.push(
      wait(`c${c}`).then(() => {
        latency[i] = performance.now() - changedAt[c]!;
      }),
    );
  }
  await settle(); // every container's first inspect answered "stopped"
  const registerMs = performance.now() - registering;
  const bytesPerWaiter = (heapUsed() - before) / waiters;
  const cpu0 = process.cpuUsage();
  for (let c = 0; c < containers; c++) {
    changedAt[c] = performance.now();
    runtime.change(`c${c}`, "running");
  }
  await Promise.all(done);
  const cpu = process.cpuUsage(cpu0);
  await hub.close();
  const values = [...latency];
  return { registerMs, cpuMs: (cpu.user + cpu.system) / 1000, p50: quantile(values, 0.5), p99: quantile(values, 0.99), last: Math.max(...values), bytesPerWaiter };
}

async function baseline(waiters: number, containers: number): Promise<Figures> {
  const emitter = new EventEmitter();
  const changedAt = new Float64Array(containers);
  const latency = new Float64Array(waiters);
  const before = heapUsed();
  const done: Promise<void>[] = [];
  const registering = performance.now();
  for (let i = 0; i < waiters; i++) {
    const c = i % containers;
    done.push(
      new Promise<void>((resolve) => emitter.once(`c${c}`, resolve)).then(() => {
        latency[i] = performance.now() - changedAt[c]!;
      }),
    );
  }
  await settle();
  const registerMs = performance.now() - registering;
  const bytesPerWaiter = (heapUsed() - before) / waiters;
  const cpu0 = process.cpuUsage();
  for (let c = 0; c < containers; c++) {
    changedAt[c] = performance.now();
    emitter.emit(`c${c}`);
  }
  await Promise.all(done);
  const cpu = process.cpuUsage(cpu0);
  const values = [...latency];
  return { registerMs, cpuMs: (cpu.user + cpu.system) / 1000, p50: quantile(values, 0.5), p99: quantile(values, 0.99), last: Math.max(...values), bytesPerWaiter };
}

export default async function waitBench(): Promise<BenchRow[]> {
  if (process.env.WAIT_BENCH_ONLY === "engine") return engineRows();
  const waiters = scaled(10_000);
  const containers = Math.max(1, Math.round(waiters / 10));
  await ours(Math.min(waiters, 1000), Math.min(containers, 100)); // warm-up
  await baseline(Math.min(waiters, 1000), Math.min(containers, 100));
  const a = await ours(waiters, containers);
  const b = await baseline(waiters, containers);
  const w = await ours(waiters, containers, "waiter");
  const label = `${waiters.toLocaleString("en-US")} waiters on ${containers.toLocaleString("en-US")} containers`;
  const base = "bare promises resolved by one emitter";
  const engine = process.env.WAIT_BENCH_ENGINE === "0" ? [] : await engineRows();
  return [
    ...engine,
    {
      suite: "wait",
      case: `${label}: register every wait (until the first inspects answered)`,
      value: a.registerMs,
      unit: "ms",
      baseline: b.registerMs,
      baselineName: base,
      better: "lower",
    },
    { suite: "wait", case: `${label}: change -> resolved, p50`, value: a.p50, unit: "ms", baseline: b.p50, baselineName: base, better: "lower" },
    { suite: "wait", case: `${label}: change -> resolved, p99`, value: a.p99, unit: "ms", baseline: b.p99, baselineName: base, better: "lower" },
    {
      suite: "wait",
      case: `${label}: change -> last waiter resolved`,
      value: a.last,
      unit: "ms",
      baseline: b.last,
      baselineName: base,
      better: "lower",
      note: "all containers change in one burst; ours re-inspects each container once",
    },
    {
      suite: "wait",
      case: `${label}: CPU time, first change -> last waiter resolved`,
      value: a.cpuMs,
      unit: "ms",
      baseline: b.cpuMs,
      baselineName: base,
      better: "lower",
      note: "process CPU (GC threads included); compare with wall time when the machine is busy",
    },
    {
      suite: "wait",
      case: `${label}: StateWaiter alone (no hub call): change -> last waiter resolved`,
      value: w.last,
      unit: "ms",
      baseline: b.last,
      baselineName: base,
      better: "lower",
      note: `CPU ${w.cpuMs.toFixed(0)} ms; register ${w.registerMs.toFixed(0)} ms; ${w.bytesPerWaiter.toFixed(0)} bytes/waiter`,
    },
    {
      suite: "wait",
      case: `${label}: heap per pending waiter`,
      value: a.bytesPerWaiter,
      unit: "bytes",
      baseline: b.bytesPerWaiter,
      baselineName: base,
      better: "lower",
      note: "ours includes the hub call, the timeout timer and the per-container entry",
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Against a real engine: our wait beside the engine's own waits, started at the same moment.

interface EngineCycle {
  ours: number;
  podmanWait: number;
  apiWait: number;
}

/**
 * `cycles` start/stop cycles of one container on a real engine (podman). Per transition, at
 * the same moment: our `hub.waitForState`, `podman wait --condition=...` (a CLI process), and
 * the API's wait (Docker's `/containers/{id}/wait?condition=not-running` for stopped; Docker's
 * API has no `running` condition, so podman's own `/libpod/containers/{id}/wait?condition=running`);
 * then the action, by `actor`: the hub's runtime (`runtime.start()`, as the demo's PUT does) or
 * the engine's CLI behind the hub's back. Times are from that moment to each wait's answer.
 */
async function engineWaits(socketPath: string, cycles: number, actor: "hub" | "cli"): Promise<Record<"running" | "stopped", EngineCycle[]>> {
  const { DockerRuntime } = await import("../src/runtimes/docker/index.js");
  const { containersConf } = await import("../test/helpers/podman-service.js");
  const { spawn } = await import("node:child_process");
  const conf = containersConf(socketPath);
  const env = { ...process.env, ...(conf && { CONTAINERS_CONF: conf }) };
  const podman = (...args: string[]) =>
    new Promise<number>((resolve, reject) => {
      const started = performance.now();
      const child = spawn("podman", args, { env, stdio: "ignore" });
      child.once("error", reject);
      child.once("exit", (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`podman ${args.join(" ")} exited ${code}`))));
    });
  const runtime = new DockerRuntime({ socketPath });
  const hub = new LogEventHub({ runtime });
  const name = `leh-bench-wait-${process.pid}`;
  await runtime.engine.request("POST", "/containers/create", {
    query: { name },
    body: { Image: "local/busy:latest", Cmd: ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 1; done'] },
  });
  const out: Record<"running" | "stopped", EngineCycle[]> = { running: [], stopped: [] };
  try {
    for (let i = 0; i < cycles * 2; i++) {
      const target = i % 2 === 0 ? "running" : "stopped";
      const t0 = performance.now();
      const since = () => performance.now() - t0;
      const ours = hub.waitForState({ type: "docker", id: name, state: target, timeout: 30_000 }).then(since);
      const podmanWait = podman("wait", "--condition", target, name).then(since);
      const apiWait = (
        target === "running"
          ? runtime.engine.request("POST", `/v4.0.0/libpod/containers/${name}/wait`, { query: { condition: "running" }, timeoutMs: 30_000 })
          : runtime.engine.request("POST", `/containers/${name}/wait`, { query: { condition: "not-running" }, timeoutMs: 30_000 })
      ).then(since);
      const action =
        actor === "hub"
          ? target === "running"
            ? runtime.start("docker", name)
            : runtime.stop("docker", name, { timeoutSeconds: 5 })
          : target === "running"
            ? podman("start", name)
            : podman("stop", "-t", "5", name);
      const [o, p, a] = await Promise.all([ours, podmanWait, apiWait, action]);
      out[target].push({ ours: o, podmanWait: p, apiWait: a });
      await new Promise((r) => setTimeout(r, 300)); // let the engine's cleanup of this transition finish
    }
  } finally {
    await runtime.engine.request("DELETE", `/containers/${name}`, { query: { force: true } }).catch(() => undefined);
    await hub.close();
  }
  return out;
}

async function engineRows(): Promise<BenchRow[]> {
  const { findEngine } = await import("../test/helpers/engine.js");
  const socketPath = await findEngine();
  if (!socketPath) {
    process.stderr.write("wait.bench: no engine (run scripts/setup-podman.sh); the engine rows are left out\n");
    return [];
  }
  const cycles = Math.max(5, Math.round(20 * Math.min(1, SCALE)));
  const rows: BenchRow[] = [];
  for (const actor of ["hub", "cli"] as const) {
    const results = await engineWaits(socketPath, cycles, actor);
    for (const target of ["running", "stopped"] as const) {
      const r = results[target];
      const ours = quantile(r.map((c) => c.ours), 0.5);
      const podmanWait = quantile(r.map((c) => c.podmanWait), 0.5);
      const apiWait = quantile(r.map((c) => c.apiWait), 0.5);
      const notLater = r.filter((c) => c.ours <= Math.min(c.podmanWait, c.apiWait)).length;
      const by = actor === "hub" ? "the hub's runtime" : "the podman CLI";
      rows.push(
        { suite: "wait (podman)", case: `wait for ${target}, action by ${by}: p50 over ${r.length} cycles`, value: ours, unit: "ms", baseline: podmanWait, baselineName: `podman wait --condition=${target}`, better: "lower", note: `ours no later than both engine waits in ${notLater}/${r.length} cycles` },
        { suite: "wait (podman)", case: `wait for ${target}, action by ${by}: p50 over ${r.length} cycles`, value: ours, unit: "ms", baseline: apiWait, baselineName: target === "running" ? "API wait (libpod condition=running)" : "API wait (condition=not-running)", better: "lower" },
      );
    }
  }
  return rows;
}
