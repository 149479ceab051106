/**
 * The package root exports what hosts use; internal helpers stay out of it (the store kit and
 * the modules themselves hold them).
 */
import { describe, expect, it } from "vitest";
import * as root from "log-event-hub";
import * as kit from "log-event-hub/store-kit";

describe("the root export", () => {
  it("keeps what hosts and the guides use", () => {
    for (const name of [
      "LogEventHub",
      "MemoryStore",
      "CompositeRuntime",
      "BackgroundTaskError",
      "BackgroundErrorCodes",
      "HubError",
      "ErrorCodes",
      "toHttpError",
      "DEFAULT_LIMITS",
      "parseLogQuery",
      "parseEventQuery",
      "parseWaitQuery",
      "parseStreamQuery",
      "checkCharacters",
      "forbiddenCharacter",
      "toLogJson",
      "toEventPageJson",
      "formatEventMessage",
      "parseEventMessage",
      "createApiHandler",
      "exportCsv",
    ]) {
      expect(root, name).toHaveProperty(name);
    }
  });

  it("leaves internal helpers out", () => {
    for (const name of [
      "normalizeFilter",
      "normalizeLevel",
      "normalizeLevels",
      "normalizeCategory",
      "normalizeCategories",
      "knownCategories",
      "checkInteger",
      "refuseEmptyFilterParams",
      "LOG_FILTER_PARAMS",
      "resolveLimits",
      "systemClock",
      "toSeconds",
      "toMicros",
      "textMatcher",
      "foldAsciiCase",
      "escapeLike",
    ]) {
      expect(name in root, name).toBe(false);
    }
  });

  it("the store kit holds the store author's helpers", () => {
    expect(Object.keys(kit).sort()).toEqual(
      [
        "ALL_USERS",
        "columnNumber",
        "compileLogFilter",
        "escapeLike",
        "foldAsciiCase",
        "forbiddenCharacter",
        "isVisible",
        "likePattern",
        "logFilterPredicate",
        "logRecordFromColumns",
        "sqlCount",
        "storedEventFromColumns",
        "textMatcher",
        "toLogRecord",
        "toStoredEvent",
        "visibleUsers",
      ].sort(),
    );
  });
});
