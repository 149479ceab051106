/**
 * `DockerRuntime`: the container runtime contract over Docker Engine's API (or podman's
 * Docker-compatible service), straight over the socket.
 *
 * @module
 */
import { NotFoundError, RuntimeUnavailableError } from "../../errors.js";
import type { ContainerChange, ContainerRuntime } from "../../runtime.js";
import type { ContainerInfo, ContainerType } from "../../types.js";
import { EngineClient, type EngineClientOptions, EngineErrorMessages } from "./engine.js";
import { type EngineEvent, EngineEventStream, type ReconnectOptions, reconnectDelay } from "./events.js";

/** Options of {@link DockerRuntime}. */
export interface DockerRuntimeOptions extends EngineClientOptions {
  /**
   * Read memory, cpu and network counters with a one-shot stats call on each inspect of a
   * running container. Turn off when only the state matters: stats cost a round trip.
   * @default true
   */
  stats?: boolean;
  /**
   * While a container has pending waits, the hub looks at it this often whether or not the
   * event feed told anything, milliseconds (see {@link ContainerRuntime.lookIntervalMs}):
   * podman's feed tells a change up to 250 ms late, and tells nothing of an action made with
   * the CLI until it is done. `0` turns it off.
   * @default 100
   */
  lookIntervalMs?: number;
  /** Backoff of the event stream's reconnection. */
  reconnect?: ReconnectOptions;
  /** Called when the event stream fails or drops (it reconnects on its own). */
  onStreamError?: (error: Error) => void;
}

/** Options of {@link DockerRuntime.stop} and {@link DockerRuntime.restart}. */
export interface DockerStopOptions {
  /** Seconds to wait after SIGTERM before SIGKILL. @default the engine's (10) */
  timeoutSeconds?: number;
}

interface InspectBody {
  Id: string;
  Name: string;
  Image: string;
  Config?: { Image?: string };
  State?: { Status?: string; Running?: boolean; Paused?: boolean };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string } | null> | null };
}

interface StatsBody {
  cpu_stats?: CpuStats;
  precpu_stats?: CpuStats;
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
}

interface CpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** Engine actions that change a container's state, and the state they lead to. */
const STATE_AFTER: Record<string, ContainerInfo["state"] | undefined> = {
  create: "stopped",
  start: "running",
  restart: "running",
  unpause: "running",
  pause: "paused",
  die: "stopped",
  stop: "stopped",
  destroy: undefined,
  remove: undefined,
};

/** Engine actions that announce a state change about to happen (podman's `init` precedes `start`). */
const ANNOUNCING = new Set(["init", "kill"]);

/**
 * Maps an engine state to the seed's: `running`, and podman's `stopping` (the process runs
 * until it has stopped, as Docker Engine reports it; a stop the engine dropped halfway leaves
 * `stopping` with the process alive) are `running`; `exited`, `created`, `dead` (and podman's
 * `configured`, `initialized`, `stopped`) are `stopped`; `paused` stays; anything else
 * (`restarting`, `removing`) passes through as the runtime-specific state.
 */
export function mapDockerState(status: string | undefined): ContainerInfo["state"] {
  switch (status) {
    case "running":
    case "stopping":
      return "running";
    case "paused":
      return "paused";
    case "exited":
    case "created":
    case "dead":
    case "configured":
    case "initialized":
    case "stopped":
      return "stopped";
    default:
      return status ?? "stopped";
  }
}

/**
 * Reads container state from Docker Engine (or podman). Manages type `docker` only: `lxc`
 * answers `undefined`. `watch` follows the engine's event stream (one connection shared by every
 * listener, reconnecting with capped backoff, resuming with `since`).
 *
 * @example
 * ```ts
 * import { DockerRuntime, bridgeDockerEvents } from "log-event-hub/docker";
 * const runtime = new DockerRuntime(); // DOCKER_HOST or /var/run/docker.sock
 * const hub = new LogEventHub({ runtime });
 * const stopBridge = bridgeDockerEvents(runtime, hub);
 * ```
 */
export class DockerRuntime implements ContainerRuntime {
  /** The HTTP client, for calls this class does not wrap (`engine.request("POST", "/containers/create", ...)`). */
  readonly engine: EngineClient;
  private readonly stream: EngineEventStream;
  private readonly withStats: boolean;
  private readonly reconnect: ReconnectOptions;
  /** How often waits look at a waited container besides the event feed; see {@link DockerRuntimeOptions.lookIntervalMs}. */
  readonly lookIntervalMs: number;
  /** `watch` listeners, told directly about actions this runtime performs. */
  private readonly watchers = new Set<(change: ContainerChange) => void>();

