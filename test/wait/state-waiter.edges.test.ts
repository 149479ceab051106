// Edges of the wait state machine that hold whatever the timing policy: which hub events wake
// a wait, how container ids are matched, the default timeout, the options it refuses.
import { getEventListeners } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ContainerChange, ContainerRuntime } from "../../src/runtime.js";
import type { ContainerInfo, ContainerType, HubEvent } from "../../src/types.js";
import { StateWaiter } from "../../src/wait/state-waiter.js";

const HOUR = 3_600_000;

/** A runtime over a list of containers; counts inspects; no change feed. */
class ListRuntime implements ContainerRuntime {
  readonly containers: ContainerInfo[] = [];
  inspectCalls = 0;

  add(type: ContainerType, name: string, id: string, state = "stopped"): ContainerInfo {
    const info: ContainerInfo = { cpu: 0, id, image: "img", ipaddress: [], memory: 0, name, rx: 0, state, tx: 0, type };
    this.containers.push(info);
    return info;
  }

  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    this.inspectCalls++;
    const found = this.containers.find((c) => c.type === type && (c.name === id || c.id === id));
    return found && { ...found };
  }
}

function setup() {
  const runtime = new ListRuntime();
  const listeners = new Set<(event: HubEvent) => void>();
  const subscribeEvents = (listener: (event: HubEvent) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const publish = (category: string, payload: unknown) => {
    const event = { index: 1, ts: 0, timeUs: 0, category, user: "all", payload } as HubEvent;
    for (const l of [...listeners]) l(event);
  };
  const waiter = new StateWaiter({ runtime, subscribeEvents, pollIntervalMs: HOUR });
  return { runtime, waiter, publish, listeners };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

afterEach(() => {
  vi.useRealTimers();
});

describe("StateWaiter options", () => {
  it("refuses a poll interval that is not a positive finite number, naming it and the value", () => {
    const runtime = new ListRuntime();
    const subscribeEvents = () => () => undefined;
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new StateWaiter({ runtime, subscribeEvents, pollIntervalMs: bad })).toThrow(
        new TypeError(`pollIntervalMs must be a positive number, got ${String(bad)}`),
      );
    }
    expect(() => new StateWaiter({ runtime, subscribeEvents, pollIntervalMs: 0.5 })).not.toThrow();
    expect(() => new StateWaiter({ runtime, subscribeEvents })).not.toThrow();
  });

  it("a wait with no timeout given gives up after 60 s, not before", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const { runtime, waiter } = setup();
    runtime.add("lxc", "c1", "c1", "stopped");
    let settled: ContainerInfo | undefined;
    const wait = waiter.wait({ type: "lxc", id: "c1", state: "running" }).then((info) => (settled = info));
    await vi.advanceTimersByTimeAsync(59_999);
    expect(settled).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    await wait;
    expect(settled?.state).toBe("stopped");
    expect(waiter.stats()).toEqual({ containers: 0, waiters: 0, timers: 0, listeners: 0 });
  });
});

describe("StateWaiter: which hub events wake a wait", () => {
  it("ignores events of other categories, payloads that are not objects, and unknown types", async () => {
    const { runtime, waiter, publish } = setup();
    runtime.add("lxc", "c1", "c1", "stopped");
    const wait = waiter.wait({ type: "lxc", id: "c1", state: "running", timeoutMs: HOUR });
    await flush();
    expect(runtime.inspectCalls).toBe(1);
    runtime.containers[0]!.state = "running";
    publish("image", { type: "lxc", container: "c1" });
    publish("container", null);
    publish("container", "c1");
    publish("container", { type: "kvm", container: "c1" });
    publish("container", { container: "c1" });
    publish("container", { type: "docker", container: "c1" });
    publish("container", { type: "lxc", container: "", id: 5 });
    publish("container", { type: "lxc", container: "c2" });
    await flush();
    expect(runtime.inspectCalls).toBe(1);
    expect(waiter.stats().waiters).toBe(1);
    publish("container", { type: "lxc", id: "c1" });
    expect((await wait).state).toBe("running");
    expect(runtime.inspectCalls).toBe(2);
  });

  it("wakes on a `container` field as well as an `id` field", async () => {
    const { runtime, waiter, publish } = setup();
    runtime.add("docker", "web", "0123456789abcdef", "stopped");
    const wait = waiter.wait({ type: "docker", id: "web", state: "running", timeoutMs: HOUR });
    await flush();
    runtime.containers[0]!.state = "running";
    publish("container", { type: "docker", container: "web" });
    expect((await wait).state).toBe("running");
  });

  it("before the first answer, any change of the container's type may concern it", async () => {
    const runtime = new ListRuntime();
    runtime.add("lxc", "c1", "c1", "stopped");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inspect = runtime.inspect.bind(runtime);
    runtime.inspect = async (type, id) => {
      const info = await inspect(type, id);
      if (runtime.inspectCalls === 1) await gate;
      return info;
    };
    const listeners = new Set<(event: HubEvent) => void>();
    const waiter = new StateWaiter({
      runtime,
      subscribeEvents: (l) => (listeners.add(l), () => listeners.delete(l)),
      pollIntervalMs: HOUR,
    });
    const wait = waiter.wait({ type: "lxc", id: "c1", state: "running", timeoutMs: HOUR });
    await flush();
    // The first inspect read "stopped" and has not answered; the container starts meanwhile,
    // and the event names it by an id the waiter has not learnt yet.
    runtime.containers[0]!.state = "running";
    for (const l of listeners) l({ index: 1, ts: 0, timeUs: 0, category: "container", user: "all", payload: { type: "lxc", id: "not-yet-known" } } as HubEvent);
    release();
    expect((await wait).state).toBe("running");
    expect(runtime.inspectCalls).toBe(2);
  });
});

