/**
 * Query-string parsing and typed-filter normalisation. Strings in, typed values out, or a
 * `ValidationError` naming the parameter. Synchronous by design, so HTTP adapters can call
 * them before touching the store.
 *
 * @module
 */
import { ValidationError } from "./errors.js";
import { resolveLimits, type HubLimits } from "./limits.js";
import { checkCharacters } from "./logs/text.js";
import {
  BUILTIN_LOG_CATEGORIES,
  LEVELS,
  type ContainerType,
  type Level,
  type LogFilter,
  type LogQuery,
  type StoreLogFilter,
  type WaitQuery,
  type WaitState,
} from "./types.js";

/** Query parameters: `URLSearchParams`, or a record such as Express's `req.query`. */
export type QueryParams =
  | URLSearchParams
  | Readonly<Record<string, string | readonly string[] | undefined | unknown>>;

/** Context for parsing: the host's extra categories and limits. */
export interface ParseContext {
  /** Extra log categories the host registered. */
  categories?: readonly string[];
  /** Limits: defaults apply to whatever is missing or `undefined`; checked as the hub checks its own `limits` option (a bad bound throws `TypeError`). */
  limits?: Partial<HubLimits>;
}

/**
 * A query parsed from the wire: {@link LogQuery} with arrays for level and category. `C` is the
 * category type: `hub.parseLogQuery` answers the hub's own (`LogCategory<C>`), so its result
 * goes to `queryLogs`, `countLogs`, `clearLogs` and `exportCsv` as it is.
 */
export interface ParsedLogQuery<C extends string = string> extends LogQuery<C> {
  /** Upper-case levels. */
  level?: Level[];
  /** Lower-case categories, each one the hub knows. */
  category?: C[];
}

/**
 * An export request parsed from the wire ({@link parseExportQuery}): the log filters and an
 * optional `limit` of 1 to 2^53-1 rows (an export is for large result sets, so the page size
 * limit `limits.maxLimit` does not apply). Accepted by `exportCsv` as it is.
 */
export interface ParsedExportQuery<C extends string = string> extends LogFilter<C> {
  /** Upper-case levels. */
  level?: Level[];
  /** Lower-case categories, each one the hub knows. */
  category?: C[];
  /** At most this many rows (the oldest matches); absent: every match. */
  limit?: number;
}

/** The largest export `limit`, on the wire and in the library: `Number.MAX_SAFE_INTEGER`. */
export const MAX_EXPORT_LIMIT: number = Number.MAX_SAFE_INTEGER;

/** An event read parsed from the wire. `wait` is in milliseconds. */
export interface ParsedEventQuery {
  /** Cursor: read events after this index. */
  index?: number;
  /** How many events at most. */
  limit?: number;
  /** Long poll, milliseconds. */
  wait?: number;
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Reads one parameter; repeated parameters are a validation error. */
function single(params: QueryParams, name: string): string | undefined {
  if (params instanceof URLSearchParams) {
    const all = params.getAll(name);
    if (all.length > 1) throw new ValidationError(`Parameter "${name}" is given more than once`, name);
    return all[0];
  }
  const value = (params as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length > 1) throw new ValidationError(`Parameter "${name}" is given more than once`, name);
    return value.length === 1 ? asString(value[0], name) : undefined;
  }
  return asString(value, name);
}

function asString(value: unknown, name: string): string {
  if (typeof value !== "string") throw new ValidationError(`Parameter "${name}" must be a plain string`, name);
  return value;
}

/** Parses a non-negative decimal integer (no sign, exponent, spaces or leading zeros). */
function integer(raw: string, name: string, min: number, max: number): number {
  if (!DECIMAL.test(raw)) {
    throw new ValidationError(`Parameter "${name}" must be a decimal integer, got ${JSON.stringify(raw)}`, name);
  }
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`Parameter "${name}" must be between ${min} and ${max}, got ${raw}`, name);
  }
  return value;
}

function optionalInteger(params: QueryParams, name: string, min: number, max: number): number | undefined {
  const raw = single(params, name);
  return raw === undefined ? undefined : integer(raw, name, min, max);
}

/** A time bound as the client sent it: its value and the name it used (`time_start` or `start`). */
interface WireBound {
  value: number;
  name: string;
}

/** The largest time bound, in epoch seconds, whose microseconds are still a safe integer. */
const MAX_EPOCH_SECONDS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6) - 1;

