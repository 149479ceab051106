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
import { type BenchRow, quantile, scaled } from "./harness.js";

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
  const waiters = scaled(10_000);
  const containers = Math.max(1, Math.round(waiters / 10));
  await ours(Math.min(waiters, 1000), Math.min(containers, 100)); // warm-up
  await baseline(Math.min(waiters, 1000), Math.min(containers, 100));
  const a = await ours(waiters, containers);
  const b = await baseline(waiters, containers);
  const w = await ours(waiters, containers, "waiter");
  const label = `${waiters.toLocaleString("en-US")} waiters on ${containers.toLocaleString("en-US")} containers`;
  const base = "bare promises resolved by one emitter";
  return [
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
