"""A KubeQuest cluster served over the Kubernetes API, for the real kubectl.

The cluster runs the sim runtime on a wall clock (kubectl waits in real time),
its loop in a LoopThread, the API on 127.0.0.1. `kubectl(...)` runs
/usr/bin/kubectl against it and fails the test with kubectl's own output.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.apiserver import APIServer, LoopThread
from engine.clock import WallClock
from engine.cluster import Cluster, NodeConfig

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@dataclass
class Served:
    cluster: Cluster
    server: APIServer
    kubeconfig: Path
    cache_dir: Path

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True,
                timeout: float = 60.0) -> subprocess.CompletedProcess:
        """Run kubectl; with check, a non-zero exit fails the test with its output."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env.update(KUBECONFIG=str(self.kubeconfig), HOME=str(self.cache_dir))
        cmd = [KUBECTL, f"--cache-dir={self.cache_dir}", *args]
        out = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout, env=env,
                             check=False)
        if check and out.returncode != 0:
            pytest.fail(f"`kubectl {' '.join(args)}` exited {out.returncode}\n"
                        f"--- stdout ---\n{out.stdout}\n--- stderr ---\n{out.stderr}", pytrace=False)
        return out

    def wait(self, predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.05)


def serve(runtime: Any, tmp: Path, *, nodes: list[NodeConfig] | None = None) -> Iterator[Served]:
    clock = WallClock()
    cluster = Cluster(runtime, clock=clock, nodes=nodes or [NodeConfig()])
    loop = LoopThread(cluster).start()
    server = APIServer(cluster).start()
    cache = tmp / "home"
    cache.mkdir(exist_ok=True)
    path = server.write_kubeconfig(tmp / "kubeconfig")
    try:
        yield Served(cluster, server, path, cache)
    finally:
        server.stop()
        loop.stop()
        cluster.close()
        close = getattr(runtime, "close", None)
        if close is not None:
            close()


def need_kubectl() -> None:
    if not Path(KUBECTL).exists():
        pytest.skip("kubectl is not installed")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from engine.runtime.sim import SimRuntime

    tmp = tmp_path_factory.mktemp("served")
    yield from serve(SimRuntime(WallClock()), tmp)