/** Reads a bound that has two accepted names (`time_start` / `start`). */
function aliased(params: QueryParams, name: string, alias: string): WireBound | undefined {
  const a = single(params, name);
  const b = single(params, alias);
  if (a !== undefined && b !== undefined) {
    throw new ValidationError(`Give either "${name}" or "${alias}", not both`, name);
  }
  if (a !== undefined) return { value: integer(a, name, 0, MAX_EPOCH_SECONDS), name };
  if (b !== undefined) return { value: integer(b, alias, 0, MAX_EPOCH_SECONDS), name: alias };
  return undefined;
}

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  return raw.split(",");
}

/** Upper-cases ASCII letters only, so look-alikes (`ı`, `ſ`) never turn into ASCII ones. */
function asciiUpper(value: string): string {
  return value.replace(/[a-z]+/g, (s) => s.toUpperCase());
}

/** Lower-cases ASCII letters only. */
function asciiLower(value: string): string {
  return value.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/** One value or an array of them, as the typed filters take; anything else is refused. */
function oneOrMany(value: unknown, param: string, what: string): unknown[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) {
    if (value.length === 0) throw new ValidationError(`"${param}" must name at least one ${what}`, param);
    return value;
  }
  throw new ValidationError(`"${param}" must be a ${what} or an array of them, got ${describe(value)}`, param);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  const type = typeof value;
  return type === "object" ? "an object" : `a ${type}`;
}

/**
 * Normalises levels: `INFO`, `WARN`, `ERROR` in any ASCII case in, upper case out; anything
 * else (unknown names, look-alikes such as `ınfo`, surrounding spaces) is refused.
 */
export function normalizeLevels(value: LogFilter["level"] | unknown, param = "level"): Level[] | undefined {
  if (value === undefined) return undefined;
  return oneOrMany(value, param, "level").map((v) => normalizeLevel(v, param));
}

/** One level, `INFO`, `WARN` or `ERROR` in any ASCII case, or a `ValidationError`. */
export function normalizeLevel(value: unknown, param = "level"): Level {
  if (typeof value !== "string") throw new ValidationError(`"${param}" must be a string, got ${describe(value)}`, param);
  const upper = asciiUpper(value);
  if (!(LEVELS as readonly string[]).includes(upper)) {
    const hint = value.trim() !== value ? " (no spaces around names)" : "";
    throw new ValidationError(`Unknown level ${JSON.stringify(value)} in "${param}": expected one of ${LEVELS.join(", ")}${hint}`, param);
  }
  return upper as Level;
}

/** Normalises categories: exact names in any ASCII case; unknown ones refused. */
export function normalizeCategories(
  value: LogFilter["category"] | unknown,
  known: readonly string[],
  param = "category",
): string[] | undefined {
  if (value === undefined) return undefined;
  return oneOrMany(value, param, "category").map((v) => normalizeCategory(v, known, param));
}

/** One category, in any ASCII case, or a `ValidationError`. */
export function normalizeCategory(value: unknown, known: readonly string[], param = "category"): string {
  if (typeof value !== "string") throw new ValidationError(`"${param}" must be a string, got ${describe(value)}`, param);
  const lower = asciiLower(value);
  const match = known.find((k) => asciiLower(k) === lower);
  if (match === undefined) {
    throw new ValidationError(
      `Unknown category ${JSON.stringify(value)} in "${param}": expected one of ${known.join(", ")}`,
      param,
    );
  }
  return match;
}

/** All categories a context knows: built-in plus registered. */
export function knownCategories(extra: readonly string[] | undefined): string[] {
  return [...BUILTIN_LOG_CATEGORIES, ...(extra ?? [])];
}

/**
 * Parses `GET /api/v1/log` (and `/log/export`) parameters into a typed query.
 * Does not invent a `limit`: `queryLogs` applies the default, `exportCsv` none.
 *
 * @throws ValidationError naming the parameter at fault.
 */
export function parseLogQuery(params: QueryParams, context: ParseContext = {}): ParsedLogQuery {
  const limits = resolveLimits(context.limits);
  const known = knownCategories(context.categories);
  const query: ParsedLogQuery = {};
  const timeStart = aliased(params, "time_start", "start");
  const timeEnd = aliased(params, "time_end", "end");
  if (timeStart !== undefined) query.timeStart = timeStart.value;
  if (timeEnd !== undefined) query.timeEnd = timeEnd.value;
  if (timeStart?.value && timeEnd?.value && timeStart.value > timeEnd.value) {
    throw new ValidationError(`"${timeStart.name}" must not be after "${timeEnd.name}"`, timeStart.name);
  }
  const limit = optionalInteger(params, "limit", 1, limits.maxLimit);
  if (limit !== undefined) query.limit = limit;
  const offset = optionalInteger(params, "offset", 0, Number.MAX_SAFE_INTEGER);
  if (offset !== undefined) query.offset = offset;
  const beforeId = optionalInteger(params, "before_id", 1, Number.MAX_SAFE_INTEGER);
  if (beforeId !== undefined) query.beforeId = beforeId;
  const user = single(params, "user");
  if (user !== undefined && user !== "") query.user = checkCharacters(user, "user", "singleLine");
  const level = normalizeLevels(list(single(params, "level")));
  if (level) query.level = level;
  const category = normalizeCategories(list(single(params, "category")), known);
  if (category) query.category = category;
  const text = single(params, "text");
  if (text !== undefined && text !== "") query.text = checkText(text, "text", limits);
  return query;
}

