"""One scenario suite, two runtimes.

Every test here takes the `cluster` fixture and runs twice: on the sim runtime
with a virtual clock and Kubernetes' own timings (so exact times can be
asserted), and on real Docker with a wall clock and timings scaled down
(`timing`), where the same behaviour must show, only faster.
"""

from __future__ import annotations

import itertools
import os
import uuid

import pytest

from engine.clock import VirtualClock, WallClock
from engine.cluster import Cluster, NodeConfig
from engine.config import DEFAULT_TIMING

DOCKER_TIME_SCALE = 0.05
_ids = itertools.count()


@pytest.fixture(scope="session")
def docker_images():
    from engine.images.builder import ImageBuilder
    from engine.runtime.docker import DockerRuntime

    runtime = DockerRuntime(f"kqtest-images-{os.getpid()}")
    try:
        ImageBuilder(runtime).build()
    finally:
        runtime.close()


class ClusterFactory:
    def __init__(self, kind: str, request):
        self.kind = kind
        self.request = request
        self.made: list[tuple[Cluster, object]] = []
        self.timing = DEFAULT_TIMING if kind == "sim" else DEFAULT_TIMING.scaled(DOCKER_TIME_SCALE)

    @property
    def virtual(self) -> bool:
        return self.kind == "sim"

    def seconds(self, s: float) -> float:
        """A Kubernetes duration as this runtime plays it."""
        return s if self.virtual else s * DOCKER_TIME_SCALE

    def __call__(self, nodes: list[NodeConfig] | None = None) -> Cluster:
        if self.kind == "sim":
            from engine.runtime.sim import SimRuntime

            clock = VirtualClock()
            runtime = SimRuntime(clock)
        else:
            self.request.getfixturevalue("docker_images")
            from engine.runtime.docker import DockerRuntime

            clock = WallClock()
            runtime = DockerRuntime(f"kqtest-{os.getpid()}-{next(_ids)}-{uuid.uuid4().hex[:4]}")
        cluster = Cluster(runtime, clock=clock, nodes=nodes or [NodeConfig("node-1")], timing=self.timing)
        self.made.append((cluster, runtime))
        return cluster

    def close(self) -> None:
        for cluster, runtime in self.made:
            try:
                cluster.close()
            finally:
                if hasattr(runtime, "cleanup") and self.kind == "docker":
                    runtime.cleanup(runtime.cluster_id)
                runtime.close()


@pytest.fixture(params=["sim", pytest.param("docker", marks=pytest.mark.docker)])
def make_cluster(request):
    factory = ClusterFactory(request.param, request)
    yield factory
    factory.close()
