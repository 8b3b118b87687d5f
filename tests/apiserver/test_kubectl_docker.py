"""A subset of the kubectl scenarios on real Docker containers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import yaml

from .conftest import Served, need_kubectl, serve

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def docker_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    need_kubectl()
    from engine.images.builder import ImageBuilder
    from engine.runtime.docker import DockerRuntime

    images = DockerRuntime()
    images.ping()
    ImageBuilder(images).build()
    images.close()
    cluster_id = f"test-apiserver-{secrets.token_hex(3)}"
    runtime = DockerRuntime(cluster_id)
    runtime.ping()
    try:
        yield from serve(runtime, tmp_path_factory.mktemp("docker-served"))
    finally:
        cleaner = DockerRuntime()
        try:
            cleaner.cleanup(cluster_id)
        finally:
            cleaner.close()


def test_docker_apply_get_logs_exec_delete(docker_served: Served) -> None:
    s = docker_served
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "dweb"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "dweb"}},
                    "template": {"metadata": {"labels": {"app": "dweb"}},
                                 "spec": {"containers": [{"name": "web", "image": "kubequest/web:1.0",
                                                          "ports": [{"containerPort": 8080}]}]}}}}
    text = yaml.safe_dump(doc)
    assert s.kubectl("apply", "-f", "-", stdin=text).stdout.strip() == "deployment.apps/dweb created"
    assert s.kubectl("apply", "-f", "-", stdin=text).stdout.strip() == "deployment.apps/dweb unchanged"
    s.kubectl("rollout", "status", "deployment/dweb", "--timeout=90s", timeout=120)
    out = s.kubectl("get", "pods", "-l", "app=dweb").stdout
    rows = [line.split() for line in out.splitlines()[1:]]
    assert len(rows) == 2 and all(r[1:4] == ["1/1", "Running", "0"] for r in rows), out
    pod = rows[0][0]
    assert "listening on :8080" in s.kubectl("logs", pod).stdout
    out = s.kubectl("exec", pod, "--", "echo", "from docker")
    assert out.stdout.strip() == "from docker", out
    s.kubectl("set", "image", "deployment/dweb", "web=kubequest/web:2.0")
    s.kubectl("rollout", "status", "deployment/dweb", "--timeout=90s", timeout=120)
    assert s.kubectl("delete", "deployment", "dweb").stdout.strip() == 'deployment.apps "dweb" deleted'
    s.wait(lambda: not s.kubectl("get", "pods", "-l", "app=dweb", "-o", "name").stdout.strip(), timeout=90,
           what="the pods to go")
