"""NodeLifecycleController on a VirtualClock: heartbeats stop, the node goes
Unknown, is tainted, its pods go not Ready and are evicted when their
tolerations run out; heartbeats return and the taints go."""

from __future__ import annotations

import pytest

from engine.api.objects import get_condition
from engine.api.store import Store
from engine.clock import VirtualClock, parse_rfc3339
from engine.config import DEFAULT_TIMING
from engine.controllers.nodelifecycle import NodeLifecycleController
from engine.loop import ControlLoop

T = DEFAULT_TIMING
UNREACHABLE = "node.kubernetes.io/unreachable"
NOT_READY = "node.kubernetes.io/not-ready"


class Env:
    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.t0 = self.clock.now()
        self.store = Store(self.clock, seed=3)
        self.loop = ControlLoop(self.store, self.clock, T)
        self.beating: dict[str, str] = {}  # node -> the Ready status its "kubelet" posts
        for name in ("node-1", "node-2"):
            self.store.create({"apiVersion": "v1", "kind": "Node",
                               "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
                               "spec": {}, "status": {"conditions": [], "allocatable": {
                                   "cpu": "4", "memory": "4Gi", "pods": "110"}}})
            self.beating[name] = "True"
            self._beat(name)
        self.loop.add(NodeLifecycleController(self.loop.ctx))

    def _beat(self, name: str) -> None:
        """A kubelet's node status update: Ready and MemoryPressure with a fresh heartbeat."""
        status = self.beating.get(name)
        if status is None:
            return  # the kubelet is dead
        now = self.store.now()

        def post(node: dict) -> None:
            old = {c["type"]: c for c in node["status"].get("conditions", [])}
            conds = []
            ready_reason = "KubeletReady" if status == "True" else "KubeletNotReady"
            for type_, value, reason in (("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                                         ("Ready", status, ready_reason)):
                prev = old.get(type_)
                moved = prev is None or prev["status"] != value
                conds.append({"type": type_, "status": value, "reason": reason, "message": "",
                              "lastHeartbeatTime": now,
                              "lastTransitionTime": now if moved else prev["lastTransitionTime"]})
            node["status"]["conditions"] = conds

        self.store.mutate("Node", name, None, post, subresource="status")
        self.loop.ctx.after(T.node_status_update, lambda: self._beat(name))

    def kill(self, name: str) -> None:
        self.beating.pop(name, None)

    def revive(self, name: str) -> None:
        self.beating[name] = "True"
        self._beat(name)

    def pod(self, name: str, node: str = "node-1", tolerations: list | None = None) -> dict:
        spec = {"containers": [{"name": "c", "image": "kubequest/web:1.0"}], "nodeName": node}
        if tolerations is not None:
            spec["tolerations"] = tolerations
        self.store.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})

        def running(p: dict) -> None:
            p["status"].update(phase="Running", conditions=[
                {"type": "Ready", "status": "True", "lastTransitionTime": self.store.now()}])

        return self.store.mutate("Pod", name, "default", running, subresource="status")

    def run_to(self, seconds_after_start: float) -> None:
        self.loop.run_until(None, self.t0 + seconds_after_start - self.clock.now())

    def node(self, name: str = "node-1") -> dict:
        return self.store.get("Node", name)

    def taints(self, name: str = "node-1") -> list[tuple[str, str]]:
        return [(t["key"], t["effect"]) for t in self.node(name)["spec"].get("taints", [])]

    def taint_time(self, key: str, effect: str, name: str = "node-1") -> float:
        t = next(t for t in self.node(name)["spec"]["taints"] if (t["key"], t["effect"]) == (key, effect))
        return parse_rfc3339(t["timeAdded"])

    def events(self, reason: str, name: str | None = None) -> list[dict]:
        return [e for e in self.store.list("Event")
                if e["reason"] == reason and (name is None or e["involvedObject"]["name"] == name)]

    def terminating(self, name: str) -> bool:
        pod = self.store.try_get("Pod", name, "default")
        return pod is None or bool(pod["metadata"].get("deletionTimestamp"))


@pytest.fixture
def env() -> Env:
    return Env()


def ready(node: dict) -> dict:
    return get_condition(node, "Ready")


def dead_node(env: Env) -> float:
    """Heartbeats stop after the one at t0+20; returns when the NoExecute taint went on."""
    env.run_to(25)
    env.kill("node-1")
    env.run_to(90)
    return env.taint_time(UNREACHABLE, "NoExecute")


def test_healthy_nodes_are_left_alone(env):
    env.run_to(600)
    assert ready(env.node())["status"] == "True"
    assert env.taints() == []
    assert [e["message"] for e in env.events("RegisteredNode")] == [
        "Registered Node node-1 in Controller", "Registered Node node-2 in Controller"]


