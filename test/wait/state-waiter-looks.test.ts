/**
 * Steady looks (`lookIntervalMs`): while a container has pending waits, the waiter looks at it
 * at a fixed interval even when the runtime's change feed says nothing (podman's feed is late),
 * one inspect per interval per waited container, never at idle containers, and no timer left
 * once the waits end. Fake clock: no timing thresholds.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ContainerChange, ContainerRuntime } from "../../src/runtime.js";
import type { ContainerInfo, ContainerType, HubEvent } from "../../src/types.js";
import { StateWaiter } from "../../src/wait/state-waiter.js";
import { LogEventHub } from "../../src/hub.js";
import { CompositeRuntime } from "../../src/runtimes/composite.js";
import { DockerRuntime } from "../../src/runtimes/docker/index.js";

/** A runtime over a map with a change feed that stays silent unless told. */
class QuietRuntime implements ContainerRuntime {
  readonly containers = new Map<string, ContainerInfo>();
  /** Inspects per container id. */
  readonly looks = new Map<string, number>();
  readonly watchers = new Set<(change: ContainerChange) => void>();

  constructor(readonly lookIntervalMs?: number) {}

  add(name: string, state: string): void {
    this.containers.set(name, { cpu: 0, id: name, image: "busybox:latest", ipaddress: [], memory: 0, name, rx: 0, state, tx: 0, type: "docker" });
  }

  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    this.looks.set(id, (this.looks.get(id) ?? 0) + 1);
    const found = this.containers.get(id);
    return found && found.type === type ? { ...found } : undefined;
  }

  watch(listener: (change: ContainerChange) => void): () => void {
    this.watchers.add(listener);
    return () => void this.watchers.delete(listener);
  }

  /** Changes the state without telling the feed (an action the feed reports late). */
  set(name: string, state: string): void {
    this.containers.get(name)!.state = state;
  }

  looksAt(name: string): number {
    return this.looks.get(name) ?? 0;
  }
}

