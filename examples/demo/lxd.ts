/**
 * The demo's LXD part: `lxc` containers on a real LXD daemon (`LXD_SOCKET`, default
 * `/var/lib/lxd/unix.socket`). The demo's own actions are recorded by the acting user; the
 * bridge records what others do (the `lxc` CLI) by `system`, and skips the echoes of the demo's
 * own actions.
 */
import { LXD_ECHOES, OwnActions, ownActor } from "./own-actions.js";
import type { DemoRuntime } from "./runtime.js";

/** The LXD runtime when its daemon answers within two seconds, else `undefined`. */
export async function tryLxd(env: NodeJS.ProcessEnv): Promise<DemoRuntime | undefined> {
  // Loaded only when wanted: the lxd entry point (and `ws`) are not needed otherwise.
  const { LxdRuntime, bridgeLxdEvents, reportContainerAction } = await import("log-event-hub/lxd");
  // Socket paths and the daemon's own messages go to the host's log; clients get a stable message.
  const lxd = new LxdRuntime({ requestTimeoutMs: 10_000, logger: (message) => console.error(`[lxd] ${message}`) });
  const quiet = new LxdRuntime({ socketPath: lxd.client.socketPath, requestTimeoutMs: 2000 });
  try {
    await quiet.ping();
  } catch {
    await lxd.close();
    return undefined;
  } finally {
    await quiet.close();
  }
  const listed = await lxd.client.request<string[]>("GET", "/1.0/instances").catch(() => undefined);
  const names = Array.isArray(listed?.metadata) ? listed.metadata.map((url) => decodeURIComponent(url.split("/").pop() ?? "")) : [];
  return {
    kind: "lxd",
    runtime: lxd,
    address: lxd.client.socketPath,
    example: { type: "lxc", id: names.includes("utest") ? "utest" : (names[0] ?? "<container>") },
    async list() {
      const listed = await lxd.client.request<string[]>("GET", "/1.0/instances");
      const now = Array.isArray(listed.metadata) ? listed.metadata.map((url) => decodeURIComponent(url.split("/").pop() ?? "")) : [];
      const infos = await Promise.all(now.slice(0, 100).map((name) => lxd.inspect("lxc", name)));
      return infos.filter((info) => info !== undefined);
    },
    connect(hub) {
      // The echoes of the demo's own actions are claimed (it records those by the acting user).
      const own = new OwnActions(LXD_ECHOES, 5000);
      bridgeLxdEvents(lxd, hub, {
        skip: (event, action) => event.instance !== undefined && own.consume(event.instance, action),
        onError: (error) => (error as { code?: string }).code !== "CLOSED" && console.error("[bridge]", error),
      });
      return ownActor(hub, {
        own,
        runtime: lxd,
        key: (info) => info.name,
        report: (sink, action, after, user) => reportContainerAction(sink, action, { type: "lxc", id: after.id, name: after.name }, { user }),
      });
    },
  };
}