/**
 * Parses `GET /api/v1/log/export` parameters: the filters of {@link parseLogQuery} and `limit`,
 * 1 to {@link MAX_EXPORT_LIMIT} (2^53-1), the same bound `exportCsv` accepts. `offset` and
 * `before_id` page the newest-first list and mean nothing for an oldest-first file: refused.
 *
 * @throws ValidationError naming the parameter at fault.
 */
export function parseExportQuery(params: QueryParams, context: ParseContext = {}): ParsedExportQuery {
  for (const name of ["offset", "before_id"]) {
    if (single(params, name) !== undefined) throw new ValidationError(`Parameter "${name}" is not accepted by the export`, name);
  }
  // The same filters; only the bound of `limit` is the export's own.
  return parseLogQuery(params, { ...context, limits: { ...context.limits, maxLimit: MAX_EXPORT_LIMIT } });
}

/** The filter parameters of the log routes, by their wire names. */
export const LOG_FILTER_PARAMS: readonly string[] = ["time_start", "start", "time_end", "end", "user", "level", "category", "text"];

/**
 * Refuses a destructive request whose filter parameter is present but empty
 * (`DELETE /api/v1/log?category=`): a form with nothing selected must not clear everything.
 * Call it before {@link parseLogQuery} on requests that delete.
 *
 * @throws ValidationError naming the first empty filter parameter.
 */
export function refuseEmptyFilterParams(params: QueryParams): void {
  for (const name of LOG_FILTER_PARAMS) {
    const values = params instanceof URLSearchParams ? params.getAll(name) : [(params as Record<string, unknown>)[name]].flat();
    if (values.some((v) => v === "")) {
      throw new ValidationError(
        `Parameter "${name}" is empty: name what to clear, or send no filter parameter at all to clear everything`,
        name,
      );
    }
  }
}

function checkText(text: string, param: string, limits: HubLimits): string {
  if (text.length > limits.maxTextLength) {
    throw new ValidationError(`"${param}" is longer than ${limits.maxTextLength} characters`, param);
  }
  return checkCharacters(text, param);
}

/**
 * Parses `GET /api/v1/event` parameters: `index`, `limit`, `wait` (seconds on the wire,
 * milliseconds in the result). Whether `index` is ahead of the feed is checked by the read.
 *
 * @throws ValidationError naming the parameter at fault.
 */
export function parseEventQuery(params: QueryParams, context: ParseContext = {}): ParsedEventQuery {
  const limits = resolveLimits(context.limits);
  const query: ParsedEventQuery = {};
  const index = optionalInteger(params, "index", 0, Number.MAX_SAFE_INTEGER);
  if (index !== undefined) query.index = index;
  const limit = optionalInteger(params, "limit", 1, limits.maxLimit);
  if (limit !== undefined) query.limit = limit;
  const wait = optionalInteger(params, "wait", 0, Math.floor(limits.maxWaitMs / 1000));
  if (wait !== undefined) query.wait = wait * 1000;
  return query;
}

/** Where an event stream resumes, parsed from the wire. */
export interface ParsedStreamQuery {
  /** Resume after this index; absent: start at the head (only new events). */
  lastEventId?: number;
}

/**
 * Parses `GET /api/v1/event/stream`: the `Last-Event-ID` header (what `EventSource` sends when
 * it reconnects) or, without one, the `lastEventId` query parameter (a browser cannot set
 * headers on its first connection). The header wins: a reconnect reuses the first URL, whose
 * `lastEventId` is then stale. An empty header counts as absent.
 *
 * @param lastEventIdHeader The request's `Last-Event-ID` header, if any.
 * @throws ValidationError naming the header or parameter at fault.
 */
export function parseStreamQuery(params: QueryParams, lastEventIdHeader?: string): ParsedStreamQuery {
  if (lastEventIdHeader !== undefined && lastEventIdHeader !== "") {
    return { lastEventId: integer(lastEventIdHeader, "Last-Event-ID", 0, Number.MAX_SAFE_INTEGER) };
  }
  const lastEventId = optionalInteger(params, "lastEventId", 0, Number.MAX_SAFE_INTEGER);
  return lastEventId === undefined ? {} : { lastEventId };
}

