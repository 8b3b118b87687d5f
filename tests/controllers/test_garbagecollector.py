from __future__ import annotations

import pytest

from engine.api.objects import owner_reference
from engine.controllers.garbagecollector import GarbageCollector
from tests.controllers.fake_nodes import FakeNodes, add_node, make_loop


@pytest.fixture
def env():
    store, loop = make_loop()
    add_node(store, "node-1")
    loop.add(GarbageCollector(loop.ctx))
    # The fake kubelet finishes graceful pod deletions 5 s after they are asked for.
    loop.add(FakeNodes(loop.ctx, auto_ready=False, terminate_delay=5))
    return store, loop


def deployment_chain(store, *, pods=2, block=True, name="web"):
    """Deployment -> ReplicaSet -> Pods, wired with ownerReferences as the controllers would."""
    d = store.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        }
    )
    rs = store.create(
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {"name": f"{name}-5d4f8", "ownerReferences": [owner_reference(d)]},
            "spec": {
                "replicas": pods,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        }
    )
    ref = owner_reference(rs)
    ref["blockOwnerDeletion"] = block
    out = []
    for i in range(pods):
        out.append(
            store.create(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"{name}-5d4f8-p{i}",
                        "labels": {"app": name},
                        "ownerReferences": [ref],
                    },
                    "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "x"}]},
                }
            )
        )
    return d, rs, out


def kinds_left(store, name="web"):
    return sorted(
        o["kind"]
        for o in store.dump()
        if o["kind"] in ("Deployment", "ReplicaSet", "Pod")
        and o["metadata"]["name"].startswith(name)
    )


def test_background_cascade_deployment_replicaset_pods(env):
    store, loop = env
    deployment_chain(store)
    loop.settle()
    assert kinds_left(store) == ["Deployment", "Pod", "Pod", "ReplicaSet"]  # nothing is garbage yet
    store.delete("Deployment", "web", "default")  # kubectl delete: Background
    assert store.try_get("Deployment", "web") is None
    loop.settle()
    assert store.try_get("ReplicaSet", "web-5d4f8") is None
    pods = store.list("Pod")
    assert len(pods) == 2 and all(
        p["metadata"].get("deletionTimestamp") for p in pods
    )  # terminating
    loop.advance(10)
    assert kinds_left(store) == []


def test_orphan_keeps_dependents_without_owner_references(env):
    store, loop = env
    _d, rs, _pods = deployment_chain(store)
    store.delete("Deployment", "web", "default", propagation="Orphan")
    assert store.get("Deployment", "web")["metadata"]["finalizers"] == ["orphan"]
    loop.settle()
    assert store.try_get("Deployment", "web") is None  # finalizer removed, then gone
    rs_now = store.get("ReplicaSet", "web-5d4f8")
    assert "ownerReferences" not in rs_now["metadata"]
    # The pods still belong to the ReplicaSet, which was not deleted.
    for p in store.list("Pod"):
        assert p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]
        assert not p["metadata"].get("deletionTimestamp")
    loop.advance(60)
    assert kinds_left(store) == ["Pod", "Pod", "ReplicaSet"]


def test_foreground_deletes_dependents_first(env):
    store, loop = env
    deployment_chain(store)
    order = []
    store.subscribe(
        lambda ev: (
            order.append(ev.object["kind"])
            if ev.type == "DELETED" and ev.object["kind"] in ("Deployment", "ReplicaSet", "Pod")
            else None
        )
    )
    store.delete("Deployment", "web", "default", propagation="Foreground")
    loop.settle()
    d = store.get("Deployment", "web")
    assert d["metadata"]["deletionTimestamp"] and d["metadata"]["finalizers"] == [
        "foregroundDeletion"
    ]
    rs = store.get("ReplicaSet", "web-5d4f8")  # deleted in the foreground too: it has dependents
    assert rs["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert all(p["metadata"].get("deletionTimestamp") for p in store.list("Pod"))
    loop.advance(10)
    assert kinds_left(store) == []
    assert order == ["Pod", "Pod", "ReplicaSet", "Deployment"]


def test_foreground_does_not_wait_for_non_blocking_dependents(env):
    store, loop = env
    deployment_chain(store, block=False)
    store.delete("ReplicaSet", "web-5d4f8", "default", propagation="Foreground")
    loop.settle()
    assert store.try_get("ReplicaSet", "web-5d4f8") is None  # gone before its pods
    assert all(p["metadata"].get("deletionTimestamp") for p in store.list("Pod"))
    loop.advance(10)
    assert store.list("Pod") == []


def test_dependent_created_with_a_missing_owner_is_collected(env):
    store, loop = env
    ghost = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "gone",
        "uid": "0000",
        "controller": True,
    }
    store.create(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "lost", "ownerReferences": [ghost]},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
        }
    )
    loop.settle()
    assert store.try_get("Pod", "lost") is None


def test_owner_with_same_name_but_other_uid_is_dangling(env):
    store, loop = env
    d, _rs, _ = deployment_chain(store, pods=0)
    store.delete("Deployment", "web", "default", propagation="Orphan")
    loop.settle()
    store.create(
        {
            **{k: v for k, v in d.items() if k != "status"},
            "metadata": {"name": "web", "namespace": "default"},
        }
    )
    # Point the RS at the old uid again: a reference to an owner that no longer exists.
    store.mutate(
        "ReplicaSet",
        "web-5d4f8",
        "default",
        lambda r: r["metadata"].__setitem__("ownerReferences", [owner_reference(d)]),
    )
    loop.settle()
    assert store.try_get("ReplicaSet", "web-5d4f8") is None
    assert store.try_get("Deployment", "web") is not None


def test_solid_owner_keeps_dependent_and_drops_dangling_reference(env):
    store, loop = env
    a = store.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})
    b = store.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}})
    store.create(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "s",
                "ownerReferences": [
                    owner_reference(a, controller=False),
                    owner_reference(b, controller=False),
                ],
            },
        }
    )
    store.delete("ConfigMap", "a", "default")
    loop.settle()
    s = store.get("Secret", "s")
    assert [r["name"] for r in s["metadata"]["ownerReferences"]] == ["b"]
    store.delete("ConfigMap", "b", "default")
    loop.settle()
    assert store.try_get("Secret", "s") is None


def test_cluster_scoped_owner(env):
    store, loop = env
    node = store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-9"}})
    store.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "per-node",
                "namespace": "kube-system",
                "ownerReferences": [owner_reference(node, controller=False)],
            },
        }
    )
    loop.settle()
    assert store.try_get("ConfigMap", "per-node", "kube-system") is not None
    store.delete("Node", "node-9")
    loop.settle()
    assert store.try_get("ConfigMap", "per-node", "kube-system") is None


def test_deleting_a_job_cascades_to_pods_holding_the_tracking_finalizer():
    from engine.controllers.job import JobController

    store, loop = make_loop()
    add_node(store, "node-1")
    for c in (GarbageCollector, JobController):
        loop.add(c(loop.ctx))
    loop.add(FakeNodes(loop.ctx, terminate_delay=5))
    store.create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "batch"},
            "spec": {
                "parallelism": 2,
                "completions": 4,
                "template": {
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "w", "image": "kubequest/toolbox:1.0"}],
                    }
                },
            },
        }
    )
    loop.advance(5)
    assert len(store.list("Pod")) == 2
    store.delete("Job", "batch", "default", propagation="Foreground")
    loop.settle()
    assert store.get("Job", "batch")["metadata"]["finalizers"] == ["foregroundDeletion"]
    loop.advance(10)
    assert store.list("Pod") == [] and store.try_get("Job", "batch") is None
