"""Shared fixtures. Docker tests carry `@pytest.mark.docker`.

Without a Docker daemon they are skipped — unless KUBEQUEST_REQUIRE_DOCKER=1
(set by .ci/run), where a missing daemon fails them instead.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT.parent / "shared" / "k8s-examples"


def _docker_answers() -> tuple[bool, str]:
    try:
        out = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True, text=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"docker client failed: {exc}"
    if out.returncode != 0:
        return False, (out.stderr.strip().splitlines() or ["no daemon"])[-1]
    return True, out.stdout.strip()


_DOCKER: tuple[bool, str] | None = None


def docker_status() -> tuple[bool, str]:
    global _DOCKER
    if _DOCKER is None:
        _DOCKER = _docker_answers()
    return _DOCKER


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("docker") is None:
        return
    ok, why = docker_status()
    if ok:
        return
    message = f"Docker daemon not available: {why}"
    if os.environ.get("KUBEQUEST_REQUIRE_DOCKER") == "1":
        pytest.fail(message + " (KUBEQUEST_REQUIRE_DOCKER=1: Docker tests must run)", pytrace=False)
    pytest.skip(message)
