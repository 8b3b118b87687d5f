"""Deployment basics: hashing, naming, revisions, conditions, ownership, scaling."""

from __future__ import annotations

import pytest

from engine.api.objects import get_condition
from engine.controllers import rollout
from engine.controllers.deployment import template_hash, util
from tests.controllers.fake_kubelet import Harness, deployment, replica_set

TEMPLATE = {
    "metadata": {"labels": {"app": "nginx"}},
    "spec": {
        "containers": [{"name": "nginx", "image": "nginx:1.14.2", "ports": [{"containerPort": 80}]}]
    },
}


# ---- the pod-template-hash ------------------------------------------------------------


def test_fnv32a_matches_the_published_test_vectors():
    # FNV-1a 32-bit reference values (Fowler/Noll/Vo test suite, Go's hash/fnv tests).
    assert template_hash.fnv32a(b"") == 0x811C9DC5
    assert template_hash.fnv32a(b"a") == 0xE40C292C
    assert template_hash.fnv32a(b"foobar") == 0xBF9CF968
    # Continuing a running hash equals hashing the concatenation.
    assert template_hash.fnv32a(b"bar", template_hash.fnv32a(b"foo")) == template_hash.fnv32a(
        b"foobar"
    )


def test_safe_encode_string_maps_digits_like_kubernetes():
    # Digits '0'..'9' are runes 48..57; 48 % 27 = 21 -> '4', ..., 57 % 27 = 3 -> 'f'.
    assert template_hash.safe_encode_string("0123456789") == "456789bcdf"
    # The Kubernetes docs' nginx example carries pod-template-hash 75675f5897: it must be
    # the encoding of a 32-bit decimal sum, here 3123191453.
    decode = {e: str(d) for d, e in enumerate(template_hash.safe_encode_string("0123456789"))}
    value = int("".join(decode[c] for c in "75675f5897"))
    assert value < 2**32 and template_hash.safe_encode_string(str(value)) == "75675f5897"


def test_compute_hash_is_stable_and_changes_with_template_and_collision_count():
    h = template_hash.compute_hash(TEMPLATE, None)
    assert h == template_hash.compute_hash(
        {"spec": TEMPLATE["spec"], "metadata": TEMPLATE["metadata"]}, None
    )
    assert set(h) <= set("456789bcdf") and len(h) <= 10
    decode = {e: str(d) for d, e in enumerate(template_hash.safe_encode_string("0123456789"))}
    assert int("".join(decode[c] for c in h)) < 2**32
    changed = {**TEMPLATE, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.16.1"}]}}
    assert template_hash.compute_hash(changed, None) != h
    assert template_hash.compute_hash(TEMPLATE, 1) != h
    # collisionCount is appended as 8 bytes: uint32 little-endian, then 4 zero bytes.
    import json

    raw = json.dumps(TEMPLATE, sort_keys=True, separators=(",", ":")).encode()
    expected = template_hash.fnv32a(raw + bytes([1, 0, 0, 0, 0, 0, 0, 0]))
    assert template_hash.compute_hash(TEMPLATE, 1) == template_hash.safe_encode_string(
        str(expected)
    )


def test_new_replica_set_is_named_and_labelled_with_the_hash(env):
    d = env.create(deployment("nginx", replicas=3))
    env.run(5)
    (rs,) = env.replica_sets("nginx")
    pod_hash = template_hash.compute_hash(d["spec"]["template"], None)
    assert rs["metadata"]["name"] == f"nginx-{pod_hash}"
    assert rs["metadata"]["labels"] == {"app": "nginx", "pod-template-hash": pod_hash}
    assert rs["spec"]["selector"] == {
        "matchLabels": {"app": "nginx", "pod-template-hash": pod_hash}
    }
    assert rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"] == pod_hash
    ref = rs["metadata"]["ownerReferences"][0]
    assert (ref["kind"], ref["name"], ref["controller"], ref["blockOwnerDeletion"]) == (
        "Deployment",
        "nginx",
        True,
        True,
    )
    assert rs["metadata"]["annotations"] == {
        "deployment.kubernetes.io/revision": "1",
        "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4",  # 3 + ceil(25% of 3)
    }
    pods = env.pods("app=nginx")
    assert len(pods) == 3 and all(
        p["metadata"]["name"].startswith(f"nginx-{pod_hash}-") for p in pods
    )
    assert all(p["metadata"]["labels"]["pod-template-hash"] == pod_hash for p in pods)
    assert (
        env.get("Deployment", "nginx")["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "1"
    )
    assert env.messages("ScalingReplicaSet") == [
        f"Scaled up replica set nginx-{pod_hash} from 0 to 3"
    ]
    ev = env.events("ScalingReplicaSet")[0]
    assert (
        ev["source"]["component"] == "deployment-controller"
        and ev["involvedObject"]["kind"] == "Deployment"
    )


def test_hash_collision_bumps_collision_count(env):
    d = deployment("web", replicas=1)
    created = env.store.create(d)
    squatter_hash = template_hash.compute_hash(created["spec"]["template"], None)
    # Someone else's ReplicaSet already has the name the Deployment wants.
    env.create(replica_set(f"web-{squatter_hash}", replicas=0, labels={"app": "other"}))
    env.run(5)
    dep = env.get("Deployment", "web")
    assert dep["status"]["collisionCount"] == 1
    (rs,) = env.replica_sets("web")
    assert (
        rs["metadata"]["name"]
        == f"web-{template_hash.compute_hash(created['spec']['template'], 1)}"
    )
    assert len(env.pods("app=web")) == 1


# ---- fenceposts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "surge,unavailable,replicas,expected",
    [
        ("25%", "25%", 10, (3, 2)),  # surge rounds up, unavailable rounds down
        ("25%", "25%", 3, (1, 0)),
        (0, "1%", 2, (0, 1)),  # both zero after rounding: unavailable becomes 1
        ("0%", "0%", 1, (0, 1)),
        (1, 0, 4, (1, 0)),
        ("50%", 2, 5, (3, 2)),
    ],
)
def test_resolve_fenceposts(surge, unavailable, replicas, expected):
    assert util.resolve_fenceposts(surge, unavailable, replicas) == expected


def test_max_unavailable_is_capped_at_replicas_and_zero_for_recreate():
    d = deployment(
        replicas=2,
        strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 5}},
    )
    assert util.max_unavailable(d) == 2
    assert util.max_unavailable(deployment(replicas=2, strategy={"type": "Recreate"})) == 0
    assert util.max_surge(deployment(replicas=2, strategy={"type": "Recreate"})) == 0


