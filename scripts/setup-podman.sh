#!/usr/bin/env bash
# Starts a Docker-compatible engine (podman's API service) for the runtime tests and the demo.
#
#   scripts/setup-podman.sh          install if needed, build the test image, start the service
#   scripts/setup-podman.sh --stop   stop the service this script started (by its PID file)
#   scripts/setup-podman.sh --status exit 0 when the service answers /_ping
#
# Idempotent: every step checks before it acts. Needs root on Debian 12 (apt-get, podman's
# storage under /var/lib/containers). Writes its own files under $PODMAN_DIR
# (default <project>/.tmp/podman): containers.conf, podman.sock, podman.pid, service.log and
# `socket` (the socket path, which test/runtimes/docker.test.ts reads).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${PODMAN_DIR:-$ROOT/.tmp/podman}"
SOCK="$DIR/podman.sock"
PIDFILE="$DIR/podman.pid"
IMAGE="local/busy:latest"
export CONTAINERS_CONF="$DIR/containers.conf"

TAG=setup-podman
# shellcheck source=lib/setup-common.sh
. "$ROOT/scripts/lib/setup-common.sh"

# Pings the engine over the unix socket with Node (curl is not on a fresh Debian image).
ping_engine() {
  [ -S "$SOCK" ] || return 1
  node -e '
    const req = require("node:http").get({ socketPath: process.argv[1], path: "/_ping", timeout: 1000 }, (res) => {
      res.resume();
      process.exit(res.statusCode === 200 ? 0 : 1);
    });
    req.on("error", () => process.exit(1));
    req.on("timeout", () => { req.destroy(); process.exit(1); });
  ' "$SOCK"
}

stop_service() {
  if pid_alive "$PIDFILE"; then
    pid="$(cat "$PIDFILE")"
    log "stopping podman service (pid $pid)"
    stop_pid "$pid" 50 || true
  fi
  rm -f "$PIDFILE"
  rm -f "$SOCK" "$DIR/socket"
}

case "${1:-}" in
  --stop) stop_service; exit 0 ;;
  --status) ping_engine; exit $? ;;
  "") ;;
  *) echo "usage: $0 [--stop|--status]" >&2; exit 2 ;;
esac

require_root "apt-get, podman's storage under /var/lib/containers"

mkdir -p "$DIR"

# 1. Packages.
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
[ -x /bin/busybox ] || missing+=(busybox-static)
apt_install "${missing[@]}"

# 2. containers.conf: CLI flags do not reach containers created through the REST API.
#    runc because crun refuses cgroup v1 "hybrid"; ulimits no higher than the hard limits.
hard_nofile="$(ulimit -Hn)"
[ "$hard_nofile" = "unlimited" ] && hard_nofile=1048576
conf="[containers]
default_ulimits = [\"nofile=${hard_nofile}:${hard_nofile}\", \"nproc=4096:4096\"]

[engine]
runtime = \"runc\"
cgroup_manager = \"cgroupfs\"
events_logger = \"file\"
"
if [ ! -f "$CONTAINERS_CONF" ] || [ "$(cat "$CONTAINERS_CONF")" != "$(printf '%s' "$conf")" ]; then
  printf '%s' "$conf" > "$CONTAINERS_CONF"
  log "wrote $CONTAINERS_CONF"
fi

# 3. A local image (no registry is reachable): busybox-static with its applets linked.
if ! podman image exists "$IMAGE"; then
  log "building $IMAGE from busybox-static"
  rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/proc" "$rootfs/sys" "$rootfs/dev"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$rootfs/etc/passwd"
  echo 'root:x:0:' > "$rootfs/etc/group"
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/sh"]' - "$IMAGE" >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

# 4. The API service, unless one already answers on our socket.
if ping_engine; then
  log "service already answering on $SOCK"
else
  stop_service
  log "starting podman system service on $SOCK"
  # setsid: the service outlives this script and the CI step's process group.
  setsid nohup podman system service --time=0 "unix://$SOCK" >"$DIR/service.log" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 100); do
    ping_engine && break
    sleep 0.1
  done
  if ! ping_engine; then
    log "service did not answer /_ping within 10 s; see $DIR/service.log"
    exit 1
  fi
fi

printf '%s\n' "$SOCK" > "$DIR/socket"
echo "DOCKER_SOCKET=$SOCK"
