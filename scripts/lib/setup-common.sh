# Shared by the scripts/setup-*.sh service scripts: sourced, not run. Each script sets TAG (its
# log prefix) before sourcing.

log() { printf '[%s] %s\n' "${TAG:-setup}" "$*" >&2; }

# require_root WHY: exits 1 with a message unless running as root.
require_root() {
  if [ "$(id -u)" != "0" ]; then
    log "must run as root ($1)"
    exit 1
  fi
}

# apt_install PKG...: installs the given Debian packages (the caller lists only missing ones).
apt_install() {
  [ "$#" -gt 0 ] || return 0
  log "installing $* (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "$@" >/dev/null
}

# pid_alive PIDFILE: true when the file names a live process.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# wait_gone PID TENTHS: waits up to TENTHS tenths of a second for PID to exit; false if it lives.
wait_gone() {
  for _ in $(seq 1 "$2"); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  ! kill -0 "$1" 2>/dev/null
}

# stop_pid PID TENTHS: TERM, then waits as wait_gone does.
stop_pid() {
  kill "$1" 2>/dev/null || true
  wait_gone "$1" "$2"
}
