#!/usr/bin/env node
// The package test: pack the library, lint the tarball (publint, attw), install it into empty
// folders and prove that `import` and `require` of every entry point work, that the core loads
// no driver, that the declaration files typecheck without the drivers' types, and that one
// append + query runs through each entry point.
//
// Needs a build (`npm run build`) first. PostgreSQL: LEH_PG_URL (default
// postgres://postgres@127.0.0.1:5432/test). Docker-compatible engine: LEH_DOCKER_SOCKET or the
// file written by scripts/setup-podman.sh; without one the docker entry point is still
// imported and constructed, and inspect is skipped with a notice (outside CI).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args, cwd, env = {}) => {
  console.log(`$ ${[cmd, ...args].join(" ")}`);
  execFileSync(cmd, args, { cwd, stdio: "inherit", env: { ...process.env, ...env } });
};

const work = mkdtempSync(join(tmpdir(), "leh-package-"));
try {
  const packOut = execFileSync("npm", ["pack", "--json", "--pack-destination", work], { cwd: root, encoding: "utf8" });
  const [{ filename, files }] = JSON.parse(packOut);
  const tarball = join(work, filename);
  console.log(`packed ${filename} (${files.length} files)`);
  const leaked = files.map((f) => f.path).filter((p) => !/^(dist\/|docs\/[\w-]+\.md$|openapi\.json$|README\.md$|CHANGELOG\.md$|LICENSE$|package\.json$)/.test(p));
  if (leaked.length) throw new Error(`unexpected files in the tarball: ${leaked.join(", ")}`);
  // The guides ship with the package (issue 19), so they are readable from node_modules.
  for (const guide of ["docs/getting-started.md", "docs/http.md", "docs/semantics.md"]) {
    if (!files.some((f) => f.path === guide)) throw new Error(`${guide} is missing from the tarball`);
  }

  run(bin("publint"), ["run", tarball, "--strict"], root);
  run(bin("attw"), [tarball, "--profile", "node16"], root);

  const entries = ["log-event-hub", "log-event-hub/sqlite", "log-event-hub/postgres", "log-event-hub/docker", "log-event-hub/testing", "log-event-hub/lxd", "log-event-hub/console", "log-event-hub/conformance", "log-event-hub/store-kit"];

  // Phase A: no drivers installed. Every entry point imports; the core loads no native module;
  // a driver-backed store reports the missing package by name.
  const bare = join(work, "bare");
  mkdirSync(bare);
  writeFileSync(join(bare, "package.json"), JSON.stringify({ name: "bare", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", tarball], bare);
  writeFileSync(
    join(bare, "check.mjs"),
    `
import * as core from "log-event-hub";
${entries.slice(1).map((e, i) => `import * as m${i} from "${e}";`).join("\n")}
import openapi from "log-event-hub/openapi.json" with { type: "json" };
if (!/^3\\.1\\./.test(openapi.openapi) || !openapi.paths["/api/v1/event/stream"]) throw new Error("log-event-hub/openapi.json did not load");
const hub = new core.LogEventHub();
await hub.info("system", "hello from ESM");
const [r] = await hub.queryLogs({ limit: 1 });
if (r.message !== "hello from ESM") throw new Error("ESM append+query failed");
await hub.close();
const { SqliteStore } = m0;
const err = await new SqliteStore({ filename: ":memory:", driver: "better-sqlite3" }).open().then(() => null, (e) => e);
if (!err || err.code !== "MISSING_DEPENDENCY" || !/better-sqlite3/.test(err.message)) throw new Error("expected MISSING_DEPENDENCY for better-sqlite3, got " + err);
// Without better-sqlite3 the default driver is node:sqlite where Node has a usable one (22.16+).
const [major, minor] = process.versions.node.split(".").map(Number);
const auto = new SqliteStore({ filename: ":memory:" });
if (major > 22 || (major === 22 && minor >= 16)) {
  await auto.open();
  if (auto.driverName !== "node:sqlite") throw new Error("expected the node:sqlite driver, got " + auto.driverName);
  const sqliteHub = new core.LogEventHub({ store: auto });
  await sqliteHub.info("system", "on node:sqlite");
  if ((await sqliteHub.queryLogs({ text: "node:sqlite" })).length !== 1) throw new Error("node:sqlite append+query failed");
  await sqliteHub.close();
} else {
  const autoErr = await auto.open().then(() => null, (e) => e);
  if (!autoErr || autoErr.code !== "MISSING_DEPENDENCY" || !/npm install better-sqlite3/.test(autoErr.message)) throw new Error("expected MISSING_DEPENDENCY, got " + autoErr);
}
const { PostgresStore } = m1;
const perr = await new PostgresStore({ connectionString: "postgres://127.0.0.1:1/x" }).open().then(() => null, (e) => e);
if (!perr || perr.code !== "MISSING_DEPENDENCY" || !/\\bpg\\b/.test(perr.message)) throw new Error("expected MISSING_DEPENDENCY for pg, got " + perr);
const werr = await m4.loadWebSocket().then(() => null, (e) => e);
if (!werr || werr.code !== "MISSING_DEPENDENCY" || !/npm install ws/.test(werr.message)) throw new Error("expected MISSING_DEPENDENCY for ws, got " + werr);
if (typeof core.CompositeRuntime !== "function") throw new Error("CompositeRuntime missing from the root");
if (m7.textMatcher("k")("\\u212A") || !m7.textMatcher("k")("K") || m7.likePattern("5%") !== "%5\\\\%%") throw new Error("log-event-hub/store-kit: the text rule is wrong");
// The web console's prebuilt files ship in the package (dist/console) and are found from the entry point.
if (m5.consoleAssets().map((a) => a.path).join() !== "index.html,console.js,console.css") throw new Error("console assets missing");
// The published conformance suite, run without a test runner on the packaged memory store.
const report = await m6.checkStoreConformance({ name: "memory", makeStore: () => new core.MemoryStore() });
if (!report.passed || report.results.length < 30) throw new Error("conformance (ESM): " + report.failures.map((f) => f.title + ": " + f.error).join("; "));
console.log("bare ESM ok (conformance: " + report.results.length + " tests passed)");
`,
  );
  writeFileSync(
    join(bare, "check.cjs"),
    `
const core = require("log-event-hub");
${entries.slice(1).map((e, i) => `const m${i} = require("${e}");`).join("\n")}
if (typeof core.LogEventHub !== "function" || "default" in core) throw new Error("named exports only");
if (!/^3\\.1\\./.test(require("log-event-hub/openapi.json").openapi)) throw new Error("log-event-hub/openapi.json did not load");
if (m7.toLogRecord(1, { timeUs: 1000000, level: "INFO", category: "system", user: "u", message: "m" }).ts !== 1) throw new Error("log-event-hub/store-kit: toLogRecord");
for (const m of [m0, m1, m2, m3, m4, m5, m6, m7]) if (Object.keys(m).length === 0) throw new Error("empty entry point");
if (!m5.consoleAssets({ apiBase: "/hub/" }).find((a) => a.path === "index.html").body.includes('content="/hub/"')) throw new Error("console assets (CJS) missing");
const loaded = Object.keys(require.cache).filter((p) => /better-sqlite3|node_modules\\/pg\\/|node_modules\\/ws\\//.test(p));
if (loaded.length) throw new Error("a driver was loaded: " + loaded.join(", "));
(async () => {
  const hub = new core.LogEventHub();
  await hub.info("system", "hello from CJS");
  const [r] = await hub.queryLogs({ limit: 1 });
  if (r.message !== "hello from CJS") throw new Error("CJS append+query failed");
  await hub.close();
  const report = await m6.checkStoreConformance({ name: "memory", makeStore: () => new core.MemoryStore() }, { groups: ["feed", "lifecycle"] });
  if (!report.passed || report.results.length < 10) throw new Error("conformance (CJS): " + report.failures.map((f) => f.title + ": " + f.error).join("; "));
  console.log("bare CJS ok (conformance: " + report.results.length + " tests passed)");
})().catch((e) => { console.error(e); process.exit(1); });
`,
  );
  run(process.execPath, ["check.mjs"], bare);
  run(process.execPath, ["check.cjs"], bare);
  // A store author's test file under another runner (node:test), through the runner adapter.
  writeFileSync(
    join(bare, "conformance.test.mjs"),
    `
import { describe, it } from "node:test";
import { MemoryStore } from "log-event-hub";
import { runStoreConformance } from "log-event-hub/conformance";

runStoreConformance(
  { describe, it: (name, fn, timeout) => it(name, { timeout }, fn) },
  { name: "memory (node:test)", makeStore: () => new MemoryStore(), features: { logs: false } },
);
`,
  );
  run(process.execPath, ["--test", "--test-reporter=dot", "conformance.test.mjs"], bare);

  // Declaration files must typecheck for users without the drivers' types (skipLibCheck off).
  mkdirSync(join(bare, "node_modules", "@types"), { recursive: true });
  symlinkSync(join(root, "node_modules", "@types", "node"), join(bare, "node_modules", "@types", "node"));
  writeFileSync(
    join(bare, "types.ts"),
    `
import { LogEventHub, type LogRecord } from "log-event-hub";
import { SqliteStore } from "log-event-hub/sqlite";
import { PostgresStore } from "log-event-hub/postgres";
import { DockerRuntime } from "log-event-hub/docker";
import { SimulatedRuntime } from "log-event-hub/testing";
import { LxdRuntime, bridgeLxdEvents } from "log-event-hub/lxd";
import { CompositeRuntime, MemoryStore } from "log-event-hub";
import { runStoreConformance, checkStoreConformance, type ConformanceTarget, type ConformanceRunner } from "log-event-hub/conformance";
const target: ConformanceTarget = { name: "memory", makeStore: () => new MemoryStore(), features: { retention: false } };
const runner: ConformanceRunner = { describe: (_name: string, body: () => void) => body(), it: (_name: string, _fn: () => Promise<void>, _timeoutMs: number) => undefined };
runStoreConformance(runner, target);
void checkStoreConformance;
import { serveConsole, type ConsoleAsset } from "log-event-hub/console";
const consoleFiles: (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void = serveConsole({ prefix: "/hub" });
const asset: ConsoleAsset | undefined = undefined;
void consoleFiles; void asset;
import { compileLogFilter, type LogCondition } from "log-event-hub/store-kit";
const conditions: LogCondition[] = compileLogFilter({ text: "x" });
void conditions;
const lxd = new LxdRuntime();
const composite = new CompositeRuntime({ lxc: lxd, docker: new SimulatedRuntime() });
void bridgeLxdEvents; void composite;
const hub = new LogEventHub({ categories: ["audit"] });
const r: Promise<LogRecord<"audit" | "system" | "container" | "image" | "import" | "export" | "backup">> = hub.info("audit", "x");
void r; void SqliteStore; void PostgresStore; void DockerRuntime; void SimulatedRuntime;
`,
  );
  for (const [module, type] of [["nodenext", "module"], ["nodenext", "commonjs"]]) {
    writeFileSync(join(bare, "package.json"), JSON.stringify({ name: "bare", private: true, type, dependencies: { "log-event-hub": `file:${tarball}` } }));
    run(bin("tsc"), ["--noEmit", "--strict", "--skipLibCheck", "false", "--module", module, "--moduleResolution", "nodenext", "--target", "es2022", "--types", "node", "types.ts"], bare);
  }
  console.log("declarations ok (ESM and CJS consumers, no driver types)");

  // Phase B: drivers present (linked from this checkout, as a user would install them).
  const full = join(work, "full");
  mkdirSync(full);
  writeFileSync(join(full, "package.json"), JSON.stringify({ name: "full", private: true, type: "module" }));
  run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", tarball], full);
  for (const dep of ["better-sqlite3", "pg", "ws"]) symlinkSync(join(root, "node_modules", dep), join(full, "node_modules", dep));
  const pgUrl = process.env.LEH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
  const socketFile = join(root, ".tmp", "podman", "socket");
  const dockerSocket = process.env.LEH_DOCKER_SOCKET ?? (existsSync(socketFile) ? readFileSync(socketFile, "utf8").trim() : "");
  const lxdSocketFile = join(root, ".tmp", "lxd", "socket");
  const lxdSocket = process.env.LEH_LXD_SOCKET ?? (existsSync(lxdSocketFile) ? readFileSync(lxdSocketFile, "utf8").trim() : "");
  const script = (kind) => `
const load = ${kind === "esm" ? "(s) => import(s)" : "async (s) => require(s)"};
const { join } = ${kind === "esm" ? 'await import("node:path")' : 'require("node:path")'};
const { mkdtempSync } = ${kind === "esm" ? 'await import("node:fs")' : 'require("node:fs")'};
const { tmpdir } = ${kind === "esm" ? 'await import("node:os")' : 'require("node:os")'};
async function main() {
  const { LogEventHub } = await load("log-event-hub");
  async function roundTrip(label, options) {
    const hub = new LogEventHub(options);
    const rec = await hub.info("system", "hello " + label);
    const [back] = await hub.queryLogs({ limit: 1 });
    if (back.id !== rec.id || back.message !== "hello " + label) throw new Error(label + ": append+query failed");
    const ev = await hub.publish({ category: "image", user: "all", payload: { action: "update", from: "local", type: "lxc" } });
    const page = await hub.readEvents({ index: ev.index - 1 });
    if (page.events[0].index !== ev.index) throw new Error(label + ": publish+read failed");
    return hub;
  }
  await (await roundTrip("memory", {})).close();
  const { SqliteStore } = await load("log-event-hub/sqlite");
  const dir = mkdtempSync(join(tmpdir(), "leh-pkg-sqlite-"));
  // A filtered read and a count run on the reader thread, whose file sits next to the entry point.
  const viaReader = async (label, store) => {
    const hub = await roundTrip(label, { store });
    if (!store.readerThread) throw new Error(label + ": no reader thread");
    if ((await hub.countLogs({ text: "hello " + label })) !== 1) throw new Error(label + ": count on the reader thread failed");
    if ((await hub.queryLogs({ text: "hello " + label }))[0]?.message !== "hello " + label) throw new Error(label + ": read on the reader thread failed");
    await hub.close();
  };
  const sqliteStore = new SqliteStore({ filename: join(dir, "hub.db") });
  await viaReader("sqlite", sqliteStore);
  if (sqliteStore.driverName !== "better-sqlite3") throw new Error("sqlite: the default driver should be better-sqlite3 when installed");
  if (Number(process.versions.node.split(".")[0]) >= 24 || /^22\.(1[6-9]|[2-9]\d)/.test(process.versions.node)) {
    // The file better-sqlite3 wrote, reopened on node:sqlite.
    await viaReader("sqlite (node:sqlite)", new SqliteStore({ filename: join(dir, "hub.db"), driver: "node:sqlite" }));
  }
  const { PostgresStore } = await load("log-event-hub/postgres");
  const schema = "leh_pkg_${"${kind}"}_" + process.pid;
  const pg = new PostgresStore({ connectionString: ${JSON.stringify(pgUrl)}, schema });
  const pgHub = await roundTrip("postgres", { store: pg, closeStore: false });
  await pgHub.close();
  await pg.dropSchema?.();
  await pg.close();
  const { DockerRuntime } = await load("log-event-hub/docker");
  const socketPath = ${JSON.stringify(dockerSocket)};
  const runtime = new DockerRuntime(socketPath ? { socketPath } : {});
  const dockerHub = await roundTrip("docker", { runtime });
  if (socketPath) {
    const missing = await runtime.inspect("docker", "leh-no-such-container");
    if (missing !== undefined) throw new Error("docker: inspect of a missing container should be undefined");
  } else if (process.env.CI) throw new Error("docker: no engine socket in CI");
  else console.log("NOTICE: no Docker-compatible engine; docker inspect not exercised");
  await dockerHub.close();
  const { LxdRuntime } = await load("log-event-hub/lxd");
  const lxdSocket = ${JSON.stringify(lxdSocket)};
  const lxd = new LxdRuntime(lxdSocket ? { socketPath: lxdSocket } : {});
  const lxdHub = await roundTrip("lxd", { runtime: lxd });
  if (lxdSocket) {
    if ((await lxd.inspect("lxc", "leh-no-such-container")) !== undefined) throw new Error("lxd: inspect of a missing container should be undefined");
    const utest = await lxdHub.waitForState({ type: "lxc", id: "utest", state: "stopped", timeout: 0 });
    if (utest.name !== "utest") throw new Error("lxd: utest not inspected");
  } else if (process.env.CI) throw new Error("lxd: no LXD socket in CI");
  else console.log("NOTICE: no LXD daemon; lxd inspect not exercised");
  await lxdHub.close();
  const { SimulatedRuntime } = await load("log-event-hub/testing");
  const sim = new SimulatedRuntime();
  const simHub = await roundTrip("testing", { runtime: sim });
  const info = await simHub.waitForState({ type: "lxc", id: "utest", state: "stopped", timeout: 1000 });
  if (info.state !== "stopped") throw new Error("testing: simulated utest should start stopped");
  await simHub.close();
  console.log("${kind}: every entry point ok");
}
main().catch((e) => { console.error(e); process.exit(1); });
`;
  writeFileSync(join(full, "all.mjs"), script("esm"));
  writeFileSync(join(full, "all.cjs"), script("cjs"));
  run(process.execPath, ["all.mjs"], full);
  run(process.execPath, ["all.cjs"], full);
  console.log("package test passed");
} finally {
  rmSync(work, { recursive: true, force: true });
}