describe("StateWaiter: matching docker ids", () => {
  async function wakes(requested: string, announced: string, id: string): Promise<boolean> {
    const { runtime, waiter, publish } = setup();
    runtime.add("docker", "box", id, "stopped");
    const controller = new AbortController();
    const wait = waiter.wait({ type: "docker", id: requested, state: "running", timeoutMs: HOUR, signal: controller.signal }).catch(() => undefined);
    await flush();
    const before = runtime.inspectCalls;
    publish("container", { type: "docker", id: announced });
    await flush();
    const woke = runtime.inspectCalls > before;
    controller.abort();
    await wait;
    return woke;
  }
  const full = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  it("meets a full id and its 12-character short form, either way round", async () => {
    expect(await wakes(full, full.slice(0, 12), full)).toBe(true);
    expect(await wakes(full, full, full)).toBe(true);
    expect(await wakes("box", full.slice(0, 12), full)).toBe(true);
    expect(await wakes("box", full.slice(0, 13), full)).toBe(true);
  });

  it("does not shorten shorter ids or names that are not lower-case hex", async () => {
    // 11 hex characters are a name of their own, not a prefix of the id.
    expect(await wakes("box", full.slice(0, 11), full)).toBe(false);
    const upper = "0123456789ABCDEF";
    expect(await wakes(upper, "0123456789AB", upper)).toBe(false);
    expect(await wakes("box", "0123456789abXYZ", full)).toBe(false);
  });

  it("does not shorten a name that only ends in hex: two such names sharing 12 characters stay apart", async () => {
    const { runtime, waiter, publish } = setup();
    runtime.add("docker", "web-0123456789aa", full, "stopped");
    const controller = new AbortController();
    const wait = waiter.wait({ type: "docker", id: "web-0123456789aa", state: "running", timeoutMs: HOUR, signal: controller.signal }).catch(() => undefined);
    await flush();
    const before = runtime.inspectCalls;
    publish("container", { type: "docker", id: "web-0123456789bb" });
    await flush();
    expect(runtime.inspectCalls).toBe(before);
    controller.abort();
    await wait;
  });
});

describe("StateWaiter: shared abort signals", () => {
  it("one listener per signal; aborting rejects every wait on it; a settled wait leaves the group", async () => {
    const { runtime, waiter } = setup();
    runtime.add("lxc", "a", "a", "stopped");
    runtime.add("lxc", "b", "b", "stopped");
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, "addEventListener");
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    const first = waiter.wait({ type: "lxc", id: "a", state: "running", timeoutMs: HOUR, signal: controller.signal });
    const second = waiter.wait({ type: "lxc", id: "b", state: "running", timeoutMs: HOUR, signal: controller.signal });
    const done = waiter.wait({ type: "lxc", id: "a", state: "stopped", timeoutMs: HOUR, signal: controller.signal });
    expect((await done).state).toBe("stopped");
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).not.toHaveBeenCalled();
    // Two timeouts and two poll timers (this runtime has no change feed); the hub subscription and one abort listener.
    expect(waiter.stats()).toEqual({ containers: 2, waiters: 2, timers: 4, listeners: 2 });
    const reason = new Error("user left");
    controller.abort(reason);
    await expect(first).rejects.toBe(reason);
    await expect(second).rejects.toBe(reason);
    expect(waiter.stats()).toEqual({ containers: 0, waiters: 0, timers: 0, listeners: 0 });
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("the last wait to settle removes the signal's listener", async () => {
    const { runtime, waiter } = setup();
    runtime.add("lxc", "a", "a", "stopped");
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    expect((await waiter.wait({ type: "lxc", id: "a", state: "stopped", timeoutMs: HOUR, signal: controller.signal })).state).toBe("stopped");
    expect(remove).toHaveBeenCalledTimes(1);
    expect(waiter.stats().listeners).toBe(0);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("close() is idempotent and refuses later waits", async () => {
    const { waiter, listeners } = setup();
    waiter.close();
    waiter.close();
    expect(listeners.size).toBe(0);
    await expect(waiter.wait({ type: "lxc", id: "a", state: "running" })).rejects.toMatchObject({ code: "CLOSED" });
  });
});
