#!/usr/bin/env node
// Docs that run (issue 19): every fenced ts/js block of README.md and docs/*.md is a test.
//
//   node scripts/doc-snippets.mjs            pack, install, type-check (tsc --strict), run, compare
//   node scripts/doc-snippets.mjs --list     the blocks and what is done with each
//   node scripts/doc-snippets.mjs --check    extraction and the page rules only (no install)
//   ... --only <regex>                       the blocks whose id (page:line) matches
//
// The blocks are written as modules of one fresh ESM project (`type: module`, tsc `--strict`,
// `module: nodenext`) into which the packed tarball (`npm pack`, needs `npm run build`) is
// installed with the peers and @types packages the pages tell the reader to install. The
// install is cached under .tmp/doc-snippets (keyed on the dependency list; the package itself
// is swapped in from the new tarball on every run), from the local npm cache
// (`--prefer-offline`): nothing but the npm registry is reached, and only on the first run.
// See docs/testing.md ("Docs that run") for the markers and the rules.
//
// Environment: LEH_PG_URL (default postgres://postgres@127.0.0.1:5432/test) is handed to the
// blocks as DATABASE_URL; LEH_DOCKER_SOCKET (or .tmp/podman/socket) as DOCKER_HOST;
// LEH_LXD_SOCKET (or .tmp/lxd/socket) as LXD_SOCKET, holding the LXD tests' daemon lock under
// LEH_LXD_STATE_DIR (default .tmp/lxd) while blocks run; DOC_SNIPPETS_JOBS (default 2) blocks run
// at once.
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const only = args.includes("--only") ? new RegExp(args[args.indexOf("--only") + 1]) : undefined;
const work = join(root, ".tmp", "doc-snippets");
const pages = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const RUN_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Extraction

const CODE_LANGS = new Set(["ts", "typescript", "js", "javascript"]);
const MARKER = /^<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;

/** Every fenced block of a page, with the doc-test markers on the lines right above it. */
export function extractBlocks(page, text) {
  const lines = text.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```+\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = lines[i].trim().match(/^`+/)[0];
    const start = i;
    const body = [];
    for (i++; i < lines.length && lines[i].trim() !== fence; i++) body.push(lines[i].slice(open[1].length));
    const markers = [];
    for (let j = start - 1; j >= 0; j--) {
      const m = MARKER.exec(lines[j].trim());
      if (m) markers.unshift(m[1]);
      else if (lines[j].trim() !== "" || markers.length > 0) break;
    }
    blocks.push({ page, line: start + 1, lang: open[2].toLowerCase(), code: body.join("\n"), markers });
  }
  return blocks;
}

/** The blocks to test: code blocks with what to do, output blocks attached to their code block. */
export function planPage(page, text) {
  const blocks = extractBlocks(page, text);
  const planned = [];
  const problems = [];
  let last;
  for (const block of blocks) {
    const kinds = block.markers.map((m) => m.split(/\s+/)[0]);
    for (const kind of kinds) {
      if (!["partial", "output", "server"].includes(kind)) problems.push(`${page}:${block.line}: unknown marker "doc-test: ${kind}"`);
    }
    if (kinds.includes("output")) {
      if (!last) problems.push(`${page}:${block.line}: an output block with no code block before it`);
      else last.output = block.code.endsWith("\n") ? block.code : `${block.code}\n`;
      continue;
    }
    if (!CODE_LANGS.has(block.lang)) continue;
    const id = `${page}:${block.line}`;
    const server = block.markers.find((m) => m.startsWith("server"));
    const entry = {
      id,
      page,
      line: block.line,
      code: block.code,
      partial: kinds.includes("partial"),
      requests: server ? parseRequests(server, id, problems) : undefined,
    };
    planned.push(entry);
    last = entry.partial ? undefined : entry;
  }
  return { planned, problems, installs: installedPackages(blocks, text) };
}

function parseRequests(marker, id, problems) {
  const words = marker.split(/\s+/).slice(1);
  const requests = [];
  for (let i = 0; i < words.length; i += 2) {
    if (!/^(GET|POST|PUT|DELETE)$/.test(words[i] ?? "") || !words[i + 1]?.startsWith("/")) {
      problems.push(`${id}: "doc-test: server" takes METHOD /path pairs, got "${marker}"`);
      return [];
    }
    requests.push({ method: words[i], path: words[i + 1] });
  }
  return requests;
}

