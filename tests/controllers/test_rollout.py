"""kubectl's client-side rollout commands, with kubectl's words."""

from __future__ import annotations

import pytest

from engine.api.errors import NotFound
from engine.controllers import rollout
from engine.controllers.rollout import RolloutError
from tests.controllers.fake_kubelet import deployment, replica_set


@pytest.fixture
def rolled(env):
    """web at revision 3: images 1.0 (rev 1), 2.0 (rev 2), 2.1 (rev 3), with change-causes."""
    env.create(deployment("web", replicas=2))
    env.run(10)
    for image in ("kubequest/web:2.0", "kubequest/web:2.1"):
        env.edit(
            "Deployment",
            "web",
            lambda o, i=image: (
                o["metadata"]
                .setdefault("annotations", {})
                .__setitem__("kubernetes.io/change-cause", f"set image {i}")
            ),
        )
        rollout.set_image(env.store, "web", "default", "web", image)
        env.run(20)
    return env


def image(env, name="web"):
    return env.get("Deployment", name)["spec"]["template"]["spec"]["containers"][0]["image"]


def test_history_lists_revisions_with_change_cause(rolled):
    assert rollout.rollout_history(rolled.store, "web") == [
        (1, "<none>"),
        (2, "set image kubequest/web:2.0"),
        (3, "set image kubequest/web:2.1"),
    ]


def test_undo_goes_to_the_previous_revision_and_takes_its_annotations(rolled):
    assert rollout.rollout_undo(rolled.store, "web") == "deployment.apps/web rolled back"
    d = rolled.get("Deployment", "web")
    assert image(rolled) == "kubequest/web:2.0"
    assert "pod-template-hash" not in d["spec"]["template"]["metadata"]["labels"]
    assert (
        d["metadata"]["annotations"]["kubernetes.io/change-cause"] == "set image kubequest/web:2.0"
    )
    assert (
        d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    )  # kept until the controller moves it
    rolled.run(20)
    assert (
        rolled.get("Deployment", "web")["metadata"]["annotations"][
            "deployment.kubernetes.io/revision"
        ]
        == "4"
    )


def test_undo_to_a_given_revision_and_its_refusals(rolled):
    assert (
        rollout.rollout_undo(rolled.store, "web", to_revision=1)
        == "deployment.apps/web rolled back"
    )
    rolled.run(20)
    assert image(rolled) == "kubequest/web:1.0"
    assert (
        rollout.rollout_undo(rolled.store, "web", to_revision=4)
        == "deployment.apps/web skipped rollback (current template already matches revision 4)"
    )
    with pytest.raises(RolloutError, match=r"^unable to find specified revision 9 in history$"):
        rollout.rollout_undo(rolled.store, "web", to_revision=9)
    with pytest.raises(RolloutError, match="unable to find specified revision -1 in history"):
        rollout.rollout_undo(rolled.store, "web", to_revision=-1)
    rollout.pause(rolled.store, "web")
    with pytest.raises(RolloutError) as exc:
        rollout.rollout_undo(rolled.store, "web")
    assert str(exc.value) == (
        "you cannot rollback a paused deployment; resume it first with "
        "'kubectl rollout resume' and try again"
    )


def test_undo_without_history(env):
    env.create(deployment("web", replicas=1))
    env.run(5)
    with pytest.raises(RolloutError, match='^no rollout history found for deployment "web"$'):
        rollout.rollout_undo(env.store, "web")
    with pytest.raises(NotFound, match='deployments.apps "nope" not found'):
        rollout.rollout_undo(env.store, "nope")


