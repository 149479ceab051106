/**
 * Finds the Docker-compatible engine the runtime tests use: `LEH_DOCKER_SOCKET`, else the
 * socket `scripts/setup-podman.sh` wrote to `.tmp/podman/socket`. Answers the first that pings.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerRuntime } from "../../src/runtimes/docker/index.js";
import { firstAnswering, socketFromFile } from "./sockets.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The socket path of an engine that answers `/_ping`, or `undefined`. */
export async function findEngine(): Promise<string | undefined> {
  const candidates = [process.env.LEH_DOCKER_SOCKET, socketFromFile(join(root, ".tmp/podman/socket"))];
  return firstAnswering(candidates, (socketPath) => new DockerRuntime({ socketPath, requestTimeoutMs: 2000 }));
}
