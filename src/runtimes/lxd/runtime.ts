/**
 * `LxdRuntime`: the container runtime contract over LXD's REST API (system containers, the
 * seed's `lxc` type), straight over the unix socket.
 *
 * @module
 */
import { NotFoundError, RuntimeUnavailableError } from "../../errors.js";
import type { ContainerChange, ContainerRuntime } from "../../runtime.js";
import type { ContainerInfo, ContainerType } from "../../types.js";
import { LxdClient, type LxdEndpoint, unreachable } from "./client.js";
import { type LxdLifecycleEvent, LxdEventStream, type LxdReconnectOptions } from "./events.js";
import type { WebSocketConstructorLike } from "./websocket.js";

/** Options of {@link LxdRuntime}. */
export interface LxdRuntimeOptions extends LxdEndpoint {
  /**
   * CPU sampling: `cpu` is the average use over the time since the previous sample of the same
   * instance, taken by an earlier inspect at least this long ago. When no such sample exists
   * (the first inspect of a running instance, or after the counter reset on a restart), inspect
   * takes two samples this far apart. `0` skips that second sample: such an inspect answers
   * `cpu: 0`. Milliseconds.
   * @default 100
   */
  cpuSampleMs?: number;
  /**
   * While an instance has pending waits, the hub looks at its state this often whether or not
   * LXD said anything, milliseconds (see {@link ContainerRuntime.lookIntervalMs}): LXD reports
   * a stop's lifecycle event only after its cleanup, a second or more after the state endpoint
   * already says `Stopped`. One state call per interval per waited instance, none for the
   * others. `0` turns it off.
   * @default 50
   */
  lookIntervalMs?: number;
  /** Backoff of the event stream's reconnection. */
  reconnect?: LxdReconnectOptions;
  /** The `ws` module's `WebSocket` constructor, instead of loading the optional peer `ws`. */
  webSocket?: WebSocketConstructorLike;
}

/** Options of {@link LxdRuntime.stop} and {@link LxdRuntime.restart}. */
export interface LxdStopOptions {
  /**
   * Seconds to wait for a graceful stop (SIGPWR to the container's init) before LXD kills it.
   * @default 30
   */
  timeoutSeconds?: number;
  /** Kill at once instead of asking init to stop. @default false */
  force?: boolean;
}

/** An instance, as `GET /1.0/instances/<name>` answers it. */
interface InstanceBody {
  name?: string;
  type?: string;
  status?: string;
  status_code?: number;
  config?: Record<string, string>;
}

interface StateBody {
  status?: string;
  status_code?: number;
  pid?: number;
  cpu?: { usage?: number } | null;
  memory?: { usage?: number } | null;
  network?: Record<string, NetworkBody> | null;
}

interface NetworkBody {
  addresses?: { family?: string; address?: string; scope?: string }[] | null;
  counters?: { bytes_received?: number; bytes_sent?: number } | null;
  type?: string;
}

interface CpuSample {
  /** Container cpu time, nanoseconds. */
  usage: number;
  /** Host monotonic time, nanoseconds. */
  at: bigint;
  /** The container's init pid: a new one means the counter started again. */
  pid: number;
  /** The percentage measured when this sample was taken. */
  percent: number;
}

/** Lifecycle actions that change an instance's state, and the state they lead to. */
const STATE_AFTER: Record<string, ContainerInfo["state"] | null> = {
  "instance-created": "stopped",
  "instance-started": "running",
  "instance-restarted": "running",
  "instance-resumed": "running",
  "instance-paused": "paused",
  "instance-shutdown": "stopped",
  "instance-stopped": "stopped",
  "instance-deleted": null,
  "instance-renamed": null,
  "instance-restored": null,
};

const MAX_SAMPLES = 4096;
/** How often watchers are told to re-check an instance while an operation on it runs, ms. */
const OPERATION_RECHECK_MS = 25;
/** The longest an operation keeps those re-checks going (a lost final event ends them), ms. */
const OPERATION_RECHECK_LIMIT_MS = 60_000;

/**
 * Maps LXD's instance status to the seed's state: `Running` is `running`, `Stopped`
 * `stopped`, `Frozen` `paused` (LXD's pause freezes the cgroup), `Thawed` and `Ready` are
 * `running`. Transitional and other states pass through in lower case (`starting`, `stopping`,
 * `freezing`, `aborting`, `error`): a wait for `running` or `stopped` keeps waiting through
 * them, and the lifecycle event that ends them wakes it.
 */
