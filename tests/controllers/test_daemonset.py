from __future__ import annotations

import pytest

from engine.api.objects import get_condition
from engine.controllers.daemonset import DaemonSetController, node_should_run_daemon_pod
from tests.controllers.fake_nodes import FakeNodes, add_node, make_loop


def ds(
    name="agent",
    *,
    image="kubequest/toolbox:1.0",
    node_selector=None,
    tolerations=None,
    **spec_extra,
):
    tspec = {"containers": [{"name": "agent", "image": image}]}
    if node_selector:
        tspec["nodeSelector"] = node_selector
    if tolerations:
        tspec["tolerations"] = tolerations
    spec = {
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": tspec},
    }
    spec.update(spec_extra)
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def env():
    store, loop = make_loop()
    add_node(store, "node-1")
    add_node(store, "node-2")
    loop.add(DaemonSetController(loop.ctx))
    nodes = loop.add(FakeNodes(loop.ctx, ready_delay=2, terminate_delay=2))
    return store, loop, nodes


def placement(store):
    """node -> pod names (live pods only)."""
    out: dict[str, list[str]] = {}
    for p in store.list("Pod", copy=False):
        if not p["metadata"].get("deletionTimestamp"):
            out.setdefault(p["spec"].get("nodeName") or "<unbound>", []).append(
                p["metadata"]["name"]
            )
    return out


def ready_everywhere(store, nodes):
    pods = [p for p in store.list("Pod", copy=False) if not p["metadata"].get("deletionTimestamp")]
    on = sorted(p["spec"].get("nodeName") or "" for p in pods)
    ok = all((get_condition(p, "Ready") or {}).get("status") == "True" for p in pods)
    return ok and on == sorted(nodes)


def test_one_pod_per_node_pinned_by_node_affinity(env):
    store, loop, _ = env
    store.create(ds())
    loop.settle()
    pods = store.list("Pod")
    assert len(pods) == 2
    targets = set()
    for p in pods:
        assert (
            p["metadata"]["name"].startswith("agent-")
            and len(p["metadata"]["name"]) == len("agent-") + 5
        )
        terms = p["spec"]["affinity"]["nodeAffinity"][
            "requiredDuringSchedulingIgnoredDuringExecution"
        ]["nodeSelectorTerms"]
        assert len(terms) == 1 and terms[0]["matchFields"][0]["key"] == "metadata.name"
        targets.add(terms[0]["matchFields"][0]["values"][0])
        assert (
            p["spec"]["nodeName"] == terms[0]["matchFields"][0]["values"][0]
        )  # the scheduler honoured it
        keys = {(t["key"], t["effect"]) for t in p["spec"]["tolerations"]}
        assert ("node.kubernetes.io/unreachable", "NoExecute") in keys
        assert ("node.kubernetes.io/unschedulable", "NoSchedule") in keys
        assert p["metadata"]["labels"]["controller-revision-hash"]
        assert p["metadata"]["labels"]["pod-template-generation"] == "1"
    assert targets == {"node-1", "node-2"}
    assert loop.run_until(lambda: ready_everywhere(store, ["node-1", "node-2"]), 30)
    loop.settle()
    st = store.get("DaemonSet", "agent")["status"]
    assert st == {
        "currentNumberScheduled": 2,
        "numberMisscheduled": 0,
        "desiredNumberScheduled": 2,
        "numberReady": 2,
        "observedGeneration": 1,
        "updatedNumberScheduled": 2,
        "numberAvailable": 2,
    }
    msgs = [e["message"] for e in store.list("Event") if e["reason"] == "SuccessfulCreate"]
    assert sorted(msgs) == sorted(f"Created pod: {p['metadata']['name']}" for p in pods)
    assert {e["source"]["component"] for e in store.list("Event")} == {"daemonset-controller"}


def test_follows_a_node_joining_and_leaving(env):
    store, loop, _ = env
    store.create(ds())
    assert loop.run_until(lambda: ready_everywhere(store, ["node-1", "node-2"]), 30)
    add_node(store, "node-3")
    assert loop.run_until(lambda: ready_everywhere(store, ["node-1", "node-2", "node-3"]), 30)
    assert store.get("DaemonSet", "agent")["status"]["desiredNumberScheduled"] == 3
    store.delete("Node", "node-2")
    loop.settle()
    assert sorted(placement(store)) == ["node-1", "node-3"]
    assert len(store.list("Pod")) == 2  # deleted outright: no kubelet is left to finish it
    st = store.get("DaemonSet", "agent")["status"]
    assert st["desiredNumberScheduled"] == 2 and st["currentNumberScheduled"] == 2


