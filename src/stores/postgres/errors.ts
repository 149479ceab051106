/**
 * Driver errors -> {@link HubError}s. Messages name the failure class and SQLSTATE only: never
 * the statement, its parameters, the server's detail text or the connection string.
 *
 * @module
 */
import { HubError, IncompatibleStoreError, QueryTimeoutError, StoreUnavailableError } from "../../errors.js";

/** Node network error codes that mean "cannot reach the server". */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
]);

/** SQLSTATE classes and codes that mean the connection is unusable, not the statement wrong. */
function isConnectionState(sqlState: string): boolean {
  return (
    sqlState.startsWith("08") || // connection exception
    sqlState.startsWith("28") || // invalid authorization
    sqlState.startsWith("57P") || // operator intervention: shutdown, terminated, cannot connect now
    sqlState === "53300" || // too many connections
    sqlState === "3D000" // database does not exist
  );
}

/** True when an error means the connection (not the statement) failed. */
export function isConnectionError(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (NETWORK_CODES.has(code) || isConnectionState(code))) return true;
  const message = (error as { message?: unknown }).message;
  // `pg` raises these without a code when a socket closes or a connect attempt times out.
  return (
    typeof message === "string" &&
    /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable/i.test(
      message,
    )
  );
}

/**
 * Wraps anything a driver threw as a {@link HubError}; `HubError`s pass through unchanged.
 * `budgetMs` is the store's statement budget, reported by a `QUERY_TIMEOUT` (0: none set).
 */
export function toHubError(error: unknown, action: string, budgetMs = 0): HubError {
  if (error instanceof HubError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (isConnectionError(error)) {
    const why = typeof code === "string" ? ` (${code})` : "";
    return new StoreUnavailableError(`PostgreSQL is unreachable while trying to ${action}${why}`, { cause: error });
  }
  if (code === "57014") {
    // query_canceled: statement_timeout (queryTimeoutMs), or an administrator's pg_cancel_backend.
    return new QueryTimeoutError(
      `PostgreSQL cancelled the statement to ${action}: it ran past the store's time budget (queryTimeoutMs) or was cancelled`,
      budgetMs,
      { cause: error },
    );
  }
  if (code === "42P01" || code === "42703") {
    // Undefined table or column: someone dropped or altered the schema under us.
    return new IncompatibleStoreError(`The PostgreSQL schema does not match this version while trying to ${action}`, {
      cause: error,
    });
  }
  const why = typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : "";
  return new StoreUnavailableError(`PostgreSQL refused to ${action}${why}`, { cause: error });
}
