"""The ground under the Docker tests: the daemon answers and runs a container.

Independent of KubeQuest's images and runtime, so when this fails the problem
is the machine (no daemon, no busybox-static), not the game.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.images.builder import find_busybox

pytestmark = pytest.mark.docker


def test_docker_runs_a_container_from_scratch(tmp_path: Path) -> None:
    import docker

    client = docker.from_env(version="auto")
    try:
        assert client.ping()
        shutil.copy(find_busybox(), tmp_path / "busybox")
        (tmp_path / "Dockerfile").write_text(
            "FROM scratch\nCOPY busybox /bin/busybox\nCMD [\"/bin/busybox\", \"echo\", \"hello from scratch\"]\n")
        image, _ = client.images.build(path=str(tmp_path), tag="kubequest-smoke:test", rm=True,
                                       forcerm=True, network_mode="none")
        try:
            output = client.containers.run(image.id, remove=True, network_mode="none",
                                           labels={"io.kubequest.test": "smoke"})
            assert output == b"hello from scratch\n"
        finally:
            client.images.remove(image.id, force=True)
    finally:
        client.close()
