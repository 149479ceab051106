/**
 * `CompositeRuntime`: one `ContainerRuntime` over several, routing by container type (`lxc` to
 * LXD, `docker` to a Docker engine), for hosts that run both kinds, as QNAP Container Station
 * does.
 *
 * @module
 */
import type { ContainerChange, ContainerRuntime } from "../runtime.js";
import type { ContainerInfo, ContainerType } from "../types.js";

/** The runtime of each container type; a type without one is unknown to the composite. */
export type RuntimesByType = Partial<Record<ContainerType, ContainerRuntime>>;

/** Options of {@link CompositeRuntime}. */
export interface CompositeRuntimeOptions {
  /**
   * Whether {@link CompositeRuntime.close} closes the routed runtimes (each once, even when one
   * serves several types).
   * @default true
   */
  closeRuntimes?: boolean;
}

/**
 * Routes `inspect` by type and merges the change feeds. A change a runtime reports for a type
 * it is not routed to is dropped, so two runtimes that both know a type cannot confuse a wait.
 *
 * `watch` exists only when every routed runtime has one: if any lacks a change feed, the hub
 * must poll, and it polls only runtimes without `watch`.
 *
 * @example
 * ```ts
 * import { CompositeRuntime, LogEventHub } from "log-event-hub";
 * import { LxdRuntime } from "log-event-hub/lxd";
 * import { DockerRuntime } from "log-event-hub/docker";
 * const runtime = new CompositeRuntime({ lxc: new LxdRuntime(), docker: new DockerRuntime() });
 * const hub = new LogEventHub({ runtime });
 * ```
 */
export class CompositeRuntime implements ContainerRuntime {
  /**
   * Subscribes to every routed runtime's change feed (present only when all have one); returns
   * the function that unsubscribes from all of them.
   */
  readonly watch?: (listener: (change: ContainerChange) => void) => () => void;
  /**
   * The shortest non-zero `lookIntervalMs` of the routed runtimes (a late feed in any of them),
   * absent when none asks for steady looks. The hub's waits apply it to every waited container.
   */
  readonly lookIntervalMs?: number;
  private readonly routes: RuntimesByType;
  private readonly closeRuntimes: boolean;

  constructor(runtimes: RuntimesByType, options: CompositeRuntimeOptions = {}) {
    this.routes = { ...runtimes };
    this.closeRuntimes = options.closeRuntimes ?? true;
    const distinct = this.distinct();
    if (distinct.length > 0 && distinct.every((runtime) => typeof runtime.watch === "function")) {
      this.watch = (listener) => {
        const offs = distinct.map((runtime) =>
          runtime.watch!((change) => {
            // Only changes of the types this runtime serves here.
            if (this.routes[change.type] === runtime) listener(change);
          }),
        );
        return () => {
          for (const off of offs.splice(0)) off();
        };
      };
    }
    const looks = distinct.map((runtime) => runtime.lookIntervalMs ?? 0).filter((ms) => ms > 0);
    if (looks.length > 0) this.lookIntervalMs = Math.min(...looks);
  }

  /** The runtime serving `type`, or `undefined` (for actions the contract does not cover). */
  runtimeFor(type: ContainerType): ContainerRuntime | undefined {
    return this.routes[type];
  }

  /** The info from the runtime serving `type`; `undefined` when none does or it does not know the container. */
  async inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined> {
    const runtime = this.routes[type];
    return runtime ? runtime.inspect(type, id) : undefined;
  }

  /** Closes every routed runtime once (unless `closeRuntimes: false`). */
  async close(): Promise<void> {
    if (!this.closeRuntimes) return;
    await Promise.all(this.distinct().map((runtime) => runtime.close?.()));
  }

  private distinct(): ContainerRuntime[] {
    return [...new Set(Object.values(this.routes).filter((r): r is ContainerRuntime => r !== undefined))];
  }
}
