/**
 * LxdRuntime against the real LXD daemon (started by `scripts/setup-lxd.sh`, as root), plus the
 * parts that need no daemon.
 *
 * The daemon's socket: `LEH_LXD_SOCKET`, else the path `scripts/setup-lxd.sh` wrote to
 * `.tmp/lxd/socket`, else `/var/lib/lxd/unix.socket`. Without a daemon these tests skip with a
 * notice; in CI they fail. Every container is created here with a unique name from the
 * `busybox` image the script imports, and deleted afterwards.
 */
import { existsSync, readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { alive, daemonPidFile, findLxd, killDaemon, lxc, startDaemon, until, withDaemonLock } from "../helpers/lxd.js";
import { LogEventHub } from "../../src/hub.js";
import { formatEventMessage } from "../../src/events/wire.js";
import type { LogRecord } from "../../src/types.js";
import { LxdRuntime, bridgeLxdEvents, loadWebSocket, mapLxdState } from "log-event-hub/lxd";
import { instanceOf, parseTimestamp } from "../../src/runtimes/lxd/events.js";

const socketPath = await findLxd();
if (!socketPath && !process.env.CI) {
  console.warn("\n[lxd.test] SKIPPED: no LXD daemon answers (set LEH_LXD_SOCKET or run `scripts/setup-lxd.sh` as root).\n");
}

describe("LXD runtime pieces (no daemon needed)", () => {
  it("maps LXD statuses to the seed's states", () => {
    expect(mapLxdState("Running")).toBe("running");
    expect(mapLxdState("Stopped")).toBe("stopped");
    expect(mapLxdState("Frozen")).toBe("paused");
    expect(mapLxdState("Thawed")).toBe("running");
    expect(mapLxdState("Starting")).toBe("starting");
    expect(mapLxdState("Stopping")).toBe("stopping");
    expect(mapLxdState("Freezing")).toBe("freezing");
    expect(mapLxdState("Error")).toBe("error");
  });

  it("reads instance names and times from lifecycle events", () => {
    expect(instanceOf("/1.0/instances/utest")).toBe("utest");
    expect(instanceOf("/1.0/instances/utest?project=p1")).toBe("utest");
    expect(instanceOf("/1.0/instances/utest/snapshots/s1")).toBeUndefined();
    expect(instanceOf("/1.0/operations/abc")).toBeUndefined();
    expect(parseTimestamp("2026-12-01T23:31:15.666402871Z")).toBe(Date.parse("2026-12-01T23:31:15Z") + 666.402);
    expect(parseTimestamp("2026-12-01T23:31:15.5+01:00")).toBe(Date.parse("2026-12-01T22:31:15Z") + 500);
  });

  it("answers RUNTIME_UNAVAILABLE without the socket path when nothing listens, and tells the logger", async () => {
    const missing = join(tmpdir(), `leh-missing-lxd-${process.pid}.sock`);
    const logged: string[] = [];
    const runtime = new LxdRuntime({ socketPath: missing, logger: (message) => logged.push(message) });
    const error = await runtime.inspect("lxc", "utest").then(() => undefined, (e: unknown) => e);
    expect(error).toMatchObject({ code: "RUNTIME_UNAVAILABLE", name: "RuntimeUnavailableError" });
    expect((error as Error).message).not.toContain(missing);
    expect(logged.join("\n")).toContain(missing);
    await expect(runtime.start("lxc", "utest")).rejects.toMatchObject({ code: "RUNTIME_UNAVAILABLE" });
    await expect(runtime.ping()).rejects.toMatchObject({ code: "RUNTIME_UNAVAILABLE" });
    expect(await runtime.inspect("docker", "utest")).toBeUndefined();
    await expect(runtime.start("docker", "x")).rejects.toMatchObject({ code: "NOT_FOUND" });
    await runtime.close();
  });

  it("names the package to install when ws is missing", async () => {
    await expect(loadWebSocket("leh-no-such-websocket-package")).rejects.toMatchObject({
      code: "MISSING_DEPENDENCY",
      packageName: "ws",
      message: expect.stringContaining("npm install ws"),
    });
    expect(typeof (await loadWebSocket())).toBe("function");
  });

  it("refuses a negative cpu sampling interval", () => {
    expect(() => new LxdRuntime({ cpuSampleMs: -1 })).toThrow(TypeError);
  });
});

describe.skipIf(!socketPath && !process.env.CI)("LxdRuntime against the real daemon", () => {
  const created = new Set<string>();
  let runtime: LxdRuntime;
  let hub: LogEventHub;
  let stopBridge: () => void;
  const logs: LogRecord[] = [];
  const suffix = `${process.pid}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    if (!socketPath) throw new Error("CI requires an LXD daemon: run scripts/setup-lxd.sh first");
    runtime = new LxdRuntime({ socketPath, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
    hub = new LogEventHub({ runtime, closeRuntime: false });
    hub.on("log", (record) => logs.push(record));
    stopBridge = bridgeLxdEvents(runtime, hub);
    await until(() => runtime.streaming);
  });

  afterAll(async () => {
    stopBridge?.();
    for (const name of created) await lxc("delete", "--force", name).catch(() => undefined);
    await hub?.close();
    await runtime?.close();
  });

  /** A new stopped container from the busybox image; not started again by a daemon restart. */
  async function createContainer(label: string): Promise<string> {
    const name = `leh-${label}-${suffix}`;
    await lxc("init", "busybox", name, "-c", "boot.autostart=false");
    created.add(name);
    return name;
  }

  async function remove(name: string): Promise<void> {
    await lxc("delete", "--force", name);
    created.delete(name);
  }

  const containerEvents = async (name: string) => {
    const page = await hub.readEvents({ limit: 200 });
    return page.events
      .map((e) => formatEventMessage(e))
      .filter((m) => m.includes(`"container":"${name}"`))
      .reverse();
  };
  const seed = (name: string, state: string) => `container:all:{"container":"${name}","state":"${state}","type":"lxc"}`;

  it("inspects a stopped, a running and an unknown container; docker answers undefined", async () => {
    const name = await createContainer("inspect");
    expect(await runtime.inspect("lxc", name)).toEqual({
      cpu: 0,
      id: name,
      image: "busybox",
      ipaddress: [],
      memory: 0,
      name,
      rx: 0,
      state: "stopped",
      tx: 0,
      type: "lxc",
    });
    expect(await runtime.inspect("lxc", `missing-${suffix}`)).toBeUndefined();
    expect(await runtime.inspect("docker", name)).toBeUndefined();
    expect(await runtime.inspect("lxc", "")).toBeUndefined();

    const started = await runtime.start("lxc", name);
    expect(started).toMatchObject({ id: name, name, state: "running", type: "lxc", image: "busybox" });
    expect(started.memory).toBeGreaterThanOrEqual(0);
    // The address comes from DHCP a moment after the start, and the memory figure from the
    // cgroup once the init has run (on a loaded machine the first read may still say 0).
    let info = started;
    await until(async () => {
      info = (await runtime.inspect("lxc", name))!;
      return info.ipaddress.length > 0 && info.memory > 0;
    }, 100);
    expect(info.ipaddress.every((a) => /^\d+\.\d+\.\d+\.\d+$/.test(a))).toBe(true);
    expect(info.rx + info.tx).toBeGreaterThan(0);
  });

  it("reports cpu use in percent over the sampling interval", async () => {
    const name = await createContainer("cpu");
    await runtime.start("lxc", name);
    const busy = spawn("lxc", ["exec", name, "--", "sh", "-c", "timeout 20 sh -c 'while :; do :; done'"], { stdio: "ignore" });
    try {
      let cpu = 0;
      // A fresh runtime has no earlier sample: its inspect takes two, 100 ms apart.
      await until(async () => {
        const fresh = new LxdRuntime({ socketPath: socketPath! });
        cpu = (await fresh.inspect("lxc", name))!.cpu;
        await fresh.close();
        return cpu > 20;
      }, 100);
      expect(cpu).toBeLessThanOrEqual(100 * 2 + 1); // this machine's cores, at most
    } finally {
      busy.kill();
    }
  });

  it("starts, stops and restarts, idempotently, with the seed's records and events", async () => {
    const name = await createContainer("act");
    expect((await runtime.start("lxc", name)).state).toBe("running");
    expect((await runtime.start("lxc", name)).state).toBe("running"); // already running: success
    expect((await runtime.restart("lxc", name, { timeoutSeconds: 10 })).state).toBe("running");
    expect((await runtime.stop("lxc", name, { timeoutSeconds: 10 })).state).toBe("stopped");
    expect((await runtime.stop("lxc", name)).state).toBe("stopped"); // already stopped: success
    expect((await runtime.restart("lxc", name)).state).toBe("running"); // stopped: a restart starts it
    expect((await runtime.stop("lxc", name, { force: true })).state).toBe("stopped");
    await expect(runtime.start("lxc", `missing-${suffix}`)).rejects.toMatchObject({ code: "NOT_FOUND" });

    const label = `(lxc, ${name})`;
    await until(() => logs.filter((r) => r.message.endsWith(label)).length >= 6);
    expect(logs.filter((r) => r.message.endsWith(label)).map((r) => r.message)).toEqual(
      ["Create", "Start", "Restart", "Stop", "Start", "Stop"].map((verb) => `${verb} container ${label}`),
    );
    expect(await containerEvents(name)).toEqual(["create", "start", "restart", "stop", "start", "stop"].map((s) => seed(name, s)));
  });

  it("puts actions done with the lxc CLI behind the runtime's back into the feed, and wakes waits on them", async () => {
    const name = await createContainer("cli");
    const running = hub.waitForState({ type: "lxc", id: name, state: "running", timeout: 30_000 });
    expect((await runtime.inspect("lxc", name))?.state).toBe("stopped"); // the wait is pending
    await lxc("start", name);
    expect((await running).state).toBe("running");
    await lxc("restart", name, "--timeout", "10");
    const stopped = hub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 30_000 });
    await lxc("stop", name, "--timeout", "10");
    expect(await stopped).toMatchObject({ name, state: "stopped", ipaddress: [] });
    await remove(name);
    await until(async () => (await containerEvents(name)).length >= 5);
    expect(await containerEvents(name)).toEqual(["create", "start", "restart", "stop", "destroy"].map((s) => seed(name, s)));
    expect(logs.filter((r) => r.message === `Destroy container (lxc, ${name})`)).toHaveLength(1);
  });

  it("waitForState: already in state, reached during the wait, timed out with the current info", async () => {
    const name = await createContainer("wait");
    expect((await hub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 30_000 })).state).toBe("stopped");
    expect((await hub.waitForState({ type: "lxc", id: name, state: "running", timeout: 0 })).state).toBe("stopped");

    const waiting = hub.waitForState({ type: "lxc", id: name, state: "running", timeout: 30_000 });
    await runtime.start("lxc", name);
    expect(await waiting).toMatchObject({ name, state: "running" });

    // Waits for stopped on a running container: the duration ends, the current info answers.
    expect(await hub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 300 })).toMatchObject({ name, state: "running" });
  });

  it("rejects NOT_FOUND for an unknown container and for one deleted mid-wait", async () => {
    await expect(hub.waitForState({ type: "lxc", id: `missing-${suffix}`, state: "running", timeout: 30_000 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const name = await createContainer("deleted");
    const waiting = hub.waitForState({ type: "lxc", id: name, state: "running", timeout: 30_000 });
    // Handled from the start: the deletion event may reject the wait before the CLI returns.
    const rejected = expect(waiting).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await runtime.inspect("lxc", name))?.state).toBe("stopped");
    await remove(name);
    await rejected;
  });

  it("resolves 1,000 waiters on one container from one lxc stop, over one subscription and one WebSocket", async () => {
    const name = await createContainer("many");
    await runtime.start("lxc", name);
    const own = new LxdRuntime({ socketPath: socketPath! });
    const watch = vi.spyOn(own, "watch");
    const ownHub = new LogEventHub({ runtime: own });
    try {
      const waits = Array.from({ length: 1000 }, () => ownHub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 60_000 }));
      await until(() => own.streaming);
      expect((await own.inspect("lxc", name))?.state).toBe("running"); // all pending
      await lxc("stop", name, "--timeout", "10");
      const infos = await Promise.all(waits);
      expect(infos.every((i) => i.state === "stopped" && i.name === name)).toBe(true);
      expect(watch).toHaveBeenCalledTimes(1);
      expect(own.streamConnections).toBe(1);
      // The last wait took the subscription along: the WebSocket is closed.
      expect(own.streaming).toBe(false);
    } finally {
      await ownHub.close();
    }
  });

  /** A runtime and hub of the test's own, counting answered inspects (to know a wait has seen the state). */
  async function watchedRuntime(hubOptions: { stateLookIntervalMs?: number } = {}) {
    const own = new LxdRuntime({ socketPath: socketPath!, reconnect: { initialDelayMs: 50, maxDelayMs: 1000 } });
    const inspected = { count: 0 };
    const inspect = own.inspect.bind(own);
    own.inspect = async (type, id) => {
      const info = await inspect(type, id);
      inspected.count++;
      return info;
    };
    const ownHub = new LogEventHub({ runtime: own, ...hubOptions });
    return { own, ownHub, inspected };
  }

  const managed = existsSync(daemonPidFile) && alive(Number(readFileSync(daemonPidFile, "utf8").trim()));
  if (!managed && !process.env.CI) console.warn("\n[lxd.test] daemon-restart test SKIPPED: the daemon was not started by scripts/setup-lxd.sh.\n");

  it.skipIf(!managed && !process.env.CI)(
    "daemon stopped mid-wait: the duration ends while it is away, the wait rejects RUNTIME_UNAVAILABLE",
    () => withDaemonLock(async () => {
      const name = await createContainer("away");
      await runtime.start("lxc", name);
      const { own, ownHub, inspected } = await watchedRuntime();
      try {
        // The daemon stays away until the wait has settled, however long stopping it takes.
        const waiting = ownHub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 8000 });
        const outcome = waiting.then(() => undefined, (e: unknown) => e);
        await until(() => inspected.count > 0);
        await killDaemon();
        const error = await outcome;
        expect(error).toMatchObject({ code: "RUNTIME_UNAVAILABLE" });
        expect((error as Error).message).not.toContain(socketPath!);
      } finally {
        await ownHub.close();
        await startDaemon();
      }
      // The container kept running through the outage.
      expect((await runtime.inspect("lxc", name))?.state).toBe("running");
    }),
    90_000,
  );

  it.skipIf(!managed && !process.env.CI)(
    "daemon restarted mid-wait: reconnects and re-inspects, so a change made while it was down is not missed",
    () => withDaemonLock(async () => {
      const name = await createContainer("restart");
      await runtime.start("lxc", name);
      const pid = (await runtime.client.request<{ pid: number }>("GET", `/1.0/instances/${name}/state`)).metadata.pid;
      expect(pid).toBeGreaterThan(0);
      // No steady looks: they would see "stopped" on their own once the daemon is back, and this
      // test is about the stream's reconnect re-inspecting (the path a runtime without looks has).
      const { own, ownHub, inspected } = await watchedRuntime({ stateLookIntervalMs: 0 });
      try {
        // An hour: without the re-inspect after the reconnect, this wait would not end within the test.
        const waiting = ownHub.waitForState({ type: "lxc", id: name, state: "stopped", timeout: 3_600_000 });
        await until(() => inspected.count > 0 && own.streaming); // the wait saw "running" and listens
        const connections = own.streamConnections;
        await killDaemon();
        // While the daemon is away, the container's init stops (as on SIGPWR): LXD emits no event
        // for it, now or later; only the re-inspect after the reconnect can see it.
        process.kill(pid, "SIGPWR");
        await until(() => !alive(pid));
        await startDaemon();
        expect(await waiting).toMatchObject({ name, state: "stopped" });
        // The re-inspect came with a new connection (the wait's end may have closed it since).
        expect(own.streamConnections).toBeGreaterThan(connections);
      } finally {
        await ownHub.close();
      }
    }),
    90_000,
  );
});