  constructor(options: DockerRuntimeOptions = {}) {
    const { stats, reconnect, onStreamError, lookIntervalMs, ...client } = options;
    const look = lookIntervalMs ?? 100;
    if (!Number.isFinite(look) || look < 0) {
      throw new TypeError(`lookIntervalMs must be a number of milliseconds >= 0, got ${String(lookIntervalMs)}`);
    }
    this.lookIntervalMs = look;
    this.engine = new EngineClient(client);
    this.withStats = stats ?? true;
    this.reconnect = { ...reconnect };
    this.stream = new EngineEventStream(this.engine, { ...reconnect, ...(onStreamError && { onError: onStreamError }) });
  }

  /** Whether the event stream is open right now (it opens with the first listener). */
  get streaming(): boolean {
    return this.stream.connected;
  }

  /** Resolves when the engine answers `/_ping`. @throws RuntimeUnavailableError */
  async ping(): Promise<void> {
    const res = await this.engine.request("GET", "/_ping");
    if (res.status !== 200) throw this.engine.failure("refused", "GET /_ping", { status: res.status, body: res.body });
  }

  /**
   * The container's info by id, id prefix or name; `undefined` when the engine does not know it
   * (404) or `type` is not `docker`. @throws RuntimeUnavailableError
   */
  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    if (type !== "docker" || id === "") return undefined;
    const path = `/containers/${encodeURIComponent(id)}/json`;
    // Counters are asked for beside the state, not after it: a wait that sees "running" answers
    // one round trip sooner. Unused (and cheap) when the container turns out not to run.
    const stats = this.withStats ? this.readStats(id) : undefined;
    const res = await this.engine.request<InspectBody>("GET", path);
    if (res.status === 404) return undefined;
    this.expectOk(res, `GET ${path}`);
    const body = res.body;
    if (typeof body !== "object" || body === null || typeof body.Id !== "string" || typeof body.Name !== "string") {
      throw this.engine.failure("unexpected", `GET ${path}`, { status: res.status, reason: "no Id or Name in the body" });
    }
    const state = mapDockerState(body.State?.Status);
    const info: ContainerInfo = {
      cpu: 0,
      id: body.Id,
      image: body.Config?.Image ?? body.Image,
      // A stopped container has no address, even while the engine is still tearing its network down.
      ipaddress: state === "running" || state === "paused" ? addresses(body) : [],
      memory: 0,
      name: body.Name.replace(/^\//, ""),
      rx: 0,
      state,
      tx: 0,
      type: "docker",
    };
    if (stats && (state === "running" || state === "paused")) {
      // Asked before the container ran (it was starting): ask again now that it does.
      const body = (await stats) ?? (await this.readStats(info.id));
      if (body) addStats(info, body);
    }
    return info;
  }

  /**
   * Calls `listener` on each state change the engine reports, and when an action of this
   * runtime (`start`, `stop`, `restart`) begins and ends, before the engine's event feed tells
   * (podman's is up to 250 ms late); returns the unsubscribe function.
   */
  watch(listener: (change: ContainerChange) => void): () => void {
    this.watchers.add(listener);
    const unsubscribe = this.stream.subscribe((event) => {
      // `init` and `kill` announce a start and a stop: a waiter looks while they happen.
      if (!(event.Action in STATE_AFTER) && !ANNOUNCING.has(event.Action)) return; // cleanup, exec_*, attach, ...
      const change: ContainerChange = { type: "docker", id: event.Actor.ID, action: event.Action };
      const name = event.Actor.Attributes.name;
      if (name !== undefined) change.name = name;
      const state = STATE_AFTER[event.Action];
      if (state !== undefined) change.state = state;
      listener(change);
    });
    return () => {
      this.watchers.delete(listener);
      unsubscribe();
    };
  }

  /** Calls `listener` with every raw container event (shares the one stream); returns the unsubscribe function. */
  events(listener: (event: EngineEvent) => void): () => void {
    return this.stream.subscribe(listener);
  }

  /** Starts a container; starting a running one succeeds. @throws NotFoundError, RuntimeUnavailableError */
  async start(type: ContainerType, id: string): Promise<ContainerInfo> {
    return this.act(type, id, "start", {});
  }

