"""The Docker daemon goes away mid-level and comes back.

The runtime talks to the daemon through a Unix-socket relay this test can cut,
which looks to the client exactly like a daemon that stopped answering: the
node turns NotReady ("container runtime is down"), nothing crashes, the store
keeps what the learner did, and the cluster catches up once the daemon answers.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest

from engine.api.objects import get_condition
from engine.cluster import Cluster, NodeConfig
from engine.config import DEFAULT_TIMING
from engine.images.builder import ImageBuilder
from engine.runtime.docker import DockerRuntime

pytestmark = pytest.mark.docker
DOCKER_SOCK = "/var/run/docker.sock"


class SocketRelay:
    """Forwards a Unix socket to the Docker daemon's, until cut."""

    def __init__(self, path: Path):
        self.path = str(path)
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server: socket.socket | None = None
        self.restore()

    def restore(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(self.path)
        server.listen(64)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def cut(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        os.unlink(self.path)  # a client now gets "No such file or directory", as with a stopped daemon
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
                c.close()
            except OSError:
                pass

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            try:
                upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                upstream.connect(DOCKER_SOCK)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.close()
                except OSError:
                    pass


DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers: [{name: web, image: kubequest/web:1.0}]
"""


def test_the_daemon_going_away_is_survived(tmp_path, built_images: ImageBuilder):
    if not os.path.exists(DOCKER_SOCK):
        pytest.fail(f"{DOCKER_SOCK} is missing: this test relays the local daemon's socket")
    relay = SocketRelay(tmp_path / "docker.sock")
    runtime = DockerRuntime(f"kqtest-outage-{uuid.uuid4().hex[:6]}", base_url=f"unix://{relay.path}")
    cluster = Cluster(runtime, nodes=[NodeConfig("node-1")], timing=DEFAULT_TIMING.scaled(0.05))
    try:
        def available():
            d = cluster.store.get("Deployment", "web", copy=False)
            return (d.get("status") or {}).get("availableReplicas") == 2

        cluster.apply_text(DEPLOY)
        assert cluster.run_until(available, timeout=60)

        relay.cut()

        def node_not_ready():
            cond = get_condition(cluster.store.get("Node", "node-1", copy=False), "Ready")
            return cond["status"] == "False"

        assert cluster.run_until(node_not_ready, timeout=30)
        cond = get_condition(cluster.store.get("Node", "node-1"), "Ready")
        assert cond["reason"] == "KubeletNotReady"
        assert cond["message"].startswith("container runtime is down: ")
        # The learner keeps working meanwhile: the store takes it all.
        cluster.apply_text(DEPLOY.replace("replicas: 2", "replicas: 3"))
        cluster.run_until(None, timeout=2)
        assert cluster.store.get("Deployment", "web")["spec"]["replicas"] == 3

        relay.restore()

        def three_available():
            d = cluster.store.get("Deployment", "web", copy=False)
            return (d.get("status") or {}).get("availableReplicas") == 3

        assert cluster.run_until(three_available, timeout=90)

        def node_ready():
            return get_condition(cluster.store.get("Node", "node-1", copy=False), "Ready")["status"] == "True"

        # The node says Ready again at its next heartbeat that finds the runtime answering.
        assert cluster.run_until(node_ready, timeout=10)
    finally:
        if not os.path.exists(relay.path):
            relay.restore()
        cluster.close()
        runtime.close()
