"""Pod workers on real Docker: pods start side by side (their sandboxes are
created at the same time), one pod's runtime calls never overlap, and a pod
deleted while its worker is starting it goes, with nothing left in Docker."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from engine.apiserver.runner import LoopThread
from engine.clock import WallClock
from engine.cluster import Cluster, NodeConfig
from engine.config import DEFAULT_TIMING

pytestmark = pytest.mark.docker

IMAGE = "kubequest/web:1.0"
POD_UID_LABEL = "io.kubequest.pod-uid"


@pytest.fixture(scope="module")
def images() -> None:
    from engine.images.builder import ImageBuilder
    from engine.runtime.docker import DockerRuntime

    runtime = DockerRuntime(f"kqtest-images-{os.getpid()}")
    try:
        ImageBuilder(runtime).build()
    finally:
        runtime.close()


def _runtime_class():
    from engine.runtime.docker import DockerRuntime

    class RecordingRuntime(DockerRuntime):
        """DockerRuntime that notes when each pod's start calls run, and can hold a
        sandbox creation until the test lets it go on."""

        def __init__(self, cluster_id: str):
            super().__init__(cluster_id)
            self.lock = threading.Lock()
            self.calls: list[tuple[str, str, float, float, str]] = []  # (uid, call, t0, t1, thread)
            self.pod_of_sandbox: dict[str, str] = {}
            self.hold: threading.Event | None = None
            self.holding = threading.Event()

        def _note(self, uid: str, call: str, t0: float) -> None:
            with self.lock:
                self.calls.append((uid, call, t0, time.monotonic(), threading.current_thread().name))

        def run_pod_sandbox(self, pod_uid, name, namespace, hostname, labels, subdomain=None):
            t0 = time.monotonic()
            sandbox = super().run_pod_sandbox(pod_uid, name, namespace, hostname, labels)
            self._note(pod_uid, "run_pod_sandbox", t0)
            with self.lock:
                self.pod_of_sandbox[sandbox.id] = pod_uid
            if self.hold is not None:
                self.holding.set()
                assert self.hold.wait(30), "the test never let the sandbox creation go on"
            return sandbox

        def create_container(self, sandbox_id, spec):
            t0 = time.monotonic()
            cid = super().create_container(sandbox_id, spec)
            self._note(self.pod_of_sandbox.get(sandbox_id, "?"), "create_container", t0)
            return cid

    return RecordingRuntime


@pytest.fixture
def cluster(images) -> Iterator[Cluster]:
    runtime = _runtime_class()(f"kqtest-workers-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    made = Cluster(runtime, clock=WallClock(), timing=DEFAULT_TIMING.scaled(0.05),
                   nodes=[NodeConfig("node-1", cpu="64", memory="64Gi")])
    try:
        yield made
    finally:
        try:
            made.close()
        finally:
            runtime.cleanup(runtime.cluster_id)
            runtime.close()


def _pod(name: str, grace: int = 1) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"terminationGracePeriodSeconds": grace,
                     "containers": [{"name": "web", "image": IMAGE}]}}


def _ready(cluster: Cluster, name: str) -> bool:
    pod = cluster.store.try_get("Pod", name, "default", copy=False)
    conditions = ((pod or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(t0, 1) for t0, _ in intervals] + [(t1, -1) for _, t1 in intervals])
    most = now = 0
    for _, step in points:
        now += step
        most = max(most, now)
    return most


def test_ten_pods_start_side_by_side(cluster: Cluster) -> None:
    runtime = cluster.runtime
    kubelet = cluster.kubelets["node-1"]
    assert kubelet.workers is not None and kubelet.workers.size >= 2
    names = [f"web-{i}" for i in range(10)]
    for name in names:
        cluster.store.create(_pod(name))
    assert cluster.run_until(lambda: all(_ready(cluster, n) for n in names), timeout=60)
    assert not kubelet.busy()

    sandboxes = [(t0, t1) for _, call, t0, t1, _ in runtime.calls if call == "run_pod_sandbox"]
    assert len(sandboxes) == 10
    # Sandbox creations overlapped: pods were started at the same time.
    assert _max_overlap(sandboxes) >= 2, sandboxes
    assert all(thread.startswith("kq-pod-worker-node-1") for *_, thread in runtime.calls)
    # ... but one pod's start calls never did: its syncs are strictly serialized.
    by_pod: dict[str, list[tuple[float, float]]] = {}
    for uid, _, t0, t1, _ in runtime.calls:
        by_pod.setdefault(uid, []).append((t0, t1))
    assert len(by_pod) == 10
    assert all(_max_overlap(calls) == 1 for calls in by_pod.values())
    # Docker agrees: the sandboxes' own start times overlap the others' creations.
    started = sorted(
        runtime.container_status(sid).started_at or 0.0 for sid in runtime.pod_of_sandbox)
    assert started[-1] - started[0] < sum(t1 - t0 for t0, t1 in sandboxes)


@pytest.mark.parametrize("grace", [1, 0], ids=["graceful", "force"])
def test_a_pod_deleted_while_its_worker_starts_it_goes_with_its_containers(
        cluster: Cluster, grace: int) -> None:
    runtime = cluster.runtime
    runtime.hold = threading.Event()
    cluster.store.create(_pod("doomed", grace=1))
    uid = cluster.store.get("Pod", "doomed", "default")["metadata"]["uid"]
    with LoopThread(cluster) as loop_thread:
        assert runtime.holding.wait(30), "the pod's sandbox was never created"
        # The worker is inside SyncPod: the sandbox exists, the container is still to come.
        cluster.store.delete("Pod", "doomed", "default", grace_period_seconds=grace)
        runtime.hold.set()

        def gone() -> bool:
            if cluster.store.try_get("Pod", "doomed", "default", copy=False) is not None:
                return False
            left = runtime.api.containers(all=True, filters={"label": [f"{POD_UID_LABEL}={uid}"]})
            return not left and not cluster.kubelets["node-1"].busy()

        deadline = time.monotonic() + 30
        while not gone():
            assert time.monotonic() < deadline, "the deleted pod or its containers are still there"
            time.sleep(0.05)
    assert loop_thread.error is None
    assert not cluster.kubelets["node-1"].pods
    # The worker went on to start the container before it saw the deletion.
    assert any(call == "create_container" and who == uid for who, call, *_ in runtime.calls)
