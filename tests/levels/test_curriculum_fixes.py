"""Fixes to the level machinery found while writing the built-in curriculum (issue 7):

- an `http` check reused an answer from before a game action (a failed node, a killed
  container) that changed the cluster without a store write: `survives` passed at once;
- the level's setup files were applied all at once, so the controllers never saw the
  states in between (a Deployment's rollout history could not be set up);
- "why not yet?" blamed the pod for a dead node, and printed an exec probe's output
  with its newline (or an empty one) as it came;
- a session on Docker left its cluster's network behind.
"""

from __future__ import annotations

from engine.api.store import Store
from engine.clock import VirtualClock
from kubequest.levels.checks import CheckContext, compile_check
from kubequest.levels.explain import ExplainContext, diagnose_pod
from kubequest.levels.loader import load_pack
from kubequest.levels.session import LevelSession, _remove_leftovers

from .conftest import LEVEL_YAML, WEB_DEPLOYMENT, add_pod, make_pack
from .test_checks import record, service


class _Proxy:
    def address_of(self, service, namespace, port):
        return ("127.0.0.1", 1)


def test_an_http_answer_is_not_reused_across_a_game_action():
    clock = VirtualClock()
    store = Store(clock, seed=1)
    service(store)
    calls = []

    def http_get(host, port, path, timeout):
        calls.append(path)
        return 200, "web 1.0 hello from web-1"

    ctx = CheckContext(store=store, clock=clock, proxy=_Proxy(), http_get=http_get)
    check = compile_check({"type": "http", "service": "web"})
    assert check.evaluate(ctx).ok and check.evaluate(ctx).ok
    assert len(calls) == 1  # same store, same instant: the answer is reused
    ctx.acts += 1  # the game failed a node: nothing in the store changed yet
    assert check.evaluate(ctx).ok
    assert len(calls) == 2


def test_a_failed_node_is_seen_at_once_by_survives(tmp_path):
    level_yaml = LEVEL_YAML.format(name="scale").replace(
        "timeLimitSeconds: 60", "timeLimitSeconds: 60\ncluster:\n  nodes:\n    - {name: node-1}\n"
                                "    - {name: node-2}")
    start = level_yaml.index("objectives:")
    level_yaml = level_yaml[:start] + """objectives:
  - id: survives
    description: the Service answers from 3 pods again after node-1 fails
    check:
      type: survives
      action: {type: failNode, node: node-1}
      withinSeconds: 20
      then: {type: http, service: web, requests: 6, expect: {distinctBackends: 3}}
""" + level_yaml[level_yaml.index("hints:"):]
    service_yaml = ("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n"
                    "  selector:\n    app: web\n  ports:\n    - port: 80\n      targetPort: 8080\n")
    make_pack(tmp_path, level_yaml=level_yaml,
              setup=WEB_DEPLOYMENT.format(replicas=3, image="kubequest/web:1.0") + service_yaml)
    level = load_pack(tmp_path).levels[0]
    with LevelSession(level) as session:
        pods = session.cluster.store.list("Pod")
        assert {p["spec"]["nodeName"] for p in pods} == {"node-1", "node-2"}
        state = session.run(60)
    # Without the tolerationSeconds to leave node-1 early, the pods there stay for 5
    # minutes: 20 seconds are not enough, and the check must not pass on a stale answer.
    assert not state.won
    assert "20s later" in state.objectives[0].detail


def test_setup_files_are_applied_one_after_the_other(tmp_path):
    level_yaml = LEVEL_YAML.format(name="scale").replace(
        "setup: [setup/app.yaml]", "setup: [setup/app.yaml, setup/next.yaml]")
    make_pack(tmp_path, level_yaml=level_yaml, extra={
        "scale/setup/next.yaml": WEB_DEPLOYMENT.format(replicas=1, image="kubequest/web:2.0")})
    level = load_pack(tmp_path).levels[0]
    with LevelSession(level) as session:
        images = sorted(rs["spec"]["template"]["spec"]["containers"][0]["image"]
                        for rs in session.cluster.store.list("ReplicaSet"))
    assert images == ["kubequest/web:1.0", "kubequest/web:2.0"]  # a revision history


def _with_probe_event(store, message: str) -> dict:
    pod = add_pod(store, "web-1", ready=False, spec_extra={"containers": [{
        "name": "web", "image": "kubequest/toolbox:1.0",
        "readinessProbe": {"exec": {"command": ["test", "-f", "/tmp/ready"]}}}]})
    record(store, "Unhealthy", name="web-1", message=message)
    ev = store.list("Event")[-1]
    ev["involvedObject"]["uid"] = pod["metadata"]["uid"]
    store.update(ev, validate=False)
    return store.get("Pod", "web-1", "default")


def test_an_exec_probe_message_is_one_line(store):
    pod = _with_probe_event(store, "Readiness probe failed: wget: bad address 'api'\n")
    assert diagnose_pod(ExplainContext(store), pod) == (
        "Pod web-1 is running but not Ready: Readiness probe failed: wget: bad address 'api' "
        "(the probe tries the command 'test -f /tmp/ready').")


def test_an_empty_exec_probe_message_leaves_nothing_dangling(store):
    pod = _with_probe_event(store, "Readiness probe failed: ")
    assert diagnose_pod(ExplainContext(store), pod) == (
        "Pod web-1 is running but not Ready: Readiness probe failed "
        "(the probe tries the command 'test -f /tmp/ready').")


def test_a_pod_on_a_dead_node_is_explained_by_its_node(store):
    store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
                  "status": {"conditions": [{"type": "Ready", "status": "Unknown",
                                             "reason": "NodeStatusUnknown",
                                             "message": "Kubelet stopped posting node status."}]}},
                 validate=False)
    pod = add_pod(store, "web-1", ready=False)
    assert diagnose_pod(ExplainContext(store), pod) == (
        "Pod web-1 is on node node-1, which is not Ready: Kubelet stopped posting node status.")


def test_a_ready_node_changes_nothing(store):
    store.create({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
                  "status": {"conditions": [{"type": "Ready", "status": "True"}]}}, validate=False)
    pod = add_pod(store, "web-1", ready=False)
    assert diagnose_pod(ExplainContext(store), pod) == "Pod web-1 is running but not Ready yet."


class _Runtime:
    def __init__(self, cluster_id, fail=False):
        self.cluster_id, self.fail, self.cleaned = cluster_id, fail, []

    def cleanup(self, cluster_id):
        if self.fail:
            raise RuntimeError("daemon gone")
        self.cleaned.append(cluster_id)


def test_a_session_removes_its_clusters_leftovers():
    runtime = _Runtime("c0ffee")
    _remove_leftovers(runtime)
    assert runtime.cleaned == ["c0ffee"]
    _remove_leftovers(_Runtime(None))  # no cluster of its own: nothing to do
    _remove_leftovers(_Runtime("dead", fail=True))  # a failure is logged, not raised
    _remove_leftovers(object())  # the sim runtime has no leftovers
