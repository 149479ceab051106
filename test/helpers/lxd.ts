/**
 * Finds the LXD daemon the runtime tests use: `LEH_LXD_SOCKET`, else the socket
 * `scripts/setup-lxd.sh` wrote to `.tmp/lxd/socket`, else LXD's default socket. Answers the
 * first that answers `GET /1.0`. Also drives the `lxc` CLI and the daemon for the tests.
 *
 * `LEH_LXD_STATE_DIR` names the setup script's folder (PID file, socket file, the tests' daemon lock)
 * when the tests run from a copy of the project (CI's per-Node-line jobs), so every copy
 * restarts the same daemon through the same files and lock.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LxdRuntime } from "../../src/runtimes/lxd/index.js";
import { firstAnswering, socketFromFile } from "./sockets.js";

const run = promisify(execFile);
export const root = fileURLToPath(new URL("../..", import.meta.url));
const lxdDir = process.env.LEH_LXD_STATE_DIR ?? join(root, ".tmp/lxd");
const socketFile = join(lxdDir, "socket");
/** The PID file of a daemon `scripts/setup-lxd.sh` started. */
export const daemonPidFile = join(lxdDir, "lxd.pid");

/** The socket path of a daemon that answers, or `undefined`. */
export async function findLxd(): Promise<string | undefined> {
  const candidates = [process.env.LEH_LXD_SOCKET, socketFromFile(socketFile), "/var/lib/lxd/unix.socket"];
  return firstAnswering(candidates, (socketPath) => new LxdRuntime({ socketPath, requestTimeoutMs: 2000 }));
}

/** Runs `lxc ...`; resolves with its stdout. */
export async function lxc(...args: string[]): Promise<string> {
  const running = run("lxc", args, { timeout: 120_000 });
  // `lxc init` reads a config from stdin when it is not a terminal: give it an empty one.
  running.child.stdin?.end();
  const { stdout } = await running;
  return stdout;
}

/** Stops the daemon `scripts/setup-lxd.sh` started (SIGTERM: its containers keep running) and waits until it is gone. */
export async function killDaemon(): Promise<void> {
  if (!existsSync(daemonPidFile)) throw new Error(`No ${daemonPidFile}: start the daemon with scripts/setup-lxd.sh so the tests can restart it`);
  const pid = Number(readFileSync(daemonPidFile, "utf8").trim());
  process.kill(pid, "SIGTERM");
  await until(() => !alive(pid));
}

/** Starts the daemon again through the setup script (idempotent; waits until it is ready). */
export async function startDaemon(): Promise<void> {
  // The setup script reads LEH_LXD_STATE_DIR from the environment, so it rewrites the same PID file.
  await run("bash", [join(root, "scripts/setup-lxd.sh")], { timeout: 120_000 });
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls a condition (no timing assertion: the test timeout bounds it). */
export async function until(condition: () => boolean | Promise<boolean>, everyMs = 10): Promise<void> {
  while (!(await condition())) await new Promise((r) => setTimeout(r, everyMs));
}

const lockDir = join(lxdDir, "test.lock");

/**
 * Runs `fn` holding a lock shared by the test files (vitest runs files in parallel): the tests
 * that stop and start the machine-wide daemon must not overlap another file's use of it. A lock
 * left by a process that died is taken over.
 */
export async function withDaemonLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(lxdDir, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(join(lockDir, "pid"), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSync(join(lockDir, "pid"), { encoding: "utf8", flag: "a+" }).trim());
      if (holder > 0 && !alive(holder)) rmSync(lockDir, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}