# ---- conditions and status -----------------------------------------------------------------


def test_available_condition_words(env):
    env.kubelet.ready_delay = 10
    env.create(deployment("web", replicas=4))
    env.settle()
    avail = get_condition(env.get("Deployment", "web"), "Available")
    assert (avail["status"], avail["reason"], avail["message"]) == (
        "False",
        "MinimumReplicasUnavailable",
        "Deployment does not have minimum availability.",
    )
    prog = get_condition(env.get("Deployment", "web"), "Progressing")
    assert prog["status"] == "True" and prog["reason"] in (
        "NewReplicaSetCreated",
        "ReplicaSetUpdated",
    )
    env.run(11)
    d = env.get("Deployment", "web")
    avail = get_condition(d, "Available")
    assert (avail["status"], avail["reason"], avail["message"]) == (
        "True",
        "MinimumReplicasAvailable",
        "Deployment has minimum availability.",
    )
    rs_name = env.replica_sets("web")[0]["metadata"]["name"]
    prog = get_condition(d, "Progressing")
    assert (prog["status"], prog["reason"], prog["message"]) == (
        "True",
        "NewReplicaSetAvailable",
        f'ReplicaSet "{rs_name}" has successfully progressed.',
    )
    assert d["status"] | {"conditions": None} == {
        "observedGeneration": 1,
        "replicas": 4,
        "updatedReplicas": 4,
        "readyReplicas": 4,
        "availableReplicas": 4,
        "unavailableReplicas": 0,
        "conditions": None,
    }


def test_new_replica_set_created_condition_message(env):
    env.kubelet.ready_delay = 100
    env.create(deployment("web", replicas=1))
    env.deployments.process(budget=1)
    rs_name = env.replica_sets("web")[0]["metadata"]["name"]
    prog = get_condition(env.get("Deployment", "web"), "Progressing")
    assert (prog["reason"], prog["message"]) == (
        "NewReplicaSetCreated",
        f'Created new replica set "{rs_name}"',
    )


