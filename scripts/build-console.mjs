#!/usr/bin/env node
// Builds the web console (console/) into static files: console.js (one minified script, no
// dependencies), console.css and index.html. `npm run build` writes them to dist/console, where
// `log-event-hub/console` serves them from; tests and the bench build into folders of their own.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, transform } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the console into `outDir` (default dist/console); resolves with the files written. */
export async function buildConsole(outDir = join(root, "dist", "console")) {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, "console", "src", "main.ts")],
    outfile: join(outDir, "console.js"),
    bundle: true,
    minify: true,
    format: "iife",
    target: ["chrome110", "firefox110", "safari16"],
    legalComments: "none",
    logLevel: "warning",
  });
  const css = await transform(readFileSync(join(root, "console", "style.css"), "utf8"), { loader: "css", minify: true });
  writeFileSync(join(outDir, "console.css"), css.code);
  copyFileSync(join(root, "console", "index.html"), join(outDir, "index.html"));
  return ["index.html", "console.js", "console.css"].map((name) => join(outDir, name));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await buildConsole(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`console built: ${files.join(", ")}`);
}
