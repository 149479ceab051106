/**
 * The container runtime contract: how the hub reads container state. A host injects one
 * (the Docker-compatible runtime in `log-event-hub/docker`, the simulated one in
 * `log-event-hub/testing`, or its own, for example over LXC).
 *
 * @module
 */
import type { ContainerInfo, ContainerType } from "./types.js";

/** A change the runtime observed, pushed through {@link ContainerRuntime.watch}. */
export interface ContainerChange {
  /** Container kind. */
  type: ContainerType;
  /** Container id (as `inspect` accepts it). */
  id: string;
  /** Container name, when known. */
  name?: string;
  /** The new state, when the runtime knows it without an inspect. */
  state?: ContainerInfo["state"];
  /** The runtime's own action name (`start`, `die`, `destroy`, ...), informational. */
  action?: string;
  /**
   * The container's info, read by an inspect the runtime made after the change (for example
   * after an action of its own returned). Waits take it as an inspect's answer, without
   * inspecting again.
   */
  info?: ContainerInfo;
}

/** The runtime contract. */
export interface ContainerRuntime {
  /**
   * The container's current info, or `undefined` when the runtime does not know it.
   * `id` may be an id or a name; `type` is `docker` or `lxc` (a runtime answers `undefined`
   * for a type it does not manage).
   */
  inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined>;

  /**
   * Optional change feed. Call `listener` on every state change; return a function that
   * unsubscribes. The hub subscribes once (not once per waiter) and re-inspects affected
   * containers. Without it, the hub polls `inspect` at a bounded interval while waits are pending.
   */
  watch?(listener: (change: ContainerChange) => void): () => void;

  /**
   * Optional, for a runtime whose `watch` can tell a change late (or not at all, for an action
   * it did not see begin): while a container has pending waits, the hub also looks at it this
   * often, milliseconds, whether or not anything changed. One inspect per interval per waited
   * container, however many wait on it; a container nobody waits on is never looked at. Absent
   * or `0`: waits look only after a change (and briefly after it). The hub's
   * `stateLookIntervalMs` overrides it.
   */
  readonly lookIntervalMs?: number;

  /** Optional: release connections and timers. Called by `hub.close()` only if the hub owns it. */
  close?(): Promise<void>;
}