const HOUR = 3_600_000;
const noHubEvents = (_listener: (event: HubEvent) => void) => () => undefined;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Lets pending inspects and promise callbacks run (no time passes). */
async function flush(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

describe("StateWaiter steady looks", () => {
  it("sees a state the change feed never tells at the next look, then looks no more", async () => {
    const runtime = new QuietRuntime();
    runtime.add("web", "stopped");
    const waiter = new StateWaiter({ runtime, subscribeEvents: noHubEvents, lookIntervalMs: 50 });
    let result: ContainerInfo | undefined;
    void waiter.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR }).then((info) => (result = info));
    await flush();
    expect(runtime.looksAt("web")).toBe(1);
    expect(waiter.stats()).toMatchObject({ containers: 1, waiters: 1, timers: 2 }); // the timeout and the next look
    runtime.set("web", "running"); // the feed says nothing
    await vi.advanceTimersByTimeAsync(49);
    expect(result).toBeUndefined();
    expect(runtime.looksAt("web")).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await flush();
    expect(result?.state).toBe("running");
    expect(runtime.looksAt("web")).toBe(2);
    expect(waiter.stats()).toEqual({ containers: 0, waiters: 0, timers: 0, listeners: 0 });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runtime.looksAt("web")).toBe(2); // no waits, no looks
  });

  it("looks once per interval at each waited container however many wait, and never at idle ones", async () => {
    const runtime = new QuietRuntime();
    runtime.add("web", "stopped");
    runtime.add("db", "running");
    runtime.add("idle", "stopped");
    const waiter = new StateWaiter({ runtime, subscribeEvents: noHubEvents, lookIntervalMs: 100 });
    const controller = new AbortController();
    const waits = [
      ...Array.from({ length: 50 }, () => waiter.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR, signal: controller.signal })),
      ...Array.from({ length: 50 }, () => waiter.wait({ type: "docker", id: "db", state: "stopped", timeoutMs: HOUR, signal: controller.signal })),
    ];
    const outcomes = Promise.allSettled(waits);
    await flush();
    expect(runtime.looksAt("web")).toBe(1);
    expect(runtime.looksAt("db")).toBe(1);
    for (let i = 0; i < 10; i++) {
      await vi.advanceTimersByTimeAsync(100);
      await flush();
    }
    expect(runtime.looksAt("web")).toBe(11);
    expect(runtime.looksAt("db")).toBe(11);
    expect(runtime.looksAt("idle")).toBe(0);
    // 100 wait timeouts and one look timer per waited container; hub events, runtime watch, one abort listener.
    expect(waiter.stats()).toEqual({ containers: 2, waiters: 100, timers: 102, listeners: 3 });
    controller.abort(new Error("done"));
    await outcomes;
    expect(waiter.stats()).toEqual({ containers: 0, waiters: 0, timers: 0, listeners: 0 });
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runtime.looksAt("web")).toBe(11);
    expect(runtime.looksAt("db")).toBe(11);
  });

  it("a change still looks at once, not at the next steady look", async () => {
    const runtime = new QuietRuntime();
    runtime.add("web", "stopped");
    const waiter = new StateWaiter({ runtime, subscribeEvents: noHubEvents, lookIntervalMs: 1000 });
    let result: ContainerInfo | undefined;
    void waiter.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR }).then((info) => (result = info));
    await flush();
    runtime.set("web", "running");
    for (const w of runtime.watchers) w({ type: "docker", id: "web", state: "running" });
    await flush();
    expect(result?.state).toBe("running");
    expect(runtime.looksAt("web")).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("takes the info a change carries (the runtime's read after its own action) as an answer, without inspecting", async () => {
    const runtime = new QuietRuntime();
    runtime.add("web", "stopped");
    const waiter = new StateWaiter({ runtime, subscribeEvents: noHubEvents });
    let running: ContainerInfo | undefined;
    let stopped: ContainerInfo | undefined;
    void waiter.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR }).then((info) => (running = info));
    const stillWaiting = waiter.wait({ type: "docker", id: "web", state: "stopped", timeoutMs: HOUR }).then((info) => (stopped = info));
    await flush();
    expect(stopped?.state).toBe("stopped"); // was stopped already
    await stillWaiting;
    const info = { ...runtime.containers.get("web")!, state: "running" };
    for (const w of runtime.watchers) w({ type: "docker", id: "web", name: "web", state: "running", info });
    expect(running).toBeUndefined(); // the promise callback runs on a later turn
    await flush();
    expect(running).toEqual(info);
    expect(runtime.looksAt("web")).toBe(1); // only the first look: the change's info answered
    expect(waiter.stats()).toEqual({ containers: 0, waiters: 0, timers: 0, listeners: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a change's info that does not satisfy a wait keeps it waiting, with its settle looks, and releases them when it ends", async () => {
    const runtime = new QuietRuntime();
    runtime.add("web", "stopped");
    const waiter = new StateWaiter({ runtime, subscribeEvents: noHubEvents });
    let result: ContainerInfo | undefined;
    void waiter.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR }).then((info) => (result = info));
    await flush();
    for (const w of runtime.watchers) w({ type: "docker", id: "web", name: "web", info: { ...runtime.containers.get("web")! } });
    await flush();
    expect(result).toBeUndefined();
    expect(waiter.stats().timers).toBe(2); // the timeout and the next settle look
    runtime.set("web", "running");
    await vi.advanceTimersByTimeAsync(25);
    await flush();
    expect(result?.state).toBe("running");
    expect(runtime.looksAt("web")).toBe(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("uses the runtime's lookIntervalMs by default; the option overrides it, 0 turns looks off", async () => {
    const runtime = new QuietRuntime(200);
    runtime.add("web", "stopped");
    const byRuntime = new StateWaiter({ runtime, subscribeEvents: noHubEvents });
    const off = new StateWaiter({ runtime, subscribeEvents: noHubEvents, lookIntervalMs: 0 });
    const a = new AbortController();
    const first = byRuntime.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR, signal: a.signal }).catch(() => undefined);
    await flush();
    await vi.advanceTimersByTimeAsync(1000);
    await flush();
    expect(runtime.looksAt("web")).toBe(1 + 5);
    a.abort();
    await first;
    runtime.looks.clear();
    const b = new AbortController();
    const second = off.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR, signal: b.signal }).catch(() => undefined);
    await flush();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runtime.looksAt("web")).toBe(1); // only the first look
    expect(off.stats().timers).toBe(1); // the wait's timeout, no look timer
    b.abort();
    await second;
    expect(vi.getTimerCount()).toBe(0);
  });

  it("refuses a lookIntervalMs that is not a number of milliseconds >= 0", () => {
    const runtime = new QuietRuntime();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new StateWaiter({ runtime, subscribeEvents: noHubEvents, lookIntervalMs: bad })).toThrow(/lookIntervalMs must be a number of milliseconds >= 0, got/);
      expect(() => new DockerRuntime({ socketPath: "/nonexistent.sock", lookIntervalMs: bad })).toThrow(/lookIntervalMs must be/);
    }
  });

  it("the hub passes stateLookIntervalMs through; DockerRuntime defaults to 100 ms; CompositeRuntime takes the shortest", async () => {
    expect(new DockerRuntime({ socketPath: "/nonexistent.sock" }).lookIntervalMs).toBe(100);
    expect(new DockerRuntime({ socketPath: "/nonexistent.sock", lookIntervalMs: 0 }).lookIntervalMs).toBe(0);
    expect(new CompositeRuntime({ docker: new QuietRuntime(300), lxc: new QuietRuntime(80) }).lookIntervalMs).toBe(80);
    expect(new CompositeRuntime({ docker: new QuietRuntime(0), lxc: new QuietRuntime() }).lookIntervalMs).toBeUndefined();

    const runtime = new QuietRuntime(); // asks for no looks; the hub's option does
    runtime.add("web", "stopped");
    const hub = new LogEventHub({ runtime, stateLookIntervalMs: 40 });
    await hub.open();
    let result: ContainerInfo | undefined;
    void hub.waitForState({ type: "docker", id: "web", state: "running", timeout: 60_000 }).then((info) => (result = info));
    await flush();
    const before = runtime.looksAt("web");
    runtime.set("web", "running");
    await vi.advanceTimersByTimeAsync(40);
    await flush();
    expect(result?.state).toBe("running");
    expect(runtime.looksAt("web")).toBe(before + 1);
    await hub.close();
  });
});
