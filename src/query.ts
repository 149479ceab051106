/**
 * Query-string parsing and typed-filter normalisation. Strings in, typed values out, or a
 * `ValidationError` naming the parameter. Synchronous by design, so HTTP adapters can call
 * them before touching the store.
 *
 * @module
 */
import { ValidationError } from "./errors.js";
import { DEFAULT_LIMITS, type HubLimits } from "./limits.js";
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
  /** Limits (defaults apply to whatever is missing). */
  limits?: Partial<HubLimits>;
}

/** A query parsed from the wire: {@link LogQuery} with arrays for level and category. */
export interface ParsedLogQuery extends LogQuery<string> {
  level?: Level[];
  category?: string[];
}

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

/** Reads a bound that has two accepted names (`time_start` / `start`). */
function aliased(params: QueryParams, name: string, alias: string): number | undefined {
  const a = single(params, name);
  const b = single(params, alias);
  if (a !== undefined && b !== undefined) {
    throw new ValidationError(`Give either "${name}" or "${alias}", not both`, name);
  }
  if (a !== undefined) return integer(a, name, 0, Number.MAX_SAFE_INTEGER);
  if (b !== undefined) return integer(b, alias, 0, Number.MAX_SAFE_INTEGER);
  return undefined;
}

function list(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw === "") return undefined;
  return raw.split(",");
}

/** Normalises levels: any case in, upper case out, unknown ones refused. */
export function normalizeLevels(value: LogFilter["level"], param = "level"): Level[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === "string" ? [value] : [...value];
  if (values.length === 0) throw new ValidationError(`"${param}" must name at least one level`, param);
  return values.map((v) => normalizeLevel(v, param));
}

/** One level, any case, or a `ValidationError`. */
export function normalizeLevel(value: unknown, param = "level"): Level {
  if (typeof value !== "string") throw new ValidationError(`"${param}" must be a string`, param);
  const upper = value.trim().toUpperCase();
  if (!(LEVELS as readonly string[]).includes(upper)) {
    throw new ValidationError(`Unknown level ${JSON.stringify(value)}: expected one of ${LEVELS.join(", ")}`, param);
  }
  return upper as Level;
}

/** Normalises categories: case-insensitive, unknown ones refused. */
export function normalizeCategories(
  value: LogFilter["category"],
  known: readonly string[],
  param = "category",
): string[] | undefined {
  if (value === undefined) return undefined;
  const values = typeof value === "string" ? [value] : [...(value as readonly string[])];
  if (values.length === 0) throw new ValidationError(`"${param}" must name at least one category`, param);
  return values.map((v) => normalizeCategory(v, known, param));
}

/** One category, case-insensitive, or a `ValidationError`. */
export function normalizeCategory(value: unknown, known: readonly string[], param = "category"): string {
  if (typeof value !== "string") throw new ValidationError(`"${param}" must be a string`, param);
  const lower = value.trim().toLowerCase();
  const match = known.find((k) => k.toLowerCase() === lower);
  if (match === undefined) {
    throw new ValidationError(`Unknown category ${JSON.stringify(value)}: expected one of ${known.join(", ")}`, param);
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
  const limits = { ...DEFAULT_LIMITS, ...context.limits };
  const known = knownCategories(context.categories);
  const query: ParsedLogQuery = {};
  const timeStart = aliased(params, "time_start", "start");
  const timeEnd = aliased(params, "time_end", "end");
  if (timeStart !== undefined) query.timeStart = timeStart;
  if (timeEnd !== undefined) query.timeEnd = timeEnd;
  if (timeStart && timeEnd && timeStart > timeEnd) {
    throw new ValidationError("time_start must not be after time_end", "time_start");
  }
  const limit = optionalInteger(params, "limit", 1, limits.maxLimit);
  if (limit !== undefined) query.limit = limit;
  const offset = optionalInteger(params, "offset", 0, Number.MAX_SAFE_INTEGER);
  if (offset !== undefined) query.offset = offset;
  const beforeId = optionalInteger(params, "before_id", 1, Number.MAX_SAFE_INTEGER);
  if (beforeId !== undefined) query.beforeId = beforeId;
  const user = single(params, "user");
  if (user !== undefined && user !== "") query.user = user;
  const level = normalizeLevels(list(single(params, "level")));
  if (level) query.level = level;
  const category = normalizeCategories(list(single(params, "category")), known);
  if (category) query.category = category;
  const text = single(params, "text");
  if (text !== undefined && text !== "") {
    if (text.length > limits.maxTextLength) {
      throw new ValidationError(`"text" is longer than ${limits.maxTextLength} characters`, "text");
    }
    query.text = text;
  }
  return query;
}

/**
 * Parses `GET /api/v1/event` parameters: `index`, `limit`, `wait` (seconds on the wire,
 * milliseconds in the result). Whether `index` is ahead of the feed is checked by the read.
 *
 * @throws ValidationError naming the parameter at fault.
 */
export function parseEventQuery(params: QueryParams, context: ParseContext = {}): ParsedEventQuery {
  const limits = { ...DEFAULT_LIMITS, ...context.limits };
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
  const limits = { ...DEFAULT_LIMITS, ...context.limits };
  const type = single(params, "type");
  if (type === undefined || !(CONTAINER_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`"type" must be one of ${CONTAINER_TYPES.join(", ")}`, "type");
  }
  const id = single(params, "id");
  if (id === undefined || id === "" || id.length > 256) {
    throw new ValidationError(`"id" must be a non-empty container id or name`, "id");
  }
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

/** Epoch seconds -> inclusive microsecond bounds; `time_end=T` covers all of second T. */
export function normalizeFilter(
  filter: LogFilter<string> | undefined,
  known: readonly string[],
  limits: HubLimits,
): StoreLogFilter {
  const out: StoreLogFilter = {};
  if (!filter) return out;
  const { timeStart, timeEnd } = filter;
  if (timeStart !== undefined) checkInteger(timeStart, "timeStart", 0, Number.MAX_SAFE_INTEGER / 1e6);
  if (timeEnd !== undefined) checkInteger(timeEnd, "timeEnd", 0, Number.MAX_SAFE_INTEGER / 1e6);
  if (timeStart && timeEnd && timeStart > timeEnd) {
    throw new ValidationError("timeStart must not be after timeEnd", "timeStart");
  }
  if (timeStart) out.fromUs = timeStart * 1_000_000;
  if (timeEnd) out.toUs = timeEnd * 1_000_000 + 999_999;
  if (filter.user !== undefined) {
    if (typeof filter.user !== "string") throw new ValidationError(`"user" must be a string`, "user");
    if (filter.user !== "") out.user = filter.user;
  }
  const levels = normalizeLevels(filter.level);
  if (levels) out.levels = [...new Set(levels)];
  const categories = normalizeCategories(filter.category, known);
  if (categories) out.categories = [...new Set(categories)];
  if (filter.text !== undefined) {
    if (typeof filter.text !== "string") throw new ValidationError(`"text" must be a string`, "text");
    if (filter.text.length > limits.maxTextLength) {
      throw new ValidationError(`"text" is longer than ${limits.maxTextLength} characters`, "text");
    }
    if (filter.text !== "") out.text = filter.text;
  }
  return out;
}
