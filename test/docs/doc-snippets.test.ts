/**
 * The docs harness (issue 19): extraction, markers, output comparison, and the page rules over
 * the real README.md and docs/*.md. The blocks themselves run in `npm run test:docs` (CI's
 * doc-snippets job), against the packed package.
 */
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error a plain ESM script without declarations
import { linkProblems, outputMatches, pageProblems, planPage } from "../../scripts/doc-snippets.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

const page = [
  "```sh",
  "npm install log-event-hub express",
  "```",
  "",
  "<!-- doc-test: partial -->",
  "```ts",
  "app.use(x);",
  "```",
  "",
  "```ts",
  'import express from "express";',
  'console.log("hi");',
  "```",
  "",
  "<!-- doc-test: output -->",
  "```text",
  "hi",
  "```",
  "",
  "<!-- doc-test: server GET /a POST /b -->",
  "```js",
  'import Koa from "koa";',
  "```",
  "",
  "```text",
  "not an output: no marker",
  "```",
].join("\n");

describe("doc snippets: extraction and markers", () => {
  it("plans code blocks, attaches output blocks, reads server requests", () => {
    const { planned, problems, installs } = planPage("docs/x.md", page);
    expect(problems).toEqual([]);
    expect(planned.map((b: { id: string; partial: boolean }) => [b.id, b.partial])).toEqual([
      ["docs/x.md:6", true],
      ["docs/x.md:10", false],
      ["docs/x.md:21", false],
    ]);
    expect(planned[1].output).toBe("hi\n");
    expect(planned[2].requests).toEqual([
      { method: "GET", path: "/a" },
      { method: "POST", path: "/b" },
    ]);
    expect([...installs]).toEqual(["log-event-hub", "express"]);
    // express needs @types/express named; koa is not named at all.
    expect(pageProblems("docs/x.md", planned, installs)).toEqual([
      "docs/x.md:10: imports need `@types/express`, but no `npm install` line of docs/x.md names it",
      "docs/x.md:21: imports need `koa`, but no `npm install` line of docs/x.md names it",
      "docs/x.md:21: imports need `@types/koa`, but no `npm install` line of docs/x.md names it",
    ]);
  });

  it("refuses unknown markers and output blocks with nothing before them", () => {
    const { problems } = planPage("docs/y.md", "<!-- doc-test: output -->\n```text\nx\n```\n<!-- doc-test: skip -->\n```ts\n1\n```\n");
    expect(problems).toEqual([
      "docs/y.md:2: an output block with no code block before it",
      'docs/y.md:6: unknown marker "doc-test: skip"',
    ]);
  });

  it("compares output exactly, with CRLF as LF and … for any text within a line", () => {
    expect(outputMatches("Date\n…,INFO,x\n", "Date\r\n2026-12-02 03:00:00.000001,INFO,x\r\n")).toBe(true);
    expect(outputMatches("a (b) [c]\n", "a (b) [c]\n")).toBe(true);
    expect(outputMatches("…,INFO\n", "one\ntwo,INFO\n")).toBe(false); // … stays within a line
    expect(outputMatches("[]\n", "[ 1 ]\n")).toBe(false);
    expect(outputMatches("x\n", "x\ny\n")).toBe(false);
  });

  it("link rules: the README's links are absolute, guides stay in docs/, repository paths name the repository", () => {
    expect(linkProblems("README.md", "see [a](docs/a.md) and [b](#b)")).toEqual([
      'README.md: link "docs/a.md" is relative: the registry\'s page cannot follow it; use https://github.com/log-event-hub/log-event-hub/blob/main/...',
    ]);
    expect(linkProblems("docs/a.md", "[b](b.md#x) [c](../c.md) in `src/hub.ts`")).toEqual([
      'docs/a.md: link "../c.md" leaves docs/, which is all the package ships; use an absolute URL',
      "docs/a.md: cites repository paths (`src/...`) but never names https://github.com/log-event-hub/log-event-hub",
    ]);
  });
});

describe("doc snippets: the real pages", () => {
  it("follow the rules (imports installed, markers known, links that work from the package), with few partial blocks", () => {
    const out = execFileSync(process.execPath, [join(root, "scripts/doc-snippets.mjs"), "--check"], { cwd: root, encoding: "utf8" });
    const [, blocks, partial] = /(\d+) code blocks in \d+ pages, (\d+) marked partial/.exec(out) ?? [];
    expect(Number(blocks)).toBeGreaterThan(20);
    expect(Number(partial)).toBeLessThanOrEqual(4);
  });
});
