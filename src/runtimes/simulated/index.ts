/**
 * A container runtime that needs no engine: the seed's containers in memory, actions that take a
 * realistic moment, a change feed, and (optionally) the seed's log records and events published
 * through a hub. For examples, demos and tests; exported from `log-event-hub/testing`.
 *
 * @module
 */
import { ClosedError, NotFoundError, ValidationError } from "../../errors.js";
import type { ContainerChange, ContainerRuntime } from "../../runtime.js";
import type { ContainerInfo, ContainerType } from "../../types.js";
import { type ActivitySink, type ContainerAction, reportContainerAction } from "../activity.js";

/** A container the simulated runtime starts with (or is given through {@link SimulatedRuntime.create}). */
export interface SimulatedContainer {
  /** Container kind. */
  type: ContainerType;
  /** Docker: a 64-character hex id; lxc: usually the name. @default the name */
  id?: string;
  /** Container name. */
  name: string;
  /** Image it reports, such as `ubuntu-trusty:latest`. */
  image: string;
  /** Addresses it reports while running. @default [] */
  ipaddress?: string[];
  /** @default "stopped" */
  state?: "running" | "stopped" | "paused";
  /** Bytes it reports while running. @default 10870784 (the seed's figure) */
  memory?: number;
  /** Percent it reports while running. @default 0 */
  cpu?: number;
  /** Bytes received it reports while running. @default 0 */
  rx?: number;
  /** Bytes sent it reports while running. @default 0 */
  tx?: number;
}

/** The seed's containers: lxc `utest` (stopped) and docker `DockerTestAPI` (running). */
export const SEED_CONTAINERS: readonly Readonly<SimulatedContainer>[] = Object.freeze([
  Object.freeze({ type: "lxc", id: "utest", name: "utest", image: "ubuntu-trusty:latest", ipaddress: ["10.0.3.177"], state: "stopped" }),
  Object.freeze({
    type: "docker",
    id: "08fd4fac14b85af65da4a7d9c4f9d8feb5f3ef39f2ccd978c753151de9a42765",
    name: "DockerTestAPI",
    image: "ubuntu:14.04",
    ipaddress: ["172.17.0.2"],
    state: "running",
  }),
] as const satisfies readonly SimulatedContainer[]);

/** Options of {@link SimulatedRuntime}. */
export interface SimulatedRuntimeOptions {
  /** The containers to start with. @default {@link SEED_CONTAINERS} */
  containers?: readonly SimulatedContainer[];
  /** How long an action (start, stop, restart, ...) takes, milliseconds. @default 300 */
  actionDelayMs?: number;
  /** Where to publish the seed's log records and events for every change; see {@link SimulatedRuntime.attachHub}. */
  hub?: ActivitySink;
}

/** Options of one action. */
export interface SimulatedActionOptions {
  /** The acting user named in the log record. @default "system" */
  user?: string;
}

interface State {
  type: ContainerType;
  id: string;
  name: string;
  image: string;
  ipaddress: string[];
  state: "running" | "stopped" | "paused";
  memory: number;
  cpu: number;
  rx: number;
  tx: number;
  /** Actions on one container run one after another. */
  queue: Promise<unknown>;
}

/**
 * The simulated runtime. Every action is idempotent (starting a running container answers its
 * info at once, without a log record), waits `actionDelayMs`, then changes the state, tells
 * `watch` listeners, and (with a hub) logs `Start container (lxc, utest)` and publishes
 * `container:all:{"container":"utest","state":"start","type":"lxc"}` before it resolves.
 *
 * @example
 * ```ts
 * const runtime = new SimulatedRuntime({ actionDelayMs: 50 });
 * const hub = new LogEventHub({ runtime });
 * runtime.attachHub(hub);
 * const waiting = hub.waitForState({ type: "lxc", id: "utest", state: "running" });
 * await runtime.start("lxc", "utest", { user: "Anonymous" });
 * (await waiting).state; // "running"
 * ```
 */
