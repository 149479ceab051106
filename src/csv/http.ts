/**
 * Glue for sending a CSV export over Node HTTP: a `Readable` that honours back-pressure, the
 * response headers, and the dated file name (`logs-YYYYMMDD-HHMMSS.csv`).
 *
 * @module
 */
import { Readable } from "node:stream";
import { createTimestampFormatter } from "./timezone.js";

/**
 * Wraps export chunks in a byte `Readable` to pipe into an HTTP response. It pulls the next
 * chunk only when the response has drained (a slow client slows the store reads), and when
 * the stream is destroyed (client gone, `pipeline` failure) it ends the iteration, which ends
 * the store reads. Equivalent to `Readable.from(chunks, { objectMode: false })`.
 */
export function csvReadable(chunks: AsyncIterable<string>): Readable {
  return Readable.from(chunks, { objectMode: false });
}

/**
 * Reads the first chunk before the response starts, so an error there (a failing store) still
 * becomes an error status. The returned iterable replays it, then forwards `return()` to the
 * source even when iteration never started, so the export's cleanup always runs. Shared by
 * {@link openCsvStream} and the API handler's export route; not part of the package's API.
 */
export async function startedStream(chunks: AsyncIterable<string>): Promise<AsyncIterable<string>> {
  const source = chunks[Symbol.asyncIterator]();
  const first = await source.next();
  let replayed = false;
  const iterator: AsyncIterator<string> = {
    next() {
      if (!replayed) {
        replayed = true;
        if (!first.done) return Promise.resolve(first);
      }
      return source.next();
    },
    async return(value?: unknown) {
      replayed = true;
      await source.return?.(value);
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * Like {@link csvReadable}, but first waits for the first chunk (header and first page), so a
 * store failure rejects here, while the handler can still answer with an error status instead
 * of a truncated `200`. Errors after the first chunk destroy the stream (the client sees an
 * incomplete transfer, never a silently short file). Destroying the stream, even before it
 * was read, ends the export (its cleanup runs).
 */
export async function openCsvStream(chunks: AsyncIterable<string>): Promise<Readable> {
  return csvReadable(await startedStream(chunks));
}

/** The time in a file name: `Date` or epoch milliseconds. */
export type FileNameTime = Date | number;

/**
 * The dated download name `logs-YYYYMMDD-HHMMSS.csv`, wall-clock time in `timeZone`.
 *
 * @param at When the export was made. @default now
 * @param timeZone IANA time zone. @default "UTC"
 * @throws ValidationError for an unknown time zone.
 */
export function csvFileName(at: FileNameTime = new Date(), timeZone = "UTC"): string {
  const ms = at instanceof Date ? at.getTime() : at;
  const stamp = createTimestampFormatter(timeZone)(Math.floor(ms) * 1000);
  // "YYYY-MM-DD HH:MM:SS.ffffff" -> "YYYYMMDD-HHMMSS"
  const compact = `${stamp.slice(0, 4)}${stamp.slice(5, 7)}${stamp.slice(8, 10)}-${stamp.slice(11, 13)}${stamp.slice(14, 16)}${stamp.slice(17, 19)}`;
  return `logs-${compact}.csv`;
}

/** Percent-encodes for `filename*` (RFC 8187 attr-char: `encodeURIComponent` leaves `'()*`). */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Options of {@link csvHttpHeaders}. */
export interface CsvHttpHeadersOptions {
  /** Download name. @default {@link csvFileName} of `at` in `timeZone` */
  fileName?: string;
  /** When the export was made (for the default file name). @default now */
  at?: FileNameTime;
  /** Time zone of the default file name. @default "UTC" */
  timeZone?: string;
}

/**
 * Response headers for a CSV download: `Content-Type: text/csv; charset=utf-8`, an
 * `attachment` `Content-Disposition` with the dated file name, and `Cache-Control: no-store`
 * (an activity log is private and changes).
 */
export function csvHttpHeaders(options: CsvHttpHeadersOptions = {}): Record<string, string> {
  const fileName = options.fileName ?? csvFileName(options.at, options.timeZone);
  // Keep the quoted-string safe: a name with quotes, backslashes or control bytes is replaced.
  const safe = fileName.replace(/["\\\u0000-\u001f\u007f]/g, "_");
  const ascii = safe.replace(/[^\x20-\x7e]/g, "_");
  const disposition = ascii === safe
    ? `attachment; filename="${safe}"`
    : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
  return {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": disposition,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  };
}
