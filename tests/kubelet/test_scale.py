"""Many pods: the kubelet's work per pod stays constant (no scans of all pods)."""

from __future__ import annotations

import time

from tests.kubelet.conftest import Harness


def test_thousands_of_pods_converge_with_constant_work_per_pod():
    h = Harness(("node-1", "node-2", "node-3"))
    try:
        writes: dict[str, int] = {}
        h.store.subscribe(lambda ev: ev.kind == "Pod" and ev.type == "MODIFIED" and writes.__setitem__(
            ev.object["metadata"]["name"], writes.get(ev.object["metadata"]["name"], 0) + 1))
        syncs = 0
        for k in h.kubelets.values():
            original = k.sync

            def counted(key, original=original):
                nonlocal syncs
                syncs += 1
                original(key)

            k.sync = counted
        n = 1500
        for i in range(n):
            h.create_pod(f"p{i}", [{"name": "t", "image": "kubequest/toolbox:1.0"}],
                         node=f"node-{i % 3 + 1}")
        started = time.perf_counter()
        h.loop.settle()
        took = time.perf_counter() - started
        pods = h.store.list("Pod", copy=False)
        assert sum(1 for p in pods if p["status"].get("phase") == "Running") == n
        assert max(writes.values()) == 1  # one status write per pod: Running at once
        assert syncs <= 2 * n  # the first sync, and the PLEG's "started" event
        assert took < 10, f"{n} pods took {took:.1f}s"  # ~1 ms per pod here, not O(n²)
        # Deleting them all is just as linear.
        for i in range(n):
            h.store.delete("Pod", f"p{i}", "default")
        started = time.perf_counter()
        h.loop.settle()
        assert h.store.count("Pod") == 0
        assert time.perf_counter() - started < 10
        assert not h.loop.sandbox_owners
    finally:
        h.close()
