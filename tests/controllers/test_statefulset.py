from __future__ import annotations

import pytest

from engine.api.objects import get_condition
from engine.controllers.statefulset import StatefulSetController, compute_hash
from tests.controllers.fake_nodes import FakeNodes, add_node, make_loop


def sts(
    name="web", replicas=3, *, policy=None, image="kubequest/web:1.0", claims=True, **spec_extra
):
    spec = {
        "serviceName": "nginx",
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "web", "image": image}]},
        },
    }
    if claims:
        spec["volumeClaimTemplates"] = [
            {
                "metadata": {"name": "www"},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}},
                },
            }
        ]
    if policy:
        spec["podManagementPolicy"] = policy
    spec.update(spec_extra)
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": spec,
    }


@pytest.fixture
def env():
    store, loop = make_loop()
    add_node(store, "node-1")
    loop.add(StatefulSetController(loop.ctx))
    nodes = loop.add(FakeNodes(loop.ctx, ready_delay=5, terminate_delay=3))
    return store, loop, nodes


def ready(pod):
    c = get_condition(pod, "Ready")
    return pod["status"].get("phase") == "Running" and c and c["status"] == "True"


def events(store, reason=None):
    """Events in the order they were recorded (the store lists them by name)."""
    evs = sorted(store.list("Event"), key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e for e in evs if reason is None or e["reason"] == reason]


def names(store):
    return [p["metadata"]["name"] for p in store.list("Pod", copy=False)]


def all_ready(store, n):
    pods = store.list("Pod", copy=False)
    return len(pods) == n and all(
        ready(p) and not p["metadata"].get("deletionTimestamp") for p in pods
    )


def test_ordered_start_one_at_a_time_waiting_for_ready(env):
    store, loop, _ = env
    seen = []

    def on_add(ev):
        if ev.kind == "Pod" and ev.type == "ADDED":
            others = {
                p["metadata"]["name"]: ready(p)
                for p in store.list("Pod", copy=False)
                if p["metadata"]["name"] != ev.object["metadata"]["name"]
            }
            seen.append((ev.object["metadata"]["name"], others, store.clock.now()))

    store.subscribe(on_add)
    store.create(sts())
    assert loop.run_until(lambda: all_ready(store, 3), 120)
    assert [s[0] for s in seen] == ["web-0", "web-1", "web-2"]
    assert seen[1][1] == {"web-0": True}
    assert seen[2][1] == {"web-0": True, "web-1": True}
    assert seen[1][2] - seen[0][2] == 5 and seen[2][2] - seen[1][2] == 5  # one ready_delay each
    pod = store.get("Pod", "web-1")
    labels = pod["metadata"]["labels"]
    assert labels["statefulset.kubernetes.io/pod-name"] == "web-1"
    assert labels["apps.kubernetes.io/pod-index"] == "1"
    assert labels["controller-revision-hash"].startswith("web-")
    assert pod["spec"]["hostname"] == "web-1" and pod["spec"]["subdomain"] == "nginx"
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in pod["spec"][
        "volumes"
    ]
    pvcs = [c["metadata"]["name"] for c in store.list("PersistentVolumeClaim")]
    assert pvcs == ["www-web-0", "www-web-1", "www-web-2"]
    assert store.get("PersistentVolumeClaim", "www-web-0")["metadata"]["labels"] == {"app": "web"}
    st = store.get("StatefulSet", "web")["status"]
    assert st["replicas"] == 3 and st["readyReplicas"] == 3 and st["availableReplicas"] == 3
    assert st["currentReplicas"] == 3 and st["updatedReplicas"] == 3
    assert st["currentRevision"] == st["updateRevision"] == labels["controller-revision-hash"]
    msgs = [e["message"] for e in events(store, "SuccessfulCreate")]
    assert msgs[:2] == [
        "create Claim www-web-0 Pod web-0 in StatefulSet web success",
        "create Pod web-0 in StatefulSet web successful",
    ]
    assert all(e["source"]["component"] == "statefulset-controller" for e in store.list("Event"))


def test_ordered_scale_down_from_highest_ordinal(env):
    store, loop, _ = env
    store.create(sts(replicas=3))
    assert loop.run_until(lambda: all_ready(store, 3), 120)
    order = []
    store.subscribe(
        lambda ev: (
            order.append(
                (
                    ev.type,
                    ev.object["metadata"]["name"],
                    bool(ev.object["metadata"].get("deletionTimestamp")),
                )
            )
            if ev.kind == "Pod"
            and (ev.type == "DELETED" or ev.object["metadata"].get("deletionTimestamp"))
            else None
        )
    )
    store.mutate("StatefulSet", "web", "default", lambda s: s["spec"].__setitem__("replicas", 1))
    assert loop.run_until(lambda: names(store) == ["web-0"], 120)
    marks = [(t, n) for t, n, _ in order if t == "MODIFIED"]
    gone = [(t, n) for t, n, _ in order if t == "DELETED"]
    assert [n for _, n in marks][:1] == ["web-2"]
    # web-1 is only marked for deletion after web-2 is gone.
    i_web2_gone = order.index(("DELETED", "web-2", True))
    i_web1_marked = next(i for i, o in enumerate(order) if o[1] == "web-1")
    assert i_web2_gone < i_web1_marked
    assert [n for _, n in gone] == ["web-2", "web-1"]
    # Claims are retained.
    assert len(store.list("PersistentVolumeClaim")) == 3
    deletes = [e["message"] for e in events(store, "SuccessfulDelete")]
    assert deletes == [
        "delete Pod web-2 in StatefulSet web successful",
        "delete Pod web-1 in StatefulSet web successful",
    ]


