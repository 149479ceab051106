import { afterEach, describe, expect, it } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import { formatEventMessage } from "../../src/events/wire.js";
import type { ContainerChange } from "../../src/runtime.js";
import { ManualClock, SEED_CONTAINERS, SEED_EPOCH_US, SimulatedRuntime } from "log-event-hub/testing";

const FULL_ID = "08fd4fac14b85af65da4a7d9c4f9d8feb5f3ef39f2ccd978c753151de9a42765";
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function make(delay = 20) {
  const runtime = new SimulatedRuntime({ actionDelayMs: delay });
  const hub = new LogEventHub({ runtime });
  runtime.attachHub(hub);
  cleanup.push(() => hub.close());
  return { runtime, hub };
}

describe("SimulatedRuntime", () => {
  it("holds the seed's containers", async () => {
    const runtime = new SimulatedRuntime();
    expect(await runtime.inspect("lxc", "utest")).toEqual({
      cpu: 0, id: "utest", image: "ubuntu-trusty:latest", ipaddress: [], memory: 0, name: "utest", rx: 0, state: "stopped", tx: 0, type: "lxc",
    });
    const docker = await runtime.inspect("docker", "DockerTestAPI");
    expect(docker).toMatchObject({ id: FULL_ID, name: "DockerTestAPI", state: "running", type: "docker", ipaddress: ["172.17.0.2"] });
    expect(await runtime.inspect("docker", FULL_ID)).toEqual(docker);
    expect(await runtime.inspect("docker", "08fd4fac14b8")).toEqual(docker);
    expect(await runtime.inspect("lxc", "DockerTestAPI")).toBeUndefined();
    expect(await runtime.inspect("docker", "nope")).toBeUndefined();
    expect((await runtime.list()).map((c) => c.name)).toEqual(SEED_CONTAINERS.map((c) => c.name));
  });

  it("takes a moment to start, then reports the seed's running info and tells watchers", async () => {
    const runtime = new SimulatedRuntime({ actionDelayMs: 20 });
    const changes: ContainerChange[] = [];
    const unwatch = runtime.watch((c) => changes.push(c));
    const starting = runtime.start("lxc", "utest");
    expect((await runtime.inspect("lxc", "utest"))?.state).toBe("stopped");
    const info = await starting;
    expect(info).toMatchObject({ state: "running", ipaddress: ["10.0.3.177"], memory: 10_870_784 });
    expect(changes).toEqual([{ type: "lxc", id: "utest", name: "utest", action: "start", state: "running" }]);
    unwatch();
    await runtime.stop("lxc", "utest");
    expect(changes).toHaveLength(1);
  });

  it("logs and publishes each change like the seed, with the acting user", async () => {
    const { runtime, hub } = make();
    await runtime.start("lxc", "utest", { user: "Anonymous" });
    await runtime.stop("docker", "DockerTestAPI");
    await runtime.restart("docker", "08fd4fac14b8", { user: "admin" });
    const logs = await hub.queryLogs({ category: "container" });
    expect(logs.map((r) => [r.user, r.message])).toEqual([
      ["admin", "Restart container (docker, 08fd4fac14b8, DockerTestAPI)"],
      ["system", "Stop container (docker, 08fd4fac14b8, DockerTestAPI)"],
      ["Anonymous", "Start container (lxc, utest)"],
    ]);
    const page = await hub.readEvents({});
    expect(page.events.map((e) => formatEventMessage(e))).toEqual([
      'container:all:{"container":"DockerTestAPI","id":"08fd4fac14b8","state":"restart","type":"docker"}',
      'container:all:{"container":"DockerTestAPI","id":"08fd4fac14b8","state":"stop","type":"docker"}',
      'container:all:{"container":"utest","state":"start","type":"lxc"}',
    ]);
  });

  it("is idempotent: starting a running container answers its info and logs nothing", async () => {
    const { runtime, hub } = make();
    const info = await runtime.start("docker", "DockerTestAPI");
    expect(info.state).toBe("running");
    await runtime.stop("lxc", "utest");
    expect(await hub.countLogs({})).toBe(0);
  });

  it("runs actions on one container one after another", async () => {
    const { runtime, hub } = make(5);
    const results = await Promise.all([
      runtime.start("lxc", "utest"),
      runtime.start("lxc", "utest"),
      runtime.stop("lxc", "utest"),
      runtime.start("lxc", "utest"),
    ]);
    expect(results.map((r) => r.state)).toEqual(["running", "running", "stopped", "running"]);
    expect((await hub.queryLogs({})).map((r) => r.message).reverse()).toEqual([
      "Start container (lxc, utest)",
      "Stop container (lxc, utest)",
      "Start container (lxc, utest)",
    ]);
  });

  it("pauses and unpauses, refusing what a real engine refuses", async () => {
    const { runtime } = make(1);
    await expect(runtime.pause("lxc", "utest")).rejects.toMatchObject({ code: "VALIDATION" });
    expect((await runtime.pause("docker", "DockerTestAPI")).state).toBe("paused");
    await expect(runtime.start("docker", "DockerTestAPI")).rejects.toMatchObject({ code: "VALIDATION" });
    expect((await runtime.unpause("docker", "DockerTestAPI")).state).toBe("running");
  });

  it("wakes hub.waitForState when an action completes", async () => {
    const { runtime, hub } = make();
    const waiting = hub.waitForState({ type: "lxc", id: "utest", state: "running", timeout: 60_000 });
    await runtime.start("lxc", "utest", { user: "Anonymous" });
    expect(await waiting).toMatchObject({ name: "utest", state: "running", ipaddress: ["10.0.3.177"] });
    expect(await hub.waitForState({ type: "docker", id: "08fd4fac14b8", state: "running", timeout: 0 })).toMatchObject({ state: "running" });
  });

  it("creates and destroys; a wait on a destroyed container rejects NOT_FOUND", async () => {
    const { runtime, hub } = make(5);
    await runtime.create({ type: "lxc", name: "ctest", image: "ubuntu-trusty:latest" }, { user: "Anonymous" });
    await expect(runtime.create({ type: "lxc", name: "ctest", image: "x" })).rejects.toMatchObject({ code: "VALIDATION" });
    const waiting = hub.waitForState({ type: "lxc", id: "ctest", state: "running", timeout: 60_000 });
    await runtime.destroy("lxc", "ctest", { user: "Anonymous" });
    await expect(waiting).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await runtime.inspect("lxc", "ctest")).toBeUndefined();
    await expect(runtime.start("lxc", "ctest")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await hub.queryLogs({})).map((r) => r.message).reverse()).toEqual(["Create container (lxc, ctest)", "Destroy container (lxc, ctest)"]);
  });

  it("close() fails pending actions with CLOSED", async () => {
    const runtime = new SimulatedRuntime({ actionDelayMs: 10_000 });
    const pending = runtime.start("lxc", "utest");
    await runtime.close();
    await expect(pending).rejects.toMatchObject({ code: "CLOSED" });
    await expect(runtime.stop("docker", "DockerTestAPI")).rejects.toMatchObject({ code: "CLOSED" });
  });
});

