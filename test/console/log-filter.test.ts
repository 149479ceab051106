/**
 * The Log screen's view in the URL (console/src/log-filter.ts) and its times
 * (console/src/time.ts): a view survives the URL unchanged, anything else in the URL falls back
 * to defaults without throwing, and the API gets the same filter for the page and the CSV.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { CATEGORIES, filterQuery, LEVELS, PAGE_SIZES, pageQuery, viewFromParams, viewToParams, type LogView } from "../../console/src/log-filter.js";
import { formatTime, fromInputValue, toInputValue } from "../../console/src/time.js";

const subset = <T>(values: readonly T[]) => fc.subarray([...values]);
const viewArb: fc.Arbitrary<LogView> = fc.record({
  from: fc.option(fc.integer({ min: 0, max: 4_102_444_800 }), { nil: undefined }),
  to: fc.option(fc.integer({ min: 0, max: 4_102_444_800 }), { nil: undefined }),
  levels: subset(LEVELS),
  categories: subset(CATEGORIES),
  user: fc.string({ maxLength: 12 }),
  text: fc.string({ maxLength: 12 }),
  utc: fc.boolean(),
  page: fc.integer({ min: 1, max: 10_000 }),
  size: fc.constantFrom(...PAGE_SIZES),
});

describe("the Log screen's URL", () => {
  test.prop([viewArb])("a view comes back from its URL unchanged", (view) => {
    const url = `#/log?${viewToParams(view).toString()}`;
    expect(viewFromParams(new URLSearchParams(url.split("?")[1]))).toEqual(view);
  });

  test.prop([fc.dictionary(fc.constantFrom("from", "to", "level", "category", "user", "text", "utc", "page", "size", "x"), fc.string({ maxLength: 10 }))])(
    "anything else in the URL gives a usable view, never a throw",
    (record) => {
      const view = viewFromParams(new URLSearchParams(record));
      expect(view.page).toBeGreaterThanOrEqual(1);
      expect(PAGE_SIZES).toContain(view.size);
      for (const t of [view.from, view.to]) if (t !== undefined) expect(Number.isSafeInteger(t) && t >= 0).toBe(true);
    },
  );

  it("sends the same filter for a page and for the CSV, paging only the page", () => {
    const view = viewFromParams(new URLSearchParams("from=100&to=200&level=warn,ERROR&category=container&user=bob&text=a b&page=3&size=50"));
    expect(filterQuery(view).toString()).toBe("time_start=100&time_end=200&level=WARN%2CERROR&category=container&user=bob&text=a+b");
    expect(pageQuery(view).toString()).toBe(`${filterQuery(view).toString()}&limit=50&offset=100`);
    expect(pageQuery(viewFromParams(new URLSearchParams())).toString()).toBe("limit=20");
  });

  it("refuses page numbers and sizes it does not offer, falling back to the first page of 20", () => {
    expect(viewFromParams(new URLSearchParams("page=0&size=7"))).toMatchObject({ page: 1, size: 20 });
    expect(viewFromParams(new URLSearchParams("page=-2&size=1e2"))).toMatchObject({ page: 1, size: 20 });
    expect(viewFromParams(new URLSearchParams("from=1.5&to=abc"))).toMatchObject({ from: undefined, to: undefined });
  });
});

describe("the console's times", () => {
  test.prop([fc.integer({ min: 0, max: 4_102_444_800 }), fc.boolean()])("an input's value reads back as the same second", (seconds, utc) => {
    expect(fromInputValue(toInputValue(seconds, utc), utc)).toBe(seconds);
  });

  it("shows UTC as UTC, and reads a value without seconds as its first second", () => {
    expect(formatTime(1_426_613_226, true)).toBe("2015-03-17 17:27:06");
    expect(fromInputValue("2015-03-17T17:27", true)).toBe(1_426_613_220);
    expect(fromInputValue("", true)).toBeUndefined();
    expect(fromInputValue("not a time", false)).toBeUndefined();
  });
});