def test_deleted_pod_comes_back_with_same_name_and_claim(env):
    store, loop, _ = env
    store.create(sts(replicas=2))
    assert loop.run_until(lambda: all_ready(store, 2), 120)
    old = store.get("Pod", "web-1")
    claim_uid = store.get("PersistentVolumeClaim", "www-web-1")["metadata"]["uid"]
    store.delete("Pod", "web-1", "default")
    assert loop.run_until(
        lambda: (
            (p := store.try_get("Pod", "web-1")) is not None
            and p["metadata"]["uid"] != old["metadata"]["uid"]
            and ready(p)
        ),
        120,
    )
    new = store.get("Pod", "web-1")
    assert {"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}} in new["spec"][
        "volumes"
    ]
    assert store.get("PersistentVolumeClaim", "www-web-1")["metadata"]["uid"] == claim_uid
    assert len(store.list("PersistentVolumeClaim")) == 2


def test_parallel_creates_all_at_once(env):
    store, loop, _ = env
    store.create(sts(replicas=3, policy="Parallel", claims=False))
    loop.settle()
    assert names(store) == ["web-0", "web-1", "web-2"]
    assert all(p["status"].get("phase", "Pending") == "Pending" for p in store.list("Pod"))


def test_failed_pod_is_recreated(env):
    store, loop, _nodes = env
    store.create(sts(replicas=1, claims=False))
    assert loop.run_until(lambda: all_ready(store, 1), 60)
    uid = store.get("Pod", "web-0")["metadata"]["uid"]
    store.mutate(
        "Pod",
        "web-0",
        "default",
        lambda p: p["status"].__setitem__("phase", "Failed"),
        subresource="status",
    )
    assert loop.run_until(
        lambda: (
            (p := store.try_get("Pod", "web-0")) is not None
            and p["metadata"]["uid"] != uid
            and ready(p)
        ),
        60,
    )
    assert any(e["reason"] == "RecreatingFailedPod" for e in store.list("Event"))


def test_rolling_update_from_highest_ordinal_respecting_partition(env):
    store, loop, _ = env
    store.create(
        sts(
            replicas=3,
            claims=False,
            updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
        )
    )
    assert loop.run_until(lambda: all_ready(store, 3), 120)
    old_rev = store.get("StatefulSet", "web")["status"]["currentRevision"]
    deletions = []
    store.subscribe(
        lambda ev: (
            deletions.append(ev.object["metadata"]["name"])
            if ev.kind == "Pod" and ev.type == "DELETED"
            else None
        )
    )

    def patch(s):
        s["spec"]["template"]["spec"]["containers"][0]["image"] = "kubequest/web:2.0"

    store.mutate("StatefulSet", "web", "default", patch)
    new_template = store.get("StatefulSet", "web")["spec"]["template"]
    new_rev = f"web-{compute_hash(new_template)}"

    def images():
        return {
            p["metadata"]["name"]: p["spec"]["containers"][0]["image"] for p in store.list("Pod")
        }

    assert loop.run_until(
        lambda: (
            images()
            == {
                "web-0": "kubequest/web:1.0",
                "web-1": "kubequest/web:2.0",
                "web-2": "kubequest/web:2.0",
            }
            and all_ready(store, 3)
        ),
        120,
    )
    loop.advance(30)
    assert deletions == ["web-2", "web-1"]
    st = store.get("StatefulSet", "web")["status"]
    assert st["updateRevision"] == new_rev and st["currentRevision"] == old_rev != new_rev
    assert st["updatedReplicas"] == 2 and st["currentReplicas"] == 1
    # Dropping the partition finishes the rollout, and the current revision moves.
    store.mutate(
        "StatefulSet",
        "web",
        "default",
        lambda s: s["spec"]["updateStrategy"]["rollingUpdate"].__setitem__("partition", 0),
    )
    assert loop.run_until(
        lambda: set(images().values()) == {"kubequest/web:2.0"} and all_ready(store, 3), 120
    )
    loop.settle()
    st = store.get("StatefulSet", "web")["status"]
    assert st["currentRevision"] == st["updateRevision"] == new_rev and st["currentReplicas"] == 3


def test_deleted_set_keeps_claims_and_orphans_are_adopted(env):
    store, loop, _ = env
    store.create(sts(replicas=1))
    assert loop.run_until(lambda: all_ready(store, 1), 60)
    store.delete("StatefulSet", "web", "default", propagation="Orphan")
    # No garbage collector here: emulate the orphaning it would do.
    store.mutate(
        "StatefulSet", "web", "default", lambda s: s["metadata"].__setitem__("finalizers", [])
    )
    store.mutate(
        "Pod", "web-0", "default", lambda p: p["metadata"].__setitem__("ownerReferences", [])
    )
    assert store.try_get("StatefulSet", "web") is None
    store.create(sts(replicas=1))
    loop.settle()
    pod = store.get("Pod", "web-0")
    assert (
        pod["metadata"]["ownerReferences"][0]["uid"]
        == store.get("StatefulSet", "web")["metadata"]["uid"]
    )
    assert len(store.list("PersistentVolumeClaim")) == 1
