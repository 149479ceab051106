/**
 * CSV export: the streaming exporter, its time-zone formatter, the formula guard and the HTTP
 * glue. The hub's `exportCsv` builds on {@link exportCsv}.
 *
 * @module
 */
export {
  CSV_HEADER,
  CSV_NEWLINE,
  MAX_CSV_BATCH_SIZE,
  UTF8_BOM,
  exportCsv,
  type CsvExportOptions,
  type CsvSource,
} from "./export.js";
export { escapeFormula } from "./escape.js";
export { createTimestampFormatter, resolveTimeZone, type TimestampFormatter } from "./timezone.js";
export {
  csvFileName,
  csvHttpHeaders,
  csvReadable,
  openCsvStream,
  type CsvHttpHeadersOptions,
  type FileNameTime,
} from "./http.js";