def test_status_words_through_a_rollout(env):
    env.kubelet.ready_delay = 5
    env.kubelet.terminate_delay = 3
    env.create(
        deployment(
            "web",
            replicas=3,
            strategy={
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
        )
    )
    assert rollout.rollout_status(env.store, "web") == (
        False,
        "Waiting for deployment spec update to be observed...",
    )
    env.settle()
    assert rollout.rollout_status(env.store, "web") == (
        False,
        'Waiting for deployment "web" rollout to finish: 0 of 3 updated replicas are available...',
    )
    env.run(10)
    assert rollout.rollout_status(env.store, "web") == (
        True,
        'deployment "web" successfully rolled out',
    )

    rollout.set_image(env.store, "web", "default", "web", "kubequest/web:2.0")
    seen = set()
    while True:
        done, msg = rollout.rollout_status(env.store, "web")
        seen.add(msg)
        if done:
            break
        env.run(1)
    prefix = 'Waiting for deployment "web" rollout to finish: '
    assert f"{prefix}1 out of 3 new replicas have been updated..." in seen
    assert f"{prefix}2 out of 3 new replicas have been updated..." in seen
    assert f"{prefix}1 old replicas are pending termination..." in seen


def test_pause_resume_twice_are_errors(env):
    env.create(deployment("web", replicas=1))
    env.settle()
    assert rollout.pause(env.store, "web") == "deployment.apps/web paused"
    with pytest.raises(RolloutError, match='^deployments.apps "web" is already paused$'):
        rollout.pause(env.store, "web")
    with pytest.raises(
        RolloutError,
        match=r"^deployments.apps \"web\" can't restart paused deployment "
        r"\(run rollout resume first\)$",
    ):
        rollout.restart(env.store, "web")
    assert rollout.resume(env.store, "web") == "deployment.apps/web resumed"
    with pytest.raises(RolloutError, match='^deployments.apps "web" is not paused$'):
        rollout.resume(env.store, "web")


def test_restart_stamps_the_template_and_rolls_new_pods(env):
    env.create(deployment("web", replicas=2))
    env.run(10)
    before = {p["metadata"]["name"] for p in env.pods()}
    env.clock.advance(100)
    assert rollout.restart(env.store, "web") == "deployment.apps/web restarted"
    stamp = env.get("Deployment", "web")["spec"]["template"]["metadata"]["annotations"][
        "kubectl.kubernetes.io/restartedAt"
    ]
    assert stamp == "2026-01-01T00:01:50Z"
    with pytest.raises(RolloutError, match="within the past second"):
        rollout.restart(env.store, "web")
    env.run(30)
    after = {p["metadata"]["name"] for p in env.pods()}
    assert len(after) == 2 and not (before & after)
    assert rollout.rollout_history(env.store, "web")[-1][0] == 2


def test_set_image(env):
    env.create(deployment("web", replicas=1))
    assert (
        rollout.set_image(env.store, "web", "default", "web", "kubequest/web:2.0")
        == "deployment.apps/web image updated"
    )
    assert (
        rollout.set_image(env.store, "web", "default", "web", "kubequest/web:2.0") == ""
    )  # nothing to do
    assert (
        rollout.set_image(env.store, "web", "default", "*", "kubequest/web:3.0")
        == "deployment.apps/web image updated"
    )
    assert image(env) == "kubequest/web:3.0"
    with pytest.raises(RolloutError, match='^unable to find container named "nginx"$'):
        rollout.set_image(env.store, "web", "default", "nginx", "nginx:1.25")
    env.create(replica_set("rs", replicas=0))
    assert (
        rollout.set_image(env.store, "rs", "default", "web", "x:1", kind="ReplicaSet")
        == "replicaset.apps/rs image updated"
    )


def test_scale_kinds_and_refusals(env):
    env.create(deployment("web", replicas=1))
    env.create(replica_set("rs", replicas=1))
    env.create(
        {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {"name": "rc"},
            "spec": {
                "replicas": 1,
                "template": {
                    "metadata": {"labels": {"app": "rc"}},
                    "spec": {"containers": [{"name": "c", "image": "x"}]},
                },
            },
        }
    )
    assert (
        rollout.scale(env.store, "Deployment", "web", "default", 3) == "deployment.apps/web scaled"
    )
    assert rollout.scale(env.store, "ReplicaSet", "rs", "default", 2) == "replicaset.apps/rs scaled"
    assert (
        rollout.scale(env.store, "ReplicationController", "rc", "default", 0)
        == "replicationcontroller/rc scaled"
    )
    env.run(10)
    assert (
        len(env.pods("app=web")) == 3 and len(env.pods("app=rs")) == 2 and env.pods("app=rc") == []
    )
    with pytest.raises(RolloutError, match="COUNT must be greater than or equal to 0"):
        rollout.scale(env.store, "Deployment", "web", "default", -1)
    with pytest.raises(RolloutError, match="the server could not find the requested resource"):
        rollout.scale(env.store, "Pod", "x", "default", 1)
    with pytest.raises(NotFound):
        rollout.scale(env.store, "Deployment", "nope", "default", 1)
