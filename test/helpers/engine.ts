/**
 * Finds the Docker-compatible engine the runtime tests use: `LEH_DOCKER_SOCKET`, else the
 * socket `scripts/setup-podman.sh` wrote to `.tmp/podman/socket`. Answers the first that pings.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerRuntime } from "../../src/runtimes/docker/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The socket path of an engine that answers `/_ping`, or `undefined`. */
export async function findEngine(): Promise<string | undefined> {
  const fromFile = join(root, ".tmp/podman/socket");
  for (const socketPath of [process.env.LEH_DOCKER_SOCKET, existsSync(fromFile) ? readFileSync(fromFile, "utf8").trim() : undefined]) {
    if (!socketPath) continue;
    const runtime = new DockerRuntime({ socketPath, requestTimeoutMs: 2000 });
    try {
      await runtime.ping();
      return socketPath;
    } catch {
      // try the next one
    } finally {
      await runtime.close();
    }
  }
  return undefined;
}
