/**
 * Streaming CSV export of the activity log (`GET /api/v1/log/export`), in the seed's format:
 *
 * ```text
 * Date,Level,Category,User,Message
 * 2015-03-17 17:27:06.452144,INFO,container,Anonymous,"Destroy container (lxc, utest)"
 * ```
 *
 * The store is read in keyset pages below a snapshot of the newest id, one chunk per page, and
 * only when the consumer asks for the next chunk: memory stays flat at any size, a slow consumer
 * slows the reads, and a consumer that stops (or aborts) ends them.
 *
 * @module
 */
import Papa from "papaparse";
import { ErrorCodes, HubError, ValidationError } from "../errors.js";
import { checkInteger } from "../query.js";
import type { Store } from "../store.js";
import type { LogRecord, StoreLogFilter, StoreLogQuery } from "../types.js";
import { escapeFormula } from "./escape.js";
import { createTimestampFormatter, type TimestampFormatter } from "./timezone.js";

/** The header row, exactly as the seed's sample has it. */
export const CSV_HEADER = "Date,Level,Category,User,Message";

/** Line end of every row, the header's included (RFC 4180). */
export const CSV_NEWLINE = "\r\n";

/** The UTF-8 byte order mark that {@link CsvExportOptions.bom} puts first. */
export const UTF8_BOM = "\uFEFF";

/** Largest accepted {@link CsvExportOptions.batchSize}. */
export const MAX_CSV_BATCH_SIZE = 100_000;

/** What the export needs from a store: every {@link Store} qualifies. */
export type CsvSource = Pick<Store, "queryLogs" | "lastLogId">;

/** Options of {@link exportCsv}. */
export interface CsvExportOptions {
  /** At most this many rows (the oldest matches). @default no limit */
  limit?: number;
  /**
   * Ends the export: the iterator rejects with `signal.reason` at once, even while a page read
   * is in flight, and no further page is read.
   */
  signal?: AbortSignal;
  /** IANA time zone of the `Date` column, for example `Europe/Berlin`. @default "UTC" */
  timeZone?: string;
  /**
   * Prefix `'` to Category, User and Message values that start with `=`, `+`, `-`, `@`, tab or
   * carriage return, so a spreadsheet never runs them as formulas. @default true
   */
  escapeFormulae?: boolean;
  /** Start with a UTF-8 byte order mark, so Excel reads non-ASCII text correctly. @default false */
  bom?: boolean;
  /** Records per store read (and per yielded chunk), 1..100000. @default 1000 */
  batchSize?: number;
}

/** Options after validation, with defaults applied. */
interface ResolvedOptions {
  limit: number;
  signal: AbortSignal | undefined;
  formatDate: TimestampFormatter;
  escapeFormulae: boolean;
  bom: boolean;
  batchSize: number;
}

/**
 * Exports the records matching `filter` as CSV, oldest first, one string chunk per page of the
 * store. The first chunk carries the optional BOM, the header and the first page, so a caller
 * that awaits it before sending HTTP headers still sees store errors as errors; an empty export
 * yields the header alone. Every row, the last included, ends with CRLF.
 *
 * Records appended after the export starts are not included: the newest id is read once at the
 * start and every page is bounded by it. Records removed meanwhile (clearing, retention) simply
 * do not appear.
 *
 * Nothing is read until the first chunk is requested, and each further page only when the
 * consumer asks for the next chunk. Leaving a `for await` loop (`break`, `return()`, or a
 * destroyed `Readable.from` stream) or aborting `options.signal` ends the reads.
 *
 * @param source The store (anything with `queryLogs` and `lastLogId`).
 * @param filter A normalised store filter (the hub builds it from a typed `LogFilter`).
 * @param options See {@link CsvExportOptions}.
 * @throws ValidationError at once (not on the first `next()`) for a bad option or time zone.
 */
export function exportCsv(
  source: CsvSource,
  filter: StoreLogFilter,
  options: CsvExportOptions = {},
): AsyncGenerator<string, void, undefined> {
  return generateCsv(source, pickFilter(filter), resolveOptions(options));
}

