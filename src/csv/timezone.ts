/**
 * Fast wall-clock formatting of epoch microseconds in an IANA time zone, for the CSV `Date`
 * column (`YYYY-MM-DD HH:MM:SS.ffffff`).
 *
 * `Intl.DateTimeFormat#formatToParts` costs microseconds per call, too slow for a million rows.
 * The zone's UTC offset is therefore asked of `Intl` once per UTC hour (twice, at both ends)
 * and cached; an hour whose two ends disagree holds a transition, whose exact second is found
 * by bisection, so daylight-saving changes and historic odd-second offsets stay exact.
 *
 * @module
 */
import { ValidationError } from "../errors.js";

const MS_PER_HOUR = 3_600_000;
const US_PER_DAY = 86_400_000_000;
/** Bound on cached hours, so a export spanning decades cannot grow the cache without limit. */
const MAX_CACHED_HOURS = 4096;

/** Formats epoch microseconds as `YYYY-MM-DD HH:MM:SS.ffffff` wall-clock time. */
export type TimestampFormatter = (timeUs: number) => string;

/** One cached UTC hour: the offset at its start, and where it changes inside the hour, if it does. */
interface HourOffsets {
  /** Offset (ms, local minus UTC) from the hour's start. */
  before: number;
  /** Offset from `changeAtMs` on; equal to `before` when the hour holds no transition. */
  after: number;
  /** First epoch millisecond at which `after` applies. */
  changeAtMs: number;
}

/**
 * Checks an IANA time zone name and returns its canonical spelling (`utc` -> `UTC`).
 *
 * @throws ValidationError (`param: "timeZone"`) for a name the platform does not know.
 */
export function resolveTimeZone(timeZone: unknown, param = "timeZone"): string {
  if (typeof timeZone !== "string" || timeZone === "") {
    throw new ValidationError(`"${param}" must be an IANA time zone name such as "Europe/Berlin"`, param);
  }
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw new ValidationError(`Unknown time zone ${JSON.stringify(timeZone)}`, param);
  }
}

/** UTC under its several names: no offset lookups at all. */
const UTC_NAMES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"]);

/**
 * Returns `(epochMs) => offsetMs` for a zone, cached per UTC hour and exact at transitions.
 * The zone must already be valid (see {@link resolveTimeZone}); {@link createTimestampFormatter}
 * is its only user.
 */
function createOffsetLookup(timeZone: string): (epochMs: number) => number {
  if (UTC_NAMES.has(timeZone)) return () => 0;
  const dtf = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });
  const probe = new Date(0);

  /** The offset at one whole second, straight from Intl. */
  const offsetAtSecond = (ms: number): number => {
    probe.setTime(ms);
    let y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    for (const part of dtf.formatToParts(probe)) {
      switch (part.type) {
        case "year": y = Number(part.value); break;
        case "month": mo = Number(part.value); break;
        case "day": d = Number(part.value); break;
        case "hour": h = Number(part.value); break;
        case "minute": mi = Number(part.value); break;
        case "second": s = Number(part.value); break;
      }
    }
    const local = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
    // Date.UTC maps years 0..99 to 1900..1999; setting the year afterwards avoids that.
    local.setUTCFullYear(y);
    return local.getTime() - ms;
  };

  const hours = new Map<number, HourOffsets>();
  const compute = (hour: number): HourOffsets => {
    const startMs = hour * MS_PER_HOUR;
    const before = offsetAtSecond(startMs);
    const after = offsetAtSecond(startMs + MS_PER_HOUR);
    if (before === after) return { before, after, changeAtMs: startMs };
    // tzdata transitions fall on whole seconds and at most one per hour: bisect to the second.
    let lo = startMs / 1000; // offset here is `before`
    let hi = lo + 3600; // offset here is `after`
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAtSecond(mid * 1000) === before) lo = mid;
      else hi = mid;
    }
    return { before, after, changeAtMs: hi * 1000 };
  };

  let lastHour = Number.NaN;
  let last: HourOffsets = { before: 0, after: 0, changeAtMs: 0 };
  return (epochMs: number): number => {
    const hour = Math.floor(epochMs / MS_PER_HOUR);
    if (hour !== lastHour) {
      let entry = hours.get(hour);
      if (entry === undefined) {
        if (hours.size >= MAX_CACHED_HOURS) hours.clear();
        entry = compute(hour);
        hours.set(hour, entry);
      }
      lastHour = hour;
      last = entry;
    }
    return epochMs < last.changeAtMs ? last.before : last.after;
  };
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** `YYYY-MM-DD ` for a day number (days since the epoch, in local wall-clock terms). */
function dayPrefix(day: number): string {
  const date = new Date(day * 86_400_000);
  const year = date.getUTCFullYear();
  const yyyy = year >= 0 && year < 10000 ? String(year).padStart(4, "0") : String(year);
  return `${yyyy}-${pad2(date.getUTCMonth() + 1)}-${pad2(date.getUTCDate())} `;
}

/**
 * Makes a formatter of epoch microseconds as `YYYY-MM-DD HH:MM:SS.ffffff` in `timeZone`
 * (the seed's CSV `Date` column). Cheap per call: a cached offset and integer arithmetic.
 *
 * @param timeZone IANA name, for example `UTC` or `Europe/Berlin`. @default "UTC"
 * @throws ValidationError for an unknown zone.
 */
export function createTimestampFormatter(timeZone = "UTC"): TimestampFormatter {
  const offsetAt = createOffsetLookup(resolveTimeZone(timeZone));
  let lastDay = Number.NaN;
  let lastPrefix = "";
  return (timeUs: number): string => {
    const local = timeUs + offsetAt(Math.floor(timeUs / 1000)) * 1000;
    const day = Math.floor(local / US_PER_DAY);
    if (day !== lastDay) {
      lastDay = day;
      lastPrefix = dayPrefix(day);
    }
    const inDay = local - day * US_PER_DAY;
    const seconds = Math.floor(inDay / 1_000_000);
    const micros = inDay - seconds * 1_000_000;
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    return `${lastPrefix}${pad2(h)}:${pad2(m)}:${pad2(s)}.${String(micros).padStart(6, "0")}`;
  };
}
