#!/usr/bin/env node
// Per-module mutation scores, leaving out the mutants listed as equivalent in
// stryker.equivalent.md. Fails (exit 1) when a module detects less than 90% of its
// non-equivalent mutants, or when a mutant survives that is neither killed nor listed.
// Reads Stryker's JSON report (reports/mutation/mutation.json); run after `stryker run`.
import { readFileSync } from "node:fs";

const REPORT = process.argv[2] ?? "reports/mutation/mutation.json";
const EQUIVALENT = "stryker.equivalent.md";
const MIN_SCORE = 90;

const report = JSON.parse(readFileSync(REPORT, "utf8"));

// Rows of the equivalence table: | `src/file.ts:line:column` | Mutator | replacement | reason |
const equivalent = new Map();
for (const line of readFileSync(EQUIVALENT, "utf8").split("\n")) {
  const match = /^\|\s*`([^`]+:\d+:\d+)`\s*\|\s*(\w+)\s*\|/.exec(line);
  if (match) equivalent.set(`${match[1]} ${match[2]}`, line);
}

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);
const rows = [];
const unexplained = [];
const stale = new Set(equivalent.keys());
let failed = false;

for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  let detected = 0;
  let undetected = 0;
  let listed = 0;
  for (const mutant of mutants) {
    const key = `${file}:${mutant.location.start.line}:${mutant.location.start.column} ${mutant.mutatorName}`;
    if (DETECTED.has(mutant.status)) detected++;
    if (!UNDETECTED.has(mutant.status)) continue;
    if (equivalent.has(key)) {
      listed++;
      stale.delete(key);
    } else {
      undetected++;
      unexplained.push(`${key} -> ${JSON.stringify(mutant.replacement ?? "")} (${mutant.status})`);
    }
  }
  const total = detected + undetected;
  const score = total === 0 ? 100 : (100 * detected) / total;
  if (score < MIN_SCORE) failed = true;
  rows.push(`| ${file} | ${mutants.length} | ${listed} | ${detected}/${total} | ${score.toFixed(1)}% |`);
}

console.log("| file | mutants | equivalent | detected | score |\n| --- | --- | --- | --- | --- |");
console.log(rows.join("\n"));
if (unexplained.length > 0) {
  console.log(`\n${unexplained.length} surviving mutant(s) neither killed nor listed in ${EQUIVALENT}:`);
  for (const line of unexplained) console.log(`  ${line}`);
  failed = true;
}
// An entry whose mutant is now killed (or whose line moved) should be removed or updated.
const staleInReport = [...stale].filter((key) => Object.keys(report.files).some((file) => key.startsWith(`${file}:`)));
if (staleInReport.length > 0) {
  console.log(`\n${staleInReport.length} entr(ies) of ${EQUIVALENT} match no surviving mutant (killed now, or the line moved):`);
  for (const key of staleInReport) console.log(`  ${key}`);
}
if (failed) {
  console.log(`\nFAILED: every module must detect at least ${MIN_SCORE}% of its non-equivalent mutants, and every survivor must be killed or listed.`);
  process.exit(1);
}
