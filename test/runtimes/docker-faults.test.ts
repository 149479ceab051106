/**
 * The Docker runtime under faults. No host detail reaches a client (a scripted engine on a unix
 * socket, and a missing one); then, on the real engine (podman), a private API service that the
 * tests kill and restart while the shared one (`scripts/setup-podman.sh`) keeps running: waits
 * whose duration ends during the outage answer 503, never a stale 200; waits and the bridge
 * resume once the engine is back, replaying what happened meanwhile; an interrupted stop is
 * finished, not left `stopping`.
 *
 * The real-engine part needs podman and the shared engine's socket (see docker.test.ts); without
 * them it skips with a notice, and with `CI` set it fails.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { LogEventHub } from "../../src/hub.js";
import type { LogRecord } from "../../src/types.js";
import { DockerRuntime, EngineErrorMessages, bridgeDockerEvents, mapDockerState, type EngineFailure } from "log-event-hub/docker";
import { adapters, type RunningServer } from "../http/servers.js";
import { findEngine } from "../helpers/engine.js";
import { PodmanService, containersConf } from "../helpers/podman-service.js";

const IMAGE = "local/busy:latest";
/** Exits at once on SIGTERM. */
const CMD = ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 1; done'];
/** Ignores SIGTERM: a stop lasts its whole grace period. */
const STUBBORN = ["sh", "-c", 'trap "" TERM; while true; do sleep 1; done'];

const sharedSocket = await findEngine();
if (!sharedSocket && !process.env.CI) {
  console.warn("\n[docker-faults.test] real-engine part SKIPPED: no podman engine answers (run `scripts/setup-podman.sh` as root).\n");
}

interface Reply {
  status: number;
  text: string;
  json: { error?: { code: string; message: string }; state?: string; name?: string };
}

async function get(url: string): Promise<Reply> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Reply["json"] };
}

