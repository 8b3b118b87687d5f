from __future__ import annotations

import time

import pytest

from engine.api.errors import APIStatusError
from engine.api.store import NAME_ALPHABET
from engine.controllers.podutil import pods_to_delete
from engine.controllers.replicaset import slow_start_batch
from tests.controllers.fake_kubelet import Harness, bare_pod, replica_set


def owner_uid(pod: dict) -> str | None:
    refs = [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")]
    return refs[0]["uid"] if refs else None


# ---- slowStartBatch ----------------------------------------------------------------


def test_slow_start_batches_double_and_stop_at_the_first_failing_batch():
    calls = []
    assert slow_start_batch(10, 1, lambda: calls.append(1)) == (10, None)
    assert len(calls) == 10

    n = {"i": 0}

    def fail_on_fifth():
        n["i"] += 1
        if n["i"] == 5:  # in the third batch (calls 4..7)
            raise APIStatusError("quota exceeded")

    successes, err = slow_start_batch(20, 1, fail_on_fifth)
    # Batches of 1, 2, 4: the whole failing batch is tried (parallel in Kubernetes), then it stops.
    assert n["i"] == 7 and successes == 6 and str(err) == "quota exceeded"


# ---- creating pods -------------------------------------------------------------------


def test_creates_pods_named_after_the_set_and_owned_by_it(env):
    rs = env.create(replica_set("frontend", replicas=3))
    env.run(5)
    pods = env.pods("app=frontend")
    assert len(pods) == 3
    for p in pods:
        name = p["metadata"]["name"]
        assert name.startswith("frontend-") and len(name) == len("frontend-") + 5
        assert set(name[len("frontend-") :]) <= set(NAME_ALPHABET)
        ref = p["metadata"]["ownerReferences"][0]
        assert ref == {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "frontend",
            "uid": rs["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        assert p["spec"]["containers"][0]["image"] == "kubequest/web:1.0"
    assert sorted(env.messages("SuccessfulCreate")) == sorted(
        f"Created pod: {p['metadata']['name']}" for p in pods
    )
    ev = env.events("SuccessfulCreate")[0]
    assert (
        ev["source"]["component"] == "replicaset-controller"
        and ev["involvedObject"]["kind"] == "ReplicaSet"
    )
    status = env.get("ReplicaSet", "frontend")["status"]
    assert status == {
        "replicas": 3,
        "fullyLabeledReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "observedGeneration": 1,
    }


def test_status_lags_until_pods_are_ready(env):
    env.kubelet.ready_delay = 10
    env.create(replica_set("frontend", replicas=2))
    env.settle()
    st = env.get("ReplicaSet", "frontend")["status"]
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"]) == (2, 0, 0)
    env.run(10)
    st = env.get("ReplicaSet", "frontend")["status"]
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"]) == (2, 2, 2)


def test_min_ready_seconds_delays_availability_and_requeues_itself(env):
    env.create(replica_set("frontend", replicas=2, minReadySeconds=10))
    env.run(1)  # ready at t0+1
    st = env.get("ReplicaSet", "frontend")["status"]
    assert (st["readyReplicas"], st["availableReplicas"]) == (2, 0)
    env.run(10)  # t0+11: ready for exactly 10 s, not yet *more than* 10 s
    assert env.get("ReplicaSet", "frontend")["status"]["availableReplicas"] == 0
    env.run(1)  # no pod changes any more: only the requeue timer can flip this
    assert env.get("ReplicaSet", "frontend")["status"]["availableReplicas"] == 2


def test_burst_of_creations_is_capped_per_sync(env):
    env.replicasets.burst_replicas = 4
    env.create(replica_set("frontend", replicas=10))
    env.replicasets.process(budget=1)  # one sync of the set
    assert len(env.pods("app=frontend")) == 4
    env.settle()
    assert len(env.pods("app=frontend")) == 10


def test_scaling_down_deletes_with_events(env):
    env.create(replica_set("frontend", replicas=4))
    env.run(5)
    env.edit("ReplicaSet", "frontend", lambda o: o["spec"].__setitem__("replicas", 1))
    env.run(5)
    assert len(env.pods("app=frontend", active=False)) == 1
    deleted = env.messages("SuccessfulDelete")
    assert len(deleted) == 3 and all(m.startswith("Deleted pod: frontend-") for m in deleted)


def test_a_terminating_pod_is_replaced_at_once(env):
    env.kubelet.terminate_delay = 30
    env.create(replica_set("frontend", replicas=2))
    env.run(5)
    victim = env.pods("app=frontend")[0]["metadata"]["name"]
    env.store.delete("Pod", victim, "default")
    env.settle()
    everything = env.pods("app=frontend", active=False)
    assert len(everything) == 3  # the terminating pod is still there ...
    assert len(env.pods("app=frontend")) == 2  # ... and already replaced
    assert env.store.get("Pod", victim, "default")["metadata"]["deletionTimestamp"]
    env.run(31)
    assert len(env.pods("app=frontend", active=False)) == 2


def test_finished_pods_are_not_counted(env):
    env.create(replica_set("frontend", replicas=1))
    env.run(5)
    name = env.pods("app=frontend")[0]["metadata"]["name"]
    env.store.mutate(
        "Pod",
        name,
        "default",
        lambda o: o["status"].__setitem__("phase", "Failed"),
        subresource="status",
    )
    env.run(5)
    assert len(env.pods("app=frontend")) == 1
    assert env.pods("app=frontend")[0]["metadata"]["name"] != name


# ---- ownership ------------------------------------------------------------------------


def test_adopts_matching_orphans_and_creates_only_the_rest(env):
    env.create(bare_pod("stray-1", {"app": "frontend"}))
    env.create(bare_pod("stray-2", {"app": "frontend", "extra": "x"}))
    env.create(bare_pod("other", {"app": "backend"}))
    rs = env.create(replica_set("frontend", replicas=3))
    env.run(5)
    pods = env.pods("app=frontend")
    assert len(pods) == 3
    assert all(owner_uid(p) == rs["metadata"]["uid"] for p in pods)
    names = {p["metadata"]["name"] for p in pods}
    assert {"stray-1", "stray-2"} <= names
    assert len(env.messages("SuccessfulCreate")) == 1
    assert owner_uid(env.get("Pod", "other")) is None
    # fullyLabeledReplicas counts pods carrying every template label (all three do).
    assert env.get("ReplicaSet", "frontend")["status"]["fullyLabeledReplicas"] == 3


def test_an_orphan_created_later_is_adopted_and_the_surplus_removed(env):
    env.create(replica_set("frontend", replicas=2))
    env.run(5)
    env.create(bare_pod("late", {"app": "frontend"}, node="node-1"))
    env.run(5)
    assert len(env.pods("app=frontend")) == 2
    assert env.store.try_get("Pod", "late", "default") is None
    # Adopted, then — being Pending among Running pods — the first to go.
    assert env.messages("SuccessfulDelete") == ["Deleted pod: late"]


def test_releases_a_pod_whose_labels_stop_matching(env):
    rs = env.create(replica_set("frontend", replicas=2))
    env.run(5)
    name = env.pods("app=frontend")[0]["metadata"]["name"]
    env.edit("Pod", name, lambda o: o["metadata"]["labels"].__setitem__("app", "debug"))
    env.run(5)
    released = env.get("Pod", name)
    assert "ownerReferences" not in released["metadata"]  # quarantined, still running
    pods = env.pods("app=frontend")
    assert len(pods) == 2 and all(owner_uid(p) == rs["metadata"]["uid"] for p in pods)
    assert name not in {p["metadata"]["name"] for p in pods}


def test_ignores_pods_controlled_by_someone_else(env):
    foreign = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "name": "other",
        "uid": "not-ours",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    env.create(bare_pod("taken", {"app": "frontend"}, owner=foreign))
    rs = env.create(replica_set("frontend", replicas=1))
    env.run(5)
    assert env.get("Pod", "taken")["metadata"]["ownerReferences"] == [foreign]
    mine = [p for p in env.pods("app=frontend") if owner_uid(p) == rs["metadata"]["uid"]]
    assert len(mine) == 1
    assert env.get("ReplicaSet", "frontend")["status"]["replicas"] == 1


def test_a_set_being_deleted_neither_adopts_nor_creates(env):
    env.create(replica_set("frontend", replicas=2))
    env.run(5)
    # Orphan deletion: the garbage collector's finalizer keeps the set around for a while.
    env.store.delete("ReplicaSet", "frontend", "default", propagation="Orphan")
    env.create(bare_pod("stray", {"app": "frontend"}))
    victim = env.pods("app=frontend")[0]["metadata"]["name"]
    env.store.delete("Pod", victim, "default")
    env.run(5)
    assert owner_uid(env.get("Pod", "stray")) is None
    assert len(env.pods("app=frontend")) == 2  # stray + the remaining owned one; nothing new
    assert len(env.messages("SuccessfulCreate")) == 2


# ---- scale-down order (ActivePodsWithRanks) -------------------------------------------------


def set_status(
    env, name: str, phase: str, ready: bool | None = None, at: str | None = None, restarts: int = 0
) -> None:
    def write(o):
        st = {"phase": phase}
        if ready is not None:
            st["conditions"] = [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": at or env.store.now(),
                }
            ]
        st["containerStatuses"] = [{"name": "web", "restartCount": restarts, "ready": bool(ready)}]
        o["status"] = st

    env.store.mutate("Pod", name, "default", write, subresource="status")


def test_scale_down_order_follows_active_pods_with_ranks():
    env = Harness(kubelet=False)
    labels = {"app": "frontend"}
    pods = {
        "unassigned": (None, "Pending", None),
        "pending": ("node-1", "Pending", None),
        "unknown": ("node-1", "Unknown", None),
        "not-ready": ("node-1", "Running", False),
        "cheap": ("node-1", "Running", True),
        "ready": ("node-1", "Running", True),
    }
    for name, (node, phase, ready) in pods.items():
        env.create(bare_pod(name, labels, node=node))
        set_status(env, name, phase, ready, at="2025-12-31T00:00:00Z")
    env.edit(
        "Pod",
        "ready",
        lambda o: o["metadata"].__setitem__(
            "annotations", {"controller.kubernetes.io/pod-deletion-cost": "100"}
        ),
    )
    env.create(replica_set("frontend", replicas=6))
    env.settle()
    assert len(env.pods("app=frontend")) == 6 and env.messages("SuccessfulCreate") == []

    expected = ["unassigned", "pending", "unknown", "not-ready", "cheap"]
    for i in range(1, 6):
        env.edit("ReplicaSet", "frontend", lambda o, n=6 - i: o["spec"].__setitem__("replicas", n))
        env.settle()
        assert env.messages("SuccessfulDelete") == [f"Deleted pod: {n}" for n in expected[:i]]
    assert [p["metadata"]["name"] for p in env.pods("app=frontend")] == ["ready"]


def _pod(name, node, ready_at=None, created="2026-01-01T00:00:00Z", restarts=0, uid=None):
    status = {"phase": "Running", "containerStatuses": [{"name": "c", "restartCount": restarts}]}
    if ready_at:
        status["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}]
    return {
        "metadata": {"name": name, "uid": uid or name, "creationTimestamp": created},
        "spec": {"nodeName": node},
        "status": status,
    }


def names(pods):
    return [p["metadata"]["name"] for p in pods]


def test_ranking_prefers_crowded_nodes_then_recently_ready_then_restarts_then_newest():
    now = 1_767_225_600.0  # 2026-01-01T00:00:00Z
    crowded = [_pod(f"a{i}", "node-a", "2025-12-01T00:00:00Z") for i in range(3)]
    alone = _pod("b0", "node-b", "2025-12-01T00:00:00Z")
    assert names(pods_to_delete(crowded + [alone], crowded + [alone], 1, now))[0].startswith("a")

    # Ready for 1 minute vs 1 week: different log2 buckets, the more recently ready goes first.
    fresh = _pod("fresh", "n1", "2025-12-31T23:59:00Z")
    old = _pod("old", "n2", "2025-12-25T00:00:00Z")
    assert names(pods_to_delete([old, fresh], [old, fresh], 1, now)) == ["fresh"]

    # Same ready time: more restarts first; then the newer pod first.
    flaky = _pod("flaky", "n1", "2025-12-25T00:00:00Z", restarts=5)
    steady = _pod("steady", "n2", "2025-12-25T00:00:00Z")
    assert names(pods_to_delete([steady, flaky], [steady, flaky], 1, now)) == ["flaky"]
    newer = _pod("newer", "n1", "2025-12-25T00:00:00Z", created="2025-12-31T23:00:00Z")
    older = _pod("older", "n2", "2025-12-25T00:00:00Z", created="2025-11-01T00:00:00Z")
    assert names(pods_to_delete([older, newer], [older, newer], 1, now)) == ["newer"]
    # Deleting everything needs no ranking at all.
    assert len(pods_to_delete([older, newer], [], 5, now)) == 2


# ---- ReplicationController --------------------------------------------------------------


def rc(name="nginx", replicas=3, selector=None, labels=None):
    labels = labels or {"app": name}
    spec = {
        "replicas": replicas,
        "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]},
        },
    }
    if selector is not None:
        spec["selector"] = selector
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": spec,
    }


def test_replication_controller_defaults_its_selector_and_runs_pods(env):
    created = env.create(rc("nginx", replicas=3))
    assert created["spec"]["selector"] == {"app": "nginx"}  # defaulted from the template labels
    env.run(5)
    pods = env.pods("app=nginx")
    assert len(pods) == 3
    assert all(p["metadata"]["ownerReferences"][0]["kind"] == "ReplicationController" for p in pods)
    assert env.events("SuccessfulCreate")[0]["source"]["component"] == "replication-controller"
    st = env.get("ReplicationController", "nginx")["status"]
    assert (st["replicas"], st["readyReplicas"], st["availableReplicas"]) == (3, 3, 3)


def test_replication_controller_selector_is_equality_only(env):
    env.create(bare_pod("half", {"app": "nginx"}))
    env.create(bare_pod("full", {"app": "nginx", "tier": "web"}))
    env.create(
        rc(
            "nginx",
            replicas=1,
            selector={"app": "nginx", "tier": "web"},
            labels={"app": "nginx", "tier": "web"},
        )
    )
    env.run(5)
    assert owner_uid(env.get("Pod", "half")) is None
    assert owner_uid(env.get("Pod", "full")) is not None
    assert env.messages("SuccessfulCreate") == []


def test_replica_set_and_rc_do_not_fight_over_pods(env):
    env.create(replica_set("web", replicas=2, labels={"app": "web"}))
    env.create(rc("web-rc", replicas=2, labels={"app": "web"}))
    env.run(10)
    pods = env.pods("app=web")
    assert len(pods) == 4
    kinds = sorted(p["metadata"]["ownerReferences"][0]["kind"] for p in pods)
    assert kinds == ["ReplicaSet", "ReplicaSet", "ReplicationController", "ReplicationController"]


@pytest.mark.parametrize("replicas", [0, 1])
def test_replicas_zero_and_one(env, replicas):
    env.create(replica_set("frontend", replicas=replicas))
    env.run(5)
    assert len(env.pods("app=frontend")) == replicas


# ---- scale ------------------------------------------------------------------------------------


def converge_big_replica_set(replicas: int) -> tuple[Harness, float]:
    env = Harness()
    start = time.perf_counter()
    env.create(replica_set("big", replicas=replicas))

    def available() -> bool:
        st = env.store.get("ReplicaSet", "big", "default", copy=False).get("status") or {}
        return st.get("availableReplicas") == replicas

    assert env.run_until(available, timeout=600)
    return env, time.perf_counter() - start


def test_a_large_replica_set_converges_in_bursts_without_overshooting():
    env, _ = converge_big_replica_set(1200)  # 500 + 500 + 200: three bursts
    assert len(env.messages("SuccessfulCreate")) == 1200 and env.store.count("Pod") == 1200
    env.edit("ReplicaSet", "big", lambda o: o["spec"].__setitem__("replicas", 700))
    env.run(5)
    assert len(env.messages("SuccessfulDelete")) == 500 and env.store.count("Pod") == 700


def test_failed_creations_set_replica_failure_and_are_retried_with_back_off(env):
    from engine.api.errors import invalid

    def no_bad_images(obj, old):
        if obj.get("kind") == "Pod" and obj["spec"]["containers"][0]["image"] == "bad":
            return [invalid("spec.containers[0].image", "bad", "not allowed here")]
        return []

    env.store.validator = no_bad_images
    env.create(replica_set("frontend", replicas=2, image="bad"))
    env.settle()
    failures = env.messages("FailedCreate")
    assert failures and all(
        m.startswith('Error creating: The Pod "frontend-')
        and m.endswith(
            'is invalid: spec.containers[0].image: Invalid value: "bad": not allowed here'
        )
        for m in failures
    )
    # Slow start: each sync stops after its failed first batch of one pod.
    assert len(failures) <= 2 and env.store.count("Pod") == 0
    cond = env.get("ReplicaSet", "frontend")["status"]["conditions"][0]
    assert (cond["type"], cond["status"], cond["reason"]) == (
        "ReplicaFailure",
        "True",
        "FailedCreate",
    )
    env.run(1)
    assert len(env.messages("FailedCreate")) > 3  # retried with the base Controller's back-off
    env.store.validator = None  # the cause goes away; only the back-off timer notices
    env.run(30)
    assert len(env.pods("app=frontend")) == 2
    assert "conditions" not in env.get("ReplicaSet", "frontend")["status"]