/** Packages named by `npm install` commands: in the page's shell blocks, or inline (`` `npm install pg` ``). */
function installedPackages(blocks, text) {
  const commands = [];
  for (const block of blocks) {
    if (["sh", "bash", "shell", "console"].includes(block.lang)) commands.push(...block.code.matchAll(/npm (?:install|i|add)\b([^\n#&|;]*)/g));
  }
  commands.push(...text.matchAll(/`npm (?:install|i|add)\b([^`\n]*)`/g));
  const names = new Set();
  for (const m of commands) {
    for (const word of m[1].trim().split(/\s+/)) if (word && !word.startsWith("-")) names.add(word.replace(/(?<=.)@[^/]*$/, ""));
  }
  return names;
}

/** Bare module names a block imports (`express`, `@types`-less), without node: builtins. */
function importedPackages(code) {
  const out = new Set();
  for (const m of code.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*|import\s+)["']([^"'./][^"']*)["']/g)) {
    const spec = m[1];
    if (spec.startsWith("node:")) continue;
    out.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
  }
  return out;
}

/** Peers a subpath needs that the page must tell the reader to install. */
const SUBPATH_PEERS = { "log-event-hub/postgres": "pg" };
/** Packages whose types come from DefinitelyTyped: the page must name `@types/<name>` too. */
const NEEDS_TYPES = new Set(["express", "koa"]);

const REPOSITORY = "https://github.com/log-event-hub/log-event-hub";

/**
 * The link rules (the package ships README.md and docs/*.md; the registry shows the README):
 * README links are absolute (or anchors); a guide links only to other guides, anchors or
 * absolute URLs; a page that cites repository paths (`src/...`) names the repository's URL.
 */
export function linkProblems(page, text) {
  const problems = [];
  const prose = text.replace(/^(\s*)(```+)[^\n]*\n[\s\S]*?^\1\2\s*$/gm, "");
  for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = m[1];
    if (/^(https?:|mailto:|#)/.test(target)) continue;
    if (page === "README.md") problems.push(`${page}: link "${target}" is relative: the registry's page cannot follow it; use ${REPOSITORY}/blob/main/...`);
    else if (!/^[\w-]+\.md(#[\w-]+)?$/.test(target)) problems.push(`${page}: link "${target}" leaves docs/, which is all the package ships; use an absolute URL`);
  }
  if (/`(src|test|examples|bench|scripts)\/[^`]*`/.test(prose) && !prose.includes(REPOSITORY)) {
    problems.push(`${page}: cites repository paths (\`src/...\`) but never names ${REPOSITORY}`);
  }
  return problems;
}

/** The page rule: every package a runnable block needs is in one of the page's `npm install` lines. */
export function pageProblems(page, planned, installs) {
  const problems = [];
  for (const block of planned) {
    if (block.partial) continue;
    const needed = new Set();
    for (const name of importedPackages(block.code)) {
      if (name === "log-event-hub") continue;
      needed.add(name);
      if (NEEDS_TYPES.has(name)) needed.add(`@types/${name}`);
    }
    for (const [subpath, peer] of Object.entries(SUBPATH_PEERS)) if (block.code.includes(`"${subpath}"`)) needed.add(peer);
    if (needed.size > 0 && !installs.has("log-event-hub")) needed.add("log-event-hub");
    for (const name of needed) {
      if (!installs.has(name)) problems.push(`${block.id}: imports need \`${name}\`, but no \`npm install\` line of ${page} names it`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// The fresh project

/** Versions of the fresh project's packages: those the repository itself is tested with. */
function projectDependencies() {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
  const version = (name) => {
    const v = lock.packages[`node_modules/${name}`]?.version;
    if (!v) throw new Error(`doc-snippets: ${name} is not in package-lock.json`);
    return v;
  };
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const names = ["better-sqlite3", "pg", "ws", "express", "koa", "typescript", "@types/node", "@types/express", "@types/koa", ...Object.keys(pkg.dependencies ?? {})];
  return Object.fromEntries(names.sort().map((n) => [n, version(n)]));
}

function sh(cmd, argv, cwd, env = {}) {
  return execFileSync(cmd, argv, { cwd, encoding: "utf8", env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
}

/** Installs (once, cached) the project and swaps the freshly packed package in. */
function prepareProject() {
  const deps = projectDependencies();
  const key = createHash("sha256").update(JSON.stringify({ deps, node: process.versions.modules })).digest("hex").slice(0, 16);
  const project = join(work, "project");
  mkdirSync(work, { recursive: true });
  const packDir = mkdtempSync(join(work, "pack-"));
  const [{ filename }] = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", packDir], root));
  const tarball = join(packDir, filename);
  const stamp = join(project, ".installed");
  if (!existsSync(stamp) || readFileSync(stamp, "utf8") !== key) {
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "doc-snippets", private: true, type: "module" }, null, 2));
    const started = Date.now();
    console.log(`doc-snippets: installing the fresh project (${Object.keys(deps).length} packages, from the npm cache)`);
    sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--no-save", tarball, ...Object.entries(deps).map(([n, v]) => `${n}@${v}`)], project);
    console.log(`doc-snippets: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    writeFileSync(stamp, key);
  } else {
    // The cached install: only the package under test changes, straight from the tarball.
    const target = join(project, "node_modules", "log-event-hub");
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    sh("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], project);
  }
  rmSync(packDir, { recursive: true, force: true });
  return project;
}

/** The file name of a block in the project, and the examples it imports (copied beside it). */
function moduleName(block) {
  return `${block.page.replace(/\.md$/, "").replace(/[^\w]+/g, "_")}_L${block.line}`;
}

function exampleFor(spec) {
  const name = basename(spec).replace(/\.js$/, ".ts");
  for (const dir of readdirSync(join(root, "examples"))) {
    const candidate = join(root, "examples", dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function writeBlocks(project, blocks) {
  const src = join(project, "snippets");
  rmSync(src, { recursive: true, force: true });
  rmSync(join(project, "dist"), { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const problems = [];
  for (const block of blocks) {
    for (const m of block.code.matchAll(/from\s+["'](\.\/[^"']+)["']/g)) {
      const example = exampleFor(m[1]);
      if (example) cpSync(example, join(src, basename(example)));
      else problems.push(`${block.id}: imports ${m[1]}, which is no file of examples/`);
    }
    const isModule = /^\s*(import|export)\s/m.test(block.code);
    writeFileSync(join(src, `${moduleName(block)}.ts`), `${block.code}\n${isModule ? "" : "export {};\n"}`);
  }
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          target: "es2023",
          module: "nodenext",
          moduleResolution: "nodenext",
          outDir: "dist",
          rootDir: "snippets",
          types: ["node"],
          skipLibCheck: true, // as `tsc --init` sets it; the package test checks our declarations without it
          noEmitOnError: false,
        },
        include: ["snippets"],
      },
      null,
      2,
    ),
  );
  return problems;
}

/** `tsc --strict` over every block at once; errors are reported at their page and line. */
function typecheck(project, blocks) {
  const byModule = new Map(blocks.map((b) => [moduleName(b), b]));
  let out = "";
  try {
    sh(join(project, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.json", "--pretty", "false"], project);
  } catch (error) {
    out = String(error.stdout ?? "") || String(error.message);
  }
  const problems = [];
  for (const line of out.split("\n").filter(Boolean)) {
    const m = /^snippets\/(\w+)\.ts\((\d+),(\d+)\): (.*)$/.exec(line);
    const block = m && byModule.get(m[1]);
    problems.push(block ? `${block.page}:${block.line + Number(m[2])}: ${m[4]}` : line);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Running

function serviceEnv() {
  const read = (file) => (existsSync(file) ? readFileSync(file, "utf8").trim() : undefined);
  const docker = process.env.LEH_DOCKER_SOCKET ?? read(join(root, ".tmp/podman/socket"));
  const lxd = process.env.LEH_LXD_SOCKET ?? read(join(root, ".tmp/lxd/socket"));
  return {
    DATABASE_URL: process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    ...(docker && { DOCKER_HOST: `unix://${docker}` }),
    ...(lxd && { LXD_SOCKET: lxd }),
    PORT: "0",
  };
}

function httpRequest(url, method) {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body }));
    });
    req.setTimeout(RUN_TIMEOUT_MS, () => req.destroy(new Error("no answer")));
    req.on("error", reject);
    req.end();
  });
}

/**
 * Whether a block printed what its page shows: line ends normalised (the CSV's CRLF prints as
 * lines), and `…` in the page standing for any text within one line (times, durations).
 */
export function outputMatches(expected, actual) {
  const pattern = expected
    .split("…")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^\\n]*?");
  return new RegExp(`^${pattern}$`).test(actual.replace(/\r\n/g, "\n"));
}

