"""Rollouts on the virtual clock: RollingUpdate arithmetic, Recreate, rollback,
history cleanup, pause/resume and the progress deadline."""

from __future__ import annotations

from engine.api.objects import get_condition
from engine.api.store import WatchEvent
from engine.controllers import rollout
from engine.controllers.podutil import is_pod_active, is_pod_ready
from tests.controllers.fake_kubelet import Harness, deployment

REV = "deployment.kubernetes.io/revision"


def images_of(pods):
    return {p["spec"]["containers"][0]["image"] for p in pods}


def set_image(env, image, name="web"):
    return rollout.set_image(env.store, name, "default", "web", image)


def test_rolling_update_with_surge_one_never_drops_below_desired():
    env = Harness()
    env.kubelet.ready_delay = 3
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    env.create(deployment("web", replicas=4, strategy=strategy))
    env.run(10)
    seen = {"min_ready": 99, "max_active": 0, "checks": 0}

    def check(ev: WatchEvent) -> None:  # after every single write to the store
        pods = [p for p in env.store.list("Pod", "default", copy=False) if is_pod_active(p)]
        seen["min_ready"] = min(seen["min_ready"], sum(1 for p in pods if is_pod_ready(p)))
        seen["max_active"] = max(seen["max_active"], len(pods))
        seen["checks"] += 1

    env.store.subscribe(check)
    set_image(env, "kubequest/web:2.0")
    assert env.run_until(
        lambda: rollout.rollout_status(env.store, "web", "default")[0], timeout=120
    )
    assert seen["checks"] > 50
    assert seen["min_ready"] == 4 and seen["max_active"] == 5
    assert images_of(env.pods()) == {"kubequest/web:2.0"} and len(env.ready_pods()) == 4
    msgs = env.messages("ScalingReplicaSet")
    new, old = (
        rs["metadata"]["name"]
        for rs in sorted(
            env.replica_sets("web"), key=lambda rs: -int(rs["metadata"]["annotations"][REV])
        )
    )
    assert msgs[1:] == [
        f"Scaled up replica set {new} from 0 to 1",
        f"Scaled down replica set {old} from 4 to 3",
        f"Scaled up replica set {new} from 1 to 2",
        f"Scaled down replica set {old} from 3 to 2",
        f"Scaled up replica set {new} from 2 to 3",
        f"Scaled down replica set {old} from 2 to 1",
        f"Scaled up replica set {new} from 3 to 4",
        f"Scaled down replica set {old} from 1 to 0",
    ]


def test_25_percent_surge_and_unavailable_on_10_replicas_follows_kubernetes():
    """maxSurge ceil(2.5) = 3, maxUnavailable floor(2.5) = 2: new up to 3 (13 pods); old down
    by 13 - 8 - 3 = 2; new up to 5; when the 5 new pods are available, old down by
    13 - 8 = 5 to 3 and new up to 10; then old to 0."""
    env = Harness()
    env.kubelet.ready_delay = 5
    env.create(deployment("web", replicas=10))
    env.run(10)
    old = env.replica_sets("web")[0]["metadata"]["name"]
    set_image(env, "kubequest/web:2.0")
    env.settle()
    new = next(
        rs["metadata"]["name"] for rs in env.replica_sets("web") if rs["metadata"]["name"] != old
    )
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in env.replica_sets("web")}
    assert sizes == {old: 8, new: 5}
    assert len(env.ready_pods()) == 8  # 10 - maxUnavailable
    env.run(5)
    sizes = {rs["metadata"]["name"]: rs["spec"]["replicas"] for rs in env.replica_sets("web")}
    assert sizes == {old: 3, new: 10}
    env.run(5)
    assert env.messages("ScalingReplicaSet") == [
        f"Scaled up replica set {old} from 0 to 10",
        f"Scaled up replica set {new} from 0 to 3",
        f"Scaled down replica set {old} from 10 to 8",
        f"Scaled up replica set {new} from 3 to 5",
        f"Scaled down replica set {old} from 8 to 3",
        f"Scaled up replica set {new} from 5 to 10",
        f"Scaled down replica set {old} from 3 to 0",
    ]
    d = env.get("Deployment", "web")
    assert d["status"]["updatedReplicas"] == 10 and d["status"]["availableReplicas"] == 10
    assert d["metadata"]["annotations"][REV] == "2"