export class SimulatedRuntime implements ContainerRuntime {
  private readonly containers = new Map<string, State>();
  private readonly listeners = new Set<(change: ContainerChange) => void>();
  private readonly delays = new Map<ReturnType<typeof setTimeout>, (error: Error) => void>();
  private readonly actionDelayMs: number;
  private sink: ActivitySink | undefined;
  private closed = false;

  constructor(options: SimulatedRuntimeOptions = {}) {
    const delay = options.actionDelayMs ?? 300;
    if (!Number.isFinite(delay) || delay < 0) throw new TypeError(`actionDelayMs must be a number >= 0, got ${String(delay)}`);
    this.actionDelayMs = delay;
    this.sink = options.hub;
    for (const container of options.containers ?? SEED_CONTAINERS) this.add(container);
  }

  /** Publishes every later change through `hub` (a `LogEventHub` or any {@link ActivitySink}). */
  attachHub(hub: ActivitySink | undefined): this {
    this.sink = hub;
    return this;
  }

  /** The container's info, found by name, id or (docker) unique id prefix; `undefined` when unknown. */
  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    const state = this.find(type, id);
    return state && toInfo(state);
  }

  /** Every container's info, in creation order. */
  async list(): Promise<ContainerInfo[]> {
    return [...this.containers.values()].map(toInfo);
  }

  /** Calls `listener` on every state change; returns the unsubscribe function. */
  watch(listener: (change: ContainerChange) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Starts a stopped container. @throws NotFoundError, ValidationError (paused), ClosedError */
  start(type: ContainerType, id: string, options: SimulatedActionOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, options, (c) => {
      if (c.state === "running") return undefined;
      if (c.state === "paused") throw new ValidationError(`Container ${c.name} is paused: unpause it`, "state");
      return { action: "start", to: "running" };
    });
  }

  /** Stops a running or paused container. @throws NotFoundError, ClosedError */
  stop(type: ContainerType, id: string, options: SimulatedActionOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, options, (c) => (c.state === "stopped" ? undefined : { action: "stop", to: "stopped" }));
  }

  /** Stops (if needed) and starts a container; one `Restart` record. @throws NotFoundError, ClosedError */
  restart(type: ContainerType, id: string, options: SimulatedActionOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, options, () => ({ action: "restart", to: "running" }));
  }

  /** Pauses a running container. @throws NotFoundError, ValidationError (stopped), ClosedError */
  pause(type: ContainerType, id: string, options: SimulatedActionOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, options, (c) => {
      if (c.state === "paused") return undefined;
      if (c.state === "stopped") throw new ValidationError(`Container ${c.name} is not running`, "state");
      return { action: "pause", to: "paused" };
    });
  }

  /** Resumes a paused container. @throws NotFoundError, ValidationError (stopped), ClosedError */
  unpause(type: ContainerType, id: string, options: SimulatedActionOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, options, (c) => {
      if (c.state === "running") return undefined;
      if (c.state === "stopped") throw new ValidationError(`Container ${c.name} is not running`, "state");
      return { action: "unpause", to: "running" };
    });
  }

  /**
   * Creates a container (stopped unless `state` says otherwise) after the action delay.
   * @throws ValidationError when a container of that type already has the name.
   */
  async create(container: SimulatedContainer, options: SimulatedActionOptions = {}): Promise<ContainerInfo> {
    this.assertOpen();
    if (this.find(container.type, container.name)) throw new ValidationError(`A ${container.type} container named ${container.name} exists`, "name");
    await this.delay();
    const state = this.add(container);
    await this.changed(state, "create", options.user);
    return toInfo(state);
  }

  /** Removes a container (stopping it first when running) after the action delay. @throws NotFoundError, ClosedError */
  destroy(type: ContainerType, id: string, options: SimulatedActionOptions = {}): Promise<void> {
    const state = this.get(type, id);
    const run = state.queue.then(async () => {
      this.assertOpen();
      await this.delay();
      this.containers.delete(keyOf(state.type, state.name));
      if (state.state !== "stopped") {
        state.state = "stopped";
        await this.changed(state, "stop", options.user);
      }
      await this.changed(state, "destroy", options.user);
    });
    state.queue = run.catch(() => undefined);
    return run;
  }

  /** Fails pending actions with `ClosedError` and forgets every listener. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, fail] of this.delays) {
      clearTimeout(timer);
      fail(new ClosedError("The simulated runtime is closed"));
    }
    this.delays.clear();
    this.listeners.clear();
  }

  // -------------------------------------------------------------------------------------------

  private add(container: SimulatedContainer): State {
    const state: State = {
      type: container.type,
      id: container.id ?? container.name,
      name: container.name,
      image: container.image,
      ipaddress: [...(container.ipaddress ?? [])],
      state: container.state ?? "stopped",
      memory: container.memory ?? 10_870_784,
      cpu: container.cpu ?? 0,
      rx: container.rx ?? 0,
      tx: container.tx ?? 0,
      queue: Promise.resolve(),
    };
    this.containers.set(keyOf(state.type, state.name), state);
    return state;
  }

  private find(type: ContainerType, id: string): State | undefined {
    const byName = this.containers.get(keyOf(type, id));
    if (byName) return byName;
    let match: State | undefined;
    for (const c of this.containers.values()) {
      if (c.type !== type) continue;
      if (c.id === id) return c;
      // Docker accepts any unique id prefix.
      if (type === "docker" && /^[0-9a-f]+$/.test(id) && c.id.startsWith(id)) {
        if (match) return undefined;
        match = c;
      }
    }
    return match;
  }

  private get(type: ContainerType, id: string): State {
    this.assertOpen();
    const state = this.find(type, id);
    if (!state) throw new NotFoundError(`No ${type} container "${id}"`);
    return state;
  }

  /** Queues an action on one container; `plan` decides (when its turn comes) what it does. */
  private act(
    type: ContainerType,
    id: string,
    options: SimulatedActionOptions,
    plan: (c: State) => { action: ContainerAction; to: State["state"] } | undefined,
  ): Promise<ContainerInfo> {
    let state: State;
    try {
      state = this.get(type, id);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = state.queue.then(async () => {
      this.assertOpen();
      if (!this.containers.has(keyOf(state.type, state.name))) throw new NotFoundError(`No ${type} container "${id}"`);
      const step = plan(state);
      if (!step) return toInfo(state);
      await this.delay();
      state.state = step.to;
      await this.changed(state, step.action, options.user);
      return toInfo(state);
    });
    state.queue = run.catch(() => undefined);
    return run;
  }

  /** Tells watchers, then the hub (log record, then event). */
  private async changed(state: State, action: ContainerAction, user: string | undefined): Promise<void> {
    const change: ContainerChange = { type: state.type, id: state.id, name: state.name, action };
    if (action !== "destroy") change.state = state.state;
    for (const listener of [...this.listeners]) listener(change);
    if (this.sink) await reportContainerAction(this.sink, action, state, { user: user ?? "system" });
  }

  private delay(): Promise<void> {
    if (this.actionDelayMs === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.delays.delete(timer);
        resolve();
      }, this.actionDelayMs);
      this.delays.set(timer, reject);
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError("The simulated runtime is closed");
  }
}

function keyOf(type: ContainerType, name: string): string {
  return `${type}\u0000${name}`;
}

/** The seed's info object; a stopped container reports no address and no usage. */
function toInfo(c: State): ContainerInfo {
  const up = c.state !== "stopped";
  return {
    cpu: up ? c.cpu : 0,
    id: c.id,
    image: c.image,
    ipaddress: up ? [...c.ipaddress] : [],
    memory: up ? c.memory : 0,
    name: c.name,
    rx: up ? c.rx : 0,
    state: c.state,
    tx: up ? c.tx : 0,
    type: c.type,
  };
}
