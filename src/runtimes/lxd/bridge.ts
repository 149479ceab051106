/**
 * The bridge: LXD's lifecycle events as the seed's log records (`Stop container (lxc, utest)`)
 * and events (`container:all:{"container":"utest","state":"stop","type":"lxc"}`), so actions
 * done outside the host (the `lxc` CLI, another client of the daemon) show in the feed.
 *
 * @module
 */
import { type ActivitySink, type ContainerAction, reportContainerAction } from "../activity.js";
import type { LxdLifecycleEvent } from "./events.js";

/** Options of {@link bridgeLxdEvents}. */
export interface LxdBridgeOptions {
  /** The user the log records name (LXD names only the unix user of the socket). @default "system" */
  user?: string;
  /** Only events of this project. @default the source's project, else "default" */
  project?: string;
  /** Called when writing to the hub fails (the bridge carries on with the next event). */
  onError?: (error: unknown) => void;
  /**
   * Return `true` to leave an event out: the echo of an action the host recorded itself with
   * the acting user's name (`reportContainerAction`), for example.
   */
  skip?: (event: LxdLifecycleEvent, action: ContainerAction) => boolean;
}

/** Anything that hands out LXD lifecycle events: an {@link LxdRuntime}. */
export interface LxdEventSource {
  /** Subscribes to lifecycle events; returns the unsubscribe function. */
  events(listener: (event: LxdLifecycleEvent) => void): () => void;
  /** The project the source is scoped to, when it has one. */
  readonly client?: {
    /** The LXD project. */
    readonly project: string;
  };
}

/**
 * LXD action -> seed action. A graceful stop is `instance-shutdown`, a forced one
 * `instance-stopped`; either is the seed's `stop`. LXD's pause freezes (`instance-paused`).
 */
const ACTIONS: Record<string, ContainerAction | undefined> = {
  "instance-created": "create",
  "instance-started": "start",
  "instance-shutdown": "stop",
  "instance-stopped": "stop",
  "instance-restarted": "restart",
  "instance-paused": "pause",
  "instance-resumed": "unpause",
  "instance-deleted": "destroy",
};

/**
 * Turns every instance lifecycle event of `source` into a log record (category `container`,
 * level INFO, LXD's event time) and an event for `all` on `hub`, in LXD's order. Returns the
 * function that stops the bridge.
 *
 * One state change gives one record: a second stop in a row (a shutdown that LXD also reports
 * as stopped) is dropped. LXD reports a restart as `instance-restarted` only, hence one
 * `Restart` record.
 */
export function bridgeLxdEvents(source: LxdEventSource, hub: ActivitySink, options: LxdBridgeOptions = {}): () => void {
  const user = options.user ?? "system";
  const project = options.project ?? source.client?.project ?? "default";
  /** Last seed action reported per instance, to fold repeats. */
  const last = new Map<string, ContainerAction>();
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  const unsubscribe = source.events((event) => {
    const action = ACTIONS[event.action];
    const name = event.instance;
    if (!action || name === undefined || event.project !== project) return;
    if (action === last.get(name) && (action === "stop" || action === "destroy")) return;
    if (action === "destroy") last.delete(name);
    else last.set(name, action);
    if (options.skip?.(event, action)) return;
    queue = queue.then(async () => {
      if (stopped) return;
      try {
        await reportContainerAction(hub, action, { type: "lxc", id: name, name }, { user, time: event.time });
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
