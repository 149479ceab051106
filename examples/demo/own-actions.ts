/**
 * One action, one record, one event: the demo writes the record of a container action it
 * performs itself (by the user who asked for it) at once, and the engine's event bridge skips
 * the engine's echo of that action. Actions made behind the demo's back (`podman stop`,
 * `docker start`) carry no claim, so the bridge records them by `system`.
 */
import type { ContainerAction, ContainerRef } from "log-event-hub/docker";
import type { DemoAction } from "./runtime.js";

/** The bridge actions each demo action makes the engine report. */
const ECHOES: Record<DemoAction, { fromRunning: ContainerAction[]; fromStopped: ContainerAction[] }> = {
  start: { fromRunning: [], fromStopped: ["start"] },
  stop: { fromRunning: ["stop"], fromStopped: [] },
  restart: { fromRunning: ["stop", "start", "restart"], fromStopped: ["start", "restart"] },
};

interface Claim {
  actions: ContainerAction[];
  expires: number;
}

/** Claims on the engine events the demo's own actions cause. */
export class OwnActions {
  /** Short id -> claims, oldest first. */
  private readonly claims = new Map<string, Claim[]>();

  /** @param ttlMs How long an unconsumed claim lives (an echo that never came). */
  constructor(private readonly ttlMs = 60_000) {}

  /**
   * Claims the echoes of `action` on a container in state `before`, before the engine is asked;
   * returns the function that drops what is left of the claim (when the action changed nothing
   * or failed).
   */
  claim(id: string, action: DemoAction, before: string): () => void {
    const key = id.slice(0, 12);
    const claim: Claim = { actions: [...ECHOES[action][before === "running" ? "fromRunning" : "fromStopped"]], expires: Date.now() + this.ttlMs };
    const list = (this.claims.get(key) ?? []).filter((c) => c.expires > Date.now() && c.actions.length > 0);
    list.push(claim);
    this.claims.set(key, list);
    return () => {
      claim.actions.length = 0;
      this.prune(key);
    };
  }

  /** For `bridgeDockerEvents`' `attribute`: `null` (skip) for a claimed echo, else the bridge's default user. */
  readonly attribute = (action: ContainerAction, container: ContainerRef): null | undefined => {
    const key = container.id.slice(0, 12);
    for (const claim of this.claims.get(key) ?? []) {
      const at = claim.expires > Date.now() ? claim.actions.indexOf(action) : -1;
      if (at < 0) continue;
      claim.actions.splice(at, 1);
      this.prune(key);
      return null;
    }
    return undefined;
  };

  private prune(key: string): void {
    const left = (this.claims.get(key) ?? []).filter((c) => c.actions.length > 0 && c.expires > Date.now());
    if (left.length === 0) this.claims.delete(key);
    else this.claims.set(key, left);
  }
}
