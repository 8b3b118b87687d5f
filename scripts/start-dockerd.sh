#!/usr/bin/env bash
# Start a Docker daemon in the background for KubeQuest (developers and .ci/run).
#
# Idempotent: when `docker info` already answers, it does nothing. Otherwise it
# starts dockerd with what this machine supports — storage driver overlay2,
# else vfs; iptables when the kernel lets us, else without (containers still
# talk over the bridge, they just get no NAT to the outside, which KubeQuest
# never needs) — and waits until the daemon answers.
#
#   scripts/start-dockerd.sh            # log: $KUBEQUEST_DOCKERD_LOG, default below
#   KUBEQUEST_DOCKERD_WAIT=120 scripts/start-dockerd.sh
#   KUBEQUEST_DOCKERD_STORAGE_DRIVER=vfs scripts/start-dockerd.sh   # no guessing
#
# Exit 0 when the daemon answers, 1 (with the log's tail) when it does not.
set -euo pipefail

if [ "$(id -u)" = 0 ]; then
	LOG=${KUBEQUEST_DOCKERD_LOG:-/var/log/kubequest-dockerd.log}
else # the log is written by this shell's redirection, so it must be ours to write
	LOG=${KUBEQUEST_DOCKERD_LOG:-${TMPDIR:-/tmp}/kubequest-dockerd.log}
fi
WAIT=${KUBEQUEST_DOCKERD_WAIT:-60}
DATA_ROOT=${KUBEQUEST_DOCKERD_DATA_ROOT:-/var/lib/docker}
PIDFILE=/var/run/docker.pid

say() { echo "start-dockerd: $*" >&2; }

answers() { timeout 10 docker info >/dev/null 2>&1; }

# /proc, not kill -0: a user may not signal root's dockerd but may see it. A
# dockerd that died as our child stays a zombie (state Z) until reaped.
running() {
	local stat
	[ -n "$1" ] && stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[ "${stat:0:1}" != Z ]
}

if answers; then
	say "a Docker daemon already answers"
	exit 0
fi

for tool in docker dockerd; do
	command -v "$tool" >/dev/null 2>&1 || {
		say "$tool is not installed: sudo apt-get install docker.io"
		exit 1
	}
done

SUDO=()
if [ "$(id -u)" != 0 ]; then
	if sudo -n true 2>/dev/null; then
		SUDO=(sudo -n)
	else
		say "dockerd must run as root: run this script with sudo (or start Docker with systemctl)"
		exit 1
	fi
fi

# A daemon that is starting (or wedged) must not get a twin: wait for it instead.
if [ -s "$PIDFILE" ] && running "$(cat "$PIDFILE")"; then
	say "dockerd (pid $(cat "$PIDFILE")) is running but not answering yet; waiting"
	started_by_us=0
else
	started_by_us=1
	# A crash leaves the pid file behind, and dockerd refuses to start over it.
	[ -e "$PIDFILE" ] && "${SUDO[@]}" rm -f "$PIDFILE"
fi

# overlay2 needs the overlay filesystem and a data root that is not itself on
# overlayfs (Docker in Docker); vfs always works, only slower and bigger.
pick_driver() {
	local fs
	if [ -n "${KUBEQUEST_DOCKERD_STORAGE_DRIVER:-}" ]; then
		echo "$KUBEQUEST_DOCKERD_STORAGE_DRIVER"
		return
	fi
	mkdir -p "$DATA_ROOT" 2>/dev/null || "${SUDO[@]}" mkdir -p "$DATA_ROOT"
	fs=$(stat -f -c %T "$DATA_ROOT" 2>/dev/null || echo unknown)
	if grep -qw overlay /proc/filesystems 2>/dev/null || "${SUDO[@]}" modprobe overlay 2>/dev/null; then
		if [ "$fs" != overlayfs ]; then
			echo overlay2
			return
		fi
	fi
	echo vfs
}

network_flags() {
	# iptables: Docker programs NAT and isolation rules; without it, use none.
	if ! "${SUDO[@]}" iptables -nL >/dev/null 2>&1; then
		if "${SUDO[@]}" iptables-legacy -nL >/dev/null 2>&1 && command -v update-alternatives >/dev/null; then
			"${SUDO[@]}" update-alternatives --set iptables /usr/sbin/iptables-legacy >/dev/null 2>&1 || true
		fi
	fi
	if ! "${SUDO[@]}" iptables -nL >/dev/null 2>&1; then
		say "iptables does not work here: starting dockerd with --iptables=false"
		echo "--iptables=false --ip-masq=false"
	fi
	# A bridge is what KubeQuest's per-cluster networks are made of.
	if ! "${SUDO[@]}" ip link add kq-probe-br0 type bridge 2>/dev/null; then
		say "warning: cannot create a network bridge here; KubeQuest's cluster networks will fail"
		echo "--bridge=none"
	else
		"${SUDO[@]}" ip link del kq-probe-br0 2>/dev/null || true
	fi
}

start() { # driver
	local flags
	flags=$(network_flags)
	say "starting dockerd (storage driver $1${flags:+, $flags}), log: $LOG"
	mkdir -p "$(dirname "$LOG")"
	# setsid + nohup: the daemon outlives this script, its terminal and CI step.
	# shellcheck disable=SC2086 # $flags holds separate words on purpose
	"${SUDO[@]}" setsid nohup dockerd --storage-driver "$1" --data-root "$DATA_ROOT" \
		$flags >>"$LOG" 2>&1 </dev/null &
	DOCKERD_PID=$!
}

# Still running? Either the process we started or the one in the pid file
# (setsid may have forked, leaving $! behind).
dockerd_alive() {
	running "$DOCKERD_PID" && return 0
	[ -s "$PIDFILE" ] && running "$(cat "$PIDFILE" 2>/dev/null)"
}

wait_until_answers() { # seconds -> 0 answers, 1 dockerd died, 2 timed out
	local deadline=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$deadline" ]; do
		answers && return 0
		dockerd_alive || return 1
		sleep 0.5
	done
	return 2
}

fail() {
	say "$1; the end of $LOG:"
	tail -n 30 "$LOG" >&2 || true
	exit 1
}

if [ "$started_by_us" = 0 ]; then
	DOCKERD_PID=$(cat "$PIDFILE")
	wait_until_answers "$WAIT" || fail "dockerd did not answer within ${WAIT}s"
	exit 0
fi

driver=$(pick_driver)
start "$driver"
status=0
wait_until_answers "$WAIT" || status=$?
if [ "$status" = 1 ] && [ "$driver" = overlay2 ]; then
	say "dockerd stopped with overlay2; trying vfs"
	[ -e "$PIDFILE" ] && "${SUDO[@]}" rm -f "$PIDFILE"
	start vfs
	status=0
	wait_until_answers "$WAIT" || status=$?
fi
case "$status" in
0) say "Docker daemon answers: $(docker info --format '{{.ServerVersion}}, storage {{.Driver}}' 2>/dev/null)" ;;
1) fail "dockerd stopped" ;;
*) fail "dockerd did not answer within ${WAIT}s" ;;
esac
