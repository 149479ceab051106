/**
 * A podman API service of a test's own, on a socket in a temporary directory, so a test can
 * kill and restart the engine without disturbing the shared one (`scripts/setup-podman.sh`).
 * Both share podman's storage, so containers made through either (or the podman CLI) are the
 * same containers.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { DockerRuntime } from "../../src/runtimes/docker/index.js";

const run = promisify(execFile);

/** `CONTAINERS_CONF` as `scripts/setup-podman.sh` wrote it beside the shared engine's socket. */
export function containersConf(sharedSocket: string): string | undefined {
  if (process.env.CONTAINERS_CONF) return process.env.CONTAINERS_CONF;
  const beside = join(dirname(sharedSocket), "containers.conf");
  return existsSync(beside) ? beside : undefined;
}

/** A private `podman system service` that a test stops and starts at will. */
export class PodmanService {
  /** The socket path (stable across restarts). */
  readonly socketPath: string;
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;
  private child: ChildProcess | undefined;

  constructor(conf: string | undefined) {
    this.dir = mkdtempSync(join(tmpdir(), "leh-podman-"));
    this.socketPath = join(this.dir, "podman.sock");
    this.env = { ...process.env, ...(conf && { CONTAINERS_CONF: conf }) };
  }

  /** Whether the service process is alive. */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the service and resolves once it answers `/_ping`. */
  async start(): Promise<void> {
    if (this.running) return;
    rmSync(this.socketPath, { force: true });
    const child = spawn("podman", ["system", "service", "--time=0", `unix://${this.socketPath}`], { env: this.env, stdio: "ignore" });
    this.child = child;
    const probe = new DockerRuntime({ socketPath: this.socketPath, requestTimeoutMs: 1000 });
    try {
      for (;;) {
        if (child.exitCode !== null) throw new Error(`podman system service exited with ${child.exitCode}`);
        try {
          await probe.ping();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } finally {
      await probe.close();
    }
  }

  /** Kills the service (SIGKILL: an engine that crashes, not one that says goodbye). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
  }

  /** Runs the podman CLI (same storage, same configuration). */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run("podman", args, { env: this.env });
    return stdout.trim();
  }

  /** Kills the service and removes its directory. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
