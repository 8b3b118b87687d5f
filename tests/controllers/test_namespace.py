from __future__ import annotations

import pytest

from engine.api.errors import Forbidden
from engine.api.objects import owner_reference
from engine.controllers.garbagecollector import GarbageCollector
from engine.controllers.namespace import NamespaceController
from tests.controllers.fake_nodes import FakeNodes, add_node, make_loop


@pytest.fixture
def env():
    store, loop = make_loop()
    add_node(store, "node-1")
    loop.add(NamespaceController(loop.ctx))
    loop.add(GarbageCollector(loop.ctx))
    loop.add(FakeNodes(loop.ctx, auto_ready=False, terminate_delay=20))
    return store, loop


def populate(store, ns="shop"):
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
    store.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": ns},
            "data": {"a": "1"},
        }
    )
    store.create({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": ns}})
    store.create(
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
        }
    )
    store.create(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": ns},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "1Gi"}},
            },
        }
    )
    d = store.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": ns},
            "spec": {
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        }
    )
    for i in range(2):
        store.create(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": f"web-{i}",
                    "namespace": ns,
                    "labels": {"app": "web"},
                    "ownerReferences": [owner_reference(d)],
                },
                "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "x"}]},
            }
        )
    # Something in another namespace that must survive.
    store.create(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1"}}
    )


def content(store, ns="shop"):
    return sorted(
        (o["kind"], o["metadata"]["name"])
        for o in store.dump()
        if o["metadata"].get("namespace") == ns
    )


def test_namespace_deletion_removes_its_contents_then_itself(env):
    store, loop = env
    populate(store)
    loop.settle()
    assert len(content(store)) == 7
    store.delete("Namespace", "shop")
    ns = store.get("Namespace", "shop")
    assert ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    with pytest.raises(Forbidden):
        store.create(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "late", "namespace": "shop"},
            }
        )
    loop.settle()
    # Everything is deleted at once; the pods are terminating on their node, so the namespace waits.
    assert content(store) == [("Pod", "web-0"), ("Pod", "web-1")]
    assert all(p["metadata"]["deletionTimestamp"] for p in store.list("Pod", "shop"))
    assert store.get("Namespace", "shop")["status"]["phase"] == "Terminating"
    loop.advance(19)
    assert store.try_get("Namespace", "shop") is not None
    loop.advance(2)
    assert content(store) == []
    assert store.try_get("Namespace", "shop") is None
    assert store.try_get("ConfigMap", "cfg", "default") is not None


def test_namespace_waits_for_objects_held_by_finalizers(env):
    store, loop = env
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}})
    store.create(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "held", "namespace": "team", "finalizers": ["example.com/keep"]},
        }
    )
    store.delete("Namespace", "team")
    loop.advance(120)
    assert store.get("ConfigMap", "held", "team")["metadata"]["deletionTimestamp"]
    assert store.try_get("Namespace", "team") is not None
    store.mutate("ConfigMap", "held", "team", lambda c: c["metadata"].pop("finalizers"))
    loop.settle()
    assert store.try_get("Namespace", "team") is None


def test_empty_namespace_goes_at_once(env):
    store, loop = env
    store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "empty"}})
    store.delete("Namespace", "empty")
    assert store.try_get("Namespace", "empty") is not None
    loop.settle()
    assert store.try_get("Namespace", "empty") is None
