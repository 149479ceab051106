/**
 * CompositeRuntime: routing by type, merged change feeds, polling when a part has no feed,
 * closing each part once. Real parts: two simulated runtimes and a hub.
 */
import { describe, expect, it } from "vitest";
import { CompositeRuntime, LogEventHub, type ContainerChange, type ContainerRuntime } from "log-event-hub";
import { SimulatedRuntime } from "log-event-hub/testing";

describe("CompositeRuntime", () => {
  it("routes inspect by type and answers undefined for a type nobody serves", async () => {
    const lxc = new SimulatedRuntime({ actionDelayMs: 0 });
    const composite = new CompositeRuntime({ lxc });
    expect((await composite.inspect("lxc", "utest"))?.name).toBe("utest");
    expect(await composite.inspect("docker", "DockerTestAPI")).toBeUndefined();
    expect(composite.runtimeFor("lxc")).toBe(lxc);
    expect(composite.runtimeFor("docker")).toBeUndefined();
  });

  it("merges the change feeds, keeping each part to the types it serves, and wakes waits through the hub", async () => {
    const lxc = new SimulatedRuntime({ actionDelayMs: 5 });
    const docker = new SimulatedRuntime({ actionDelayMs: 5 });
    const composite = new CompositeRuntime({ lxc, docker });
    const seen: ContainerChange[] = [];
    const off = composite.watch!((change) => seen.push(change));
    await docker.start("lxc", "utest"); // the docker part's own lxc container is not routed here
    await lxc.start("lxc", "utest");
    await docker.stop("docker", "DockerTestAPI");
    off();
    await lxc.stop("lxc", "utest");
    expect(seen.map((c) => `${c.type}:${c.state}`)).toEqual(["lxc:running", "docker:stopped"]);

    const hub = new LogEventHub({ runtime: composite });
    const waiting = hub.waitForState({ type: "docker", id: "DockerTestAPI", state: "running", timeout: 30_000 });
    await docker.start("docker", "DockerTestAPI");
    expect((await waiting).state).toBe("running");
    await hub.close();
  });

  it("has no watch when a part has none, so the hub polls", async () => {
    const plain: ContainerRuntime = { inspect: async () => undefined };
    const composite = new CompositeRuntime({ lxc: new SimulatedRuntime(), docker: plain });
    expect(composite.watch).toBeUndefined();
  });

  it("closes each part once, unless told not to", async () => {
    let closed = 0;
    const part: ContainerRuntime = { inspect: async () => undefined, close: async () => void closed++ };
    await new CompositeRuntime({ lxc: part, docker: part }).close();
    expect(closed).toBe(1);
    await new CompositeRuntime({ lxc: part }, { closeRuntimes: false }).close();
    expect(closed).toBe(1);
  });
});