export function mapLxdState(status: string | undefined): ContainerInfo["state"] {
  switch (status) {
    case "Running":
    case "Thawed":
    case "Ready":
      return "running";
    case "Stopped":
      return "stopped";
    case "Frozen":
      return "paused";
    case undefined:
    case "":
      return "stopped";
    default:
      return status.toLowerCase();
  }
}

/**
 * Reads and drives LXD system containers (the seed's type `lxc`); `docker` answers `undefined`.
 * `watch` and `events` share one WebSocket to `/1.0/events`, reconnecting with capped backoff;
 * each time it (re)opens, and after each failed attempt, every instance is reported as changed,
 * so a waiting hub re-inspects the containers it waits on and misses no transition.
 *
 * @example
 * ```ts
 * import { LxdRuntime, bridgeLxdEvents } from "log-event-hub/lxd";
 * const runtime = new LxdRuntime(); // /var/lib/lxd/unix.socket, project "default"
 * const hub = new LogEventHub({ runtime });
 * const stopBridge = bridgeLxdEvents(runtime, hub);
 * ```
 */
export class LxdRuntime implements ContainerRuntime {
  /** The HTTP client, for calls this class does not wrap (`client.request("POST", "/1.0/instances", ...)`). */
  readonly client: LxdClient;
  private readonly stream: LxdEventStream;
  private readonly cpuSampleMs: number;
  /** How often waits look at a waited instance besides the event feed; see {@link LxdRuntimeOptions.lookIntervalMs}. */
  readonly lookIntervalMs: number;
  private readonly samples = new Map<string, CpuSample>();
  /** Name, image and kind per instance, kept while the event stream can say when they change. */
  private readonly instances = new Map<string, { name: string; image: string; container: boolean }>();
  private readonly changeListeners = new Set<(change: ContainerChange) => void>();
  private unsubscribeChanges: (() => void) | undefined;
  /** Instances with an operation under way: re-checked every {@link OPERATION_RECHECK_MS}. */
  private readonly busy = new Map<string, { timer: ReturnType<typeof setInterval>; until: number }>();
  private resyncing = false;
  private resyncAgain = false;
  private closed = false;

  constructor(options: LxdRuntimeOptions = {}) {
    const { cpuSampleMs, reconnect, webSocket, lookIntervalMs, ...endpoint } = options;
    const look = lookIntervalMs ?? 50;
    if (!Number.isFinite(look) || look < 0) {
      throw new TypeError(`lookIntervalMs must be a number of milliseconds >= 0, got ${String(lookIntervalMs)}`);
    }
    this.lookIntervalMs = look;
    this.client = new LxdClient(endpoint);
    const sample = cpuSampleMs ?? 100;
    if (!Number.isFinite(sample) || sample < 0) throw new TypeError(`cpuSampleMs must be a number >= 0, got ${String(cpuSampleMs)}`);
    this.cpuSampleMs = sample;
    this.stream = new LxdEventStream(this.client, {
      ...reconnect,
      ...(webSocket && { webSocket }),
      onError: (error) => this.client.log(`LXD event stream on ${this.client.socketPath}: ${error.message}`, error),
      onOpen: () => this.resync(),
      onAttemptFailed: () => {
        this.instances.clear(); // nothing says what changed while the stream is down
        this.resync();
      },
      onOperation: (instances, status) => this.onOperation(instances, status),
    });
  }

  /** Whether the event stream is open right now (it opens with the first listener). */
  get streaming(): boolean {
    return this.stream.connected;
  }

  /** How many times the event stream connected (one WebSocket at a time; reconnections add one each). */
  get streamConnections(): number {
    return this.stream.connections;
  }

  /** Resolves when the daemon answers `GET /1.0`. @throws RuntimeUnavailableError */
  async ping(): Promise<void> {
    const res = await this.client.request("GET", "/1.0");
    if (res.status !== 200) {
      this.client.log(`LXD GET /1.0 answered ${res.status} ${res.error ?? ""}`.trim());
      throw unreachable();
    }
  }

