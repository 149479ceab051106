import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ClosedError, NotFoundError, RuntimeUnavailableError, toHttpError } from "../../src/errors.js";
import type { ContainerChange, ContainerRuntime } from "../../src/runtime.js";
import type { ContainerInfo, ContainerType, HubEvent } from "../../src/types.js";
import { StateWaiter } from "../../src/wait/state-waiter.js";
import { LogEventHub } from "../../src/hub.js";

/** A runtime over a map, with hooks to misbehave at the worst moment. */
class TestRuntime implements ContainerRuntime {
  readonly containers = new Map<string, ContainerInfo>();
  inspectCalls = 0;
  watchers = new Set<(change: ContainerChange) => void>();
  /** Runs inside `inspect`, after the state was read and before the answer is returned. */
  duringInspect: ((info: ContainerInfo | undefined) => void) | undefined;
  watch?: (listener: (change: ContainerChange) => void) => () => void;

  constructor(withWatch: boolean) {
    if (withWatch) {
      this.watch = (listener) => {
        this.watchers.add(listener);
        return () => this.watchers.delete(listener);
      };
    }
  }

  add(name: string, state: string, type: ContainerType = "lxc", id = name): void {
    this.containers.set(name, { cpu: 0, id, image: "ubuntu-trusty:latest", ipaddress: [], memory: 0, name, rx: 0, state, tx: 0, type });
  }

  /** Errors the next inspects throw, in order. */
  failures: unknown[] = [];
  /** While set, inspects hang until it resolves (a runtime that neither answers nor fails). */
  gate: Promise<void> | undefined;

  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    this.inspectCalls++;
    if (this.gate) await this.gate;
    if (this.failures.length > 0) throw this.failures.shift();
    const found = [...this.containers.values()].find((c) => c.type === type && (c.name === id || c.id === id || c.id.startsWith(id)));
    const snapshot = found && { ...found };
    await Promise.resolve();
    this.duringInspect?.(snapshot);
    return snapshot;
  }

  /** Changes state quietly (no notification). */
  set(name: string, state: string): void {
    const info = this.containers.get(name);
    if (!info) throw new Error(`no ${name}`);
    info.state = state;
  }

  /** Changes state and tells the watchers. */
  change(name: string, state: string): void {
    this.set(name, state);
    const info = this.containers.get(name)!;
    for (const w of [...this.watchers]) w({ type: info.type, id: info.id, name: info.name, state: info.state as ContainerInfo["state"] });
  }
}

/** The hub side: an emitter standing in for `hub.on("event")`, with node's listener limit. */
class TestHubEvents {
  readonly emitter = new EventEmitter();
  subscriptions = 0;
  index = 0;

  readonly subscribe = (listener: (event: HubEvent) => void): (() => void) => {
    this.subscriptions++;
    this.emitter.on("event", listener);
    return () => this.emitter.off("event", listener);
  };

  publishContainer(payload: Record<string, unknown>): void {
    this.index++;
    const event: HubEvent = { index: this.index, ts: 0, timeUs: 0, category: "container", user: "all", payload };
    this.emitter.emit("event", event);
  }
}

const HOUR = 3_600_000;
let warnings: Error[] = [];
const onWarning = (w: Error) => warnings.push(w);
beforeEach(() => {
  warnings = [];
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
});

function setup(withWatch: boolean, pollIntervalMs = HOUR, confirmTimeoutMs?: number) {
  const runtime = new TestRuntime(withWatch);
  runtime.add("utest", "stopped");
  const hub = new TestHubEvents();
  const waiter = new StateWaiter({ runtime, subscribeEvents: hub.subscribe, pollIntervalMs, ...(confirmTimeoutMs && { confirmTimeoutMs }) });
  return { runtime, hub, waiter };
}

function expectIdle(waiter: StateWaiter, hub: TestHubEvents, runtime: TestRuntime): void {
  expect(waiter.stats()).toEqual({ containers: 0, waiters: 0, timers: 0, listeners: 0 });
  expect(hub.emitter.listenerCount("event")).toBe(0);
  expect(runtime.watchers.size).toBe(0);
}

