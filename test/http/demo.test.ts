/**
 * The demo (`npm start`) as a newcomer runs it: a child process on a free port with a fresh
 * data directory and the simulated runtime, driven over HTTP with a session cookie, then
 * stopped with SIGTERM. The SQLite file must hold everything it acknowledged.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it, vi } from "vitest";
import { findEngine } from "../helpers/engine.js";
import { containersConf } from "../helpers/podman-service.js";
import { LogEventHub, parseEventMessage } from "log-event-hub";
import { SqliteStore } from "log-event-hub/sqlite";
import { DockerRuntime } from "log-event-hub/docker";
import { sqliteDrivers } from "../stores/fixtures/sqlite-drivers.js";
import { TSX_ARGS } from "../helpers/tsx.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);


const engineSocket = await findEngine();
if (!engineSocket && !process.env.CI) {
  console.warn("\n[demo.test] docker demo SKIPPED: no Docker-compatible engine answers (set LEH_DOCKER_SOCKET or run `scripts/setup-podman.sh`).\n");
}

interface Demo {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once the demo has printed a line matching `pattern` (its `LOG_REQUESTS` access log). */
  printed: (pattern: RegExp) => Promise<void>;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function startDemo(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Demo> {
  const child = spawn(process.execPath, [...TSX_ARGS, "examples/demo/server.ts"], {
    cwd: root,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, RUNTIME: "simulated", LOG_REQUESTS: "1", ...extraEnv },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  let stdout = "";
  let stderr = "";
  const watchers = new Set<{ pattern: RegExp; resolve: () => void }>();
  child.stdout!.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of watchers) {
      if (w.pattern.test(stdout)) {
        watchers.delete(w);
        w.resolve();
      }
    }
  });
  const printed = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (pattern.test(stdout)) return resolve();
      watchers.add({ pattern, resolve });
      void exited.then((code) => reject(new Error(`demo exited with ${code} before printing ${pattern}: ${stderr}`)));
    });
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", () => {
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      // The banner ends with the wait example.
      if (match && /duration=5"\n/.test(stdout)) resolve(match[1]!);
    });
    void exited.then((code) => reject(new Error(`demo exited with ${code}: ${stderr}`)));
  });
  return { child, url, exited, printed, output: () => stdout + stderr };
}