  /**
   * The container's info by name; `undefined` when LXD does not know it, it is a virtual
   * machine, or `type` is not `lxc`. @throws RuntimeUnavailableError
   */
  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    if (type !== "lxc" || id === "") return undefined;
    const path = `/1.0/instances/${encodeURIComponent(id)}`;
    // The instance's own fields (its image) change rarely: kept while the event stream is open to
    // say when they change, so a re-check is one light call for the state.
    const known = this.stream.connected ? this.instances.get(id) : undefined;
    const [instanceRes, stateRes] = await Promise.all([
      known ? undefined : this.client.request<InstanceBody>("GET", path),
      this.client.request<StateBody>("GET", `${path}/state`),
    ]);
    if (instanceRes?.status === 404 || stateRes.status === 404) {
      this.forget(id);
      return undefined;
    }
    let instance = known;
    if (!instance) {
      const body = instanceRes?.metadata;
      if (instanceRes?.status !== 200 || typeof body !== "object" || body === null || typeof body.name !== "string") {
        this.client.log(`LXD inspect of "${id}" answered ${instanceRes?.status} ${instanceRes?.error ?? ""}`.trim());
        throw unreachable();
      }
      instance = { name: body.name, image: imageOf(body.config ?? {}), container: body.type === undefined || body.type === "container" };
      if (this.stream.connected) {
        this.instances.delete(id);
        this.instances.set(id, instance);
        if (this.instances.size > MAX_SAMPLES) this.instances.delete(this.instances.keys().next().value!);
      }
    }
    const stateBody = stateRes.metadata;
    if (stateRes.status !== 200 || typeof stateBody !== "object" || stateBody === null) {
      this.client.log(`LXD state of "${id}" answered ${stateRes.status} ${stateRes.error ?? ""}`.trim());
      throw unreachable();
    }
    if (!instance.container) return undefined; // a VM is not an lxc container
    const state = mapLxdState(stateBody.status);
    const info: ContainerInfo = {
      cpu: 0,
      id: instance.name,
      image: instance.image,
      ipaddress: [],
      memory: 0,
      name: instance.name,
      rx: 0,
      state,
      tx: 0,
      type: "lxc",
    };
    if (state === "stopped") {
      this.samples.delete(instance.name);
      return info;
    }
    info.memory = stateBody.memory?.usage ?? 0;
    for (const [device, net] of Object.entries(stateBody.network ?? {})) {
      if (device === "lo" || net.type === "loopback") continue;
      for (const address of net.addresses ?? []) {
        if (address.scope === "global" && address.address && !info.ipaddress.includes(address.address)) info.ipaddress.push(address.address);
      }
      info.rx += net.counters?.bytes_received ?? 0;
      info.tx += net.counters?.bytes_sent ?? 0;
    }
    // Transitional states (stopping, ...) skip the sampling: a wait is watching them closely.
    if (state === "running" && (stateBody.pid ?? 0) > 0) info.cpu = await this.cpuPercent(instance.name, stateBody);
    return info;
  }

  /**
   * Calls `listener` on each state change LXD reports (`instance-started`, `-shutdown`,
   * `-stopped`, `-restarted`, `-paused`, `-resumed`, `-created`, `-deleted`, `-renamed`,
   * `-restored`), and with `action: "resync"` for every instance each time the stream (re)opens
   * or fails to. Returns the unsubscribe function.
   */
  watch(listener: (change: ContainerChange) => void): () => void {
    if (this.closed) return () => undefined;
    this.changeListeners.add(listener);
    this.unsubscribeChanges ??= this.stream.subscribe((event) => this.onLifecycle(event));
    return () => {
      if (!this.changeListeners.delete(listener) || this.changeListeners.size > 0) return;
      const off = this.unsubscribeChanges;
      this.unsubscribeChanges = undefined;
      this.clearBusy();
      off?.();
    };
  }

  /** Calls `listener` with every lifecycle event of the project (shares the one stream); returns the unsubscribe function. */
  events(listener: (event: LxdLifecycleEvent) => void): () => void {
    return this.stream.subscribe(listener);
  }

  /** Starts a container; starting a running one succeeds. @throws NotFoundError, RuntimeUnavailableError */
  async start(type: ContainerType, id: string): Promise<ContainerInfo> {
    return this.act(type, id, "start", {});
  }

  /** Stops a container; stopping a stopped one succeeds. @throws NotFoundError, RuntimeUnavailableError */
  async stop(type: ContainerType, id: string, options: LxdStopOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, "stop", options);
  }

  /** Restarts a container; restarting a stopped one starts it. @throws NotFoundError, RuntimeUnavailableError */
  async restart(type: ContainerType, id: string, options: LxdStopOptions = {}): Promise<ContainerInfo> {
    return this.act(type, id, "restart", options);
  }

  /** Ends the event stream and drops connections. */
  async close(): Promise<void> {
    this.closed = true;
    this.changeListeners.clear();
    this.unsubscribeChanges = undefined;
    this.clearBusy();
    this.stream.close();
    this.client.close();
    this.samples.clear();
    this.instances.clear();
  }

  private async act(type: ContainerType, id: string, action: "start" | "stop" | "restart", options: LxdStopOptions): Promise<ContainerInfo> {
    if (type !== "lxc") throw new NotFoundError(`This runtime manages lxc containers only, not ${type}`);
    if (id === "") throw new NotFoundError(`No lxc container ""`);
    const timeout = options.timeoutSeconds ?? 30;
    const body = action === "start" ? { action } : { action, timeout, force: options.force ?? false };
    const path = `/1.0/instances/${encodeURIComponent(id)}/state`;
    const res = await this.client.request("PUT", path, { body });
    if (res.status === 404) throw new NotFoundError(`No lxc container "${id}"`);
    if (res.status !== 202 || res.operation === undefined) {
      this.client.log(`LXD ${action} of "${id}" answered ${res.status} ${res.error ?? ""}`.trim());
      throw new RuntimeUnavailableError(`LXD refused to ${action} container "${id}"`);
    }
    const outcome = await this.client.waitOperation(res.operation, timeout + 30);
    if (outcome.statusCode !== 200) {
      // Idempotent like the simulated runtime: already in the wanted state is a success, and a
      // restart of a stopped container starts it (LXD itself refuses both).
      const already = /already (running|stopped)/i.exec(outcome.err)?.[1];
      if (action === "restart" && already === "stopped") return this.act(type, id, "start", options);
      if (!(action === "start" && already === "running") && !(action === "stop" && already === "stopped")) {
        this.client.log(`LXD ${action} of "${id}" failed: ${outcome.err}`);
        throw new RuntimeUnavailableError(`LXD could not ${action} container "${id}"`);
      }
    }
    const info = await this.inspect(type, id);
    if (!info) throw new NotFoundError(`No lxc container "${id}"`);
    return info;
  }

  private onLifecycle(event: LxdLifecycleEvent): void {
    const name = event.instance;
    if (name !== undefined && event.action === "instance-updated") this.forget(name);
    if (name === undefined || !(event.action in STATE_AFTER)) return;
    if (event.project !== this.client.project) return;
    const changes: ContainerChange[] = [{ type: "lxc", id: name, name, action: event.action }];
    const state = STATE_AFTER[event.action];
    if (state) changes[0]!.state = state;
    // A rename also ends the old name's life: waits on it must learn it is gone.
    const oldName = event.context.old_name;
    if (event.action === "instance-renamed" && typeof oldName === "string") changes.push({ type: "lxc", id: oldName, name: oldName, action: event.action });
    if (event.action !== "instance-started" && event.action !== "instance-shutdown" && event.action !== "instance-stopped") this.forget(name);
    if (typeof oldName === "string") this.forget(oldName);
    for (const change of changes) this.emit(change);
  }

  /**
   * LXD reports a stop's lifecycle event only after its cleanup, most of a second after the
   * instance reads `Stopped`. While an operation on an instance runs, watchers are told every
   * {@link OPERATION_RECHECK_MS} that it may have changed, so a wait sees the new state as soon
   * as LXD's state endpoint shows it.
   */
  private onOperation(instances: string[], status: string): void {
    if (this.changeListeners.size === 0 || this.closed) return;
    const running = status === "Running" || status === "Pending";
    for (const name of instances) {
      const current = this.busy.get(name);
      if (!running) {
        if (current) clearInterval(current.timer);
        this.busy.delete(name);
      } else if (current) {
        current.until = Date.now() + OPERATION_RECHECK_LIMIT_MS;
      } else {
        const entry = {
          until: Date.now() + OPERATION_RECHECK_LIMIT_MS,
          timer: setInterval(() => {
            if (Date.now() > entry.until) {
              clearInterval(entry.timer);
              if (this.busy.get(name) === entry) this.busy.delete(name);
              return;
            }
            this.emit({ type: "lxc", id: name, name, action: "operation" });
          }, OPERATION_RECHECK_MS),
        };
        entry.timer.unref?.();
        this.busy.set(name, entry);
      }
      this.emit({ type: "lxc", id: name, name, action: "operation" });
    }
  }

  private clearBusy(): void {
    for (const { timer } of this.busy.values()) clearInterval(timer);
    this.busy.clear();
  }

  private forget(name: string): void {
    this.samples.delete(name);
    this.instances.delete(name);
  }

  private emit(change: ContainerChange): void {
    for (const listener of [...this.changeListeners]) {
      try {
        listener(change);
      } catch (error) {
        this.client.log("LXD runtime: a watch listener threw", error);
      }
    }
  }

  /**
   * Reports every instance as changed (LXD keeps no event history to replay), so watchers
   * re-inspect what they care about. Runs once at a time; a request during a run runs again.
   */
  private resync(): void {
    if (this.changeListeners.size === 0 || this.closed) return;
    if (this.resyncing) {
      this.resyncAgain = true;
      return;
    }
    this.resyncing = true;
    this.resyncAgain = false;
    this.client
      .request<string[]>("GET", "/1.0/instances")
      .then(
        (res) => {
          if (res.status !== 200 || !Array.isArray(res.metadata)) return;
          for (const url of res.metadata) {
            const name = typeof url === "string" ? decodeURIComponent(url.replace(/\?.*$/, "").split("/").pop() ?? "") : "";
            if (name !== "") this.emit({ type: "lxc", id: name, name, action: "resync" });
          }
        },
        () => undefined, // the daemon is away: the next attempt resyncs again
      )
      .finally(() => {
        this.resyncing = false;
        if (this.resyncAgain) this.resync();
      });
  }

  /** Percent of one cpu over the sampling interval (see {@link LxdRuntimeOptions.cpuSampleMs}). */
  private async cpuPercent(name: string, state: StateBody): Promise<number> {
    const usage = state.cpu?.usage;
    if (typeof usage !== "number" || usage <= 0) return 0;
    const now: CpuSample = { usage, at: process.hrtime.bigint(), pid: state.pid ?? 0, percent: 0 };
    const minNs = BigInt(Math.max(1, Math.round(this.cpuSampleMs * 1e6)));
    let previous = this.samples.get(name);
    if (previous && (previous.pid !== now.pid || previous.usage > now.usage)) previous = undefined; // restarted
    if (previous) {
      // Inspects closer together than the interval answer the figure of the last interval.
      if (now.at - previous.at < minNs) return previous.percent;
      now.percent = percent(previous, now);
      this.remember(name, now);
      return now.percent;
    }
    if (this.cpuSampleMs === 0) {
      this.remember(name, now);
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, this.cpuSampleMs));
    let second: CpuSample;
    try {
      const res = await this.client.request<StateBody>("GET", `/1.0/instances/${encodeURIComponent(name)}/state`);
      const again = res.metadata?.cpu?.usage;
      if (res.status !== 200 || typeof again !== "number") return 0;
      second = { usage: again, at: process.hrtime.bigint(), pid: res.metadata.pid ?? 0, percent: 0 };
    } catch {
      return 0; // counters are a bonus; the state already answered
    }
    if (second.pid !== now.pid || second.usage < now.usage) return 0;
    second.percent = percent(now, second);
    this.remember(name, second);
    return second.percent;
  }

  private remember(name: string, sample: CpuSample): void {
    this.samples.delete(name);
    this.samples.set(name, sample);
    if (this.samples.size > MAX_SAMPLES) {
      const oldest = this.samples.keys().next().value;
      if (oldest !== undefined) this.samples.delete(oldest);
    }
  }
}

/** Cpu time over wall time between two samples, in percent of one cpu, two decimals. */
function percent(from: CpuSample, to: CpuSample): number {
  const wall = Number(to.at - from.at);
  if (wall <= 0) return 0;
  return Math.round(((to.usage - from.usage) / wall) * 100 * 100) / 100;
}

/**
 * The image an instance was created from, from the image properties LXD copies into its config:
 * `os-release` (`ubuntu-trusty`, `busybox-1.35`), else the description, else the base image's
 * short fingerprint; empty when none is known.
 */
function imageOf(config: Record<string, string>): string {
  const os = config["image.os"];
  const release = config["image.release"];
  if (os && release) return `${os}-${release}`.toLowerCase();
  if (os) return os.toLowerCase();
  return config["image.description"] ?? config["volatile.base_image"]?.slice(0, 12) ?? "";
}
