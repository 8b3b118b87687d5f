"""Scripted actions: each one on a hand-populated store, and on the sim cluster end to end."""

from __future__ import annotations

import pytest

from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime
from kubequest.levels.actions import ActionFailed, perform

from .conftest import WEB_DEPLOYMENT, add_pod
from .test_checks import deployment


class FakeCluster:
    """What the actions use of a Cluster: the store, the runtime, fail/recover_node."""

    def __init__(self, store):
        self.store = store
        self.killed: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self.runtime = self

    def kill_container(self, cid):
        self.killed.append(cid)

    def fail_node(self, name):
        self.calls.append(("fail", name))

    def recover_node(self, name):
        self.calls.append(("recover", name))


def node(store, name="node-1"):
    return store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}, validate=False)


def test_kill_container_picks_pods_in_name_order(store):
    cluster = FakeCluster(store)
    for name in ("web-c", "web-a", "web-b"):
        add_pod(store, name)
    assert perform(cluster, {"type": "killContainer", "selector": {"app": "web"}, "count": 2}) == \
        "killed container web in pod web-a, web in pod web-b"
    assert cluster.killed == ["web-a-c", "web-b-c"]


def test_kill_container_needs_a_running_container(store):
    add_pod(store, "web-1", statuses=[{"name": "web", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    with pytest.raises(ActionFailed, match="pod web-1 has no running container"):
        perform(FakeCluster(store), {"type": "killContainer", "selector": {"app": "web"}})
    with pytest.raises(ActionFailed, match="no pod matches app=db in namespace default"):
        perform(FakeCluster(store), {"type": "killContainer", "selector": {"app": "db"}})


def test_delete_pod(store):
    add_pod(store, "web-1", node=None)
    add_pod(store, "web-2", node=None)
    assert perform(FakeCluster(store), {"type": "deletePod", "selector": {"app": "web"}}) == \
        "deleted pod web-1"
    assert [p["metadata"]["name"] for p in store.list("Pod")] == ["web-2"]


def test_nodes(store):
    cluster = FakeCluster(store)
    node(store)
    assert perform(cluster, {"type": "failNode", "node": "node-1"}).startswith("failed node node-1")
    assert perform(cluster, {"type": "recoverNode", "node": "node-1"}) == "recovered node node-1"
    assert cluster.calls == [("fail", "node-1"), ("recover", "node-1")]
    assert perform(cluster, {"type": "cordonNode", "node": "node-1"}).startswith("cordoned node node-1")
    assert store.get("Node", "node-1")["spec"]["unschedulable"] is True
    with pytest.raises(ActionFailed, match='no node "node-9"'):
        perform(cluster, {"type": "failNode", "node": "node-9"})


def test_scale(store):
    deployment(store, replicas=3)
    assert perform(FakeCluster(store), {"type": "scale", "deployment": "web", "replicas": 1}) == \
        "scaled Deployment web to 1"
    assert store.get("Deployment", "web")["spec"]["replicas"] == 1
    with pytest.raises(ActionFailed, match="no Deployment db"):
        perform(FakeCluster(store), {"type": "scale", "deployment": "db", "replicas": 1})


# ---- on the sim cluster -------------------------------------------------------------------


@pytest.fixture
def cluster():
    clock = VirtualClock()
    c = Cluster(SimRuntime(clock), clock=clock, nodes=[NodeConfig("node-1"), NodeConfig("node-2")])
    yield c
    c.close()


def ready_web_pods(c) -> list[dict]:
    return [p for p in c.store.list("Pod") if not p["metadata"].get("deletionTimestamp")
            and any(x.get("type") == "Ready" and x.get("status") == "True"
                    for x in p.get("status", {}).get("conditions", []))]


def test_a_killed_container_is_restarted_by_its_kubelet(cluster):
    cluster.apply_text(WEB_DEPLOYMENT.format(replicas=1, image="kubequest/web:1.0"))
    assert cluster.run_until(lambda: len(ready_web_pods(cluster)) == 1, 60)
    perform(cluster, {"type": "killContainer", "selector": {"app": "web"}})
    assert cluster.run_until(
        lambda: ready_web_pods(cluster) and
        ready_web_pods(cluster)[0]["status"]["containerStatuses"][0]["restartCount"] == 1, 60)


def test_a_deleted_pod_is_replaced_and_scale_and_cordon_take_effect(cluster):
    cluster.apply_text(WEB_DEPLOYMENT.format(replicas=2, image="kubequest/web:1.0"))
    assert cluster.run_until(lambda: len(ready_web_pods(cluster)) == 2, 60)
    before = {p["metadata"]["name"] for p in ready_web_pods(cluster)}
    perform(cluster, {"type": "deletePod", "selector": {"app": "web"}})
    assert cluster.run_until(lambda: len(ready_web_pods(cluster)) == 2 and
                             {p["metadata"]["name"] for p in ready_web_pods(cluster)} != before, 60)
    replaced = {p["metadata"]["name"] for p in ready_web_pods(cluster)}
    perform(cluster, {"type": "cordonNode", "node": "node-1"})
    perform(cluster, {"type": "scale", "deployment": "web", "replicas": 4})
    assert cluster.run_until(lambda: len(ready_web_pods(cluster)) == 4, 60)
    new = [p for p in ready_web_pods(cluster) if p["metadata"]["name"] not in replaced]
    assert len(new) == 2 and all(p["spec"]["nodeName"] == "node-2" for p in new)


def test_a_failed_node_loses_its_pods_and_recovers(cluster):
    perform(cluster, {"type": "cordonNode", "node": "node-2"})
    cluster.apply_text(WEB_DEPLOYMENT.format(replicas=1, image="kubequest/web:1.0"))
    assert cluster.run_until(lambda: len(ready_web_pods(cluster)) == 1, 60)
    perform(cluster, {"type": "failNode", "node": "node-1"})
    assert cluster.run_until(lambda: not ready_web_pods(cluster), 120)  # after the grace period
    perform(cluster, {"type": "recoverNode", "node": "node-1"})
    assert cluster.run_until(lambda: len(ready_web_pods(cluster)) == 1, 600)