def test_recreate_never_runs_old_and_new_pods_together():
    env = Harness(terminate_delay=5)
    env.create(deployment("web", replicas=3, strategy={"type": "Recreate"}))
    env.run(10)
    overlaps = []

    def check(ev: WatchEvent) -> None:  # every pod object, terminating ones included
        imgs = images_of(env.store.list("Pod", "default", copy=False))
        if len(imgs) > 1:
            overlaps.append(imgs)

    env.store.subscribe(check)
    set_image(env, "kubequest/web:2.0")
    env.settle()
    assert env.pods(active=False) and images_of(env.pods(active=False)) == {"kubequest/web:1.0"}
    assert len(env.replica_sets("web")) == 1  # the new set waits for the old pods to be gone
    assert env.run_until(lambda: rollout.rollout_status(env.store, "web", "default")[0], timeout=60)
    assert overlaps == []
    assert images_of(env.pods()) == {"kubequest/web:2.0"} and len(env.ready_pods()) == 3
    by_rev = {
        rs["metadata"]["annotations"][REV]: rs["metadata"]["name"] for rs in env.replica_sets("web")
    }
    assert env.messages("ScalingReplicaSet")[1:] == [
        f"Scaled down replica set {by_rev['1']} from 3 to 0",
        f"Scaled up replica set {by_rev['2']} from 0 to 3",
    ]


def revisions(env, name="web"):
    """{image: (revision, revision-history)} of the Deployment's ReplicaSets."""
    out = {}
    for rs in env.replica_sets(name):
        ann = rs["metadata"]["annotations"]
        out[rs["spec"]["template"]["spec"]["containers"][0]["image"]] = (
            ann[REV],
            ann.get("deployment.kubernetes.io/revision-history"),
        )
    return out


def test_rollback_moves_revisions_as_kubernetes_does(env):
    env.create(deployment("web", replicas=2))
    env.run(10)
    set_image(env, "kubequest/web:2.0")
    env.run(20)
    set_image(env, "kubequest/web:2.1")
    env.run(20)
    assert revisions(env) == {
        "kubequest/web:1.0": ("1", None),
        "kubequest/web:2.0": ("2", None),
        "kubequest/web:2.1": ("3", None),
    }
    assert rollout.rollout_undo(env.store, "web") == "deployment.apps/web rolled back"
    env.run(20)
    # The previous revision's set comes back as revision 4 and remembers it was 2.
    assert revisions(env)["kubequest/web:2.0"] == ("4", "2")
    assert images_of(env.pods()) == {"kubequest/web:2.0"}
    assert env.get("Deployment", "web")["metadata"]["annotations"][REV] == "4"
    assert (
        rollout.rollout_undo(env.store, "web", to_revision=1) == "deployment.apps/web rolled back"
    )
    env.run(20)
    assert revisions(env) == {
        "kubequest/web:1.0": ("5", "1"),
        "kubequest/web:2.0": ("4", "2"),
        "kubequest/web:2.1": ("3", None),
    }
    assert images_of(env.pods()) == {"kubequest/web:1.0"}
    assert [r for r, _ in rollout.rollout_history(env.store, "web")] == [3, 4, 5]
    # Back and forth keeps the whole history of a set.
    rollout.rollout_undo(env.store, "web")  # to revision 4 (web:2.0)
    env.run(20)
    assert revisions(env)["kubequest/web:2.0"] == ("6", "2,4")


def test_server_side_rollback_annotation(env):
    env.create(deployment("web", replicas=1))
    env.run(10)
    set_image(env, "kubequest/web:2.0")
    env.run(20)
    env.edit(
        "Deployment",
        "web",
        lambda o: (
            o["metadata"]
            .setdefault("annotations", {})
            .__setitem__("deprecated.deployment.rollback.to", "0")
        ),
    )
    env.run(20)
    d = env.get("Deployment", "web")
    assert "deprecated.deployment.rollback.to" not in d["metadata"]["annotations"]
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "kubequest/web:1.0"
    assert "pod-template-hash" not in d["spec"]["template"]["metadata"]["labels"]
    assert env.messages("DeploymentRollback") == ['Rolled back deployment "web" to revision 1']
    env.edit(
        "Deployment",
        "web",
        lambda o: o["metadata"]["annotations"].__setitem__(
            "deprecated.deployment.rollback.to", "42"
        ),
    )
    env.run(5)
    assert env.messages("DeploymentRollbackRevisionNotFound") == [
        "Unable to find the revision to rollback to."
    ]


