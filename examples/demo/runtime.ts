/**
 * The demo's container runtime: the Docker runtime when an engine answers, else the simulated
 * one with the seed's containers (`RUNTIME=simulated|docker` overrides the detection).
 */
import type { ContainerInfo, ContainerRuntime, ContainerType, LogEventHub } from "log-event-hub";
import { SimulatedRuntime } from "log-event-hub/testing";
import { OwnActions } from "./own-actions.js";

/** A container action the demo's `PUT /api/v1/container/{type}/{id}/{action}` offers. */
export type DemoAction = "start" | "stop" | "restart";

/** Acts on a container as `user`; resolves with its info afterwards. */
export type ContainerActor = (action: DemoAction, type: ContainerType, id: string, user: string) => Promise<ContainerInfo>;

/** The runtime, and how the demo acts on it while writing the seed's records and events. */
export interface DemoRuntime {
  kind: "simulated" | "docker";
  runtime: ContainerRuntime;
  /** Where the engine is (docker only). */
  address?: string;
  /**
   * Binds the runtime to the hub; the returned function acts on a container, then logs
   * `Start container (lxc, utest)` by `user` and publishes `container:all:{...}`.
   */
  connect(hub: LogEventHub): ContainerActor;
  /** A container to show in the printed examples. */
  example: { type: ContainerType; id: string };
}

/** Picks the runtime. @throws Error when `RUNTIME=docker` and no engine answers. */
export async function chooseRuntime(env: NodeJS.ProcessEnv): Promise<DemoRuntime> {
  const wanted = env.RUNTIME ?? "auto";
  if (!["auto", "docker", "simulated"].includes(wanted)) {
    throw new Error(`RUNTIME must be "simulated" or "docker", got ${JSON.stringify(wanted)}`);
  }
  if (wanted !== "simulated") {
    const docker = await tryDocker(env);
    if (docker) return docker;
    if (wanted === "docker") throw new Error("RUNTIME=docker, but no Docker engine answered (DOCKER_HOST or /var/run/docker.sock)");
  }
  const delay = env.ACTION_DELAY_MS === undefined ? 300 : Number(env.ACTION_DELAY_MS);
  const simulated = new SimulatedRuntime({ actionDelayMs: delay });
  return {
    kind: "simulated",
    runtime: simulated,
    example: { type: "lxc", id: "utest" },
    connect(hub) {
      // The simulated runtime writes the seed's record and event itself, once per real change.
      simulated.attachHub(hub);
      return (action, type, id, user) => simulated[action](type, id, { user });
    },
  };
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
    connect(hub) {
      // The engine's own activity (its CLI, other clients) as records by `system` and events;
      // the echoes of the demo's own actions are skipped (it records those by the acting user).
      const own = new OwnActions();
      bridgeDockerEvents(docker, hub, {
        attribute: own.attribute,
        onError: (error) => (error as { code?: string }).code !== "CLOSED" && console.error("[bridge]", error),
      });
      return async (action, type, id, user) => {
        const before = await docker.inspect(type, id);
        const release = before ? own.claim(before.id, action, before.state) : () => undefined;
        try {
          const after = await docker[action](type, id);
          // Starting a running (or stopping a stopped) container changes nothing: no record.
          // Otherwise the seed's record (by the acting user) and event (for `all`).
          if (action === "restart" || before?.state !== after.state) {
            await reportContainerAction(hub, action, { type: "docker", id: after.id, name: after.name }, { user });
          } else release();
          return after;
        } catch (error) {
          release(); // whatever the engine did after all, the bridge records by `system`
          throw error;
        }
      };
    },
  };
}