/** Runs one compiled block in its own empty folder; resolves a problem string or undefined. */
function runBlock(pageDir, block, env) {
  const cwd = mkdtempSync(join(tmpdir(), "leh-doc-run-"));
  const file = join(pageDir, `${moduleName(block)}.js`);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let served;
    const finish = (problem) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolvePromise(problem);
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(`${block.id}: still running after ${RUN_TIMEOUT_MS / 1000} s\n${stderr}`);
    }, RUN_TIMEOUT_MS);
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
      const url = /https?:\/\/(?:127\.0\.0\.1|localhost|\[::1\]):(\d+)/.exec(stdout);
      if (block.requests && url && !served) served = exercise(`http://127.0.0.1:${url[1]}`, block, child);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk) => (stderr += chunk));
    child.on("close", async (code, signal) => {
      if (block.requests) {
        const problem = served ? await served : `${block.id}: the server printed no http://127.0.0.1:PORT URL`;
        return finish(problem ?? (signal === "SIGTERM" || code === 0 ? undefined : `${block.id}: exited with ${code ?? signal} on SIGTERM\n${stderr}`));
      }
      if (code !== 0) return finish(`${block.id}: exited with ${code ?? signal}\n${stderr.trim()}`);
      if (block.output !== undefined && !outputMatches(block.output, stdout)) {
        return finish(`${block.id}: printed output differs from the page\n--- the page shows\n${block.output}--- it printed\n${stdout}`);
      }
      finish(undefined);
    });
  });
}

