/**
 * Configurable bounds. Every input the hub takes is bounded; a value outside is a
 * `ValidationError`, never silently clamped.
 *
 * @module
 */

/** Bounds on input sizes and durations. Every field is optional in {@link HubOptions}. */
export interface HubLimits {
  /** Page size when none is given. @default 20 */
  defaultLimit: number;
  /** Largest `limit` accepted by queries and event reads. @default 1000 */
  maxLimit: number;
  /** Largest long-poll `wait` and wait-for-state `timeout`, milliseconds. @default 3600000 (one hour) */
  maxWaitMs: number;
  /** Default wait-for-state timeout, milliseconds (the seed's 60 s). @default 60000 */
  defaultWaitTimeoutMs: number;
  /** Longest log message, in characters. @default 8192 */
  maxMessageLength: number;
  /** Longest user name, in characters. @default 128 */
  maxUserLength: number;
  /** Largest event payload as JSON, in characters. @default 65536 */
  maxPayloadLength: number;
  /** Longest `text` filter, in characters. @default 1024 */
  maxTextLength: number;
}

/** The defaults of {@link HubLimits}. */
export const DEFAULT_LIMITS: Readonly<HubLimits> = Object.freeze({
  defaultLimit: 20,
  maxLimit: 1000,
  maxWaitMs: 3_600_000,
  defaultWaitTimeoutMs: 60_000,
  maxMessageLength: 8192,
  maxUserLength: 128,
  maxPayloadLength: 65_536,
  maxTextLength: 1024,
});

/**
 * Fills in defaults and checks the given limits: each a positive integer, of a known name, with
 * `defaultLimit <= maxLimit` and `defaultWaitTimeoutMs <= maxWaitMs`. `undefined` fields take
 * their default.
 *
 * @throws TypeError naming the limit at fault (a programming error, like any bad constructor option).
 */
export function resolveLimits(given: Partial<HubLimits> | undefined): HubLimits {
  if (given !== undefined && (given === null || typeof given !== "object" || Array.isArray(given))) {
    throw new TypeError(`limits must be an object, got ${given === null ? "null" : typeof given}`);
  }
  const defined = dropUndefined(given ?? {});
  for (const key of Object.keys(defined)) {
    // A misspelt limit would otherwise be ignored without a word.
    if (!Object.hasOwn(DEFAULT_LIMITS, key)) {
      throw new TypeError(`limits.${key} is not a known limit; known limits: ${Object.keys(DEFAULT_LIMITS).join(", ")}`);
    }
  }
  const limits: HubLimits = { ...DEFAULT_LIMITS, ...defined };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`limits.${key} must be a positive integer, got ${String(value)}`);
    }
  }
  if (limits.defaultLimit > limits.maxLimit) {
    throw new TypeError(`limits.defaultLimit (${limits.defaultLimit}) must not exceed limits.maxLimit (${limits.maxLimit})`);
  }
  if (limits.defaultWaitTimeoutMs > limits.maxWaitMs) {
    throw new TypeError(
      `limits.defaultWaitTimeoutMs (${limits.defaultWaitTimeoutMs}) must not exceed limits.maxWaitMs (${limits.maxWaitMs})`,
    );
  }
  return limits;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
