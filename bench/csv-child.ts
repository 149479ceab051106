/**
 * One measurement of `bench/csv.bench.ts`, in its own process so peak memory figures do not mix:
 *
 *   node --expose-gc --import tsx bench/csv-child.ts <memory|sqlite|postgres> <stream|naive|prepare> <rows> <exported> [file|schema]
 *
 * `prepare` only writes a SQLite file (or a PostgreSQL schema, at LEH_PG_URL) of `rows`
 * records, shared by that store's measurements.
 * The others fill (or open) a store of `rows` records, settle the heap, export the oldest
 * `exported` of them and print one JSON line: rows/s, RSS before the export, the peak RSS
 * sampled during it, and the characters made. Exporting 10% or 100% of one store keeps the
 * store's own memory (and the GC's appetite, which scales with the live heap) the same.
 */
import Papa from "papaparse";
import { CSV_HEADER, CSV_NEWLINE, createTimestampFormatter, escapeFormula, exportCsv } from "../src/csv/index.js";
import type { Store } from "../src/store.js";
import { MemoryStore } from "../src/stores/memory/index.js";
import type { Level, LogRecord, NewLogRecord } from "../src/types.js";

const [kind, mode, rowsArg, exportedArg, file] = process.argv.slice(2);
const rows = Number(rowsArg);
const exported = Number(exportedArg);
const LEVELS: Level[] = ["INFO", "INFO", "INFO", "WARN", "ERROR"];
const CATEGORIES = ["container", "image", "import", "export", "backup", "system"];
const USERS = ["Anonymous", "system", "admin", "José"];
const START_US = Date.UTC(2015, 2, 17, 17, 27, 6) * 1000;

/** Seed-like messages: most need quoting (commas), a few carry quotes or a formula trigger. */
function synthetic(i: number): NewLogRecord {
  const n = i % 100;
  const message =
    n === 0 ? `=HYPERLINK("http://x.test/${i}")`
    : n < 60 ? `Start container (docker, ${(i * 2654435761 % 2 ** 32).toString(16)}, DockerTestAPI${n})`
    : n < 90 ? `Finished export container (lxc, utest${n}) to (/test/c${i}.tgz) (return=0)`
    : `Create task logs are cleared ${i}`;
  return {
    timeUs: START_US + i * 250_123,
    level: LEVELS[i % LEVELS.length] as Level,
    category: CATEGORIES[i % CATEGORIES.length] as string,
    user: USERS[i % USERS.length] as string,
    message,
  };
}

async function fill(store: Store, count: number): Promise<void> {
  const batch = 10_000;
  for (let at = 0; at < count; at += batch) {
    const records: NewLogRecord[] = [];
    for (let i = at; i < Math.min(count, at + batch); i++) records.push(synthetic(i));
    await store.appendLogs(records);
  }
}

/** The durable store named on the command line: a SQLite file or a PostgreSQL schema. */
async function openDurable(): Promise<Store> {
  if (kind === "postgres") {
    const { PostgresStore } = await import("../src/stores/postgres/index.js");
    const connectionString = process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
    const store = new PostgresStore({ connectionString, schema: file as string });
    await store.open();
    return store;
  }
  const { SqliteStore } = await import("../src/stores/sqlite/index.js");
  const store = new SqliteStore(file as string);
  await store.open();
  return store;
}

async function openStore(): Promise<Store> {
  if (kind === "memory") {
    const store = new MemoryStore({ maxLogs: Math.max(rows, 1) });
    await fill(store, rows);
    return store;
  }
  return openDurable();
}

const gc = (globalThis as { gc?: () => void }).gc;
const rss = (): number => process.memoryUsage.rss();

/** The naive export: everything loaded, then one `Papa.unparse`. Same bytes as `exportCsv`. */
async function naive(store: Store, sample: () => void): Promise<number> {
  const all: LogRecord[] = await store.queryLogs({ order: "asc", limit: exported, maxId: await store.lastLogId() });
  sample();
  const format = createTimestampFormatter("UTC");
  const data = all.map((r) => [format(r.timeUs), r.level, escapeFormula(r.category), escapeFormula(r.user), escapeFormula(r.message)]);
  sample();
  const csv = `${CSV_HEADER}${CSV_NEWLINE}${Papa.unparse(data, { header: false, newline: CSV_NEWLINE })}${CSV_NEWLINE}`;
  sample();
  return csv.length;
}

async function streamed(store: Store, sample: () => void): Promise<number> {
  let length = 0;
  for await (const chunk of exportCsv(store, {}, { limit: exported })) {
    length += chunk.length;
    sample();
  }
  return length;
}

if (mode === "prepare") {
  const store = await openDurable();
  await fill(store, rows);
  await store.close();
  process.exit(0);
}

const store = await openStore();
gc?.();
gc?.();
const before = rss();
let peak = before;
const sample = (): void => {
  const now = rss();
  if (now > peak) peak = now;
};
// Peak RSS from the first run only; throughput is the best of a few runs (the CPU is shared).
let chars = 0;
let seconds = Number.POSITIVE_INFINITY;
const noSample = (): void => {};
for (let run = 0; run < (exported > 200_000 ? 2 : 3); run++) {
  const started = performance.now();
  chars = mode === "naive" ? await naive(store, run === 0 ? sample : noSample) : await streamed(store, run === 0 ? sample : noSample);
  seconds = Math.min(seconds, (performance.now() - started) / 1000);
  if (run === 0) sample();
}

// A second, untimed pass: a full GC at sample points shows what the export keeps alive
// (RSS also counts garbage that V8 has not collected yet, which depends on its heuristics).
gc?.();
const heapBefore = process.memoryUsage().heapUsed;
let heapPeak = heapBefore;
let samples = 0;
const every = Math.max(1, Math.floor(exported / 1000 / 10));
const liveSample = (): void => {
  if (gc === undefined || (mode !== "naive" && ++samples % every !== 0)) return;
  gc();
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
};
await (mode === "naive" ? naive(store, liveSample) : streamed(store, liveSample));
await store.close();
console.log(
  JSON.stringify({ rows: exported, rowsPerSecond: exported / seconds, rssBefore: before, rssPeak: peak, liveHeap: heapPeak - heapBefore, chars }),
);
