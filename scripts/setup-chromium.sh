#!/usr/bin/env bash
# Installs the browser the console's tests and bench drive: Debian's `chromium` package at
# /usr/bin/chromium (playwright-core drives it by path; nothing downloads a browser build).
#
#   scripts/setup-chromium.sh   install if missing, then print the version
#
# Idempotent; needs root on Debian (apt-get).
set -euo pipefail

log() { printf '[setup-chromium] %s\n' "$*" >&2; }

if ! [ -x /usr/bin/chromium ]; then
  log "installing Debian's chromium package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
# The wrapper script prints a harmless warning on some kernels; the version line is what counts.
/usr/bin/chromium --version 2>/dev/null | head -1
