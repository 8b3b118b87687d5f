#!/usr/bin/env bash
# The README's test command: on a Debian machine (as root, or with sudo), install
# what KubeQuest needs, start Docker, install the package with its test extra and
# run the whole suite (`python -m pytest -q`, extra arguments passed on).
# .ci/run calls it with KUBEQUEST_REQUIRE_DOCKER=1, so there a missing Docker
# daemon fails the Docker tests instead of skipping them.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "test: $*" >&2; }

SUDO=()
[ "$(id -u)" = 0 ] || SUDO=(sudo -n)

export DEBIAN_FRONTEND=noninteractive
say "installing docker.io busybox-static iptables"
"${SUDO[@]}" apt-get update -qq </dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	docker.io busybox-static iptables </dev/null >/dev/null

scripts/start-dockerd.sh </dev/null

# `python` must be a Python 3.11+ that pip may install into. Debian's own
# python3 refuses (PEP 668) and may have no `python` name: use a venv then.
usable_python() {
	command -v python >/dev/null 2>&1 && python - <<'PY'
import os, sys, sysconfig
managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
in_venv = sys.prefix != sys.base_prefix
sys.exit(0 if sys.version_info >= (3, 11) and (in_venv or not managed) else 1)
PY
}
if ! usable_python; then
	venv=${XDG_CACHE_HOME:-$HOME/.cache}/kubequest-ci-venv
	say "no usable \`python\`: using the venv $venv"
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends python3-venv python3-pip </dev/null >/dev/null
	[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
	# shellcheck disable=SC1091
	source "$venv/bin/activate"
fi

say "pip install -e '.[test]'"
if ! python -m pip install -q --disable-pip-version-check -e '.[test]' </dev/null; then
	# Offline runners: the build backend (setuptools) may already be installed.
	say "retrying without build isolation"
	python -m pip install -q --disable-pip-version-check --no-build-isolation -e '.[test]' </dev/null
fi

say "python -m pytest -q $* (KUBEQUEST_REQUIRE_DOCKER=${KUBEQUEST_REQUIRE_DOCKER:-0})"
status=0
python -m pytest -q "$@" </dev/null || status=$?
if [ "$status" = 5 ]; then
	say "pytest collected no tests: that is a failure"
	exit 1
fi
exit "$status"
