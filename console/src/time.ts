/** Times in the browser's zone or in UTC: the log's `ts` is epoch seconds. */

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY-MM-DD HH:mm:ss` of epoch seconds, in the browser's zone or UTC. */
export function formatTime(seconds: number, utc: boolean): string {
  const d = new Date(seconds * 1000);
  return utc
    ? `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The value of an `<input type="datetime-local" step="1">` for epoch seconds. */
export function toInputValue(seconds: number | undefined, utc: boolean): string {
  return seconds === undefined ? "" : formatTime(seconds, utc).replace(" ", "T");
}

/** Epoch seconds of a `datetime-local` value read in the browser's zone or UTC; `undefined` if empty or invalid. */
export function fromInputValue(value: string, utc: boolean): number | undefined {
  if (value === "") return undefined;
  const withSeconds = /T\d\d:\d\d$/.test(value) ? `${value}:00` : value;
  const ms = utc ? Date.parse(`${withSeconds}Z`) : new Date(withSeconds).getTime();
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** The zone the console shows times in, for captions. */
export function zoneName(utc: boolean): string {
  return utc ? "UTC" : Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";
}
