/**
 * One action, one record, one event: the demo writes the record of a container action it
 * performs itself (by the user who asked for it) at once, and the engine's event bridge skips
 * the engine's echo of that action. Actions made behind the demo's back (`podman stop`,
 * `lxc start`) carry no claim, so the bridge records them by `system`. Docker and LXD differ
 * only in which echoes an action causes and how a container is named in them.
 */
import type { ContainerInfo, ContainerType, LogEventHub } from "log-event-hub";
import type { ContainerAction } from "log-event-hub/docker";
import type { ContainerActor, DemoAction } from "./runtime.js";

/** The bridge actions that `action` on a container in state `before` makes the engine report. */
export type EchoTable = (action: DemoAction, before: string) => readonly ContainerAction[];

/** Docker (podman): a restart of a running container reports stop, start and restart. */
export const DOCKER_ECHOES: EchoTable = (action, before) => {
  const running = before === "running";
  if (action === "start") return running ? [] : ["start"];
  if (action === "stop") return running ? ["stop"] : [];
  return running ? ["stop", "start", "restart"] : ["start", "restart"];
};

/** LXD: one lifecycle event per action, of the same name. */
export const LXD_ECHOES: EchoTable = (action) => [action];

interface Claim {
  actions: ContainerAction[];
  /** Until the action is over, the claim does not expire (a stop may take its full timeout). */
  expires: number;
}

/** Claims on the engine events the demo's own actions cause. */
export class OwnActions {
  /** Container key -> claims, oldest first. */
  private readonly claims = new Map<string, Claim[]>();

  /**
   * @param echoes Which echoes each action causes.
   * @param ttlMs How long a claim outlives its action (an echo that never came).
   */
  constructor(
    private readonly echoes: EchoTable,
    private readonly ttlMs = 60_000,
  ) {}

  /**
   * Claims the echoes of `action` on the container `key` in state `before`, before the engine is
   * asked. `done()` starts the claim's time to live once the action is over; `release()` drops
   * what is left of it (the action changed nothing or failed).
   */
  claim(key: string, action: DemoAction, before: string): { done(): void; release(): void } {
    const claim: Claim = { actions: [...this.echoes(action, before)], expires: Number.POSITIVE_INFINITY };
    this.claims.set(key, [...this.live(key), claim]);
    return {
      done: () => {
        claim.expires = Date.now() + this.ttlMs;
      },
      release: () => {
        claim.actions.length = 0;
        this.prune(key);
      },
    };
  }

  /** Whether `action` on `key` is a claimed echo (consumed: the bridge skips it). */
  consume(key: string, action: ContainerAction): boolean {
    for (const claim of this.live(key)) {
      const at = claim.actions.indexOf(action);
      if (at < 0) continue;
      claim.actions.splice(at, 1);
      this.prune(key);
      return true;
    }
    return false;
  }

  private live(key: string): Claim[] {
    const now = Date.now();
    return (this.claims.get(key) ?? []).filter((c) => c.actions.length > 0 && c.expires > now);
  }

  private prune(key: string): void {
    const left = this.live(key);
    if (left.length === 0) this.claims.delete(key);
    else this.claims.set(key, left);
  }
}

/** What {@link ownActor} needs from a runtime and the engine's naming. */
export interface OwnActorOptions {
  /** The claims the bridge consults. */
  own: OwnActions;
  /** The runtime that acts and inspects. */
  runtime: Pick<Record<DemoAction, (type: ContainerType, id: string) => Promise<ContainerInfo>>, DemoAction> & {
    inspect(type: ContainerType, id: string): Promise<ContainerInfo | undefined>;
  };
  /** The container's key in the engine's events (Docker: the 12-character id; LXD: the name). */
  key: (info: ContainerInfo) => string;
  /** Writes the seed's record and event of an action (`reportContainerAction`). */
  report: (hub: LogEventHub, action: DemoAction, after: ContainerInfo, user: string) => Promise<void>;
}

/**
 * The demo's container actions on one engine: claim the echoes, act, then write the record (by
 * the acting user) and the event, unless the action changed nothing.
 */
export function ownActor(hub: LogEventHub, options: OwnActorOptions): ContainerActor {
  const { own, runtime, key, report } = options;
  return async (action, type, id, user) => {
    const before = await runtime.inspect(type, id);
    const claim = before ? own.claim(key(before), action, before.state) : undefined;
    try {
      const after = await runtime[action](type, id);
      // Starting a running (or stopping a stopped) container changes nothing: no record.
      if (action === "restart" || before?.state !== after.state) {
        await report(hub, action, after, user);
        claim?.done(); // an echo still on its way is consumed by the bridge
      } else claim?.release();
      return after;
    } catch (error) {
      claim?.release(); // whatever the engine did after all, the bridge records by `system`
      throw error;
    }
  };
}
