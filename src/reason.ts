/**
 * The reason of a failure in a few words, for the message of the `HubError` that wraps it
 * (issue 19: a message carries its reason, not only its `cause`). Built from the error's code
 * (errno, `SQLITE_*`) in the library's words; an error without a code gives the first line of
 * its own message. Internal: not exported from the package.
 *
 * @module
 */

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: "no such file or folder",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on the device",
  ENOTDIR: "a part of the path is a file, not a folder",
  EISDIR: "the path is a folder",
  EEXIST: "the path already exists",
  EMFILE: "too many open files",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "timed out",
  SQLITE_CANTOPEN: "the file cannot be opened (a missing folder, no permission, or a folder at that path)",
  SQLITE_READONLY: "the file or its folder is read-only",
  SQLITE_FULL: "the disk is full",
  SQLITE_IOERR: "a disk I/O error",
  SQLITE_PERM: "permission denied",
  SQLITE_NOMEM: "out of memory",
  SQLITE_AUTH: "not authorised",
  SQLITE_PROTOCOL: "a locking protocol error",
  SQLITE_NOLFS: "the file is too large for this system",
  SQLITE_RANGE: "a parameter out of range",
  SQLITE_CONSTRAINT: "a constraint failed",
  SQLITE_MISMATCH: "a data type mismatch",
  SQLITE_TOOBIG: "a string or blob too large",
  SQLITE_INTERRUPT: "the statement was interrupted",
  SQLITE_ABORT: "the statement was aborted",
  SQLITE_SCHEMA: "the schema changed",
  SQLITE_ERROR: "an SQL error",
};

const MAX_TEXT = 160;

/** `"phrase (CODE)"`, `"CODE"`, or the first line of the error's message; never empty. */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === "string" && code !== "") {
    const phrase = REASONS[code] ?? REASONS[code.split("_").slice(0, 2).join("_")]; // SQLITE_IOERR_WRITE
    return phrase === undefined ? code : `${phrase} (${code})`;
  }
  const message = error instanceof Error ? error.message : typeof error === "string" ? error : "";
  const line = message.split("\n", 1)[0]!.trim();
  if (line === "") return error instanceof Error ? `an unexpected ${error.name}` : "an unexpected failure";
  return line.length > MAX_TEXT ? `${line.slice(0, MAX_TEXT - 1)}…` : line;
}