def test_selecting_all_is_refused_with_a_warning(env):
    env.store.create(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "greedy"},
            "spec": {
                "selector": {},
                "template": {
                    "metadata": {"labels": {"a": "b"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        }
    )
    env.settle()
    assert set(env.messages("SelectingAll")) == {
        "This deployment is selecting all pods. A non-empty selector is required."
    }
    assert env.replica_sets() == []
    assert env.get("Deployment", "greedy")["status"]["observedGeneration"] == 1


# ---- ownership of ReplicaSets --------------------------------------------------------------------


def test_adopts_an_orphan_replica_set_with_the_same_template(env):
    d = deployment("web", replicas=2)
    orphan = replica_set("web-legacy", replicas=2, labels={"app": "web"})
    orphan["spec"]["template"] = d["spec"]["template"]
    env.create(orphan)
    env.run(5)
    legacy_pods = {p["metadata"]["name"] for p in env.pods("app=web")}
    created = env.create(d)
    env.run(10)
    rss = env.replica_sets("web")
    assert [rs["metadata"]["name"] for rs in rss] == ["web-legacy"]  # adopted, no new set
    assert rss[0]["metadata"]["ownerReferences"][0]["uid"] == created["metadata"]["uid"]
    assert rss[0]["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert {p["metadata"]["name"] for p in env.pods("app=web")} == legacy_pods
    assert get_condition(env.get("Deployment", "web"), "Progressing")["reason"] in (
        "FoundNewReplicaSet",
        "NewReplicaSetAvailable",
    )


def test_ignores_replica_sets_owned_by_another_controller(env):
    foreign = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "other",
        "uid": "not-ours",
        "controller": True,
        "blockOwnerDeletion": True,
    }
    rs = replica_set("taken", replicas=1, labels={"app": "web"})
    rs["metadata"]["ownerReferences"] = [foreign]
    env.create(rs)
    env.create(deployment("web", replicas=1))
    env.run(5)
    assert env.get("ReplicaSet", "taken")["metadata"]["ownerReferences"] == [foreign]
    assert len(env.replica_sets("web")) == 1


# ---- scaling -------------------------------------------------------------------------


def test_plain_scaling_resizes_the_only_replica_set(env):
    env.create(deployment("web", replicas=2))
    env.run(5)
    assert (
        rollout.scale(env.store, "Deployment", "web", "default", 5) == "deployment.apps/web scaled"
    )
    env.run(5)
    (rs,) = env.replica_sets("web")
    assert rs["spec"]["replicas"] == 5 and len(env.ready_pods("app=web")) == 5
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "5"
    name = rs["metadata"]["name"]
    assert env.messages("ScalingReplicaSet")[-1] == f"Scaled up replica set {name} from 2 to 5"
    rollout.scale(env.store, "Deployment", "web", "default", 1)
    env.run(5)
    assert env.messages("ScalingReplicaSet")[-1] == f"Scaled down replica set {name} from 5 to 1"
    assert len(env.pods("app=web")) == 1


def test_scaling_during_a_rollout_is_proportional():
    """The Kubernetes docs' example: 10 replicas, maxSurge 3, maxUnavailable 2, a rollout to
    an image that never becomes ready, then a scale to 15 — 3 more replicas for the old
    ReplicaSet, 2 for the new one."""
    env = Harness(not_ready_images={"nginx:sometag"})
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 3, "maxUnavailable": 2}}
    env.create(deployment("nginx", replicas=10, image="nginx:1.14.2", strategy=strategy))
    env.run(10)
    old_name = env.replica_sets("nginx")[0]["metadata"]["name"]
    rollout.set_image(env.store, "nginx", "default", "web", "nginx:sometag")
    env.run(30)
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in env.replica_sets("nginx")}
    new_name = next(n for n in sizes if n != old_name)
    assert sizes == {old_name: 8, new_name: 5}  # stuck: the new pods never become available
    rollout.scale(env.store, "Deployment", "nginx", "default", 15)
    env.run(10)
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in env.replica_sets("nginx")}
    assert sizes == {old_name: 11, new_name: 7}
    assert env.messages("ScalingReplicaSet")[-2:] == [
        f"Scaled up replica set {old_name} from 8 to 11",
        f"Scaled up replica set {new_name} from 5 to 7",
    ]
    # Down to 5: proportionally to 5 and 3 (8 = 5 + maxSurge), then the rollout takes its
    # next steps (old 5 -> 3, new 3 -> 5) and is stuck again on the unavailable new pods.
    rollout.scale(env.store, "Deployment", "nginx", "default", 5)
    env.run(10)
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in env.replica_sets("nginx")}
    assert sizes == {old_name: 3, new_name: 5}
    assert env.messages("ScalingReplicaSet")[-4:] == [
        f"Scaled down replica set {old_name} from 11 to 5",
        f"Scaled down replica set {new_name} from 7 to 3",
        f"Scaled down replica set {old_name} from 5 to 3",
        f"Scaled up replica set {new_name} from 3 to 5",
    ]


def test_a_replica_set_the_api_refuses_is_reported_and_retried(env):
    from engine.api.errors import forbidden

    def quota(obj, old):
        if obj.get("kind") == "ReplicaSet" and old is None:
            return [forbidden("metadata", "exceeded quota")]
        return []

    env.store.validator = quota
    env.create(deployment("web", replicas=1))
    env.settle()
    prog = get_condition(env.get("Deployment", "web"), "Progressing")
    assert (prog["status"], prog["reason"]) == ("False", "ReplicaSetCreateError")
    assert prog["message"].startswith('Failed to create new replica set "web-')
    assert set(env.messages("ReplicaSetCreateError")) == {prog["message"]}
    env.store.validator = None  # the quota is raised: only the back-off retry notices
    env.run(5)
    assert len(env.replica_sets("web")) == 1 and len(env.ready_pods("app=web")) == 1
