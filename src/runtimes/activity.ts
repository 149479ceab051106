/**
 * What a runtime reports to a hub when a container changes: the seed's log record
 * (`Start container (docker, 08fd4fac14b8, DockerTestAPI)`) and event
 * (`container:all:{"container":"DockerTestAPI","id":"08fd4fac14b8","state":"start","type":"docker"}`).
 * Shared by the simulated runtime and the Docker bridge.
 *
 * @module
 */
import type { ContainerEventPayload, ContainerType } from "../types.js";

/**
 * The part of a hub that runtimes write to. A `LogEventHub` is one; so is anything with these
 * two methods (a test double, a queue).
 */
export interface ActivitySink {
  /** Appends a log record (`hub.log`). */
  log(input: { level: "INFO"; category: "container"; user: string; message: string; time?: number }): Promise<unknown>;
  /** Publishes an event (`hub.publish`). */
  publish(input: { category: "container"; user: string; payload: ContainerEventPayload; time?: number }): Promise<unknown>;
}

/** A container state change as the seed's events name it. */
export type ContainerAction = NonNullable<ContainerEventPayload["state"]>;

const VERBS: Record<ContainerAction, string> = {
  create: "Create",
  start: "Start",
  stop: "Stop",
  restart: "Restart",
  destroy: "Destroy",
  pause: "Pause",
  unpause: "Unpause",
};

/** A container as it appears in messages and events. */
export interface ContainerRef {
  /** Container kind. */
  type: ContainerType;
  /** Full or short id; messages show 12 characters (docker only). */
  id: string;
  /** Container name. */
  name: string;
}

/** `(lxc, utest)` or `(docker, 08fd4fac14b8, DockerTestAPI)`, as the seed's messages write it. */
export function containerLabel(ref: ContainerRef): string {
  return ref.type === "docker" ? `(docker, ${shortId(ref.id)}, ${ref.name})` : `(lxc, ${ref.name})`;
}

/** The first 12 characters of a Docker id. */
export function shortId(id: string): string {
  return id.slice(0, 12);
}

/** The seed's message for an action, for example `Stop container (lxc, utest)`. */
export function containerMessage(action: ContainerAction, ref: ContainerRef): string {
  return `${VERBS[action]} container ${containerLabel(ref)}`;
}

/** The seed's event payload: docker containers carry their short id, lxc ones only a name. */
export function containerPayload(action: ContainerAction, ref: ContainerRef): ContainerEventPayload {
  return ref.type === "docker"
    ? { container: ref.name, id: shortId(ref.id), state: action, type: "docker" }
    : { container: ref.name, state: action, type: "lxc" };
}

/** Who acted, and when, for {@link reportContainerAction}. */
export interface ContainerReportOptions {
  /** The user the log record names (the event itself goes to `all`). */
  user: string;
  /** When it happened, epoch milliseconds (fractions carry microseconds). @default the hub's clock */
  time?: number;
}

/**
 * Writes one action to a sink: the log record (by `user`, level INFO) first, then the event for
 * `all` (SPEC 8: state changes go to everyone; the record names who acted). For a runtime of
 * your own, or after acting on a container yourself:
 *
 * ```ts
 * await reportContainerAction(hub, "stop", { type: "docker", id: info.id, name: info.name }, { user: "alice" });
 * // log: Stop container (docker, 08fd4fac14b8, DockerTestAPI) by alice
 * // event for all: container:all:{"container":"DockerTestAPI","id":"08fd4fac14b8","state":"stop","type":"docker"}
 * ```
 *
 * @param sink The hub (or anything with its `log` and `publish`).
 * @param action The state change.
 * @param ref The container; a docker id is shortened to 12 characters.
 * @param options Who acted, and when.
 */
export async function reportContainerAction(
  sink: ActivitySink,
  action: ContainerAction,
  ref: ContainerRef,
  options: ContainerReportOptions,
): Promise<void> {
  const time = options.time === undefined ? {} : { time: options.time };
  await sink.log({ level: "INFO", category: "container", user: options.user, message: containerMessage(action, ref), ...time });
  await sink.publish({ category: "container", user: "all", payload: containerPayload(action, ref), ...time });
}
