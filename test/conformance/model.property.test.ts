/**
 * The suite's reference model folds text exactly as the library does (`foldAsciiCase`,
 * `textMatcher`, which the stores agree with): ASCII letters only, so `ſ`, the Kelvin sign,
 * `İ`, `ß` and the rest equal only themselves.
 */
import { fc, test } from "@fast-check/vitest";
import { foldAsciiCase, textMatcher } from "log-event-hub/store-kit";
import { expect } from "vitest";
import { asciiFold, textMatches } from "../../src/conformance/model.js";

const TRAPS = ["a", "A", "k", "K", "\u212A", "s", "S", "ſ", "i", "I", "İ", "ı", "é", "É", "ß", "ẞ", "σ", "Σ", "ς", "%", "_", "\\", ".", "*", "😀", "e\u0301"];
const text = fc.oneof(
  fc.array(fc.constantFrom(...TRAPS), { maxLength: 8 }).map((a) => a.join("")),
  fc.string({ unit: "grapheme", maxLength: 8 }),
);

test.prop([text], { numRuns: 500 })("asciiFold is the library's foldAsciiCase", (s) => {
  expect(asciiFold(s)).toBe(foldAsciiCase(s));
});

test.prop([text, text.filter((t) => t.length > 0)], { numRuns: 1000 })("textMatches agrees with the library's textMatcher", (message, needle) => {
  expect(textMatches(message, needle)).toBe(textMatcher(needle)(message));
});

test("the folding traps, spelled out", () => {
  expect(textMatches("5 \u212A cold", "k")).toBe(false);
  expect(textMatches("Maſs", "MASS")).toBe(false);
  expect(textMatches("İstanbul", "istanbul")).toBe(false);
  expect(textMatches("STOP", "stop")).toBe(true);
});