def test_silent_node_goes_unknown_after_the_grace_period(env):
    env.run_to(25)
    env.kill("node-1")  # last heartbeat at t0+20
    env.run_to(70)  # the pass at t0+70 is exactly the grace period later, not more
    assert ready(env.node())["status"] == "True"

    env.run_to(75)
    node = env.node()
    for type_ in ("Ready", "MemoryPressure"):
        cond = get_condition(node, type_)
        assert (cond["status"], cond["reason"], cond["message"]) == (
            "Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status.")
        assert parse_rfc3339(cond["lastTransitionTime"]) == env.t0 + 75
    assert parse_rfc3339(ready(node)["lastHeartbeatTime"]) == env.t0 + 20  # kept
    assert env.taints() == [(UNREACHABLE, "NoSchedule")]
    [ev] = env.events("NodeNotReady", "node-1")
    assert (ev["type"], ev["message"], ev["source"]["component"]) == (
        "Normal", "Node node-1 status is now: NodeNotReady", "node-controller")

    env.run_to(80)  # the next pass adds the NoExecute taint
    assert env.taints() == [(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")]
    assert env.taint_time(UNREACHABLE, "NoExecute") == env.t0 + 80
    assert ready(env.node("node-2"))["status"] == "True"


def test_pods_on_the_dead_node_are_marked_not_ready(env):
    env.pod("web")
    env.pod("other", node="node-2")
    env.run_to(25)
    env.kill("node-1")
    env.run_to(75)
    assert get_condition(env.store.get("Pod", "web", "default"), "Ready")["status"] == "False"
    assert get_condition(env.store.get("Pod", "other", "default"), "Ready")["status"] == "True"
    [ev] = env.events("NodeNotReady", "web")
    assert (ev["type"], ev["message"]) == ("Warning", "Node is not ready")


def test_pod_without_tolerations_is_evicted_after_300_seconds(env):
    env.pod("web")
    tainted = dead_node(env)
    env.run_to(tainted - env.t0 + T.toleration_seconds - 1)
    assert not env.terminating("web")
    assert env.events("TaintManagerEviction") == []

    env.run_to(tainted - env.t0 + T.toleration_seconds)
    pod = env.store.get("Pod", "web", "default")
    assert pod["metadata"]["deletionTimestamp"]  # Terminating: no kubelet finishes it
    cond = get_condition(pod, "DisruptionTarget")
    assert (cond["status"], cond["reason"]) == ("True", "DeletionByTaintManager")
    [ev] = env.events("TaintManagerEviction", "web")
    assert (ev["type"], ev["message"], ev["source"]["component"]) == (
        "Normal", "Marking for deletion Pod default/web", "taint-eviction-controller")


def test_toleration_seconds_shortens_the_wait(env):
    env.pod("quick", tolerations=[{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute",
                                   "tolerationSeconds": 30}])
    tainted = dead_node(env)
    env.run_to(tainted - env.t0 + 29)
    assert not env.terminating("quick")
    env.run_to(tainted - env.t0 + 30)
    assert env.terminating("quick")


def test_toleration_without_seconds_stays_forever(env):
    env.pod("stay", tolerations=[{"key": UNREACHABLE, "operator": "Exists", "effect": "NoExecute"}])
    env.pod("stay-all", tolerations=[{"operator": "Exists"}])
    dead_node(env)
    env.run_to(3600)
    assert not env.terminating("stay")
    assert not env.terminating("stay-all")
    assert env.events("TaintManagerEviction") == []


def test_untolerated_no_execute_taint_evicts_at_once(env):
    env.pod("web")
    env.pod("tolerant", tolerations=[{"key": "maintenance", "operator": "Exists", "effect": "NoExecute"}])
    env.run_to(10)
    env.store.mutate("Node", "node-1", None, lambda n: n["spec"].update(
        taints=[{"key": "maintenance", "effect": "NoExecute"}]))
    env.loop.settle()
    assert env.terminating("web")
    assert not env.terminating("tolerant")


def test_heartbeats_return_the_taints_go_and_evictions_are_cancelled(env):
    env.pod("web")
    tainted = dead_node(env)
    env.run_to(tainted - env.t0 + 100)
    env.revive("node-1")
    env.run_to(tainted - env.t0 + 110)
    assert ready(env.node())["status"] == "True"
    assert env.taints() == []
    env.run_to(tainted - env.t0 + 1000)
    assert not env.terminating("web")
    [ev] = env.events("TaintManagerEviction", "web")
    assert ev["message"] == "Cancelling deletion of Pod default/web"


def test_node_reporting_not_ready_gets_not_ready_taints(env):
    env.run_to(25)
    env.beating["node-1"] = "False"  # the kubelet is alive and says NotReady (at t0+30)
    env.run_to(36)
    assert ready(env.node())["status"] == "False"
    assert ready(env.node())["reason"] == "KubeletNotReady"  # the controller leaves a live report alone
    assert sorted(env.taints()) == [(NOT_READY, "NoExecute"), (NOT_READY, "NoSchedule")]

    env.kill("node-1")  # then it goes silent: unreachable replaces not-ready
    env.run_to(110)
    assert sorted(env.taints()) == [(UNREACHABLE, "NoExecute"), (UNREACHABLE, "NoSchedule")]


def test_cordon_adds_the_unschedulable_taint_and_uncordon_removes_it(env):
    env.run_to(5)
    env.store.mutate("Node", "node-1", None, lambda n: n["spec"].update(unschedulable=True))
    env.loop.settle()
    assert env.taints() == [("node.kubernetes.io/unschedulable", "NoSchedule")]
    env.store.mutate("Node", "node-1", None, lambda n: n["spec"].update(unschedulable=False))
    env.loop.settle()
    assert env.taints() == []


def test_scheduler_keeps_new_pods_off_the_unreachable_node(env):
    from engine.scheduler import Scheduler

    env.loop.add(Scheduler(env.loop.ctx))
    env.run_to(25)
    env.kill("node-1")
    env.run_to(80)
    for i in range(3):
        env.store.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": f"new-{i}"},
                          "spec": {"containers": [{"name": "c", "image": "kubequest/web:1.0"}]}})
    env.loop.settle()
    assert {env.store.get("Pod", f"new-{i}", "default")["spec"]["nodeName"] for i in range(3)} == {"node-2"}

    env.kill("node-2")
    env.run_to(160)
    env.store.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late"},
                      "spec": {"containers": [{"name": "c", "image": "kubequest/web:1.0"}]}})
    env.loop.settle()
    [ev] = env.events("FailedScheduling", "late")
    assert ev["message"] == (
        "0/2 nodes are available: 2 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.")