/** Polls a condition (no timing assertion: the test timeout bounds it). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, 20));
}

describe("no host detail in any body", () => {
  const dir = mkdtempSync(join(tmpdir(), "leh-hostdetail-"));
  const sock = join(dir, "engine.sock");
  const daemonText = "error opening database /var/lib/containers/storage/libpod/bolt_state.db: permission denied";
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith("/events")) return void res.writeHead(500).end();
    if (req.url?.startsWith("/containers/hang/")) return; // never answers
    res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ cause: "permission denied", message: daemonText, response: 500 }));
  });
  beforeAll(() => new Promise<void>((resolve) => server.listen(sock, resolve)));
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const adapter of adapters) {
    it(`${adapter.name}: a missing socket, a refusing engine and a silent one answer 503 with a stable message; details go to the logger`, async () => {
      const failures: EngineFailure[] = [];
      const missing = join(dir, "nowhere", "podman.sock");
      const cases = [
        { socketPath: missing, id: "web", message: EngineErrorMessages.unreachable, detail: [missing, "ENOENT"] },
        { socketPath: sock, id: "web", message: EngineErrorMessages.refused, detail: [sock, "status 500", daemonText] },
        { socketPath: sock, id: "hang", message: EngineErrorMessages.timeout, detail: [sock, "within 100 ms"] },
      ];
      for (const c of cases) {
        const runtime = new DockerRuntime({ socketPath: c.socketPath, requestTimeoutMs: 100, logger: (f) => failures.push(f) });
        const hub = new LogEventHub({ runtime });
        let running: RunningServer | undefined;
        try {
          running = await adapter.start(hub);
          failures.length = 0;
          const reply = await get(`${running.base}/api/v1/event/wait/docker/${c.id}/running?duration=1`);
          expect(reply.status).toBe(503);
          expect(reply.json).toEqual({ error: { code: "RUNTIME_UNAVAILABLE", message: c.message } });
          for (const secret of [dir, "sock", "ENOENT", "permission", "/var/lib", "500"]) expect(reply.text).not.toContain(secret);
          // The host's log has it all.
          expect(failures.length).toBeGreaterThan(0);
          const detail = failures.map((f) => f.detail).join("\n");
          for (const part of c.detail) expect(detail).toContain(part);
          expect(failures).toContainEqual(expect.objectContaining({ message: c.message, address: c.socketPath }));
        } finally {
          await running?.close();
          await hub.close();
        }
      }
      expect(failures.find((f) => f.engineMessage !== undefined)?.engineMessage ?? daemonText).toBe(daemonText);
    });
  }

  it("the engine's own message reaches the logger as engineMessage", async () => {
    const failures: EngineFailure[] = [];
    const runtime = new DockerRuntime({ socketPath: sock, logger: (f) => failures.push(f) });
    const error = await runtime.inspect("docker", "web").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RUNTIME_UNAVAILABLE", message: EngineErrorMessages.refused });
    expect(failures).toEqual([
      expect.objectContaining({ request: "GET /containers/web/json", status: 500, engineMessage: daemonText, address: sock }),
    ]);
    await runtime.close();
  });

  it("podman's `stopping` is running: the process runs until it has stopped", () => {
    expect(mapDockerState("stopping")).toBe("running");
  });
});

describe.skipIf(!sharedSocket && !process.env.CI)("on the real engine, with the engine stopped mid-wait", () => {
  let service: PodmanService;
  let runtime: DockerRuntime;
  let hub: LogEventHub;
  let server: RunningServer;
  let stopBridge: () => void;
  const failures: EngineFailure[] = [];
  const logs: LogRecord[] = [];
  const created: string[] = [];
  const suffix = `${process.pid}-${Date.now().toString(36)}`;

  beforeAll(async () => {
    if (!sharedSocket) throw new Error("CI requires a podman engine: run scripts/setup-podman.sh first");
    service = new PodmanService(containersConf(sharedSocket));
    await service.start();
    runtime = new DockerRuntime({ socketPath: service.socketPath, stats: false, logger: (f) => failures.push(f) });
    hub = new LogEventHub({ runtime, closeRuntime: false });
    hub.on("log", (record) => logs.push(record));
    stopBridge = bridgeDockerEvents(runtime, hub);
    server = await adapters[0]!.start(hub);
  }, 60_000);

  // A test that failed mid-outage must not take the next ones down with it.
  beforeEach(() => service.start(), 30_000);

  afterAll(async () => {
    stopBridge?.();
    await server?.close();
    await hub?.close();
    await runtime?.close();
    for (const name of created) await service?.cli("rm", "-f", "-t", "0", name).catch(() => undefined);
    await service?.dispose();
  }, 60_000);

  async function createContainer(label: string, cmd = CMD): Promise<{ name: string; short: string }> {
    const name = `leh-fault-${label}-${suffix}`;
    const res = await runtime.engine.request<{ Id: string }>("POST", "/containers/create", { query: { name }, body: { Image: IMAGE, Cmd: cmd } });
    expect(res.status).toBe(201);
    created.push(name);
    return { name, short: res.body.Id.slice(0, 12) };
  }

  const recordsOf = (short: string) => logs.filter((r) => r.message.includes(`(docker, ${short},`)).map((r) => `${r.message.split(" ")[0]} by ${r.user}`);

  it("five waits whose duration ends during the outage answer 503 RUNTIME_UNAVAILABLE, never 200 with the stale state", async () => {
    const { name, short } = await createContainer("outage");
    await runtime.start("docker", name);
    const calls = vi.spyOn(hub, "waitForState");
    const waits = Array.from({ length: 5 }, () => get(`${server.base}/api/v1/event/wait/docker/${name}/stopped?duration=3`));
    await until(() => calls.mock.calls.length === 5);
    calls.mockRestore();
    // This look joins (or follows) the waits' inspect: once it answers, every wait has seen "running".
    expect(await hub.waitForState({ type: "docker", id: name, state: "stopped", timeout: 0 })).toMatchObject({ state: "running" });
    await service.kill();
    await service.cli("stop", "-t", "5", name); // behind the hub's back, while its engine is away
    expect(await service.cli("inspect", "--format", "{{.State.Status}}", name)).toBe("exited");
    failures.length = 0;
    for (const reply of await Promise.all(waits)) {
      expect(reply.status).toBe(503);
      expect(reply.json).toEqual({
        error: { code: "RUNTIME_UNAVAILABLE", message: `The container runtime could not confirm the state of docker container "${name}" when the wait ended` },
      });
      expect(reply.text).not.toContain(service.socketPath);
    }
    expect(failures.some((f) => f.detail.includes(service.socketPath))).toBe(true);

    // The engine comes back: the truth, and the stop made during the outage is replayed once.
    await service.start();
    const now = await get(`${server.base}/api/v1/event/wait/docker/${name}/stopped?duration=0`);
    expect(now.status).toBe(200);
    expect(now.json).toMatchObject({ name, state: "stopped" });
    await until(() => recordsOf(short).includes("Stop by system"));
    expect(recordsOf(short)).toEqual(["Create by system", "Start by system", "Stop by system"]);
  }, 60_000);

  it("a pending wait and the bridge resume when the engine comes back, with what happened meanwhile", async () => {
    const { name, short } = await createContainer("resume");
    const waiting = get(`${server.base}/api/v1/event/wait/docker/${name}/running?duration=60`);
    await until(() => recordsOf(short).includes("Create by system"));
    await service.kill();
    await service.cli("start", name);
    await service.start();
    const reply = await waiting;
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ name, state: "running" });
    await until(() => recordsOf(short).includes("Start by system"));
    expect(recordsOf(short)).toEqual(["Create by system", "Start by system"]);
  }, 60_000);

  it("a stop the engine dropped halfway is finished when it is back, and a wait for stopped resolves", async () => {
    const { name } = await createContainer("interrupted", STUBBORN);
    await runtime.start("docker", name);
    const waiting = hub.waitForState({ type: "docker", id: name, state: "stopped", timeout: 60_000 });
    const stopping = runtime.stop("docker", name, { timeoutSeconds: 3 });
    await until(async () => (await service.cli("inspect", "--format", "{{.State.Status}}", name)) === "stopping");
    await service.kill(); // the stop is cut off: podman leaves the container "stopping", its process alive
    expect(await service.cli("inspect", "--format", "{{.State.Status}}", name)).toBe("stopping");
    await service.start();
    expect(await stopping).toMatchObject({ name, state: "stopped" });
    expect(await waiting).toMatchObject({ name, state: "stopped" });
    expect(await service.cli("inspect", "--format", "{{.State.Status}}", name)).toBe("exited");
  }, 60_000);
});