describe("the demo (npm start)", () => {
  it.each(sqliteDrivers)("serves the seed's flow with a session cookie, then shuts down cleanly on SIGTERM with every record on disk (%s)", async (driver) => {
    const dataDir = mkdtempSync(join(tmpdir(), "hub-demo-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const demo = await startDemo(dataDir, { SQLITE_DRIVER: driver });
    const { url } = demo;
    expect(demo.output()).toContain(`SQLite driver: ${driver}`);

    // It prints the seed's curl examples.
    expect(demo.output()).toContain(`curl -sq -XGET -b cookies.txt "${url}/api/v1/log?limit=5"`);
    expect(demo.output()).toContain(`curl -sq -XGET -b cookies.txt ${url}/api/v1/event`);
    expect(demo.output()).toContain(`curl -sq -XGET -b cookies.txt "${url}/api/v1/event/wait/lxc/utest/stopped?duration=5"`);

    // Log in (a form post, as curl -d sends) and keep the cookie.
    const login = await fetch(`${url}/api/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "username=alice",
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
    expect(cookie).toMatch(/^hub_session=[\w-]{22}$/);
    const asAlice = { headers: { cookie } };

    // The shipped OpenAPI document, as a client generator would fetch it.
    const described = await fetch(`${url}/api/v1/openapi.json`);
    expect(described.status).toBe(200);
    expect(await described.json()).toEqual(JSON.parse(readFileSync(join(root, "openapi.json"), "utf8")));

    // A browser's EventSource with the session cookie: it sees the container events as they happen.
    const stream = await fetch(`${url}/api/v1/event/stream`, asAlice);
    expect(stream.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    let streamed = "";
    const streamDone = (async () => {
      for await (const chunk of stream.body!.pipeThrough(new TextDecoderStream())) streamed += chunk;
    })();

    // Wait for running through the wait endpoint while starting utest.
    const waiting = fetch(`${url}/api/v1/event/wait/lxc/utest/running?duration=30`, asAlice);
    const started = await fetch(`${url}/api/v1/container/lxc/utest/start`, { method: "PUT", ...asAlice });
    expect(started.status).toBe(200);
    expect(await started.json()).toMatchObject({ id: "utest", state: "running", type: "lxc" });
    expect(await (await waiting).json()).toMatchObject({ id: "utest", state: "running" });

    // The log names the logged-in user; the event goes to everyone.
    const log = (await (await fetch(`${url}/api/v1/log?limit=5`, asAlice)).json()) as { message: string; user: string }[];
    expect(log[0]).toMatchObject({ category: "container", level: "INFO", message: "Start container (lxc, utest)", user: "alice" });
    const page = (await (await fetch(`${url}/api/v1/event`, asAlice)).json()) as { messages: string[]; offset: number };
    expect(page.messages.map(parseEventMessage)).toContainEqual({
      category: "container",
      user: "all",
      payload: { container: "utest", state: "start", type: "lxc" },
    });

    // An unknown container and bad input answer the API's JSON errors.
    expect((await fetch(`${url}/api/v1/container/lxc/nope/start`, { method: "PUT" })).status).toBe(404);
    expect((await fetch(`${url}/api/v1/container/lxc/utest/explode`, { method: "PUT" })).status).toBe(400);
    expect((await fetch(`${url}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"a:b"}' })).status).toBe(400);

    // Anonymous actions are logged as the seed's `Anonymous`; a long poll is pending at shutdown.
    const stopped = await fetch(`${url}/api/v1/container/lxc/utest/stop`, { method: "PUT" });
    expect(stopped.status).toBe(200);
    const longPollUrl = `/api/v1/event?index=${page.offset + 1}&wait=600`;
    const longPoll = fetch(`${url}${longPollUrl}`, asAlice);
    // Signal only once the server has the request: fetch may send it later than this line runs,
    // and a shutdown that starts first rightly closes the idle connection it would have used.
    await demo.printed(new RegExp(`request: GET ${longPollUrl.replace(/[?]/g, "\\?")}\n`));

    await vi.waitFor(() => expect(streamed).toContain('"state":"stop"'));

    demo.child.kill("SIGTERM");
    expect(await demo.exited).toBe(0);
    // The pending long poll was answered, not cut off; the stream ended cleanly with both events.
    expect((await longPoll).status).toBe(200);
    await streamDone;
    expect(streamed).toMatch(/^retry: \d+\n\nid: \d+\ndata: container:all:\{"container":"utest","state":"start","type":"lxc"\}\n\n/);
    expect(demo.output()).toContain("Stopped");

    const hub = new LogEventHub({ store: new SqliteStore(join(dataDir, "log-event-hub.sqlite")) });
    try {
      const records = await hub.queryLogs({ category: "container" });
      expect(records.map((r) => [r.message, r.user])).toEqual([
        ["Stop container (lxc, utest)", "Anonymous"],
        ["Start container (lxc, utest)", "alice"],
      ]);
      const events = await hub.readEvents({ index: 0 });
      expect(events.events.map((e) => e.payload)).toEqual([
        { container: "utest", state: "stop", type: "lxc" },
        { container: "utest", state: "start", type: "lxc" },
      ]);
    } finally {
      await hub.close();
    }
  });

  it("finishes a container action accepted before SIGTERM and keeps its records", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "hub-demo-"));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // A slow action, so the signal arrives while it runs.
    const demo = await startDemo(dataDir, { ACTION_DELAY_MS: "3000" });
    const action = fetch(`${demo.url}/api/v1/container/docker/DockerTestAPI/stop`, { method: "PUT" });
    // Signal once the server has the request (the action then runs for 3 s).
    await demo.printed(/request: PUT \/api\/v1\/container\/docker\/DockerTestAPI\/stop\n/);
    demo.child.kill("SIGTERM");
    const response = await action;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: "DockerTestAPI", state: "stopped" });
    expect(await demo.exited).toBe(0);

    const hub = new LogEventHub({ store: new SqliteStore(join(dataDir, "log-event-hub.sqlite")) });
    try {
      const records = await hub.queryLogs({ category: "container" });
      expect(records.map((r) => r.message)).toEqual(["Stop container (docker, 08fd4fac14b8, DockerTestAPI)"]);
    } finally {
      await hub.close();
    }
  });

  it.skipIf(!engineSocket && !process.env.CI)(
    "with RUNTIME=docker: its own actions by the logged-in user, the engine CLI's by system, each once in the log and the feed",
    async () => {
      if (!engineSocket) throw new Error("CI requires a Docker-compatible engine: run scripts/setup-podman.sh first");
      const engine = new DockerRuntime({ socketPath: engineSocket, stats: false });
      const env = { ...process.env, ...(containersConf(engineSocket) && { CONTAINERS_CONF: containersConf(engineSocket) }) };
      const podman = (...args: string[]) => run("podman", args, { env });
      const stamp = `${process.pid}-${Date.now()}`;
      const create = async (name: string) => {
        const created = await engine.engine.request<{ Id: string }>("POST", "/containers/create", {
          query: { name },
          body: { Image: "local/busy:latest", Cmd: ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 1; done'] },
        });
        expect(created.status).toBe(201);
        return created.body.Id.slice(0, 12);
      };
      const name = `leh-demo-${stamp}`;
      const sentinel = `leh-demo-sentinel-${stamp}`;
      const dataDir = mkdtempSync(join(tmpdir(), "hub-demo-"));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      try {
        const shortId = await create(name); // before the demo runs: not in its feed
        const demo = await startDemo(dataDir, { RUNTIME: "docker", DOCKER_HOST: `unix://${engineSocket}` });
        expect(demo.output()).toContain("runtime: docker");
        const login = await fetch(`${demo.url}/api/v1/login`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username":"alice"}' });
        const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
        const put = async (action: string) => {
          const res = await fetch(`${demo.url}/api/v1/container/docker/${name}/${action}`, { method: "PUT", headers: { cookie } });
          expect(res.status).toBe(200);
          return (await res.json()) as { state: string };
        };

        const waiting = fetch(`${demo.url}/api/v1/event/wait/docker/${name}/running?duration=60`, { headers: { cookie } });
        expect(await put("start")).toMatchObject({ state: "running" });
        expect(await (await waiting).json()).toMatchObject({ name, state: "running" });
        expect(await put("start")).toMatchObject({ state: "running" }); // no change: no record
        expect(await put("restart")).toMatchObject({ state: "running" });
        expect(await put("stop")).toMatchObject({ state: "stopped" });
        // The console's Containers screen lists the engine's containers with their state.
        const listed = (await (await fetch(`${demo.url}/api/v1/container`)).json()) as { type: string; name: string; state: string }[];
        expect(listed).toContainEqual(expect.objectContaining({ type: "docker", name, state: "stopped" }));
        // Behind the demo's back, with the engine's own CLI.
        await podman("start", name);
        await podman("stop", "-t", "5", name);
        // The feed keeps the engine's order: once a later container's creation shows, every
        // earlier engine event has been bridged (or skipped as an echo).
        const sentinelId = await create(sentinel);
        const label = `(docker, ${shortId}, ${name})`;
        type Record = { message: string; user: string };
        let records: Record[] = [];
        while (!records.some((r) => r.message.includes(sentinelId))) {
          await new Promise((r) => setTimeout(r, 50));
          records = (await (await fetch(`${demo.url}/api/v1/log?category=container&limit=100`, { headers: { cookie } })).json()) as Record[];
        }
        expect(records.filter((r) => r.message.endsWith(label)).map((r) => [r.message, r.user]).reverse()).toEqual([
          [`Start container ${label}`, "alice"],
          [`Restart container ${label}`, "alice"],
          [`Stop container ${label}`, "alice"],
          [`Start container ${label}`, "system"],
          [`Stop container ${label}`, "system"],
        ]);
        const page = (await (await fetch(`${demo.url}/api/v1/event?limit=100`, { headers: { cookie } })).json()) as { messages: string[] };
        expect(page.messages.map(parseEventMessage).filter((m) => m.payload.id === shortId).map((m) => [m.user, m.payload.state]).reverse()).toEqual([
          ["all", "start"],
          ["all", "restart"],
          ["all", "stop"],
          ["all", "start"],
          ["all", "stop"],
        ]);
        demo.child.kill("SIGTERM");
        expect(await demo.exited).toBe(0);
      } finally {
        for (const n of [name, sentinel]) await engine.engine.request("DELETE", `/containers/${n}`, { query: { force: true } });
        await engine.close();
      }
    },
    // A hang guard, not a speed check: a real engine creating, starting and stopping containers
    // on a busy 2-core machine (CI runs several Node lines at once) can take over 30 s.
    120_000,
  );
});
