#!/usr/bin/env node
/**
 * `npx log-event-hub`: the command line for auditors and for people without the host
 * application.
 *
 * - `log-event-hub verify <store> [--checkpoints file] [--public-key file]`: verifies the log's
 *   hash chain; prints a report; exit code 1 when anything is wrong, 2 for bad usage.
 * - `log-event-hub export <store> [filters]`: writes the filtered log as CSV to stdout.
 *
 * `<store>` is a SQLite file or a `postgres://` URL (with `--schema` and `--prefix`).
 *
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { exportCsv } from "../csv/export.js";
import { verifyStore } from "../hub/integrity.js";
import type { Checkpoint } from "../integrity/checkpoint.js";
import type { Store } from "../store.js";
import type { Level, StoreLogFilter } from "../types.js";

const HELP = `Usage:
  log-event-hub verify <store> [--checkpoints <file>] [--public-key <file>] [--from-id <n>] [--to-id <n>] [--json]
                               [--progress-every <records>]   (a progress line on stderr, default every 100,000)
  log-event-hub export <store> [--user <name>] [--level <INFO|WARN|ERROR>] [--category <c>] [--text <t>]
                               [--from <ISO time>] [--to <ISO time>] [--time-zone <IANA zone>]

<store> is a SQLite file (opened with the store's own migrations: verify a copy if the file must
not change) or a postgres:// URL (--schema <name>, --prefix <table prefix>).

verify: checks every record's hash, every link and every recorded removal of the log's hash
chain (a store created with chain: true), and holds it against the signed checkpoints in
<file> (a JSON array, or one JSON checkpoint per line) with the Ed25519 public key in PEM.
Exit code 0: intact; 1: breaks found (listed); 2: bad usage or the store could not be read.

export: writes the matching records as CSV (Date,Level,Category,User,Message) to stdout.
`;

class UsageError extends Error {}

async function openStore(target: string, values: { schema?: string; prefix?: string }): Promise<Store> {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const { PostgresStore } = await import("../stores/postgres/index.js");
    return new PostgresStore({ connectionString: target, schema: values.schema, tablePrefix: values.prefix, poolSize: 2 });
  }
  // An auditor's typo must not create an empty database (the store creates missing files).
  if (!existsSync(target)) throw new UsageError(`${target} does not exist: give a SQLite file of the log, or a postgres:// URL`);
  const { SqliteStore } = await import("../stores/sqlite/index.js");
  return new SqliteStore({ filename: target });
}

function readCheckpoints(file: string): Checkpoint[] {
  const text = readFileSync(file, "utf8").trim();
  if (text === "") return [];
  try {
    const parsed: unknown = text.startsWith("[") ? JSON.parse(text) : text.split(/\r?\n/).filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
    return parsed as Checkpoint[];
  } catch (error) {
    throw new UsageError(`${file} is not JSON checkpoints (an array, or one per line): ${(error as Error).message}`);
  }
}

function positive(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

function timeUs(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO 8601 time such as 2026-12-01T00:00:00Z, got ${JSON.stringify(value)}`);
  return ms * 1000;
}

/** Runs the command line; resolves the exit code. */
export async function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        checkpoints: { type: "string" },
        "public-key": { type: "string" },
        "from-id": { type: "string" },
        "to-id": { type: "string" },
        json: { type: "boolean" },
        "progress-every": { type: "string" },
        schema: { type: "string" },
        prefix: { type: "string" },
        user: { type: "string" },
        level: { type: "string", multiple: true },
        category: { type: "string", multiple: true },
        text: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        "time-zone": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    err.write(`${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, target] = positionals;
  if (values.help === true || command === undefined) {
    (values.help === true ? out : err).write(HELP);
    return values.help === true ? 0 : 2;
  }
  if ((command !== "verify" && command !== "export") || target === undefined || positionals.length > 2) {
    err.write(`Unknown command or missing store: ${positionals.join(" ")}\n\n${HELP}`);
    return 2;
  }
  let store: Store | undefined;
  try {
    if (command === "verify") {
      const checkpoints = values.checkpoints === undefined ? undefined : readCheckpoints(values.checkpoints);
      if (checkpoints !== undefined && checkpoints.length > 0 && values["public-key"] === undefined) {
        throw new UsageError("--checkpoints needs --public-key (the Ed25519 public key, PEM, they were signed with)");
      }
      const publicKey = values["public-key"] === undefined ? undefined : readFileSync(values["public-key"], "utf8");
      store = await openStore(target, values);
      const started = Date.now();
      const report = await verifyStore(store, {
        checkpoints,
        publicKey,
        fromId: positive(values["from-id"], "from-id"),
        toId: positive(values["to-id"], "to-id"),
        // The progress line goes to stderr, so stdout stays the report.
        onProgress: (checked) => err.write(`verifying: ${checked.toLocaleString("en-US")} records read, ${Math.round((Date.now() - started) / 1000)} s\n`),
        progressEvery: positive(values["progress-every"], "progress-every"),
      });
      if (values.json === true) {
        out.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        out.write(
          `${report.ok ? "OK" : "BROKEN"}: ${report.checked.toLocaleString("en-US")} chained records checked` +
            (report.firstId !== undefined ? ` (ids ${report.firstId} to ${report.lastId})` : "") +
            `, ${report.checkpointsChecked} checkpoint(s) compared, ${report.removalsApplied} recorded removal(s) applied, ${Date.now() - started} ms\n`,
        );
        for (const b of report.breaks) out.write(`  ${b.kind} at id ${b.id}: ${b.message}\n`);
        if (report.breakCount > report.breaks.length) out.write(`  ... and ${report.breakCount - report.breaks.length} more\n`);
      }
      return report.ok ? 0 : 1;
    }
    const filter: StoreLogFilter = {
      user: values.user,
      levels: values.level?.map((l) => l.toUpperCase() as Level),
      categories: values.category,
      text: values.text,
      fromUs: timeUs(values.from, "from"),
      toUs: timeUs(values.to, "to"),
    };
    for (const key of Object.keys(filter) as (keyof StoreLogFilter)[]) if (filter[key] === undefined) delete filter[key];
    store = await openStore(target, values);
    for await (const chunk of exportCsv(store, filter, { timeZone: values["time-zone"] })) {
      if (!out.write(chunk)) await new Promise((resolve) => out.once("drain", resolve));
    }
    return 0;
  } catch (error) {
    err.write(`log-event-hub ${command}: ${(error as Error).message}\n`);
    return 2;
  } finally {
    await store?.close().catch(() => {});
  }
}

const invoked = process.argv[1] ?? "";
if (/log-event-hub$|cli\.(c?js|ts)$/.test(invoked)) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
