#!/usr/bin/env bash
# Starts a real LXD daemon for the LXD runtime's tests, its bench and the demo.
#
#   scripts/setup-lxd.sh          install if needed, start the daemon, init, import the image,
#                                 create the `utest` container
#   scripts/setup-lxd.sh --stop   stop every running container, then the daemon this script
#                                 started (by its PID file): nothing is left running
#   scripts/setup-lxd.sh --status exit 0 when the daemon answers on its socket
#
# Idempotent: every step asks the daemon (or the system) before it acts. Needs root on Debian 12
# (apt-get, the daemon). No systemd is assumed: the daemon is started in the background here.
# Writes its own files under $LEH_LXD_STATE_DIR (default <project>/.tmp/lxd; not LXD's own
# LXD_DIR, which the daemon and the lxc CLI read as LXD's state folder): lxd.pid, lxd.log and
# `socket` (the socket path, which test/runtimes/lxd.test.ts reads). LXD itself keeps its state
# under /var/lib/lxd (machine-wide).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${LEH_LXD_STATE_DIR:-$ROOT/.tmp/lxd}"
PIDFILE="$DIR/lxd.pid"
SOCK="/var/lib/lxd/unix.socket"
IMAGE="busybox"
CONTAINER="utest"
SUBNET="${LXD_SUBNET:-10.200.0.1/24}"

TAG=setup-lxd
# shellcheck source=lib/setup-common.sh
. "$ROOT/scripts/lib/setup-common.sh"

answers() { [ -S "$SOCK" ] && timeout 5 lxc query /1.0 >/dev/null 2>&1; }

stop_daemon() {
  if [ ! -f "$PIDFILE" ]; then
    log "no daemon started by this script (no $PIDFILE); nothing to stop"
    rm -f "$DIR/socket"
    return 0
  fi
  pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    if answers; then
      # Containers first: killing the daemon would leave their monitor processes running.
      running="$(lxc list --all-projects --format csv -c ns 2>/dev/null | awk -F, '$2 != "STOPPED" {print $1}' || true)"
      for name in $running; do
        log "stopping container $name"
        lxc stop "$name" --timeout 10 2>/dev/null || lxc stop "$name" --force 2>/dev/null || true
      done
      log "shutting the daemon down (pid $pid)"
      timeout 60 lxd shutdown --timeout 30 >/dev/null 2>&1 || true
    fi
    if ! wait_gone "$pid" 100; then
      log "daemon still running; sending TERM"
      stop_pid "$pid" 50 || true
    fi
  fi
  rm -f "$PIDFILE" "$DIR/socket"
}

case "${1:-}" in
  --stop) stop_daemon; exit 0 ;;
  --status) answers; exit $? ;;
  "") ;;
  *) echo "usage: $0 [--stop|--status]" >&2; exit 2 ;;
esac

require_root "apt-get, the LXD daemon"

mkdir -p "$DIR"

# 1. Packages. dnsmasq-base and nftables are only Recommends of lxd, but the bridge needs
#    both (without a firewall tool the network's creation fails).
missing=()
[ -x /usr/bin/lxd ] || missing+=(lxd)
[ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
[ -x /usr/sbin/nft ] || missing+=(nftables)
[ -x /bin/busybox ] || missing+=(busybox-static)
apt_install "${missing[@]}"
getent group lxd >/dev/null || groupadd --system lxd

# 2. The daemon, unless one already answers (started by us earlier, or by the system).
if answers; then
  log "daemon already answering on $SOCK"
else
  if pid_alive "$PIDFILE"; then
    log "daemon $(cat "$PIDFILE") does not answer; stopping it"
    kill "$(cat "$PIDFILE")" 2>/dev/null || true
    sleep 1
  fi
  log "starting lxd (log: $DIR/lxd.log)"
  # setsid: the daemon outlives this script and the CI step's process group.
  setsid nohup /usr/bin/lxd --group lxd --logfile="$DIR/lxd.log" >"$DIR/lxd.out" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  if ! lxd waitready --timeout=60; then
    log "the daemon did not get ready within 60 s; see $DIR/lxd.log"
    exit 1
  fi
fi

# 3. Storage pool, bridge and default profile (each only when missing).
if ! lxc storage show default >/dev/null 2>&1 || ! lxc network show lxdbr0 >/dev/null 2>&1 \
  || ! lxc profile device show default 2>/dev/null | grep -q '^root:'; then
  log "lxd init --preseed (dir pool, lxdbr0 $SUBNET with NAT, no IPv6)"
  pools=""
  lxc storage show default >/dev/null 2>&1 || pools="storage_pools:
- name: default
  driver: dir"
  networks=""
  lxc network show lxdbr0 >/dev/null 2>&1 || networks="networks:
- name: lxdbr0
  type: bridge
  config:
    ipv4.address: $SUBNET
    ipv4.nat: \"true\"
    ipv6.address: none"
  lxd init --preseed <<EOF
$pools
$networks
profiles:
- name: default
  devices:
    root:
      path: /
      pool: default
      type: disk
    eth0:
      name: eth0
      network: lxdbr0
      type: nic
EOF
fi

# 4. A local image (nothing can be downloaded): busybox-static with its applets, and an init
#    that stops on SIGPWR (LXD's graceful stop) or SIGTERM, brings up lo and asks DHCP.
if ! lxc image info "$IMAGE" >/dev/null 2>&1; then
  log "building image $IMAGE from busybox-static"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  mkdir -p "$rootfs"/{bin,sbin,etc,tmp,proc,sys,dev,run,root,var/run,usr/share/udhcpc}
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  echo 'root:x:0:' >"$rootfs/etc/group"
  cat >"$rootfs/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
# udhcpc's hook: apply the lease to the interface.
case "$1" in
  deconfig) ip addr flush dev "$interface" ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
exit 0
EOF
  chmod 755 "$rootfs/usr/share/udhcpc/default.script"
  cat >"$rootfs/sbin/init" <<'EOF'
#!/bin/sh
# PID 1 of the test image: stop cleanly on SIGPWR (LXD's graceful stop) and SIGTERM.
trap 'exit 0' PWR TERM
mount -t proc proc /proc 2>/dev/null
ip link set lo up
ip link set eth0 up 2>/dev/null && udhcpc -b -q -i eth0 -s /usr/share/udhcpc/default.script >/dev/null 2>&1 &
# `wait` returns on a signal at once (a plain sleep would delay the trap by up to a second).
while true; do sleep 60 & wait $!; done
EOF
  chmod 755 "$rootfs/sbin/init"
  cat >"$work/metadata.yaml" <<EOF
architecture: x86_64
creation_date: $(date +%s)
properties:
  os: busybox
  description: busybox-static test image (log-event-hub)
EOF
  tar --numeric-owner --owner=0 --group=0 -C "$work" -czf "$work/image.tgz" metadata.yaml rootfs
  lxc image import "$work/image.tgz" --alias "$IMAGE" >/dev/null
  rm -rf "$work"
  trap - EXIT
fi

# 5. The seed's container, stopped.
if ! lxc info "$CONTAINER" >/dev/null 2>&1; then
  log "creating container $CONTAINER"
  lxc init "$IMAGE" "$CONTAINER" >/dev/null
fi

printf '%s\n' "$SOCK" >"$DIR/socket"
echo "LXD_SOCKET=$SOCK"
