import { describe, expect, it } from "vitest";
import {
  ClosedError,
  CursorExpiredError,
  ErrorCodes,
  HubError,
  httpStatusOf,
  MissingDependencyError,
  NotFoundError,
  RuntimeUnavailableError,
  StoreUnavailableError,
  toHttpError,
  ValidationError,
} from "../../src/index.js";

describe("errors", () => {
  it("carry stable codes and map to HTTP statuses", () => {
    const cases: [HubError, string, number][] = [
      [new ValidationError("bad", "limit"), "VALIDATION", 400],
      [new NotFoundError("gone"), "NOT_FOUND", 404],
      [new CursorExpiredError("old", 3, 10), "CURSOR_EXPIRED", 410],
      [new StoreUnavailableError("down"), "STORE_UNAVAILABLE", 503],
      [new RuntimeUnavailableError("down"), "RUNTIME_UNAVAILABLE", 503],
      [new ClosedError(), "CLOSED", 503],
    ];
    for (const [error, code, status] of cases) {
      expect(error).toBeInstanceOf(HubError);
      expect(error).toBeInstanceOf(Error);
      expect(error.code).toBe(code);
      expect(httpStatusOf(error)).toBe(status);
      const param = error instanceof ValidationError ? { param: error.param } : {};
      expect(toHttpError(error)).toEqual({ status, body: { error: { code, message: error.message, ...param } } });
    }
  });

  it("name the parameter at fault only when there is one", () => {
    expect(toHttpError(new ValidationError("bad", "time_end")).body.error.param).toBe("time_end");
    expect("param" in toHttpError(new ValidationError("bad")).body.error).toBe(false);
  });

  it("hide unexpected errors behind a generic 500", () => {
    const leaky = new Error('relation "secret" does not exist at /home/app/db.ts:12');
    expect(toHttpError(leaky)).toEqual({ status: 500, body: { error: { code: ErrorCodes.INTERNAL, message: "Internal error" } } });
    expect(toHttpError(new MissingDependencyError("pg", "log-event-hub/postgres")).body.error.message).toBe("Internal error");
  });

  it("name the package to install when a driver is missing", () => {
    const error = new MissingDependencyError("better-sqlite3", "log-event-hub/sqlite");
    expect(error.code).toBe("MISSING_DEPENDENCY");
    expect(error.message).toContain("npm install better-sqlite3");
  });
});

describe("reasonOf: the reason a wrapping error's message carries (issue 19)", () => {
  it("names errno and SQLite codes in words, with the code", async () => {
    const { reasonOf } = await import("../../src/reason.js");
    expect(reasonOf(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe("no such file or folder (ENOENT)");
    expect(reasonOf(Object.assign(new Error("x"), { code: "SQLITE_IOERR_WRITE" }))).toBe("a disk I/O error (SQLITE_IOERR_WRITE)");
    expect(reasonOf(Object.assign(new Error("x"), { code: "E_SOMETHING_ELSE" }))).toBe("E_SOMETHING_ELSE");
  });

  it("without a code: the first line of the error's message, bounded; never empty", async () => {
    const { reasonOf } = await import("../../src/reason.js");
    expect(reasonOf(new Error("socket hang up\n    at stack"))).toBe("socket hang up");
    expect(reasonOf(new Error("x".repeat(500)))).toHaveLength(160);
    expect(reasonOf(new TypeError(""))).toBe("an unexpected TypeError");
    expect(reasonOf(undefined)).toBe("an unexpected failure");
  });
});
