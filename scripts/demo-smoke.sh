#!/usr/bin/env bash
# Starts the demo (`npm start`) in the current directory and walks the seed's curl flow against
# it: login, start a container, wait for its state, the log, the CSV export, the event feed.
# Then stops it with SIGTERM and checks it exits cleanly. Fails on any unexpected answer.
# Usage: bash scripts/demo-smoke.sh <expected SQLite driver: better-sqlite3|node:sqlite>
set -euo pipefail
expected="${1:?usage: demo-smoke.sh <expected driver>}"
work="$(mktemp -d)"
out="$work/demo.out"
PORT=0 HOST=127.0.0.1 DATA_DIR="$work/data" RUNTIME=simulated ACTION_DELAY_MS=50 npm start >"$out" 2>&1 &
pid=$!
cleanup() { kill -9 "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "demo-smoke: $*" >&2; echo "--- demo output:" >&2; cat "$out" >&2; exit 1; }

for _ in $(seq 1 300); do
  grep -q 'duration=5"$' "$out" 2>/dev/null && break
  kill -0 "$pid" 2>/dev/null || fail "the demo exited before listening"
  sleep 0.1
done
url="$(grep -o 'listening on http://[^ ]*' "$out" | head -1 | cut -d' ' -f3)"
[ -n "$url" ] || fail "no URL in the banner"
grep -q "SQLite driver: $expected" "$out" || fail "expected the SQLite driver $expected"

c="$work/cookies.txt"
check() { # <name> <expected status> <curl args...>
  local name="$1" status="$2"; shift 2
  local got
  got="$(curl -sq -o "$work/body" -w '%{http_code}' "$@")" || fail "$name: curl failed"
  [ "$got" = "$status" ] || fail "$name: HTTP $got, expected $status: $(head -c 300 "$work/body")"
  echo "  $name: HTTP $got $(head -c 120 "$work/body" | tr '\n' ' ')"
}
check login 200 -c "$c" -d username=alice "$url/api/v1/login"
check "container start" 200 -XPUT -b "$c" "$url/api/v1/container/lxc/utest/start"
check wait 200 -b "$c" "$url/api/v1/event/wait/lxc/utest/running?duration=5"
jq -e '.state == "running"' "$work/body" >/dev/null || fail "wait: not running"
check log 200 -b "$c" "$url/api/v1/log?limit=5"
jq -e '.[0].message == "Start container (lxc, utest)" and .[0].user == "alice"' "$work/body" >/dev/null || fail "log: unexpected first record"
check export 200 -b "$c" "$url/api/v1/log/export"
grep -q 'INFO,container,alice,"Start container (lxc, utest)"' "$work/body" || fail "export: the start record is missing"
check event 200 -b "$c" "$url/api/v1/event"
jq -e '.messages | any(startswith("container:all:"))' "$work/body" >/dev/null || fail "event: no container event"

# SIGTERM to the server itself: npm -> sh -> tsx -> node, the deepest process of the chain
# that is not tsx's esbuild helper. npm then exits with the server's status.
server="$pid"
while next="$(ps -o pid=,comm= --ppid "$server" | awk '$2 != "esbuild" { print $1; exit }')" && [ -n "$next" ]; do
  server="$next"
done
kill -TERM "$server"
status=0
wait "$pid" || status=$?
[ "$status" = 0 ] || fail "exit status $status after SIGTERM"
grep -q '^Stopped' "$out" || fail "no clean stop"
echo "demo-smoke: ok ($expected)"