  /** Stops a container; stopping a stopped one succeeds. @throws NotFoundError, RuntimeUnavailableError */
  async stop(type: ContainerType, id: string, options: DockerStopOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, "stop", { t: options.timeoutSeconds });
  }

  /** Restarts a container. @throws NotFoundError, RuntimeUnavailableError */
  async restart(type: ContainerType, id: string, options: DockerStopOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, "restart", { t: options.timeoutSeconds });
  }

  /** Ends the event stream and drops connections. */
  async close(): Promise<void> {
    this.stream.close();
    this.engine.close();
  }

  private async act(type: ContainerType, id: string, action: string, query: Record<string, number | undefined>): Promise<ContainerInfo> {
    if (type !== "docker") throw new NotFoundError(`This runtime manages docker containers only, not ${type}`);
    // Stop may take the engine's whole grace period.
    const deadline = Date.now() + ((query.t ?? 10) + 10) * 1000;
    const path = `/containers/${encodeURIComponent(id)}/${action}`;
    // Waits on this container look now and during the action (their settle window), not when
    // the engine's event arrives.
    this.notify({ type: "docker", id, action });
    let res;
    for (let attempt = 0; ; attempt++) {
      try {
        res = await this.engine.request("POST", path, { query, timeoutMs: Math.max(1, deadline - Date.now()) });
        break;
      } catch (error) {
        // An engine that goes away mid-stop leaves the container "stopping" with its process
        // alive. Start and stop are idempotent: finish them once the engine is back, within
        // the action's own time budget. A restart is not repeated (it would restart twice).
        const dropped = error instanceof RuntimeUnavailableError && error.message === EngineErrorMessages.unreachable;
        const delay = reconnectDelay(attempt, this.reconnect.initialDelayMs, this.reconnect.maxDelayMs);
        if (!dropped || action === "restart" || Date.now() + delay >= deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    if (res.status === 404) throw new NotFoundError(`No docker container "${id}"`);
    if (res.status !== 304) this.expectOk(res, `POST ${path}`);
    this.notify({ type: "docker", id, action, ...(STATE_AFTER[action] && { state: STATE_AFTER[action] }) });
    const info = await this.inspect(type, id);
    if (!info) throw new NotFoundError(`No docker container "${id}"`);
    // Waits take this read as it is: no second inspect at the moment the engine is busiest.
    this.notify({ type: "docker", id: info.id, name: info.name, action, state: info.state, info });
    return info;
  }

  private notify(change: ContainerChange): void {
    for (const listener of [...this.watchers]) {
      try {
        listener(change);
      } catch {
        // a listener's fault is its own; the action goes on
      }
    }
  }

  /** A one-shot stats body, or `undefined` (counters are a bonus; the state answers anyway). */
  private async readStats(id: string): Promise<StatsBody | undefined> {
    try {
      const res = await this.engine.request<StatsBody>("GET", `/containers/${encodeURIComponent(id)}/stats`, {
        query: { stream: false, "one-shot": true },
      });
      return res.status === 200 && typeof res.body === "object" && res.body !== null ? res.body : undefined;
    } catch {
      return undefined;
    }
  }


  private expectOk(res: { status: number; body: unknown }, request: string): void {
    if (res.status < 200 || res.status >= 300) throw this.engine.failure("refused", request, { status: res.status, body: res.body });
  }
}

/** Memory (without the page cache, as `docker stats` shows it), cpu and network counters. */
function addStats(info: ContainerInfo, s: StatsBody): void {
  const memStats = s.memory_stats?.stats ?? {};
  const cache = memStats.inactive_file ?? memStats.total_inactive_file ?? memStats.cache ?? 0;
  info.memory = Math.max(0, (s.memory_stats?.usage ?? 0) - cache);
  info.cpu = cpuPercent(s.cpu_stats, s.precpu_stats);
  for (const net of Object.values(s.networks ?? {})) {
    info.rx += net.rx_bytes ?? 0;
    info.tx += net.tx_bytes ?? 0;
  }
}

/** Every address of the container, in the engine's network order, without duplicates. */
function addresses(body: InspectBody): string[] {
  const found = new Set<string>();
  const settings = body.NetworkSettings;
  if (settings?.IPAddress) found.add(settings.IPAddress);
  for (const net of Object.values(settings?.Networks ?? {})) if (net?.IPAddress) found.add(net.IPAddress);
  return [...found];
}

/**
 * CPU use in percent of one core times cores, as `docker stats` computes it from two samples.
 * A one-shot read without a previous sample (podman, or Docker with `one-shot`) answers 0.
 */
function cpuPercent(cpu: CpuStats | undefined, pre: CpuStats | undefined): number {
  const total = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const system = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  if (!pre?.system_cpu_usage || total <= 0 || system <= 0) return 0;
  const cores = cpu?.online_cpus ?? cpu?.cpu_usage?.percpu_usage?.length ?? 1;
  return Math.round((total / system) * cores * 100 * 100) / 100;
}
