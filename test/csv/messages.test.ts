// What a caller of the CSV export reads when an option is refused, and the Date column at the
// edges of its range.
import { describe, expect, it } from "vitest";
import { createTimestampFormatter, escapeFormula, exportCsv, MemoryStore, resolveTimeZone, ValidationError, type CsvExportOptions } from "../../src/index.js";

function refusal(fn: () => unknown): [string | undefined, string] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return [(error as ValidationError).param, (error as ValidationError).message];
  }
  throw new Error("expected a ValidationError");
}

describe("exportCsv options: messages", () => {
  const csv = (options: CsvExportOptions) => () => exportCsv(new MemoryStore(), {}, options);

  it("names each refused option", () => {
    expect(refusal(csv({ signal: {} as AbortSignal }))).toEqual(["signal", `"signal" must be an AbortSignal`]);
    expect(refusal(csv({ escapeFormulae: "no" as unknown as boolean }))).toEqual(["escapeFormulae", `"escapeFormulae" must be a boolean`]);
    expect(refusal(csv({ bom: 1 as unknown as boolean }))).toEqual(["bom", `"bom" must be a boolean`]);
    expect(refusal(csv({ limit: 0 }))).toEqual(["limit", `"limit" must be an integer between 1 and ${Number.MAX_SAFE_INTEGER}, got 0`]);
    expect(refusal(csv({ batchSize: 100_001 }))).toEqual(["batchSize", `"batchSize" must be an integer between 1 and 100000, got 100001`]);
    expect(refusal(csv({ timeZone: "Mars/Olympus" }))).toEqual(["timeZone", `Unknown time zone "Mars/Olympus"`]);
  });

  it("accepts the largest batch size and booleans either way", async () => {
    const rows: string[] = [];
    for await (const chunk of exportCsv(new MemoryStore(), {}, { batchSize: 100_000, bom: false, escapeFormulae: false })) rows.push(chunk);
    expect(rows).toEqual(["Date,Level,Category,User,Message\r\n"]);
  });
});

describe("resolveTimeZone", () => {
  it("gives the canonical spelling, and names the parameter it was given under", () => {
    expect(resolveTimeZone("utc")).toBe("UTC");
    expect(resolveTimeZone("europe/berlin")).toBe("Europe/Berlin");
    expect(refusal(() => resolveTimeZone(""))).toEqual(["timeZone", `"timeZone" must be an IANA time zone name such as "Europe/Berlin"`]);
    expect(refusal(() => resolveTimeZone(5, "tz"))).toEqual(["tz", `"tz" must be an IANA time zone name such as "Europe/Berlin"`]);
    expect(refusal(() => resolveTimeZone("Nowhere/Land", "tz"))).toEqual(["tz", `Unknown time zone "Nowhere/Land"`]);
  });
});

describe("the Date column at the edges", () => {
  it("pads every field to its width, in UTC by default", () => {
    const format = createTimestampFormatter();
    expect(format(0)).toBe("1970-01-01 00:00:00.000000");
    expect(format(Date.UTC(2015, 2, 7, 9, 8, 7) * 1000 + 5)).toBe("2015-03-07 09:08:07.000005");
    expect(format(Date.UTC(2015, 9, 10, 10, 10, 10) * 1000 + 999_999)).toBe("2015-10-10 10:10:10.999999");
    expect(format(Date.UTC(2015, 11, 31, 23, 59, 59) * 1000 + 100_000)).toBe("2015-12-31 23:59:59.100000");
  });

  it("writes years below 1000 with four digits and years from 10000 on in full", () => {
    const format = createTimestampFormatter("UTC");
    expect(format(Date.UTC(999, 0, 1) * 1000)).toBe("0999-01-01 00:00:00.000000");
    expect(format(new Date("0050-06-01T12:00:00Z").getTime() * 1000)).toBe("0050-06-01 12:00:00.000000");
    expect(format(Date.UTC(9999, 11, 31, 23, 59, 59) * 1000)).toBe("9999-12-31 23:59:59.000000");
    expect(format(new Date("+010000-01-01T00:00:00Z").getTime() * 1000)).toBe("10000-01-01 00:00:00.000000");
  });

  it("keeps the year of an instant in the first century in a zone with an offset", () => {
    // Date.UTC reads years 0..99 as 1900..1999; the offset must not be off by a few centuries.
    const format = createTimestampFormatter("Asia/Tokyo");
    const us = new Date("0050-06-01T12:00:00Z").getTime() * 1000;
    expect(format(us)).toMatch(/^0050-06-01 21:(1[89]|00):\d\d\.000000$/);
  });

  it("does not reuse the previous row's day for a row of another day", () => {
    const format = createTimestampFormatter("UTC");
    const day = 86_400_000_000;
    expect(format(day - 1)).toBe("1970-01-01 23:59:59.999999");
    expect(format(day)).toBe("1970-01-02 00:00:00.000000");
    expect(format(day - 1)).toBe("1970-01-01 23:59:59.999999");
  });

  it("refuses an unknown zone at once", () => {
    expect(refusal(() => createTimestampFormatter("Nowhere/Land"))).toEqual(["timeZone", `Unknown time zone "Nowhere/Land"`]);
  });
});

describe("escapeFormula", () => {
  it("prefixes exactly the six triggers, only in first place", () => {
    for (const c of ["=", "+", "-", "@", "\t", "\r"]) expect(escapeFormula(`${c}x`)).toBe(`'${c}x`);
    for (const v of ["x=1", " =1", "", "'=1", "\n=1", "a\n=1"]) expect(escapeFormula(v)).toBe(v);
    expect(escapeFormula("=1\n+2")).toBe("'=1\n+2");
  });
});
