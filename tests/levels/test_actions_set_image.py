"""The setImage scripted action (a KubeQuest extension of PRODUCT.md §2's list): the
game releases an image as `kubectl set image` + `kubectl rollout restart` would, so
every try replaces every pod, and pack check knows its fields."""

from __future__ import annotations

import pytest

from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime
from kubequest.levels.actions import RESTARTED_AT, ActionFailed, perform
from kubequest.levels.loader import load_pack

from .conftest import LEVEL_YAML, WEB_DEPLOYMENT, make_pack

RELEASE = {"type": "setImage", "deployment": "web", "image": "kubequest/web:2.0"}


@pytest.fixture
def cluster():
    clock = VirtualClock()
    c = Cluster(SimRuntime(clock), clock=clock, nodes=[NodeConfig("node-1")])
    c.apply_text(WEB_DEPLOYMENT.format(replicas=2, image="kubequest/web:1.0"))
    assert c.run_until(lambda: _rolled_out(c, "kubequest/web:1.0"), 60)
    yield c
    c.close()


def _rolled_out(c, image: str) -> bool:
    d = c.store.get("Deployment", "web", "default")
    st = d.get("status") or {}
    pods = [p for p in c.store.list("Pod", "default") if not p["metadata"].get("deletionTimestamp")]
    return (st.get("observedGeneration") == d["metadata"]["generation"]
            and st.get("updatedReplicas") == st.get("readyReplicas") == st.get("replicas") == 2
            and len(pods) == 2 and all(p["spec"]["containers"][0]["image"] == image for p in pods))


def _pod_names(c) -> set[str]:
    return {p["metadata"]["name"] for p in c.store.list("Pod", "default")
            if not p["metadata"].get("deletionTimestamp")}


def test_set_image_rolls_the_deployment_out_and_a_retry_rolls_again(cluster):
    first = _pod_names(cluster)
    assert perform(cluster, RELEASE) == \
        "released kubequest/web:2.0 to Deployment web (set image, then rollout restart)"
    template = cluster.store.get("Deployment", "web", "default")["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "kubequest/web:2.0"
    assert RESTARTED_AT in template["metadata"]["annotations"]
    assert cluster.run_until(lambda: _rolled_out(cluster, "kubequest/web:2.0"), 120)
    second = _pod_names(cluster)
    assert not first & second
    cluster.advance(5)  # a later try: the restart stamp differs, so every pod is replaced again
    perform(cluster, RELEASE)
    assert cluster.run_until(lambda: _rolled_out(cluster, "kubequest/web:2.0")
                             and not _pod_names(cluster) & second, 120)
    assert len(cluster.store.list("ReplicaSet", "default")) == 3


def test_set_image_says_what_is_missing(cluster):
    with pytest.raises(ActionFailed, match="no Deployment api in namespace default"):
        perform(cluster, {**RELEASE, "deployment": "api"})
    with pytest.raises(ActionFailed, match=r"Deployment web has no container app \(containers: web\)"):
        perform(cluster, {**RELEASE, "container": "app"})
    d = cluster.store.get("Deployment", "web", "default")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "kubequest/web:1.0"  # nothing half-done


def test_pack_check_knows_set_image(tmp_path):
    good = "events:\n  - {after: 10s, action: {type: setImage, deployment: web, image: kubequest/web:2.0}}\n"
    bad = "events:\n  - {after: 10s, action: {type: setImage, deployment: web, tag: '2.0'}}\n"
    problems = []
    for where, extra in ((tmp_path / "good", good), (tmp_path / "bad", bad)):
        pack = load_pack(make_pack(where, level_yaml=LEVEL_YAML.format(name="scale") + extra))
        problems.append([str(p) for p in pack.all_problems()])
    assert problems[0] == []
    joined = "\n".join(problems[1])
    assert 'missing required key "image" for a setImage action' in joined
    assert 'unknown key "tag" for a setImage action' in joined