/** Requests each route of a server block (2xx expected), then stops it with SIGTERM. */
async function exercise(base, block, child) {
  let problem;
  for (const { method, path } of block.requests) {
    try {
      const reply = await httpRequest(`${base}${path}`, method);
      if (reply.status < 200 || reply.status > 299) {
        problem = `${block.id}: ${method} ${path} answered ${reply.status}: ${reply.body.slice(0, 300)}`;
        break;
      }
      console.log(`  ${block.id}: ${method} ${path} -> ${reply.status} ${reply.type} (${reply.body.length} bytes)`);
    } catch (error) {
      problem = `${block.id}: ${method} ${path} failed: ${error.message}`;
      break;
    }
  }
  child.kill("SIGTERM");
  return problem;
}

/** One call to the container engine's API over its unix socket. */
function engine(socketPath, method, path, body) {
  return new Promise((resolvePromise, reject) => {
    const req = request({ socketPath, method, path, headers: { "Content-Type": "application/json" } }, (res) => {
      res.resume();
      res.on("end", () => resolvePromise(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * The seed's running Docker container `DockerTestAPI`, which the runtime pages wait on: created
 * on the engine (podman's test image) for the run, removed afterwards.
 */
async function seedContainer(env) {
  const socket = env.DOCKER_HOST?.replace(/^unix:\/\//, "");
  if (!socket) return async () => {};
  const name = "DockerTestAPI";
  await engine(socket, "DELETE", `/containers/${name}?force=true`);
  const created = await engine(socket, "POST", `/containers/create?name=${name}`, {
    Image: "local/busy:latest",
    Cmd: ["sh", "-c", 'trap "exit 0" TERM; while true; do sleep 1; done'],
  });
  if (created !== 201) throw new Error(`doc-snippets: could not create the container ${name} (HTTP ${created})`);
  const started = await engine(socket, "POST", `/containers/${name}/start`);
  if (started !== 204 && started !== 304) throw new Error(`doc-snippets: could not start ${name} (HTTP ${started})`);
  return async () => void (await engine(socket, "DELETE", `/containers/${name}?force=true`));
}

/**
 * Holds the LXD tests' daemon lock (test/helpers/lxd.ts: a folder with the holder's pid) while
 * the blocks run, so that no test restarts the machine-wide daemon under the LXD page's block.
 */
async function withLxdLock(fn) {
  const stateDir = process.env.LEH_LXD_STATE_DIR ?? join(root, ".tmp", "lxd");
  if (!existsSync(stateDir)) return fn();
  const lock = join(stateDir, "test.lock");
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch {
      const holder = Number(readFileSync(join(lock, "pid"), { encoding: "utf8", flag: "a+" }).trim());
      let alive = false;
      try {
        process.kill(holder, 0);
        alive = holder > 0;
      } catch {}
      if (!alive) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * One folder per page, outside the repository (so that nothing resolves from its own
 * node_modules), holding the page's compiled blocks and a node_modules with only what the page
 * tells the reader to install: a copy of the packed package (its own dependencies linked from
 * the shared install) and links to the packages its `npm install` lines name. A driver the page
 * does not install (better-sqlite3, pg, ws) is therefore missing when its blocks run, as it
 * would be for the reader.
 */
function pageFolders(project, blocks, installsByPage) {
  const shared = join(project, "node_modules");
  const folders = new Map();
  for (const page of new Set(blocks.map((b) => b.page))) {
    const dir = mkdtempSync(join(tmpdir(), "leh-doc-page-"));
    const modules = join(dir, "node_modules");
    mkdirSync(modules);
    const peers = [];
    const link = (name, peer = false) => {
      if (!existsSync(join(shared, name)) || existsSync(join(modules, name))) return;
      if (peer) peers.push(name);
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      symlinkSync(join(shared, name), join(modules, name), "dir");
    };
    cpSync(join(shared, "log-event-hub"), join(modules, "log-event-hub"), { recursive: true });
    const own = JSON.parse(readFileSync(join(shared, "log-event-hub", "package.json"), "utf8"));
    for (const name of Object.keys(own.dependencies ?? {})) link(name);
    for (const name of installsByPage.get(page) ?? []) if (name !== "log-event-hub" && !name.startsWith("@types/")) link(name, true);
    console.log(`doc-snippets: ${page} runs with log-event-hub${peers.length ? ` + ${peers.join(", ")}` : " alone"}`);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ private: true, type: "module" }));
    for (const file of readdirSync(join(project, "dist"))) {
      const block = blocks.find((b) => `${moduleName(b)}.js` === file);
      if (!block || block.page === page) cpSync(join(project, "dist", file), join(dir, file));
    }
    folders.set(page, dir);
  }
  return folders;
}

async function runAll(project, blocks, env, installsByPage) {
  const jobs = Math.max(1, Number(process.env.DOC_SNIPPETS_JOBS ?? 2));
  const queue = [...blocks];
  const problems = [];
  const folders = pageFolders(project, blocks, installsByPage);
  try {
    await runQueue();
  } finally {
    for (const dir of folders.values()) rmSync(dir, { recursive: true, force: true });
  }
  return problems;

  async function runQueue() {
  await Promise.all(
    Array.from({ length: jobs }, async () => {
      for (let block = queue.shift(); block; block = queue.shift()) {
        const started = Date.now();
        const problem = await runBlock(folders.get(block.page), block, env);
        console.log(`${problem ? "FAIL" : "ok  "} ${block.id} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
        if (problem) problems.push(problem);
      }
    }),
  );
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  let all = [];
  const problems = [];
  const installsByPage = new Map();
  for (const page of pages) {
    const { planned, problems: markerProblems, installs } = planPage(page, readFileSync(join(root, page), "utf8"));
    all.push(...planned);
    installsByPage.set(page, installs);
    problems.push(...markerProblems, ...pageProblems(page, planned, installs), ...linkProblems(page, readFileSync(join(root, page), "utf8")));
  }
  if (only) all = all.filter((b) => only.test(b.id));
  const runnable = all.filter((b) => !b.partial);
  if (args.includes("--list")) {
    for (const b of all) console.log(`${b.partial ? "partial" : b.requests ? "server " : b.output !== undefined ? "output " : "run    "} ${b.id}`);
  }
  console.log(`doc-snippets: ${all.length} code blocks in ${pages.length} pages, ${all.length - runnable.length} marked partial`);
  if (args.includes("--check") || args.includes("--list")) {
    for (const p of problems) console.error(p);
    process.exit(problems.length ? 1 : 0);
  }
  const project = prepareProject();
  problems.push(...writeBlocks(project, runnable));
  const typeProblems = typecheck(project, runnable);
  console.log(`doc-snippets: tsc --strict: ${typeProblems.length} errors`);
  problems.push(...typeProblems);
  // Run even when some block fails to type-check (tsc still emits): every problem at once.
  const env = serviceEnv();
  const removeContainer = await seedContainer(env);
  try {
    problems.push(...(await withLxdLock(() => runAll(project, runnable, env, installsByPage))));
  } finally {
    await removeContainer();
  }
  for (const p of problems) console.error(`\n${p}`);
  console.log(`doc-snippets: ${problems.length === 0 ? "ok" : `${problems.length} problems`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(problems.length ? 1 : 0);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
