/**
 * The demo's container runtime. `RUNTIME=auto` (the default) uses every engine that answers:
 * LXD for `lxc`, a Docker engine for `docker`, and the simulated runtime (with the seed's
 * containers) for a type with no engine. `RUNTIME=simulated|docker|lxd` picks one.
 */
import { CompositeRuntime, type ContainerInfo, type ContainerRuntime, type ContainerType, type LogEventHub } from "log-event-hub";
import { SimulatedRuntime } from "log-event-hub/testing";
import { tryLxd } from "./lxd.js";
import { DOCKER_ECHOES, OwnActions, ownActor } from "./own-actions.js";

/** A container action the demo's `PUT /api/v1/container/{type}/{id}/{action}` offers. */
export type DemoAction = "start" | "stop" | "restart";

/** Acts on a container as `user`; resolves with its info afterwards. */
export type ContainerActor = (action: DemoAction, type: ContainerType, id: string, user: string) => Promise<ContainerInfo>;

/** The runtime, and how the demo acts on it while writing the seed's records and events. */
export interface DemoRuntime {
  /** What serves each type: `simulated`, `docker`, `lxd`, or for `auto` a list such as `lxc: lxd, docker: simulated`. */
  kind: string;
  runtime: ContainerRuntime;
  /** Where the engine is (docker, lxd). */
  address?: string;
  /**
   * Binds the runtime to the hub; the returned function acts on a container, then logs
   * `Start container (lxc, utest)` by `user` and publishes `container:all:{...}`.
   */
  connect(hub: LogEventHub): ContainerActor;
  /** A container to show in the printed examples. */
  example: { type: ContainerType; id: string };
  /** The containers of the types it serves, with their state (`GET /api/v1/container`). */
  list(): Promise<ContainerInfo[]>;
}

/** How many containers an engine's list shows at most (one inspect each). */
const LIST_LIMIT = 100;

const RUNTIMES = ["auto", "simulated", "docker", "lxd"];

/** Picks the runtime. @throws Error when `RUNTIME=docker` or `lxd` and that engine does not answer. */
export async function chooseRuntime(env: NodeJS.ProcessEnv): Promise<DemoRuntime> {
  const wanted = env.RUNTIME ?? "auto";
  if (!RUNTIMES.includes(wanted)) {
    throw new Error(`RUNTIME must be one of ${RUNTIMES.join(", ")}, got ${JSON.stringify(wanted)}`);
  }
  if (wanted === "simulated") return simulated(env);
  if (wanted === "docker") {
    const docker = await tryDocker(env);
    if (!docker) throw new Error("RUNTIME=docker, but no Docker engine answered (DOCKER_HOST or /var/run/docker.sock)");
    return docker;
  }
  if (wanted === "lxd") {
    const lxd = await tryLxd(env);
    if (!lxd) throw new Error("RUNTIME=lxd, but no LXD daemon answered (LXD_SOCKET or /var/lib/lxd/unix.socket)");
    return lxd;
  }
  // auto: every engine that answers, the simulated runtime for a type with none.
  const [docker, lxd] = await Promise.all([tryDocker(env), tryLxd(env)]);
  if (!docker && !lxd) return simulated(env);
  const fallback = !docker || !lxd ? simulated(env) : undefined;
  return combine({ lxc: lxd ?? fallback!, docker: docker ?? fallback! });
}

/** The simulated runtime with the seed's containers. */
function simulated(env: NodeJS.ProcessEnv): DemoRuntime {
  const delay = env.ACTION_DELAY_MS === undefined ? 300 : Number(env.ACTION_DELAY_MS);
  const simulated = new SimulatedRuntime({ actionDelayMs: delay });
  return {
    kind: "simulated",
    runtime: simulated,
    example: { type: "lxc", id: "utest" },
    list: () => simulated.list(),
    connect(hub) {
      // The simulated runtime writes the seed's record and event itself, once per real change.
      simulated.attachHub(hub);
      return (action, type, id, user) => simulated[action](type, id, { user });
    },
  };
}

