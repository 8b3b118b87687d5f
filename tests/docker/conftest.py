"""Fixtures for the tests that run real containers (all marked `docker`).

Images are built once per session. Every container a test starts carries an
`io.kubequest.*` label (the images' own labels count too), and the session
ends by proving none is left behind.
"""

from __future__ import annotations

import contextlib
import http.client
import secrets
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.images.builder import ImageBuilder
from tests.conftest import docker_status

TEST_LABEL = "io.kubequest.test"


def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, interval: float = 0.05,
             what: str = "condition") -> Any:
    """Poll until predicate() is truthy; returns its value. Short polls, never long sleeps."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def http_get(host: str, port: int, path: str = "/", timeout: float = 2.0) -> tuple[int, str]:
    """One GET from the host to a container's IP on a project network."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def try_http_get(host: str, port: int, path: str = "/") -> tuple[int, str] | None:
    try:
        return http_get(host, port, path, timeout=1.0)
    except OSError:
        return None


# Every cluster id and network this session makes carries this token, so the
# leftover check below is not fooled by a game or another test run on the same
# daemon at the same time.
SESSION = secrets.token_hex(3)


def session_cluster_id() -> str:
    return f"test-{SESSION}-{secrets.token_hex(3)}"


def _leftovers(api: Any, since: float) -> list[dict[str, Any]]:
    """KubeQuest containers made since `since` that are this session's, or nobody's."""
    left = []
    for summary in api.containers(all=True):
        labels = summary.get("Labels") or {}
        if not any(key.startswith("io.kubequest.") for key in labels):
            continue
        cluster = labels.get("io.kubequest.cluster")
        if summary.get("Created", 0) >= since and (cluster is None or SESSION in cluster):
            left.append(summary)
    return left


@pytest.fixture(scope="session", autouse=True)
def no_containers_left_behind() -> Iterator[None]:
    since = int(time.time()) - 1  # Docker's Created is whole seconds
    yield
    if not docker_status()[0]:
        return
    import docker

    client = docker.from_env(version="auto")
    try:
        left = _leftovers(client.api, since)
        for summary in left:  # tidy up, but still fail below
            client.api.remove_container(summary["Id"], force=True)
    finally:
        client.close()
    names = [f"{s['Names'][0].lstrip('/')} ({s['State']})" for s in left]
    assert not names, f"tests left KubeQuest containers behind: {names}"


@pytest.fixture(scope="session")
def docker_runtime() -> Iterator[Any]:
    """A cluster-less DockerRuntime: images and daemon-wide calls."""
    from engine.runtime.docker import DockerRuntime

    runtime = DockerRuntime()
    runtime.ping()
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def built_images(docker_runtime: Any) -> ImageBuilder:
    """Every catalog image, built (or found current) once per session."""
    builder = ImageBuilder(docker_runtime)
    builder.build()
    return builder


@pytest.fixture(scope="session")
def test_network(docker_runtime: Any) -> Iterator[str]:
    """A project network for the image tests (labelled, so cleanup finds it too)."""
    name = f"kq-test-{SESSION}"
    network = docker_runtime.client.networks.create(
        name, driver="bridge", labels={"io.kubequest.cluster": name, TEST_LABEL: "1"})
    yield name
    network.remove()


class Containers:
    """Starts labelled containers for one test and removes them all afterwards."""

    def __init__(self, client: Any, network: str):
        self.client = client
        self.network = network
        self.started: list[Any] = []

    def run(self, image: str, **kwargs: Any) -> Any:
        labels = {TEST_LABEL: "1", "io.kubequest.cluster": self.network, **kwargs.pop("labels", {})}
        container = self.client.containers.run(
            image, detach=True, network=kwargs.pop("network", self.network), labels=labels, **kwargs)
        self.started.append(container)
        return container

    def ip(self, container: Any) -> str:
        container.reload()
        return container.attrs["NetworkSettings"]["Networks"][self.network]["IPAddress"]

    def wait_exit(self, container: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The container's State once it has exited."""
        def exited() -> dict[str, Any] | None:
            container.reload()
            return container.attrs["State"] if container.status == "exited" else None

        return wait_for(exited, timeout, what=f"{container.name} to exit")

    def remove_all(self) -> None:
        import docker.errors

        for container in self.started:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


@pytest.fixture
def containers(docker_runtime: Any, built_images: ImageBuilder, test_network: str) -> Iterator[Containers]:
    box = Containers(docker_runtime.client, test_network)
    yield box
    box.remove_all()
