"""The addNode scripted action (a KubeQuest extension of PRODUCT.md §2's list): the
node joins with its kubelet, a DaemonSet follows it, pack check knows its fields,
and a level can use it in `events` and in a `survives` objective."""

from __future__ import annotations

import pytest

from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime
from kubequest.levels.actions import ActionFailed, perform
from kubequest.levels.loader import load_pack
from kubequest.levels.session import LevelSession

from .conftest import make_pack

AGENT = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels:
      app: agent
  template:
    metadata:
      labels:
        app: agent
    spec:
      containers:
        - name: agent
          image: kubequest/toolbox:1.0
"""


@pytest.fixture
def cluster():
    clock = VirtualClock()
    c = Cluster(SimRuntime(clock), clock=clock, nodes=[NodeConfig("node-1")])
    yield c
    c.close()


def _ready(node: dict) -> str | None:
    return next((c.get("status") for c in (node.get("status") or {}).get("conditions") or []
                 if c.get("type") == "Ready"), None)


def _agents_on(c, node: str) -> list[dict]:
    return [p for p in c.store.list("Pod") if p["spec"].get("nodeName") == node
            and not p["metadata"].get("deletionTimestamp")
            and any(x.get("type") == "Ready" and x.get("status") == "True"
                    for x in (p.get("status") or {}).get("conditions") or [])]


def test_a_node_joins_heartbeats_and_gets_the_daemonsets_pod(cluster):
    cluster.apply_text(AGENT)
    assert cluster.run_until(lambda: len(_agents_on(cluster, "node-1")) == 1, 60)
    what = perform(cluster, {"type": "addNode", "node": "node-2", "cpu": "2", "memory": "2Gi",
                             "labels": {"pool": "green"},
                             "taints": [{"key": "team", "value": "a", "effect": "PreferNoSchedule"}]})
    assert what == "added node node-2 (it joined the cluster)"
    node = cluster.store.get("Node", "node-2")
    assert node["metadata"]["labels"]["pool"] == "green"
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == "node-2"
    assert node["status"]["capacity"]["cpu"] == "2" and node["status"]["capacity"]["memory"] == "2Gi"
    assert node["spec"]["taints"] == [{"key": "team", "value": "a", "effect": "PreferNoSchedule"}]
    assert "node-2" in cluster.kubelets
    # its kubelet heartbeats: the node turns Ready…
    assert cluster.run_until(lambda: _ready(cluster.store.get("Node", "node-2")) == "True", 60)
    # the DaemonSet controller sees it join: one agent there, still one on node-1
    assert cluster.run_until(lambda: len(_agents_on(cluster, "node-2")) == 1, 60)
    assert len(_agents_on(cluster, "node-1")) == 1
    # …and stays Ready long past the node monitor grace period: the heartbeats go on
    cluster.advance(120)
    assert _ready(cluster.store.get("Node", "node-2")) == "True"
    assert len(_agents_on(cluster, "node-2")) == 1


def test_the_scheduler_uses_a_node_that_joins(cluster):
    perform(cluster, {"type": "cordonNode", "node": "node-1"})
    cluster.apply_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: solo\n"
                       "spec:\n  containers:\n    - name: c\n      image: kubequest/toolbox:1.0\n")
    cluster.advance(10)
    assert not cluster.store.get("Pod", "solo", "default")["spec"].get("nodeName")
    perform(cluster, {"type": "addNode", "node": "node-2"})
    assert cluster.run_until(
        lambda: cluster.store.get("Pod", "solo", "default")["spec"].get("nodeName") == "node-2", 60)


def test_a_duplicate_node_name_is_a_clear_error(cluster):
    with pytest.raises(ActionFailed, match='node "node-1" is already in this cluster: addNode needs a new node name'):
        perform(cluster, {"type": "addNode", "node": "node-1"})
    cluster.store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-9"}}, validate=False)
    with pytest.raises(ActionFailed, match='node "node-9" is already in this cluster'):
        perform(cluster, {"type": "addNode", "node": "node-9"})  # kubectl made it: no kubelet of ours
    cluster.store.delete("Node", "node-9")
    assert sorted(n["metadata"]["name"] for n in cluster.store.list("Node")) == ["node-1"]


def test_a_retried_add_node_keeps_the_node_that_joined(cluster):
    """A `survives` whose nested check failed is tried again after the learner's fix:
    the node its first try brought in stays, and the action goes on."""
    assert perform(cluster, {"type": "addNode", "node": "node-2"}) == "added node node-2 (it joined the cluster)"
    assert perform(cluster, {"type": "addNode", "node": "node-2"}) == \
        "kept node node-2, which joined on an earlier try"
    assert sorted(cluster.kubelets) == ["node-1", "node-2"]


# ---- pack check ------------------------------------------------------------------------------

LEVEL = """\
apiVersion: kubequest/v1
kind: Level
name: scale
title: A test level
briefing: briefing.md
timeLimitSeconds: 60
cluster:
  nodes:
    - {{name: node-1}}
