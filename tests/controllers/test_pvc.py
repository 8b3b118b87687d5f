from __future__ import annotations

import pytest

from engine.controllers.pvc import PersistentVolumeClaimBinder
from tests.controllers.fake_nodes import make_loop


@pytest.fixture
def env():
    store, loop = make_loop()
    loop.add(PersistentVolumeClaimBinder(loop.ctx))
    return store, loop


def claim(name="data", **spec):
    body = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}
    body.update(spec)
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": body,
    }


def events(store, reason):
    return [e for e in store.list("Event") if e["reason"] == reason]


def test_pending_claim_is_provisioned_and_bound(env):
    store, loop = env
    created = store.create(claim())
    assert created["status"]["phase"] == "Pending"
    loop.settle()
    pvc = store.get("PersistentVolumeClaim", "data")
    volume = f"pvc-{pvc['metadata']['uid']}"
    assert pvc["spec"]["volumeName"] == volume
    assert pvc["status"] == {
        "phase": "Bound",
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "2Gi"},
    }
    ann = pvc["metadata"]["annotations"]
    assert ann["pv.kubernetes.io/bind-completed"] == "yes"
    assert ann["volume.kubernetes.io/storage-provisioner"] == "kubequest.io/local-path"
    (ev,) = events(store, "ProvisioningSucceeded")
    assert (
        ev["message"] == f"Successfully provisioned volume {volume} using kubequest.io/local-path"
    )
    assert (
        ev["involvedObject"]["name"] == "data"
        and ev["source"]["component"] == "persistentvolume-controller"
    )
    loop.settle()
    assert len(events(store, "ProvisioningSucceeded")) == 1  # bound claims are left alone


def test_standard_class_named_explicitly(env):
    store, loop = env
    store.create(claim(storageClassName="standard"))
    loop.settle()
    assert store.get("PersistentVolumeClaim", "data")["status"]["phase"] == "Bound"


def test_empty_class_means_static_binding_only(env):
    store, loop = env
    store.create(claim(storageClassName=""))
    loop.settle()
    pvc = store.get("PersistentVolumeClaim", "data")
    assert pvc["status"]["phase"] == "Pending" and "volumeName" not in pvc["spec"]
    (ev,) = events(store, "FailedBinding")
    assert (
        ev["message"]
        == "no persistent volumes available for this claim and no storage class is set"
    )


def test_unknown_class_fails_to_provision(env):
    store, loop = env
    store.create(claim(storageClassName="fast-ssd"))
    loop.settle()
    assert store.get("PersistentVolumeClaim", "data")["status"]["phase"] == "Pending"
    (ev,) = events(store, "ProvisioningFailed")
    assert (
        ev["type"] == "Warning"
        and ev["message"] == 'storageclass.storage.k8s.io "fast-ssd" not found'
    )


def test_statefulset_claims_get_bound():
    from engine.controllers.statefulset import StatefulSetController
    from tests.controllers.fake_nodes import FakeNodes, add_node

    store, loop = make_loop()
    add_node(store, "node-1")
    for c in (PersistentVolumeClaimBinder, StatefulSetController, FakeNodes):
        loop.add(c(loop.ctx))
    store.create(
        {
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": {"name": "db"},
            "spec": {
                "replicas": 2,
                "serviceName": "db",
                "selector": {"matchLabels": {"app": "db"}},
                "template": {
                    "metadata": {"labels": {"app": "db"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            },
        }
    )
    loop.advance(10)
    claims = store.list("PersistentVolumeClaim")
    assert [c["metadata"]["name"] for c in claims] == ["data-db-0", "data-db-1"]
    assert all(
        c["status"]["phase"] == "Bound" and c["status"]["capacity"] == {"storage": "1Gi"}
        for c in claims
    )