const CONTAINER_TYPES: readonly ContainerType[] = ["lxc", "docker"];
const WAIT_STATES: readonly WaitState[] = ["running", "stopped"];

/**
 * Parses a wait-for-state request: path parameters `type`, `id`, `state` and the query's
 * `duration` (seconds; default 60) into a {@link WaitQuery} with `timeout` in milliseconds.
 *
 * @throws ValidationError naming the parameter at fault.
 */
export function parseWaitQuery(params: QueryParams, context: ParseContext = {}): WaitQuery {
  const limits = resolveLimits(context.limits);
  const type = single(params, "type");
  if (type === undefined || !(CONTAINER_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`"type" must be one of ${CONTAINER_TYPES.join(", ")}`, "type");
  }
  const id = single(params, "id");
  if (id === undefined || id === "" || id.length > 256) {
    throw new ValidationError(`"id" must be a non-empty container id or name`, "id");
  }
  checkCharacters(id, "id", "singleLine");
  const state = single(params, "state");
  if (state === undefined || !(WAIT_STATES as readonly string[]).includes(state)) {
    throw new ValidationError(`"state" must be one of ${WAIT_STATES.join(", ")}`, "state");
  }
  const duration = optionalInteger(params, "duration", 0, Math.floor(limits.maxWaitMs / 1000));
  return {
    type: type as ContainerType,
    id,
    state: state as WaitState,
    timeout: duration === undefined ? limits.defaultWaitTimeoutMs : duration * 1000,
  };
}

/** Checks a typed integer option (`limit`, `offset`, ...). */
export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(`"${name}" must be an integer between ${min} and ${max}, got ${String(value)}`, name);
  }
  return value;
}

/** How {@link normalizeFilter} treats empty strings. */
export interface NormalizeFilterOptions {
  /**
   * Refuse empty-string fields (`{ text: "" }`) instead of ignoring them: set for destructive
   * calls, where "nothing selected" must not mean "everything".
   * @default false
   */
  refuseEmpty?: boolean;
}

/** Epoch seconds -> inclusive microsecond bounds; `time_end=T` covers all of second T. */
export function normalizeFilter(
  filter: LogFilter<string> | undefined,
  known: readonly string[],
  limits: HubLimits,
  options: NormalizeFilterOptions = {},
): StoreLogFilter {
  const out: StoreLogFilter = {};
  if (filter === undefined) return out;
  if (filter === null || typeof filter !== "object") {
    throw new ValidationError(`The filter must be an object, got ${describe(filter)}`);
  }
  const { timeStart, timeEnd } = filter;
  if (timeStart !== undefined) checkInteger(timeStart, "timeStart", 0, MAX_EPOCH_SECONDS);
  if (timeEnd !== undefined) checkInteger(timeEnd, "timeEnd", 0, MAX_EPOCH_SECONDS);
  if (timeStart && timeEnd && timeStart > timeEnd) {
    throw new ValidationError(`"timeStart" must not be after "timeEnd"`, "timeStart");
  }
  if (timeStart) out.fromUs = timeStart * 1_000_000;
  if (timeEnd) out.toUs = timeEnd * 1_000_000 + 999_999;
  const refuseEmpty = (name: string, value: unknown) => {
    if (options.refuseEmpty && (value === "" || (Array.isArray(value) && value.includes("")))) {
      throw new ValidationError(
        `"${name}" is empty: name what to clear, or give no filter at all to clear everything`,
        name,
      );
    }
  };
  if (filter.user !== undefined) {
    if (typeof filter.user !== "string") throw new ValidationError(`"user" must be a string, got ${describe(filter.user)}`, "user");
    refuseEmpty("user", filter.user);
    if (filter.user !== "") out.user = checkCharacters(filter.user, "user", "singleLine");
  }
  refuseEmpty("level", filter.level);
  const levels = normalizeLevels(filter.level);
  if (levels) out.levels = [...new Set(levels)];
  refuseEmpty("category", filter.category);
  const categories = normalizeCategories(filter.category, known);
  if (categories) out.categories = [...new Set(categories)];
  if (filter.text !== undefined) {
    if (typeof filter.text !== "string") throw new ValidationError(`"text" must be a string, got ${describe(filter.text)}`, "text");
    refuseEmpty("text", filter.text);
    if (filter.text !== "") out.text = checkText(filter.text, "text", limits);
  }
  return out;
}