setup: [setup/app.yaml]
workspace: [workspace/app.yaml]
objectives:
  - id: three-ready
    description: three web pods are ready
    check: {{type: pods, selector: {{app: web}}, ready: true, count: 3}}
{extra}
hints: [Scale it.]
solution: [solution/app.yaml]
"""


def _problems(tmp_path, extra: str) -> list[str]:
    pack = load_pack(make_pack(tmp_path, level_yaml=LEVEL.format(extra=extra)))
    return [str(p) for p in pack.all_problems()]


def test_pack_check_accepts_add_node_in_events_and_survives(tmp_path):
    extra = """\
  - id: joins
    description: a node joins and gets a web pod
    check:
      type: survives
      action: {type: addNode, node: node-3, cpu: "2", memory: 2Gi, labels: {disk: ssd}}
      withinSeconds: 60
      then: {type: pods, selector: {app: web}, min: 1}
events:
  - when: objectivesMet
    action:
      type: addNode
      node: node-2
      taints: [{key: dedicated, value: gpu, effect: NoSchedule}]
  - {after: 30s, action: {type: failNode, node: node-2}}
  - {after: 40s, action: {type: cordonNode, node: node-3}}"""
    assert _problems(tmp_path, extra) == []


def test_pack_check_reports_add_node_mistakes(tmp_path):
    extra = """\
events:
  - {when: objectivesMet, action: {type: addNode, node: node-1}}
  - {when: objectivesMet, action: {type: addNode, node: node-2, gpu: 1, labels: [a]}}
  - {when: objectivesMet, action: {type: addNode, node: node-2, taints: [{key: a, effect: Sometimes}]}}
  - {when: objectivesMet, action: {type: addNode, node: Node_3}}
  - {when: objectivesMet, action: {type: addNode}}
  - {after: 10s, action: {type: failNode, node: node-9}}"""
    problems = "\n".join(_problems(tmp_path, extra))
    assert 'events[0].action.node: node "node-1" is already in this level\'s cluster' in problems
    assert "addNode needs a new node name" in problems
    assert 'events[1].action.gpu: unknown key "gpu" for a addNode action' in problems
    assert "events[1].action.labels: must be a mapping of label names to values" in problems
    assert 'events[2].action.node: node "node-2" is added twice' in problems
    assert 'events[2].action.taints[0].effect: "Sometimes" is not one of' in problems
    assert 'events[3].action.node: "Node_3" must be a node name' in problems
    assert 'events[4].action: missing required key "node" for a addNode action' in problems
    assert ('events[5].action.node: no node "node-9" in this level\'s cluster '
            '(nodes: node-1 and, added during play, Node_3, node-1, node-2)') in problems


# ---- in a level ------------------------------------------------------------------------------

WEB_DS = AGENT.replace("agent", "web").replace("kubequest/toolbox:1.0", "kubequest/web:1.0")


NODE_2_COVERED = ("{{type: any, checks: [{{type: absent, kind: Node, name: node-2}}, "
                  "{{type: pods, selector: {{app: web}}, ready: true, node: node-2, count: 1}}]}}")
AS_EVENT = (f"check: {NODE_2_COVERED}",
            "events:\n  - {when: objectivesMet, action: {type: addNode, node: node-2}}")
AS_SURVIVES = (("check: {{type: survives, action: {{type: addNode, node: node-2}}, withinSeconds: 60, "
                f"then: {NODE_2_COVERED}}}}}"), "")


@pytest.mark.parametrize("check, extra", [AS_EVENT, AS_SURVIVES], ids=["event", "survives"])
def test_a_level_adds_a_node_and_only_a_daemonset_follows(tmp_path, check, extra):
    """node-2 joins once the rest holds: a DaemonSet covers it, the setup's Deployment does not."""
    level = LEVEL.replace("check: {{type: pods, selector: {{app: web}}, ready: true, count: 3}}", check)
    pack = load_pack(make_pack(tmp_path, level_yaml=level.format(extra=extra), solution=WEB_DS))
    lv = pack.levels[0]
    assert not pack.all_problems(), [str(p) for p in pack.all_problems()]
    with LevelSession(lv, runtime="sim") as s:
        state = s.run(120)
        assert not state.won
        assert s.cluster.store.try_get("Node", "node-2") is not None
        assert any("the game added node node-2" in line for line in s.log), s.log
    with LevelSession(lv, runtime="sim") as s:
        s.apply_files(lv.solution)
        state = s.run(60)
        assert state.won, [o.detail for o in state.objectives]
        assert len(_agents_on(s.cluster, "node-2")) == 1


def test_a_failed_add_node_survives_is_won_after_the_fix_in_the_same_session(tmp_path):
    """The first try adds node-2 and fails (the Deployment does not follow); the learner
    applies a DaemonSet; the retry keeps node-2 and the level is won without a restart."""
    check, extra = AS_SURVIVES
    level = LEVEL.replace("check: {{type: pods, selector: {{app: web}}, ready: true, count: 3}}", check)
    lv = load_pack(make_pack(tmp_path, level_yaml=level.format(extra=extra), solution=WEB_DS)).levels[0]
    with LevelSession(lv, runtime="sim") as s:
        state = s.run(120)
        assert not state.won and "could not" not in state.objectives[0].detail
        assert "60s later" in state.objectives[0].detail, state.objectives[0].detail
        s.apply_files(lv.solution)
        state = s.run(60)
        assert state.won, [o.detail for o in state.objectives]
        assert any("kept node node-2, which joined on an earlier try" in line for line in s.log), s.log