def test_revision_history_limit_keeps_two_old_replica_sets(env):
    env.create(deployment("web", replicas=1, revisionHistoryLimit=2))
    env.run(10)
    for i in range(2, 7):
        set_image(env, f"kubequest/web:{i}.0")
        env.run(20)
    rss = env.replica_sets("web")
    revs = sorted(int(rs["metadata"]["annotations"][REV]) for rs in rss)
    assert revs == [4, 5, 6]  # the new set and the two latest old ones
    old = [rs for rs in rss if rs["metadata"]["annotations"][REV] != "6"]
    assert all(rs["spec"]["replicas"] == 0 for rs in old)
    assert [r for r, _ in rollout.rollout_history(env.store, "web")] == [4, 5, 6]


def progressing_reasons(env, name="web"):
    """Record every change of the Deployment's Progressing reason."""
    reasons: list[str] = []

    def record(ev: WatchEvent) -> None:
        if ev.kind == "Deployment" and ev.object["metadata"]["name"] == name:
            c = get_condition(ev.object, "Progressing")
            if c is not None and (not reasons or reasons[-1] != c["reason"]):
                reasons.append(c["reason"])

    env.store.subscribe(record)
    return reasons


def test_pause_stops_the_rollout_and_resume_continues(env):
    env.create(deployment("web", replicas=3))
    env.run(10)
    reasons = progressing_reasons(env)
    assert rollout.pause(env.store, "web") == "deployment.apps/web paused"
    env.settle()
    prog = get_condition(env.get("Deployment", "web"), "Progressing")
    assert (prog["status"], prog["reason"], prog["message"]) == (
        "Unknown",
        "DeploymentPaused",
        "Deployment is paused",
    )
    set_image(env, "kubequest/web:2.0")
    env.run(60)
    assert len(env.replica_sets("web")) == 1 and images_of(env.pods()) == {"kubequest/web:1.0"}
    # Scaling still works while paused, without a rollout.
    rollout.scale(env.store, "Deployment", "web", "default", 4)
    env.run(10)
    assert len(env.pods()) == 4 and images_of(env.pods()) == {"kubequest/web:1.0"}
    assert rollout.resume(env.store, "web") == "deployment.apps/web resumed"
    assert env.run_until(
        lambda: rollout.rollout_status(env.store, "web", "default")[0], timeout=120
    )
    assert images_of(env.pods()) == {"kubequest/web:2.0"} and len(env.ready_pods()) == 4
    assert reasons == [
        "NewReplicaSetAvailable",  # as the pause is written
        "DeploymentPaused",
        "DeploymentResumed",
        "NewReplicaSetCreated",
        "ReplicaSetUpdated",
        "NewReplicaSetAvailable",
    ]


def test_progress_deadline_exceeded_when_new_pods_never_become_ready():
    env = Harness(not_ready_images={"kubequest/web:2.1"})
    env.create(deployment("web", replicas=3, progressDeadlineSeconds=60))
    env.run(10)
    start = env.clock.now()
    set_image(env, "kubequest/web:2.1")
    env.run(30)
    d = env.get("Deployment", "web")
    assert get_condition(d, "Progressing")["status"] == "True"
    assert (
        rollout.rollout_status(env.store, "web")[1]
        == 'Waiting for deployment "web" rollout to finish: '
        "1 out of 3 new replicas have been updated..."
    )

    def timed_out():
        c = get_condition(env.get("Deployment", "web"), "Progressing")
        return c["reason"] == "ProgressDeadlineExceeded"

    assert env.run_until(timed_out, timeout=300)
    # Nothing moved after the first seconds: 60 s after the last progress, +1 s requeue.
    assert 60 < env.clock.now() - start <= 63
    d = env.get("Deployment", "web")
    new = next(
        rs["metadata"]["name"]
        for rs in env.replica_sets("web")
        if rs["metadata"]["annotations"][REV] == "2"
    )
    c = get_condition(d, "Progressing")
    assert (c["status"], c["message"]) == (
        "False",
        f'ReplicaSet "{new}" has timed out progressing.',
    )
    assert rollout.rollout_status(env.store, "web") == (
        False,
        'deployment "web" exceeded its progress deadline',
    )
    assert get_condition(d, "Available")["status"] == "True"  # the old pods still serve
    # Rolling back is progress again.
    rollout.rollout_undo(env.store, "web")
    assert env.run_until(lambda: rollout.rollout_status(env.store, "web", "default")[0], timeout=60)
    c = get_condition(env.get("Deployment", "web"), "Progressing")
    assert (c["status"], c["reason"]) == ("True", "NewReplicaSetAvailable")
