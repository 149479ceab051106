/**
 * The bridge: a live activity log of an engine in one call. Engine events become the seed's
 * log records (`Start container (docker, 08fd4fac14b8, DockerTestAPI)`) and events
 * (`container:all:{"container":"DockerTestAPI","id":"08fd4fac14b8","state":"start","type":"docker"}`).
 *
 * @module
 */
import { type ActivitySink, type ContainerAction, type ContainerRef, reportContainerAction, shortId } from "../activity.js";
import type { EngineEvent } from "./events.js";

/** Options of {@link bridgeDockerEvents}. */
export interface DockerBridgeOptions {
  /** The user the log records name (the engine does not say who acted). @default "system" */
  user?: string;
  /** Called when writing to the hub fails (the bridge carries on with the next event). */
  onError?: (error: unknown) => void;
  /**
   * Decides, per action, who the record names: a user name, `null` to write nothing (the host
   * already wrote this action's record and event itself, say because its own user asked for
   * it), or `undefined` for `user`. Called in the engine's order, once per state change.
   * @default every action is recorded by `user`
   */
  attribute?: (action: ContainerAction, container: ContainerRef) => string | null | undefined;
}

/** Anything that hands out raw engine events: a {@link DockerRuntime}. */
export interface DockerEventSource {
  /** Subscribes to raw container events; returns the unsubscribe function. */
  events(listener: (event: EngineEvent) => void): () => void;
}

/**
 * Engine action -> seed action. `die` is the stop (podman sends no `stop`; Docker sends
 * `kill`, `die`, `stop`, which must yield one record); podman's `remove` is Docker's `destroy`.
 */
const ACTIONS: Record<string, ContainerAction | undefined> = {
  create: "create",
  start: "start",
  die: "stop",
  stop: "stop",
  restart: "restart",
  pause: "pause",
  unpause: "unpause",
  destroy: "destroy",
  remove: "destroy",
};

/**
 * Turns every container event of `source` into a log record (category `container`, level
 * INFO, the engine's event time) and an event for `all` on `hub`, in the engine's order.
 * Returns the function that stops the bridge.
 *
 * Each state change yields one record: the `stop` after a `die`, a second `destroy`, and
 * podman's `init`/`cleanup` are dropped. A Docker restart shows as Stop, Start, Restart.
 */
export function bridgeDockerEvents(source: DockerEventSource, hub: ActivitySink, options: DockerBridgeOptions = {}): () => void {
  const user = options.user ?? "system";
  /** Last seed action reported per container id, to fold repeats. */
  const last = new Map<string, ContainerAction>();
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  const unsubscribe = source.events((event) => {
    const action = ACTIONS[event.Action];
    if (!action) return;
    const id = event.Actor.ID;
    const previous = last.get(id);
    if (action === previous && (action === "stop" || action === "destroy")) return;
    if (action === "destroy") last.delete(id);
    else last.set(id, action);
    const ref: ContainerRef = { type: "docker", id, name: event.Actor.Attributes.name ?? shortId(id) };
    const actor = options.attribute ? options.attribute(action, ref) : undefined;
    if (actor === null) return;
    // Microseconds survive: nanoseconds -> epoch milliseconds with a fraction.
    const time = Number(event.timeNano / 1000n) / 1000;
    queue = queue.then(async () => {
      if (stopped) return;
      try {
        await reportContainerAction(hub, action, ref, { user: actor ?? user, time });
      } catch (error) {
        options.onError?.(error);
      }
    });
  });

  return () => {
    stopped = true;
    unsubscribe();
  };
}