describe("ManualClock", () => {
  it("moves only when told, in milliseconds or microseconds", () => {
    const clock = new ManualClock();
    expect(clock.nowUs()).toBe(SEED_EPOCH_US);
    expect(clock.now().toISOString()).toBe("2015-03-17T17:27:06.452Z");
    clock.advance(1.5);
    expect(clock.nowUs()).toBe(SEED_EPOCH_US + 1500);
    clock.advanceUs(1);
    expect(clock.nowUs()).toBe(SEED_EPOCH_US + 1501);
    clock.set(new Date("2020-01-01T00:00:00Z"));
    expect(clock.nowUs()).toBe(Date.UTC(2020, 0, 1) * 1000);
    clock.setUs(5);
    expect(clock.nowUs()).toBe(5);
    expect(() => clock.advance(Number.NaN)).toThrow(TypeError);
  });

  it("drives a hub's record times", async () => {
    const clock = new ManualClock();
    const hub = new LogEventHub({ clock });
    cleanup.push(() => hub.close());
    const first = await hub.info("system", "one");
    clock.advance(2000);
    const second = await hub.info("system", "two");
    expect(first.timeUs).toBe(SEED_EPOCH_US);
    expect(second.timeUs).toBe(SEED_EPOCH_US + 2_000_000);
    expect(second.ts).toBe(Math.floor((SEED_EPOCH_US + 2_000_000) / 1e6));
  });
});
