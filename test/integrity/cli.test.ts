/** The `log-event-hub` command line: verify (exit codes, report) and export, on a SQLite file. */
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/index.js";
import { LogEventHub } from "../../src/hub.js";
import { SqliteStore, type SqliteDatabaseLike, type SqliteDriverLike } from "../../src/stores/sqlite/index.js";
import { batch } from "./tamper.js";

const Database = createRequire(import.meta.url)("better-sqlite3") as SqliteDriverLike;
const dir = mkdtempSync(join(tmpdir(), "leh-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = "";
  let e = "";
  out.on("data", (c: Buffer) => (o += c.toString()));
  err.on("data", (c: Buffer) => (e += c.toString()));
  const code = await main(args, out, err);
  return { code, out: o, err: e };
}

describe("log-event-hub CLI", () => {
  it("verify: exit 0 on an intact log, 1 with the break listed after an edit; export writes CSV", async () => {
    const filename = join(dir, "audit.db");
    const keys = generateKeyPairSync("ed25519");
    const store = new SqliteStore({ filename, chain: true });
    const hub = new LogEventHub({ store });
    await store.appendLogs(batch(10));
    const checkpoint = await hub.checkpoint(keys.privateKey);
    await hub.close();
    const checkpoints = join(dir, "checkpoints.jsonl");
    writeFileSync(checkpoints, `${JSON.stringify(checkpoint)}\n`);
    const publicKey = join(dir, "key.pem");
    writeFileSync(publicKey, keys.publicKey.export({ type: "spki", format: "pem" }));

    const ok = await cli("verify", filename, "--checkpoints", checkpoints, "--public-key", publicKey, "--progress-every", "4");
    expect(ok.code).toBe(0);
    expect(ok.err.split("\n").filter((l) => l !== "").map((l) => l.replace(/, \d+ s$/, ""))).toEqual(["verifying: 4 records read", "verifying: 8 records read"]);
    expect(ok.out).toMatch(/^OK: 10 chained records checked \(ids 1 to 10\), 1 checkpoint\(s\) compared/);

    const db = new Database(filename) as SqliteDatabaseLike;
    db.prepare("UPDATE log_records SET message = 'nothing' WHERE id = 3").run();
    db.close();
    const broken = await cli("verify", filename, "--checkpoints", checkpoints, "--public-key", publicKey);
    expect(broken.code).toBe(1);
    expect(broken.out).toContain("edited at id 3");

    const csv = await cli("export", filename, "--user", "alice");
    expect(csv.code).toBe(0);
    expect(csv.out.split("\r\n")[0]).toBe("Date,Level,Category,User,Message");
    expect(csv.out.split("\r\n").filter((l) => l !== "")).toHaveLength(11);
  });

  it("bad usage exits 2 with a message saying what to do", async () => {
    expect(await cli()).toMatchObject({ code: 2, err: expect.stringContaining("Usage:") });
    expect(await cli("verify", join(dir, "x.db"), "--checkpoints", join(dir, "none.json"))).toMatchObject({ code: 2, err: expect.stringContaining("none.json") });
    expect(await cli("verify", join(dir, "missing.db"))).toMatchObject({ code: 2, err: expect.stringContaining("missing.db does not exist") });
    expect(existsSync(join(dir, "missing.db"))).toBe(false);
    const empty = join(dir, "plain.db");
    const plain = new SqliteStore({ filename: empty });
    await plain.open();
    await plain.close();
    expect(await cli("verify", empty)).toMatchObject({ code: 2, err: expect.stringContaining("chain: true") });
    expect(await cli("export", empty, "--from", "yesterday")).toMatchObject({ code: 2, err: expect.stringContaining("--from must be an ISO 8601 time") });
    expect((await cli("--help")).code).toBe(0);
  });
});
