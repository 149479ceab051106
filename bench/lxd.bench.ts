/**
 * Wait-for-state on a real LXD daemon: a real `lxc stop` (the CLI, behind the hub's back) to
 * every one of 1,000 pending `hub.waitForState(..., "stopped")` resolved, repeated over several
 * rounds. Two zeros: when LXD reports the change (the `timestamp` of its lifecycle event
 * `instance-shutdown`, stamped by the daemon on the same host clock), and when `lxc stop` was
 * issued. Baseline in the same run, from the second zero: a client polling
 * `GET /1.0/instances/<name>/state` every 100 ms, until the first answer that says `Stopped`.
 *
 * Needs a daemon (`scripts/setup-lxd.sh`, as root) and the `busybox` image; without one it
 * reports nothing. `BENCH_LXD_ROUNDS` (default 10), `BENCH_LXD_WAITERS` (default 1000).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LogEventHub } from "../src/index.js";
import { LxdClient, LxdRuntime, type LxdLifecycleEvent } from "../src/runtimes/lxd/index.js";
import { type BenchRow, quantile } from "./harness.js";

const run = promisify(execFile);
const ROUNDS = Number(process.env.BENCH_LXD_ROUNDS ?? 10);
const WAITERS = Number(process.env.BENCH_LXD_WAITERS ?? 1000);
const POLL_MS = 100;

/** Epoch milliseconds with a sub-millisecond fraction (comparable with LXD's timestamps). */
const now = () => performance.timeOrigin + performance.now();

async function lxc(...args: string[]): Promise<void> {
  const child = run("lxc", args, { timeout: 120_000 });
  child.child.stdin?.end();
  await child;
}

export default async function lxdBench(): Promise<BenchRow[]> {
  const probe = new LxdRuntime({ requestTimeoutMs: 2000 });
  try {
    await probe.ping();
  } catch {
    process.stderr.write("lxd.bench: no LXD daemon answers (run scripts/setup-lxd.sh as root); skipped\n");
    return [];
  } finally {
    await probe.close();
  }

  const name = `leh-bench-${process.pid}`;
  await lxc("init", "busybox", name, "-c", "boot.autostart=false");
  const afterEvent: number[] = [];
  const ours: number[] = [];
  const poller: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const runtime = new LxdRuntime();
      await runtime.start("lxc", name);
      const hub = new LogEventHub({ runtime });
      // LXD's own report of the change, from a listener on the runtime's one stream.
      let reported: ((event: LxdLifecycleEvent) => void) | undefined;
      const stopReported = new Promise<LxdLifecycleEvent>((resolve) => (reported = resolve));
      const offEvents = runtime.events((event) => {
        if (event.instance === name && (event.action === "instance-shutdown" || event.action === "instance-stopped")) reported?.(event);
      });
      const resolvedAt: number[] = [];
      const waits = Array.from({ length: WAITERS }, () =>
        hub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 120_000 }).then((info) => {
          resolvedAt.push(now());
          if (info.state !== "stopped") throw new Error(`round ${round}: a wait answered ${info.state}`);
        }),
      );
      // Every wait is pending (the container runs) and the stream is open before the stop.
      while (!runtime.streaming) await new Promise((r) => setTimeout(r, 10));
      if ((await runtime.inspect("lxc", name))?.state !== "running") throw new Error("the container should run");

      // The poller: every 100 ms, like a client without a change feed.
      const client = new LxdClient();
      let polledAt: number | undefined;
      let polling = true;
      const polls = (async () => {
        while (polling) {
          const res = await client.request<{ status?: string }>("GET", `/1.0/instances/${name}/state`).catch(() => undefined);
          if (res?.metadata?.status === "Stopped") {
            polledAt = now();
            return;
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      })();

      const issued = now();
      await lxc("stop", name, "--timeout", "10");
      const event = await stopReported;
      await Promise.all(waits);
      await polls;
      polling = false;
      client.close();
      offEvents();
      await hub.close();

      for (const t of resolvedAt) afterEvent.push(t - event.time);
      for (const t of resolvedAt) ours.push(t - issued);
      poller.push(polledAt! - issued);
      const last = Math.max(...resolvedAt);
      process.stderr.write(
        `  round ${round + 1}/${ROUNDS}: LXD's event ${(event.time - issued).toFixed(1)} ms after the stop was issued; last waiter ${(last - event.time).toFixed(1)} ms after the event; poller saw Stopped ${(polledAt! - issued).toFixed(1)} ms after the stop was issued\n`,
      );
    }
  } finally {
    await lxc("delete", "--force", name).catch(() => undefined);
  }

  const suite = "lxd wait (real daemon)";
  const baselineName = `client polling the state every ${POLL_MS} ms`;
  const note = `${ROUNDS} rounds x ${WAITERS.toLocaleString("en-US")} waiters`;
  const each = `each of ${WAITERS.toLocaleString("en-US")} waiters resolved`;
  return [
    { suite, case: `LXD's lifecycle event -> ${each}, p50`, value: quantile(afterEvent, 0.5), unit: "ms", better: "lower", note: `${note}; zero = the event's timestamp` },
    { suite, case: `LXD's lifecycle event -> ${each}, p99`, value: quantile(afterEvent, 0.99), unit: "ms", better: "lower", note: `${note}; zero = the event's timestamp` },
    { suite, case: `lxc stop issued -> ${each}, p50`, value: quantile(ours, 0.5), unit: "ms", baseline: quantile(poller, 0.5), baselineName, better: "lower", note },
    { suite, case: `lxc stop issued -> ${each}, p99`, value: quantile(ours, 0.99), unit: "ms", baseline: quantile(poller, 0.99), baselineName, better: "lower", note },
  ];
}
