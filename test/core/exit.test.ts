import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { TSX_ARGS } from "../helpers/tsx.js";

const script = fileURLToPath(new URL("./fixtures/exit-after-close.ts", import.meta.url));

describe("process exit", () => {
  it("a process with pending long polls, iterators and listeners exits promptly after close() with no handle left", () => {
    const result = spawnSync(process.execPath, [...TSX_ARGS, script], { encoding: "utf8", timeout: 20_000 });
    expect(result.error).toBeUndefined();
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { resources: string[]; poll: unknown; iterator: string };
    expect(report.poll).toEqual({ index: 0, events: [], offset: 0 });
    expect(report.iterator).toBe("ended");
    // Only the stdout/stderr pipes may remain (they are the test's own).
    expect(report.resources.filter((r) => r !== "PipeWrap" && r !== "TTYWrap")).toEqual([]);
    expect(result.status).toBe(0);
  });
});
