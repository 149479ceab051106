/**
 * The demo's LXD part: `lxc` containers on a real LXD daemon (`LXD_SOCKET`, default
 * `/var/lib/lxd/unix.socket`). The demo's own actions are recorded by the acting user; the
 * bridge records what others do (the `lxc` CLI) by `system`, and skips the echoes of the demo's
 * own actions.
 */
import type { ContainerAction } from "log-event-hub/lxd";
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
  /** Actions the demo is doing itself, per container: their lifecycle echoes are not recorded twice. */
  const claims = new Map<string, { action: ContainerAction }[]>();
  const claim = (name: string, action: ContainerAction) => {
    const token = { action };
    const list = claims.get(name) ?? [];
    list.push(token);
    claims.set(name, list);
    return () => {
      const i = list.indexOf(token);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0 && claims.get(name) === list) claims.delete(name);
    };
  };
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
      bridgeLxdEvents(lxd, hub, {
        skip: (event, action) => {
          const list = event.instance === undefined ? undefined : claims.get(event.instance);
          const i = list?.findIndex((token) => token.action === action) ?? -1;
          if (i < 0) return false;
          list!.splice(i, 1); // consumed: the demo records this one by the acting user
          return true;
        },
        onError: (error) => (error as { code?: string }).code !== "CLOSED" && console.error("[bridge]", error),
      });
      return async (action, type, id, user) => {
        const before = await lxd.inspect(type, id);
        const release = before ? claim(before.name, action) : () => undefined;
        try {
          const after = await lxd[action](type, id);
          // Starting a running (or stopping a stopped) container changes nothing: no record.
          if (action === "restart" || before?.state !== after.state) {
            await reportContainerAction(hub, action, { type: "lxc", id: after.id, name: after.name }, { user });
            // An echo still on its way is consumed by the bridge; one that never comes is let go.
            setTimeout(release, 5000).unref();
          } else release();
          return after;
        } catch (error) {
          release();
          throw error;
        }
      };
    },
  };
}