/** One runtime per type, as a `CompositeRuntime`; actions go to the part serving the type. */
function combine(parts: Record<ContainerType, DemoRuntime>): DemoRuntime {
  const runtime = new CompositeRuntime({ lxc: parts.lxc.runtime, docker: parts.docker.runtime });
  const addresses = [...new Set([parts.lxc.address, parts.docker.address].filter((a) => a !== undefined))];
  const demo: DemoRuntime = {
    kind: `auto (lxc: ${parts.lxc.kind}, docker: ${parts.docker.kind})`,
    runtime,
    example: parts.lxc.kind === "simulated" ? parts.docker.example : parts.lxc.example,
    // Each part lists the type it serves (a simulated part holds both types' seed containers).
    async list() {
      const [lxc, docker] = await Promise.all([parts.lxc.list(), parts.lxc === parts.docker ? [] : parts.docker.list()]);
      return [...lxc.filter((c) => c.type === "lxc"), ...(parts.lxc === parts.docker ? lxc : docker).filter((c) => c.type === "docker")];
    },
    connect(hub) {
      const lxc = parts.lxc.connect(hub);
      const docker = parts.lxc === parts.docker ? lxc : parts.docker.connect(hub);
      return (action, type, id, user) => (type === "lxc" ? lxc : docker)(action, type, id, user);
    },
  };
  if (addresses.length > 0) demo.address = addresses.join(", ");
  return demo;
}

async function tryDocker(env: NodeJS.ProcessEnv): Promise<DemoRuntime | undefined> {
  // Loaded only when wanted: the docker entry point is not needed for the simulated demo.
  const { DockerRuntime, bridgeDockerEvents, reportContainerAction } = await import("log-event-hub/docker");
  // Socket paths and the engine's own messages go to the host's log; clients get a stable message.
  const docker = new DockerRuntime({ stats: true, logger: (failure) => console.error(`[engine] ${failure.detail}`) });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("ping timed out")), 2000);
      }),
    ]);
  } catch {
    await docker.close();
    return undefined;
  } finally {
    clearTimeout(timer);
  }
  // Show the examples with a real container of this engine, when there is one.
  const listed = await docker.engine.request<{ Names?: string[] }[]>("GET", "/containers/json", { query: { all: "true" } }).catch(() => undefined);
  const first = Array.isArray(listed?.body) ? listed.body[0]?.Names?.[0]?.replace(/^\//, "") : undefined;
  return {
    kind: "docker",
    runtime: docker,
    address: docker.engine.address,
    example: { type: "docker", id: first ?? "<container>" },
    async list() {
      const all = await docker.engine.request<{ Id?: string }[]>("GET", "/containers/json", { query: { all: "true" } });
      const ids = Array.isArray(all.body) ? all.body.slice(0, LIST_LIMIT).map((c) => c.Id ?? "").filter((id) => id !== "") : [];
      const infos = await Promise.all(ids.map((id) => docker.inspect("docker", id)));
      return infos.filter((info) => info !== undefined);
    },
    connect(hub) {
      // The engine's own activity (its CLI, other clients) as records by `system` and events;
      // the echoes of the demo's own actions are skipped (it records those by the acting user).
      const own = new OwnActions(DOCKER_ECHOES);
      const key = (id: string) => id.slice(0, 12);
      bridgeDockerEvents(docker, hub, {
        // `null` skips a claimed echo; `undefined` lets the bridge record it by `system`.
        attribute: (action, container) => (own.consume(key(container.id), action) ? null : undefined),
        onError: (error) => (error as { code?: string }).code !== "CLOSED" && console.error("[bridge]", error),
      });
      return ownActor(hub, {
        own,
        runtime: docker,
        key: (info) => key(info.id),
        report: (sink, action, after, user) => reportContainerAction(sink, action, { type: "docker", id: after.id, name: after.name }, { user }),
      });
    },
  };
}
