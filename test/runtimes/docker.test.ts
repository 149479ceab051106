/**
 * DockerRuntime against a real engine (podman's Docker-compatible service, started by
 * `scripts/setup-podman.sh`), plus the event stream's reconnection against a scripted engine
 * on a real unix socket.
 *
 * The engine's socket: `LEH_DOCKER_SOCKET`, else the path `scripts/setup-podman.sh` wrote to
 * `.tmp/podman/socket`. Without an engine these tests skip with a notice; in CI they fail.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findEngine } from "../helpers/engine.js";
import { LogEventHub } from "../../src/hub.js";
import { formatEventMessage } from "../../src/events/wire.js";
import type { LogRecord } from "../../src/types.js";
import { DockerRuntime, EngineEventStream, EngineClient, bridgeDockerEvents, mapDockerState, resolveEndpoint, type EngineEvent } from "log-event-hub/docker";

const IMAGE = "local/busy:latest";
const CMD = ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 1; done'];


const socketPath = await findEngine();
if (!socketPath && !process.env.CI) {
  console.warn(
    "\n[docker.test] SKIPPED: no Docker-compatible engine answers (set LEH_DOCKER_SOCKET or run `scripts/setup-podman.sh` as root).\n",
  );
}

describe("mapDockerState and endpoints (no engine needed)", () => {
  it("maps engine states to the seed's", () => {
    expect(mapDockerState("running")).toBe("running");
    for (const s of ["exited", "created", "dead", "configured", "stopped"]) expect(mapDockerState(s)).toBe("stopped");
    expect(mapDockerState("paused")).toBe("paused");
    expect(mapDockerState("restarting")).toBe("restarting");
  });

  it("finds the engine from options, DOCKER_HOST or the default socket", () => {
    expect(resolveEndpoint({}, {})).toEqual({ socketPath: "/var/run/docker.sock" });
    expect(resolveEndpoint({}, { DOCKER_HOST: "unix:///run/podman/podman.sock" })).toEqual({ socketPath: "/run/podman/podman.sock" });
    expect(resolveEndpoint({}, { DOCKER_HOST: "tcp://10.0.0.5:2376" })).toEqual({ host: "10.0.0.5", port: 2376 });
    expect(resolveEndpoint({ socketPath: "/x.sock" }, { DOCKER_HOST: "tcp://h:1" })).toEqual({ socketPath: "/x.sock" });
  });

  it("answers RUNTIME_UNAVAILABLE when nothing listens, and undefined for lxc without asking", async () => {
    const runtime = new DockerRuntime({ socketPath: join(tmpdir(), `leh-missing-${process.pid}.sock`) });
    await expect(runtime.inspect("docker", "x")).rejects.toMatchObject({ code: "RUNTIME_UNAVAILABLE" });
    await expect(runtime.ping()).rejects.toMatchObject({ code: "RUNTIME_UNAVAILABLE" });
    expect(await runtime.inspect("lxc", "utest")).toBeUndefined();
    await runtime.close();
  });
});

describe("bridgeDockerEvents' attribute option (no engine needed)", () => {
  it("names the user per action, or skips an action the host recorded itself", async () => {
    let emit!: (event: EngineEvent) => void;
    const source = { events: (listener: (event: EngineEvent) => void) => ((emit = listener), () => undefined) };
    const written: string[] = [];
    const sink = {
      log: async (r: { user: string; message: string }) => void written.push(`${r.message} by ${r.user}`),
      publish: async (e: { payload: { state?: string } }) => void written.push(`event ${e.payload.state}`),
    };
    const seen: string[] = [];
    const stop = bridgeDockerEvents(source, sink, {
      attribute: (action, container) => {
        seen.push(`${action} ${container.name}`);
        return action === "start" ? null : action === "stop" ? "bob" : undefined;
      },
    });
    const id = "b".repeat(64);
    for (const [n, action] of ["create", "start", "die", "stop"].entries()) {
      emit({ Action: action, Type: "container", Actor: { ID: id, Attributes: { name: "web" } }, time: 1, timeNano: BigInt(n + 1) * 1000n });
    }
    await until(() => written.length === 4);
    stop();
    expect(seen).toEqual(["create web", "start web", "stop web"]); // the stop after a die is folded
    expect(written).toEqual(["Create container (docker, bbbbbbbbbbbb, web) by system", "event create", "Stop container (docker, bbbbbbbbbbbb, web) by bob", "event stop"]);
  });
});

describe("EngineEventStream against a scripted engine on a unix socket", () => {
  const dir = mkdtempSync(join(tmpdir(), "leh-engine-"));
  const sock = join(dir, "engine.sock");
  const requests: URL[] = [];
  const open = new Set<http.ServerResponse>();
  let script: (res: http.ServerResponse, n: number) => void = () => undefined;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://engine");
    if (url.pathname !== "/events") return void res.writeHead(404).end();
    requests.push(url);
    open.add(res);
    res.on("close", () => open.delete(res));
    script(res, requests.length);
  });
  const event = (action: string, nano: bigint, id = "a".repeat(64)) =>
    `{"status":"${action}","id":"${id}","Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":{"name":"c1"}},"time":${nano / 1_000_000_000n},"timeNano":${nano}}\n`;

  beforeAll(() => new Promise<void>((resolve) => server.listen(sock, resolve)));
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it("shares one stream, reconnects with `since` after a drop, drops replayed duplicates, closes after the last listener", async () => {
    const base = BigInt(Date.now() + 1000) * 1_000_000n;
    script = (res, n) => {
      res.writeHead(200, { "content-type": "application/json" });
      if (n === 1) {
        res.write(event("start", base));
        res.write(event("die", base + 5n));
        setTimeout(() => res.destroy(), 20); // the engine goes away
      } else {
        res.write(event("start", base)); // replayed by `since`
        res.write(event("die", base + 5n));
        res.write(event("start", base + 9n)); // new
      }
    };
    const errors: Error[] = [];
    const stream = new EngineEventStream(new EngineClient({ socketPath: sock }), { initialDelayMs: 10, onError: (e) => errors.push(e) });
    const a: EngineEvent[] = [];
    const b: EngineEvent[] = [];
    const offA = stream.subscribe((e) => a.push(e));
    const offB = stream.subscribe((e) => b.push(e));
    await until(() => a.length >= 3);
    expect(a.map((e) => `${e.Action}@${e.timeNano - base}`)).toEqual(["start@0", "die@5", "start@9"]);
    expect(b).toEqual(a);
    expect(a[0]?.Actor.Attributes.name).toBe("c1");
    expect(requests).toHaveLength(2);
    expect(JSON.parse(requests[0]!.searchParams.get("filters")!)).toEqual({ type: ["container"] });
    expect(requests[1]!.searchParams.get("since")).toBe(String(base / 1_000_000_000n));
    expect(errors.length).toBeGreaterThan(0);
    offA();
    expect(open.size).toBe(1);
    offB();
    await until(() => open.size === 0);
    stream.close();
  });

  it("keeps retrying with capped backoff while the engine refuses, and stops on close", async () => {
    script = (res) => void res.writeHead(500).end();
    const stream = new EngineEventStream(new EngineClient({ socketPath: sock }), { initialDelayMs: 1, maxDelayMs: 4 });
    const before = requests.length;
    stream.subscribe(() => undefined);
    await until(() => requests.length - before >= 6);
    stream.close();
    // A request written to the socket just before close() may still reach the engine; let it
    // land, then no further attempt may come (a retry loop at 1-4 ms would add several).
    await new Promise((r) => setTimeout(r, 10));
    const after = requests.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(requests.length).toBe(after);
  });
});

describe.skipIf(!socketPath && !process.env.CI)("DockerRuntime against a real engine", () => {
  const created: string[] = [];
  let runtime: DockerRuntime;
  let hub: LogEventHub;
  let stopBridge: () => void;
  const logs: LogRecord[] = [];
  const suffix = `${process.pid}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    if (!socketPath) throw new Error("CI requires a Docker-compatible engine: run scripts/setup-podman.sh first");
    runtime = new DockerRuntime({ socketPath });
    hub = new LogEventHub({ runtime, closeRuntime: false });
    hub.on("log", (record) => logs.push(record));
    stopBridge = bridgeDockerEvents(runtime, hub);
  });

  afterAll(async () => {
    stopBridge?.();
    for (const name of created) await runtime?.engine.request("DELETE", `/containers/${name}`, { query: { force: true } }).catch(() => undefined);
    await hub?.close();
    await runtime?.close();
  });

  async function createContainer(label: string): Promise<{ name: string; id: string }> {
    const name = `leh-${label}-${suffix}`;
    const res = await runtime.engine.request<{ Id: string }>("POST", "/containers/create", { query: { name }, body: { Image: IMAGE, Cmd: CMD } });
    expect(res.status).toBe(201);
    created.push(name);
    return { name, id: res.body.Id };
  }

  it("inspects by name, id and short id; unknown and lxc answer undefined", async () => {
    const { name, id } = await createContainer("inspect");
    const info = await runtime.inspect("docker", name);
    expect(info).toMatchObject({ id, name, state: "stopped", type: "docker", cpu: 0, memory: 0, rx: 0, tx: 0, ipaddress: [] });
    expect(info?.image).toContain("local/busy");
    expect(await runtime.inspect("docker", id)).toEqual(info);
    expect(await runtime.inspect("docker", id.slice(0, 12))).toEqual(info);
    expect(await runtime.inspect("docker", `missing-${suffix}`)).toBeUndefined();
    expect(await runtime.inspect("lxc", name)).toBeUndefined();
  });

  it("waits for running while the container starts, with addresses and counters", async () => {
    const { name, id } = await createContainer("run");
    const waiting = hub.waitForState({ type: "docker", id: name, state: "running", timeout: 30_000 });
    await runtime.start("docker", name);
    const info = await waiting;
    expect(info).toMatchObject({ id, name, state: "running", type: "docker" });
    expect(info.ipaddress.length).toBeGreaterThan(0);
    expect(info.memory).toBeGreaterThan(0);
    // Already running: at once, and starting again is idempotent.
    expect((await hub.waitForState({ type: "docker", id: id.slice(0, 12), state: "running", timeout: 0 })).state).toBe("running");
    expect((await runtime.start("docker", name)).state).toBe("running");
  });

  it("resolves a pending wait for stopped when the container is stopped", async () => {
    const { name } = await createContainer("stop");
    await runtime.start("docker", name);
    const waiting = hub.waitForState({ type: "docker", id: name, state: "stopped", timeout: 30_000 });
    // The wait is pending: the container still runs.
    expect((await runtime.inspect("docker", name))?.state).toBe("running");
    const res = await runtime.engine.request("POST", `/containers/${name}/stop`, { query: { t: 5 } });
    expect(res.status).toBe(204);
    expect(await waiting).toMatchObject({ name, state: "stopped", ipaddress: [] });
    expect((await runtime.stop("docker", name)).state).toBe("stopped"); // 304: still a success
  });

  it("times out with the current info", async () => {
    const { name } = await createContainer("timeout");
    const info = await hub.waitForState({ type: "docker", id: name, state: "running", timeout: 300 });
    expect(info).toMatchObject({ name, state: "stopped" });
  });

  it("rejects NOT_FOUND for an unknown container and for one removed mid-wait", async () => {
    await expect(hub.waitForState({ type: "docker", id: `missing-${suffix}`, state: "running", timeout: 30_000 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const { name } = await createContainer("removed");
    const waiting = hub.waitForState({ type: "docker", id: name, state: "running", timeout: 30_000 });
    // Handled from the start: the engine's destroy event may reject the wait before DELETE answers.
    const rejected = expect(waiting).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await runtime.inspect("docker", name))?.state).toBe("stopped");
    const res = await runtime.engine.request("DELETE", `/containers/${name}`, { query: { force: true } });
    expect(res.status).toBe(204);
    await rejected;
  });

  it("bridges engine events into the seed's log records and events", async () => {
    const { name, id } = await createContainer("bridge");
    await runtime.start("docker", name);
    await runtime.stop("docker", name, { timeoutSeconds: 5 });
    await runtime.engine.request("DELETE", `/containers/${name}`);
    const label = `(docker, ${id.slice(0, 12)}, ${name})`;
    await until(() => logs.some((r) => r.message === `Destroy container ${label}`));
    const mine = logs.filter((r) => r.message.endsWith(label));
    expect(mine.map((r) => r.message)).toEqual([
      `Create container ${label}`,
      `Start container ${label}`,
      `Stop container ${label}`,
      `Destroy container ${label}`,
    ]);
    expect(mine.every((r) => r.user === "system" && r.category === "container" && r.level === "INFO")).toBe(true);
    const page = await hub.readEvents({ limit: 100 });
    const messages = page.events.map((e) => formatEventMessage(e)).filter((m) => m.includes(`"container":"${name}"`));
    const short = id.slice(0, 12);
    expect(messages.reverse()).toEqual(
      ["create", "start", "stop", "destroy"].map((state) => `container:all:{"container":"${name}","id":"${short}","state":"${state}","type":"docker"}`),
    );
  });

  it("leaves no stream open once nobody listens", async () => {
    const own = new DockerRuntime({ socketPath: socketPath! });
    const off = own.watch(() => undefined);
    const { name } = await createContainer("stream");
    await until(() => own.streaming); // podman sends headers with the first event
    off();
    expect(own.streaming).toBe(false);
    await own.close();
    await runtime.engine.request("DELETE", `/containers/${name}`, { query: { force: true } });
  });
});

/** Polls a condition (no timing assertion: the test timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 10));
}
