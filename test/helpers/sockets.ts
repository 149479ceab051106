/**
 * Picks the first of several candidate sockets whose engine answers a ping (the runtime
 * tests' engine and daemon lookups).
 */
import { existsSync, readFileSync } from "node:fs";

/** A runtime that can be pinged and closed. */
interface Pingable {
  ping(): Promise<unknown>;
  close(): Promise<void>;
}

/** The socket path written in `file`, when the file exists. */
export function socketFromFile(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8").trim() : undefined;
}

/** The first candidate that exists and whose runtime (made by `open`) answers, or `undefined`. */
export async function firstAnswering(candidates: (string | undefined)[], open: (socketPath: string) => Pingable): Promise<string | undefined> {
  for (const socketPath of candidates) {
    if (!socketPath || !existsSync(socketPath)) continue;
    const runtime = open(socketPath);
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