describe("StateWaiter", () => {
  it("resolves at once when the container is already in the state", async () => {
    const { runtime, hub, waiter } = setup(true);
    const info = await waiter.wait({ type: "lxc", id: "utest", state: "stopped", timeoutMs: HOUR });
    expect(info).toMatchObject({ id: "utest", name: "utest", state: "stopped", type: "lxc" });
    expect(runtime.inspectCalls).toBe(1);
    expectIdle(waiter, hub, runtime);
  });

  it("resolves on the first change that reaches the state, not on others", async () => {
    const { runtime, hub, waiter } = setup(true);
    let settled = false;
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR }).finally(() => (settled = true));
    await flush();
    runtime.change("utest", "paused");
    await flush();
    expect(settled).toBe(false);
    runtime.change("utest", "running");
    expect((await wait).state).toBe("running");
    expectIdle(waiter, hub, runtime);
  });

  it("sees a change made during the first inspect (runtime watch): subscribe first, then inspect", async () => {
    const { runtime, hub, waiter } = setup(true);
    runtime.duringInspect = () => {
      // The inspect already read "stopped"; the container starts before the answer arrives.
      runtime.duringInspect = undefined;
      runtime.change("utest", "running");
    };
    const info = await waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    expect(info.state).toBe("running");
    expect(runtime.inspectCalls).toBe(2);
    expectIdle(waiter, hub, runtime);
  });

  it("sees a change made during the first inspect (hub event, no watch, no polling in time)", async () => {
    const { runtime, hub, waiter } = setup(false);
    runtime.duringInspect = () => {
      runtime.duringInspect = undefined;
      runtime.set("utest", "running");
      hub.publishContainer({ container: "utest", state: "start", type: "lxc" });
    };
    const info = await waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    expect(info.state).toBe("running");
    expectIdle(waiter, hub, runtime);
  });

  it("wakes on hub events naming the container by name, full id or short id, and only for its type", async () => {
    const { runtime, hub, waiter } = setup(false);
    const fullId = "08fd4fac14b85af65da4a7d9c4f9d8feb5f3ef39f2ccd978c753151de9a42765";
    runtime.add("DockerTestAPI", "stopped", "docker", fullId);
    const byName = waiter.wait({ type: "docker", id: "DockerTestAPI", state: "running", timeoutMs: HOUR });
    const byFullId = waiter.wait({ type: "docker", id: fullId, state: "running", timeoutMs: HOUR });
    await flush();
    const before = runtime.inspectCalls;
    hub.publishContainer({ container: "DockerTestAPI", state: "start", type: "lxc" });
    hub.publishContainer({ container: "other", id: "0298a0baef28", state: "start", type: "docker" });
    await flush();
    expect(runtime.inspectCalls).toBe(before);
    runtime.set("DockerTestAPI", "running");
    hub.publishContainer({ id: "08fd4fac14b8", container: "renamed-meanwhile", state: "start", type: "docker" });
    expect((await byName).state).toBe("running");
    expect((await byFullId).state).toBe("running");
    expectIdle(waiter, hub, runtime);
  });

  it("polls a runtime without watch only while a wait is pending", async () => {
    const { runtime, hub, waiter } = setup(false, 5);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await flush();
    expect(waiter.stats()).toMatchObject({ containers: 1, waiters: 1, timers: 2 });
    runtime.set("utest", "running");
    expect((await wait).state).toBe("running");
    expectIdle(waiter, hub, runtime);
    const calls = runtime.inspectCalls;
    await new Promise((r) => setTimeout(r, 30));
    expect(runtime.inspectCalls).toBe(calls);
  });

  it("does not poll when the runtime has a watch", async () => {
    const { runtime, waiter } = setup(true, 1);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await new Promise((r) => setTimeout(r, 20));
    expect(runtime.inspectCalls).toBe(1);
    expect(waiter.stats()).toMatchObject({ timers: 1 }); // the timeout only
    runtime.change("utest", "running");
    await wait;
  });

  it("after a change, re-inspects briefly: a state that arrives unannounced shortly after resolves the wait", async () => {
    const { runtime, hub, waiter } = setup(true);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await flush();
    runtime.change("utest", "starting"); // the engine announces the action, not its end
    setTimeout(() => runtime.set("utest", "running"), 40); // no change is pushed for this
    expect((await wait).state).toBe("running");
    expectIdle(waiter, hub, runtime);
  });

  it("the settle window closes: a container that does not change is not inspected again", async () => {
    const { runtime, hub, waiter } = setup(true);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await flush();
    runtime.change("utest", "paused");
    await until(() => runtime.inspectCalls >= 42 && waiter.stats().timers === 1); // settle looks over: the timeout is left
    const calls = runtime.inspectCalls;
    expect(calls).toBe(2 + 40); // the first look, the change, forty settle looks
    await new Promise((r) => setTimeout(r, 50));
    expect(runtime.inspectCalls).toBe(calls);
    runtime.change("utest", "running");
    await wait;
    expectIdle(waiter, hub, runtime);
  });

  it("retries a failed inspect with a capped backoff while waits are pending, and resumes when the runtime is back", async () => {
    const { runtime, hub, waiter } = setup(true);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await flush();
    const down = new RuntimeUnavailableError("engine down");
    runtime.failures.push(down, down, down);
    runtime.change("utest", "running"); // during the outage: the inspects this change causes fail
    expect((await wait).state).toBe("running"); // seen by a retry once the runtime answers
    expect(runtime.inspectCalls).toBe(5); // the first look, three failures, the answer
    expectIdle(waiter, hub, runtime);
  });

  it("on timeout resolves with the current info", async () => {
    const { runtime, hub, waiter } = setup(true);
    const info = await waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 20 });
    expect(info).toMatchObject({ name: "utest", state: "stopped" });
    expect(runtime.inspectCalls).toBe(2); // the first look and a fresh one at timeout
    expectIdle(waiter, hub, runtime);
  });

  it("on timeout rejects RUNTIME_UNAVAILABLE when the runtime cannot confirm the state, never the last state seen", async () => {
    const { runtime, hub, waiter } = setup(true);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 20 });
    await flush(); // the first inspect saw "stopped"
    const down = new Error("connect ENOENT /run/engine.sock");
    runtime.failures.push(down); // the inspect at timeout fails
    const error = await wait.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error).toMatchObject({ code: "RUNTIME_UNAVAILABLE", cause: down });
    expect((error as Error).message).toBe('The container runtime could not confirm the state of lxc container "utest" when the wait ended');
    expect(toHttpError(error)).toEqual({
      status: 503,
      body: { error: { code: "RUNTIME_UNAVAILABLE", message: (error as Error).message } },
    });
    expect(runtime.inspectCalls).toBe(2);
    expectIdle(waiter, hub, runtime);
  });

  it("on timeout rejects RUNTIME_UNAVAILABLE when a failed re-inspect mid-wait is followed by a failed one at timeout", async () => {
    const { runtime, hub, waiter } = setup(false, 5);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 40 });
    await flush();
    const down = new RuntimeUnavailableError("engine down");
    runtime.failures.push(...Array.from({ length: 1000 }, () => down)); // every later inspect fails
    await expect(wait).rejects.toMatchObject({ code: "RUNTIME_UNAVAILABLE", cause: down });
    runtime.failures = [];
    expectIdle(waiter, hub, runtime);
  });

  it("on timeout rejects RUNTIME_UNAVAILABLE when the runtime hangs past confirmTimeoutMs, and ignores its late answer", async () => {
    const { runtime, hub, waiter } = setup(true, HOUR, 10);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 20 });
    await flush();
    let release!: () => void;
    runtime.gate = new Promise((r) => (release = r));
    const error = await wait.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error).toMatchObject({ code: "RUNTIME_UNAVAILABLE", message: 'The container runtime could not confirm the state of lxc container "utest" when the wait ended' });
    expect(Object.hasOwn(error as object, "cause")).toBe(false); // no inspect failed: nothing to blame
    expectIdle(waiter, hub, runtime);
    runtime.gate = undefined;
    release(); // the hung inspect answers after all: nobody is left to settle
    await flush();
    expectIdle(waiter, hub, runtime);
  });

  it("on timeout resolves with the answer of an inspect still in flight when the duration ended", async () => {
    const { runtime, hub, waiter } = setup(true, HOUR, 1000);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 20 });
    await flush();
    let release!: () => void;
    runtime.gate = new Promise((r) => (release = r));
    runtime.change("utest", "paused"); // this inspect hangs across the timeout
    await new Promise((r) => setTimeout(r, 40));
    runtime.gate = undefined;
    release();
    expect(await wait).toMatchObject({ state: "paused" });
    expect(runtime.inspectCalls).toBe(2); // the timeout joined the one in flight
    expectIdle(waiter, hub, runtime);
  });

  it("with timeout 0 rejects when the runtime cannot be read, and wraps a foreign error as RUNTIME_UNAVAILABLE", async () => {
    const { runtime, hub, waiter } = setup(true);
    const foreign = new Error("socket hang up");
    runtime.failures.push(foreign);
    const error = await waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(error).toMatchObject({ code: "RUNTIME_UNAVAILABLE", message: "The container runtime failed: socket hang up", cause: foreign });
    expectIdle(waiter, hub, runtime);
  });

  it("refuses a confirmTimeoutMs that is not a positive number", () => {
    const runtime = new TestRuntime(false);
    const hub = new TestHubEvents();
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new StateWaiter({ runtime, subscribeEvents: hub.subscribe, confirmTimeoutMs: bad })).toThrow(
        new TypeError(`confirmTimeoutMs must be a positive number, got ${String(bad)}`),
      );
    }
  });

  it("with timeout 0 answers the current info at once", async () => {
    const { hub, runtime, waiter } = setup(true);
    const info = await waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: 0 });
    expect(info.state).toBe("stopped");
    expectIdle(waiter, hub, runtime);
  });

  it("rejects NotFoundError for an unknown container", async () => {
    const { hub, runtime, waiter } = setup(true);
    const error = await waiter.wait({ type: "lxc", id: "nope", state: "running", timeoutMs: HOUR }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).code).toBe("NOT_FOUND");
    expect((error as NotFoundError).message).toBe('No lxc container "nope"');
    // The same name of the other type is another container.
    await expect(waiter.wait({ type: "docker", id: "utest", state: "stopped", timeoutMs: HOUR })).rejects.toBeInstanceOf(NotFoundError);
    expectIdle(waiter, hub, runtime);
  });

  it("rejects NotFoundError when the container vanishes mid-wait", async () => {
    const { runtime, hub, waiter } = setup(true);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await flush();
    runtime.containers.delete("utest");
    for (const w of runtime.watchers) w({ type: "lxc", id: "utest", action: "destroy" });
    await expect(wait).rejects.toBeInstanceOf(NotFoundError);
    expectIdle(waiter, hub, runtime);
  });

  it("rejects with the runtime's error when the first inspect fails; keeps waiting when a later one does", async () => {
    const { runtime, hub, waiter } = setup(true);
    const down = new RuntimeUnavailableError("engine down");
    runtime.failures.push(down);
    await expect(waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR })).rejects.toBe(down);
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR });
    await flush();
    runtime.failures.push(down);
    runtime.change("utest", "paused"); // this re-inspect fails
    await flush();
    expect(waiter.stats().waiters).toBe(1);
    runtime.change("utest", "running");
    expect((await wait).state).toBe("running");
    expectIdle(waiter, hub, runtime);
  });

  it("a subscription that throws rejects the wait and leaves no entry behind", async () => {
    const runtime = new TestRuntime(false);
    runtime.add("utest", "stopped");
    const hub = new TestHubEvents();
    const refused = new Error("cannot subscribe");
    let refuse = true;
    const subscribeEvents = (listener: (event: HubEvent) => void) => {
      if (refuse) throw refused;
      return hub.subscribe(listener);
    };
    const waiter = new StateWaiter({ runtime, subscribeEvents, pollIntervalMs: HOUR });
    await expect(waiter.wait({ type: "lxc", id: "utest", state: "stopped", timeoutMs: HOUR })).rejects.toBe(refused);
    expectIdle(waiter, hub, runtime);
    expect(runtime.inspectCalls).toBe(0);
    refuse = false;
    expect((await waiter.wait({ type: "lxc", id: "utest", state: "stopped", timeoutMs: HOUR })).state).toBe("stopped");
    expectIdle(waiter, hub, runtime);
  });

  it("rejects with the signal's reason, at once when already aborted", async () => {
    const { runtime, hub, waiter } = setup(true);
    const reason = new Error("user went away");
    await expect(waiter.wait({ type: "lxc", id: "utest", state: "running", signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(runtime.inspectCalls).toBe(0);

    const controller = new AbortController();
    const wait = waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR, signal: controller.signal });
    await flush();
    expect(waiter.stats().listeners).toBe(3); // hub events, runtime watch, abort listener
    controller.abort(reason);
    await expect(wait).rejects.toBe(reason);
    expectIdle(waiter, hub, runtime);
  });

  it("close() rejects every pending wait with CLOSED and releases everything at once", async () => {
    const { runtime, hub, waiter } = setup(false, 5);
    const controller = new AbortController();
    const waits = [
      waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR, signal: controller.signal }),
      waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR }),
    ];
    await flush();
    waiter.close();
    expectIdle(waiter, hub, runtime);
    for (const w of waits) await expect(w).rejects.toMatchObject({ code: "CLOSED" });
    await expect(waiter.wait({ type: "lxc", id: "utest", state: "stopped" })).rejects.toBeInstanceOf(ClosedError);
    controller.abort(); // nothing listens any more
  });

  it("costs one subscription and one inspect per change for a container, however many wait", async () => {
    const { runtime, hub, waiter } = setup(true);
    const controller = new AbortController();
    const waits = Array.from({ length: 200 }, () =>
      waiter.wait({ type: "lxc", id: "utest", state: "running", timeoutMs: HOUR, signal: controller.signal }),
    );
    await flush();
    expect(runtime.watchers.size).toBe(1);
    expect(hub.emitter.listenerCount("event")).toBe(1);
    expect(hub.subscriptions).toBe(1);
    expect(waiter.stats()).toEqual({ containers: 1, waiters: 200, timers: 200, listeners: 3 });
    expect(runtime.inspectCalls).toBe(1);
    runtime.change("utest", "running");
    const infos = await Promise.all(waits);
    expect(infos.every((i) => i.state === "running")).toBe(true);
    expect(runtime.inspectCalls).toBe(2);
    expectIdle(waiter, hub, runtime);
    expect(warnings).toEqual([]);
  });

  it("leaves nothing behind after 10,000 waits that resolve, time out or are aborted", async () => {
    const runtime = new TestRuntime(true);
    const hub = new TestHubEvents();
    for (let i = 0; i < 100; i++) runtime.add(`c${i}`, "stopped");
    const waiter = new StateWaiter({ runtime, subscribeEvents: hub.subscribe, pollIntervalMs: HOUR });
    const timeoutsBefore = countTimeouts();
    const shared = new AbortController();
    const reason = new Error("aborted");
    const outcomes = { resolved: 0, timedOut: 0, aborted: 0, other: 0 };
    const singles: AbortController[] = [];
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const name = `c${i % 100}`;
      const kind = i % 4;
      let signal: AbortSignal | undefined;
      if (kind === 2) signal = shared.signal;
      if (kind === 3) {
        const own = new AbortController();
        singles.push(own);
        signal = own.signal;
      }
      const promise = waiter.wait({ type: "lxc", id: name, state: "running", timeoutMs: kind === 1 ? 1 : HOUR, ...(signal && { signal }) });
      waits.push(
        promise.then(
          (info) => void (info.state === "running" ? outcomes.resolved++ : outcomes.timedOut++),
          (e: unknown) => void (e === reason ? outcomes.aborted++ : outcomes.other++),
        ),
      );
    }
    expect(waiter.stats()).toEqual({ containers: 100, waiters: 10_000, timers: 10_000, listeners: 2 + 1 + 2500 });
    expect(countTimeouts()).toBeGreaterThanOrEqual(10_000); // the count does see our timers
    expect(runtime.watchers.size).toBe(1);
    expect(hub.emitter.listenerCount("event")).toBe(1);
    // Timed-out waits (kind 1) settle on their own; then abort and resolve the rest.
    await new Promise((r) => setTimeout(r, 20));
    await flush();
    shared.abort(reason);
    for (const c of singles) c.abort(reason);
    await flush();
    for (let i = 0; i < 100; i++) runtime.change(`c${i}`, "running");
    await Promise.all(waits);
    expect(outcomes).toEqual({ resolved: 2500, timedOut: 2500, aborted: 5000, other: 0 });
    expectIdle(waiter, hub, runtime);
    expect(countTimeouts()).toBeLessThanOrEqual(timeoutsBefore);
    expect(warnings.map((w) => w.name)).not.toContain("MaxListenersExceededWarning");
    expect(warnings).toEqual([]);
  });
});

