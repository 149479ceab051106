import { describe, expect, it } from "vitest";
import { checkCharacters, forbiddenCharacter, ValidationError } from "../../src/index.js";
import { foldAsciiCase, textMatcher } from "log-event-hub/store-kit";

const hex = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;

describe("forbiddenCharacter", () => {
  it("refuses every C0 control but tab, line feed and carriage return in multi-line text", () => {
    for (let code = 0; code < 0x20; code++) {
      const c = String.fromCharCode(code);
      const allowed = c === "\t" || c === "\n" || c === "\r";
      expect([hex(c), forbiddenCharacter(`a${c}b`)]).toEqual([hex(c), allowed ? undefined : c]);
    }
  });

  it("refuses every C0 control, tab and line breaks included, in single-line text", () => {
    for (let code = 0; code < 0x20; code++) {
      const c = String.fromCharCode(code);
      expect([hex(c), forbiddenCharacter(`a${c}b`, "singleLine")]).toEqual([hex(c), c]);
    }
  });

  it("allows space, DEL, C1 controls and any paired surrogate", () => {
    for (const kind of ["multiLine", "singleLine"] as const) {
      expect(forbiddenCharacter(" \u007F\u0085\u00A0\u{1F600}\uFFFF", kind)).toBeUndefined();
    }
  });

  it("refuses an unpaired surrogate wherever it stands", () => {
    for (const kind of ["multiLine", "singleLine"] as const) {
      expect(forbiddenCharacter("a\uD800", kind)).toBe("\uD800");
      expect(forbiddenCharacter("\uD800b", kind)).toBe("\uD800");
      expect(forbiddenCharacter("\uDC00b", kind)).toBe("\uDC00");
      expect(forbiddenCharacter("a\uDFFF", kind)).toBe("\uDFFF");
      expect(forbiddenCharacter("\uDBFF\uDBFF\uDC00", kind)).toBe("\uDBFF");
      expect(forbiddenCharacter("\uD800\uDC00\uDC00", kind)).toBe("\uDC00");
    }
  });

  it("gives the first character it refuses", () => {
    expect(forbiddenCharacter("ok\u0001\u0002")).toBe("\u0001");
    expect(forbiddenCharacter("")).toBeUndefined();
  });
});

describe("checkCharacters", () => {
  function refusal(value: string, param: string, kind?: "multiLine" | "singleLine"): [string | undefined, string] {
    try {
      checkCharacters(value, param, kind);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return [(error as ValidationError).param, (error as ValidationError).message];
    }
    throw new Error("accepted");
  }

  it("returns the value when every character is allowed", () => {
    expect(checkCharacters("line 1\nline 2", "message")).toBe("line 1\nline 2");
    expect(checkCharacters("Anonymous", "user", "singleLine")).toBe("Anonymous");
  });

  it("names the parameter as the caller spelled it and the character's code point", () => {
    expect(refusal("a\u001Fb", "text")).toEqual(["text", `"text" contains a control character (U+001F), which is not allowed`]);
    expect(refusal("a\nb", "user", "singleLine")).toEqual(["user", `"user" contains a control character (U+000A), which is not allowed`]);
    expect(refusal("\u001B[31m", "message")).toEqual(["message", `"message" contains a control character (U+001B), which is not allowed`]);
  });

  it("says when the character is an unpaired surrogate", () => {
    expect(refusal("x\uD83D", "message")).toEqual(["message", `"message" contains an unpaired surrogate (U+D83D), which is not allowed`]);
    expect(refusal("\uD800", "user", "singleLine")).toEqual(["user", `"user" contains an unpaired surrogate (U+D800), which is not allowed`]);
    expect(refusal("\uDE00", "text")).toEqual(["text", `"text" contains an unpaired surrogate (U+DE00), which is not allowed`]);
  });
});

describe("ASCII case folding and the text filter", () => {
  it("folds A-Z only", () => {
    expect(foldAsciiCase("ABC xyz ÄÖÜ İ \u212A")).toBe("abc xyz ÄÖÜ İ \u212A");
    expect(foldAsciiCase("already lower")).toBe("already lower");
    expect(foldAsciiCase("ABC")).toBe("abc");
    expect(foldAsciiCase("MiXeD CaSe @[`{")).toBe("mixed case @[`{");
  });

  it("matches a literal substring ignoring ASCII case only", () => {
    const matches = textMatcher("Start CONTAINER");
    expect(matches("start container (lxc, utest)")).toBe(true);
    expect(matches("START CONTAINER")).toBe(true);
    expect(matches("Stop container")).toBe(false);
    expect(textMatcher("straße")("STRASSE")).toBe(false);
    expect(textMatcher("ſ")("s")).toBe(false);
    expect(textMatcher("k")("\u212A")).toBe(false); // Kelvin sign
    expect(textMatcher("50%_x")("got 50%_X done")).toBe(true);
    expect(textMatcher("50%_x")("got 50%yx done")).toBe(false);
  });
});