def test_skips_a_node_with_an_untolerated_taint(env):
    store, loop, _ = env
    add_node(store, "gpu", taints=[{"key": "gpu", "value": "true", "effect": "NoSchedule"}])
    add_node(
        store,
        "cordoned",
        unschedulable=True,
        taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
    )
    store.create(ds())
    assert loop.run_until(lambda: ready_everywhere(store, ["cordoned", "node-1", "node-2"]), 30)
    st = store.get("DaemonSet", "agent")["status"]
    assert st["desiredNumberScheduled"] == 3
    # A DaemonSet that tolerates the taint runs there too.
    store.create(
        ds("gpu-agent", tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}])
    )
    loop.settle()
    gpu_pods = [p for p in store.list("Pod") if p["metadata"]["labels"]["app"] == "gpu-agent"]
    assert sorted(p["spec"]["nodeName"] for p in gpu_pods) == [
        "cordoned",
        "gpu",
        "node-1",
        "node-2",
    ]


def test_no_execute_taint_evicts_but_no_schedule_taint_does_not():
    node = {
        "metadata": {"name": "n", "labels": {}},
        "spec": {"taints": [{"key": "k", "effect": "NoSchedule"}]},
    }
    assert node_should_run_daemon_pod(node, ds()) == (False, True)
    node["spec"]["taints"] = [{"key": "k", "effect": "NoExecute"}]
    assert node_should_run_daemon_pod(node, ds()) == (False, False)
    node["spec"]["taints"] = [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]
    assert node_should_run_daemon_pod(node, ds()) == (True, True)


def test_taint_added_later(env):
    store, loop, _ = env
    store.create(ds())
    assert loop.run_until(lambda: ready_everywhere(store, ["node-1", "node-2"]), 30)

    def taint(effect):
        return lambda n: n["spec"].__setitem__(
            "taints", [{"key": "dedicated", "value": "db", "effect": effect}]
        )

    store.mutate("Node", "node-2", None, taint("NoSchedule"))
    loop.advance(10)
    assert sorted(placement(store)) == ["node-1", "node-2"]  # keeps running
    assert store.get("DaemonSet", "agent")["status"]["numberMisscheduled"] == 1
    store.mutate("Node", "node-2", None, taint("NoExecute"))
    loop.advance(10)
    assert sorted(placement(store)) == ["node-1"]
    st = store.get("DaemonSet", "agent")["status"]
    assert st["desiredNumberScheduled"] == 1 and st["numberMisscheduled"] == 0


def test_node_selector_and_labels_changing(env):
    store, loop, _ = env
    store.create(ds(node_selector={"disk": "ssd"}))
    loop.settle()
    assert store.list("Pod") == []
    store.mutate(
        "Node", "node-2", None, lambda n: n["metadata"]["labels"].__setitem__("disk", "ssd")
    )
    loop.settle()
    assert list(placement(store)) == ["node-2"]
    store.mutate("Node", "node-2", None, lambda n: n["metadata"]["labels"].pop("disk"))
    loop.advance(5)
    assert store.list("Pod") == []


def test_failed_daemon_pod_is_replaced(env):
    store, loop, _nodes = env
    store.create(ds())
    assert loop.run_until(lambda: ready_everywhere(store, ["node-1", "node-2"]), 30)
    victim = placement(store)["node-1"][0]
    store.mutate(
        "Pod",
        victim,
        "default",
        lambda p: p["status"].__setitem__("phase", "Failed"),
        subresource="status",
    )
    assert loop.run_until(
        lambda: (
            ready_everywhere(store, ["node-1", "node-2"])
            and victim not in placement(store)["node-1"]
        ),
        30,
    )
    assert any(
        e["reason"] == "FailedDaemonPod" and victim in e["message"] for e in store.list("Event")
    )


def test_rolling_update_one_node_at_a_time(env):
    store, loop, _ = env
    add_node(store, "node-3")
    store.create(ds())
    assert loop.run_until(lambda: ready_everywhere(store, ["node-1", "node-2", "node-3"]), 30)
    worst = []

    def watch(ev):
        if ev.kind == "Pod":
            live = [
                p
                for p in store.list("Pod", copy=False)
                if not p["metadata"].get("deletionTimestamp")
                and (get_condition(p, "Ready") or {}).get("status") == "True"
            ]
            worst.append(3 - len(live))

    store.subscribe(watch)
    store.mutate(
        "DaemonSet",
        "agent",
        "default",
        lambda d: d["spec"]["template"]["spec"]["containers"][0].__setitem__(
            "image", "kubequest/toolbox:2.0"
        ),
    )

    def all_new():
        pods = store.list("Pod", copy=False)
        return len(pods) == 3 and all(
            p["spec"]["containers"][0]["image"] == "kubequest/toolbox:2.0" for p in pods
        )

    assert loop.run_until(
        lambda: all_new() and ready_everywhere(store, ["node-1", "node-2", "node-3"]), 120
    )
    loop.settle()
    assert max(worst) == 1
    st = store.get("DaemonSet", "agent")["status"]
    assert (
        st["updatedNumberScheduled"] == 3
        and st["numberAvailable"] == 3
        and st["observedGeneration"] == 2
    )