/** Polls a condition (no timing assertion: the test timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
}

/** Lets pending promise callbacks and inspects run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

function countTimeouts(): number {
  return process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
}

describe("through LogEventHub", () => {
  it("wakes on a container event the host publishes (runtime without watch, no polling in time)", async () => {
    const runtime = new TestRuntime(false);
    runtime.add("utest", "stopped");
    const hub = new LogEventHub({ runtime, statePollIntervalMs: HOUR });
    const waiting = hub.waitForState({ type: "lxc", id: "utest", state: "running", timeout: HOUR });
    await flush();
    runtime.set("utest", "running");
    await hub.publish({ category: "container", user: "all", payload: { container: "utest", state: "start", type: "lxc" } });
    expect((await waiting).state).toBe("running");
    const pending = hub.waitForState({ type: "lxc", id: "utest", state: "stopped", timeout: HOUR });
    await flush();
    await hub.close();
    await expect(pending).rejects.toMatchObject({ code: "CLOSED" });
  });

  it("a wait whose duration ends while the runtime is down rejects RUNTIME_UNAVAILABLE (HTTP 503), not the last state", async () => {
    const runtime = new TestRuntime(true);
    runtime.add("utest", "running");
    const hub = new LogEventHub({ runtime });
    const waiting = hub.waitForState({ type: "lxc", id: "utest", state: "stopped", timeout: 30 });
    await flush();
    runtime.set("utest", "stopped"); // changed during the outage, unseen
    runtime.failures.push(new RuntimeUnavailableError("engine down"));
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RuntimeUnavailableError);
    expect(toHttpError(error).status).toBe(503);
    await hub.close();
  });
});