function resolveOptions(options: CsvExportOptions): ResolvedOptions {
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new ValidationError(`"signal" must be an AbortSignal`, "signal");
  }
  for (const name of ["escapeFormulae", "bom"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "boolean") {
      throw new ValidationError(`"${name}" must be a boolean`, name);
    }
  }
  return {
    limit: options.limit === undefined ? Number.POSITIVE_INFINITY : checkInteger(options.limit, "limit", 1, Number.MAX_SAFE_INTEGER),
    signal,
    formatDate: createTimestampFormatter(options.timeZone ?? "UTC"),
    escapeFormulae: options.escapeFormulae ?? true,
    bom: options.bom ?? false,
    batchSize: options.batchSize === undefined ? 1000 : checkInteger(options.batchSize, "batchSize", 1, MAX_CSV_BATCH_SIZE),
  };
}

/** Copies only filter fields, so paging fields smuggled into the filter cannot skew the pages. */
function pickFilter(filter: StoreLogFilter): StoreLogFilter {
  const { fromUs, toUs, user, levels, categories, text } = filter;
  const out: StoreLogFilter = {};
  if (fromUs !== undefined) out.fromUs = fromUs;
  if (toUs !== undefined) out.toUs = toUs;
  if (user !== undefined) out.user = user;
  if (levels !== undefined) out.levels = levels;
  if (categories !== undefined) out.categories = categories;
  if (text !== undefined) out.text = text;
  return out;
}

/** papaparse settings: RFC 4180 quoting, CRLF, no header (we write our own once). */
const UNPARSE_CONFIG: Papa.UnparseConfig = {
  header: false,
  newline: CSV_NEWLINE,
  delimiter: ",",
  quoteChar: '"',
  quotes: false,
  // We escape formulas ourselves (see escape.ts): only user-influenced columns, multi-line
  // values included, and without papaparse's extra quotes around every escaped value.
  escapeFormulae: false,
};

/** One page of records as CSV rows, each ending with CRLF. */
function pageToCsv(records: readonly LogRecord[], options: ResolvedOptions): string {
  const { formatDate } = options;
  const esc = options.escapeFormulae ? escapeFormula : (value: string) => value;
  const rows: string[][] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as LogRecord;
    rows[i] = [formatDate(r.timeUs), r.level, esc(r.category), esc(r.user), esc(r.message)];
  }
  return Papa.unparse(rows, UNPARSE_CONFIG) + CSV_NEWLINE;
}

async function* generateCsv(
  source: CsvSource,
  filter: StoreLogFilter,
  options: ResolvedOptions,
): AsyncGenerator<string, void, undefined> {
  const { signal, batchSize } = options;
  // Everything at or below this id existed when the export began; later appends stay out.
  const snapshot = await guarded(() => source.lastLogId(), signal);
  let pending = (options.bom ? UTF8_BOM : "") + CSV_HEADER + CSV_NEWLINE;
  let remaining = options.limit;
  let afterId = 0;
  while (remaining > 0 && afterId < snapshot) {
    const want = Math.min(batchSize, remaining);
    const query: StoreLogQuery = { ...filter, order: "asc", afterId, maxId: snapshot, limit: want };
    const page = await guarded(() => source.queryLogs(query), signal);
    if (page.length === 0) break;
    const lastId = (page[page.length - 1] as LogRecord).id;
    if (page.length > want || lastId <= afterId) {
      // A store breaking the contract would otherwise loop forever or exceed the limit.
      throw new HubError(ErrorCodes.INTERNAL, "The store answered an export page out of order");
    }
    remaining -= page.length;
    afterId = lastId;
    const chunk = pending + pageToCsv(page, options);
    pending = "";
    yield chunk;
    // A short page means nothing else matches below the snapshot: spare the store a read.
    if (page.length < want) break;
  }
  if (pending !== "") yield pending;
}

/**
 * Runs one store read unless the signal is already aborted, and rejects with the signal's
 * reason as soon as it aborts, without waiting for the read (whose outcome is then ignored).
 */
function guarded<T>(read: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return read();
  signal.throwIfAborted();
  const pending = read();
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
