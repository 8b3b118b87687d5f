"""Pod workers: pods sync side by side on a wall clock, one pod's syncs never overlap,
and on a VirtualClock the kubelet stays sequential (no threads at all)."""

from __future__ import annotations

import threading
import time

import pytest

from engine.api.store import Store
from engine.clock import VirtualClock, WallClock
from engine.cluster import NodeConfig, node_object
from engine.kubelet import Kubelet
from engine.kubelet.kubelet import POD_WORKERS_ENV, default_pod_workers
from engine.kubelet.pod_workers import PodWorkers
from engine.loop import ControlLoop
from engine.runtime.sim import SimRuntime


def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


class Recorder:
    """A sync that records who runs when, and can hold a key until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: dict[str, int] = {}
        self.max_running = 0
        self.max_same_key = 0
        self.calls: list[str] = []
        self.gates: dict[str, threading.Event] = {}
        self.entered: dict[str, threading.Event] = {}

    def gate(self, key: str) -> threading.Event:
        self.gates[key] = threading.Event()
        self.entered[key] = threading.Event()
        return self.gates[key]

    def __call__(self, key: str) -> None:
        with self.lock:
            self.running[key] = self.running.get(key, 0) + 1
            self.max_same_key = max(self.max_same_key, self.running[key])
            self.max_running = max(self.max_running, sum(self.running.values()))
            self.calls.append(key)
        try:
            if key in self.entered:
                self.entered[key].set()
            gate = self.gates.get(key)
            if gate is not None:
                assert gate.wait(5), f"{key} was never released"
            else:
                time.sleep(0.02)
        finally:
            with self.lock:
                self.running[key] -= 1


def test_different_pods_sync_at_once_and_one_pod_never_twice():
    sync = Recorder()
    wakes = []
    workers = PodWorkers(sync, 4, wake=lambda: wakes.append(1))
    held = sync.gate("a")
    workers.dispatch("a")
    assert sync.entered["a"].wait(5)
    for _ in range(3):  # updates while its sync runs: one more sync, not three, and not now
        workers.dispatch("a")
    for key in "bcd":
        workers.dispatch(key)
    wait_for(lambda: sync.calls.count("b") and sync.calls.count("c") and sync.calls.count("d"))
    assert workers.busy() and workers.active("a")
    assert sync.calls.count("a") == 1
    held.clear()
    sync.gates.pop("a")
    held.set()
    assert workers.wait_idle(5)
    assert sync.calls.count("a") == 2  # the pending update, once
    assert sync.max_same_key == 1
    assert sync.max_running >= 2
    assert not workers.busy() and wakes  # every finished sync wakes the loop
    assert workers.shutdown(5)


def test_a_failing_sync_frees_its_pod():
    def sync(key: str) -> None:
        raise RuntimeError("boom")

    workers = PodWorkers(sync, 2)
    workers.dispatch("a")
    assert workers.wait_idle(5)
    workers.dispatch("a")  # not stuck "active"
    assert workers.wait_idle(5)
    workers.shutdown(5)


def test_shutdown_waits_for_the_syncs_under_way_and_drops_pending_ones():
    sync = Recorder()
    held = sync.gate("a")
    workers = PodWorkers(sync, 2)
    workers.dispatch("a")
    assert sync.entered["a"].wait(5)
    workers.dispatch("a")  # pending
    threading.Timer(0.1, held.set).start()
    assert workers.shutdown(5)
    assert sync.calls == ["a"]
    assert not workers.busy()
    sync.gates.clear()
    workers.dispatch("b")  # a later dispatch starts new threads
    assert workers.wait_idle(5) and sync.calls == ["a", "b"]
    workers.shutdown(5)


def test_pod_workers_only_on_a_wall_clock(monkeypatch):
    monkeypatch.delenv(POD_WORKERS_ENV, raising=False)
    assert default_pod_workers(VirtualClock()) == 0
    assert default_pod_workers(WallClock()) == 4
    monkeypatch.setenv(POD_WORKERS_ENV, "1")
    assert default_pod_workers(WallClock()) == 1
    monkeypatch.setenv(POD_WORKERS_ENV, "8")
    assert default_pod_workers(VirtualClock()) == 0


def _kubelet_cluster(clock, pod_workers=None):
    store = Store(clock)
    runtime = SimRuntime(clock)
    loop = ControlLoop(store, clock, runtime=runtime)
    store.create(node_object(NodeConfig("node-1"), "172.18.0.10"), validate=False)
    kubelet = loop.add(Kubelet(loop.ctx, "node-1", runtime, loop, pod_workers=pod_workers))
    return store, runtime, loop, kubelet


def test_a_virtual_clock_kubelet_has_no_workers():
    _, _, loop, kubelet = _kubelet_cluster(VirtualClock())
    assert kubelet.workers is None and not kubelet.busy() and not loop.busy()
    with pytest.raises(ValueError):
        _kubelet_cluster(VirtualClock(), pod_workers=4)


def _pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": "node-1", "terminationGracePeriodSeconds": 0,
                     "containers": [{"name": "web", "image": "kubequest/web:1.0"}]}}


def _phase(store, name):
    pod = store.try_get("Pod", name, "default", copy=False)
    return ((pod or {}).get("status") or {}).get("phase")


def test_sim_on_a_wall_clock_starts_and_removes_pods_through_the_workers():
    store, runtime, loop, kubelet = _kubelet_cluster(WallClock(), pod_workers=4)
    threads: set[str] = set()
    real_sandbox = runtime.run_pod_sandbox

    def run_pod_sandbox(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real_sandbox(*args, **kwargs)

    runtime.run_pod_sandbox = run_pod_sandbox
    try:
        loop.settle()
        for i in range(20):
            store.create(_pod(f"p{i}"))
        loop.settle()  # returns only once the workers are done
        assert not kubelet.busy()
        assert all(_phase(store, f"p{i}") == "Running" for i in range(20))
        assert threads and all(t.startswith("kq-pod-worker-node-1") for t in threads)
        for i in range(20):
            store.delete("Pod", f"p{i}", "default")
        assert loop.run_until(lambda: not store.list("Pod", copy=False) and not runtime.list_containers(),
                              timeout=10)
        assert not kubelet.pods
    finally:
        kubelet.shutdown()
        runtime.close()


def test_a_probe_never_reads_a_pod_its_worker_is_syncing():
    """The first liveness tick comes due while the worker that just started the
    container is still reading its state: it must wait, not see a container that
    is not running yet and fail it (which killed healthy pods)."""
    store, runtime, loop, kubelet = _kubelet_cluster(WallClock(), pod_workers=4)
    real_status = runtime.container_status

    def slow_status(container_id):
        if threading.current_thread().name.startswith("kq-pod-worker"):
            time.sleep(0.1)  # widen the window between add_pod and the refresh after the start
        return real_status(container_id)

    runtime.container_status = slow_status
    try:
        for i in range(4):
            pod = _pod(f"live{i}")
            pod["spec"]["containers"][0]["livenessProbe"] = {
                "httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 1, "failureThreshold": 1}
            store.create(pod)
        assert loop.run_until(lambda: all(_phase(store, f"live{i}") == "Running" for i in range(4)),
                              timeout=10)
        loop.advance(1.5)
        killed = [e for e in store.list("Event", copy=False) if e["reason"] == "Killing"]
        assert not killed, [e["message"] for e in killed]
    finally:
        kubelet.shutdown()
        runtime.close()
