"""Whatever a learner (or chaos) does, the cluster converges.

A hypothesis state machine applies, scales and deletes Deployments, deletes pods,
kills containers and fails and recovers nodes, on the sim runtime and a virtual
clock. Throughout, no pod has two controllers; once the chaos stops and the
nodes are back, every Deployment has exactly its replicas ready and up to date,
and every container the runtime runs belongs to a pod in the store.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine.api.objects import get_condition
from engine.api.selectors import from_label_selector
from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime

NODES = ["node-1", "node-2", "node-3"]
NAMES = ["alpha", "beta"]
IMAGES = ["kubequest/web:1.0", "kubequest/web:2.0", "kubequest/toolbox:1.0"]


def deployment(name: str, replicas: int, image: str) -> str:
    return f"""
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers: [{{name: main, image: "{image}"}}]
"""


class ClusterMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.clock = VirtualClock()
        self.runtime = SimRuntime(self.clock)
        self.cluster = Cluster(self.runtime, clock=self.clock, nodes=[NodeConfig(n) for n in NODES])
        self.failed: set[str] = set()
        self.wanted: dict[str, int] = {}

    def teardown(self):
        self.cluster.close()
        self.runtime.close()

    def pods(self):
        return self.cluster.store.list("Pod", "default", copy=False)

    @rule(name=st.sampled_from(NAMES), replicas=st.integers(0, 5), image=st.sampled_from(IMAGES))
    def apply(self, name, replicas, image):
        self.cluster.apply_text(deployment(name, replicas, image))
        self.wanted[name] = replicas
        self.cluster.advance(5)

    @precondition(lambda self: self.wanted)
    @rule(data=st.data(), replicas=st.integers(0, 6))
    def scale(self, data, replicas):
        name = data.draw(st.sampled_from(sorted(self.wanted)))

        def edit(d):
            d["spec"]["replicas"] = replicas

        self.cluster.store.mutate("Deployment", name, "default", edit)
        self.wanted[name] = replicas
        self.cluster.advance(5)

    @precondition(lambda self: self.wanted)
    @rule(data=st.data())
    def delete_deployment(self, data):
        name = data.draw(st.sampled_from(sorted(self.wanted)))
        self.cluster.store.delete("Deployment", name, "default")
        del self.wanted[name]
        self.cluster.advance(5)

    @rule(data=st.data())
    def delete_pod(self, data):
        pods = [p["metadata"]["name"] for p in self.pods() if not p["metadata"].get("deletionTimestamp")]
        if pods:
            self.cluster.store.delete("Pod", data.draw(st.sampled_from(pods)), "default")
        self.cluster.advance(3)

    @rule(data=st.data())
    def kill_container(self, data):
        running = [c for c in self.runtime.list_containers() if c.status == "running"]
        if running:
            self.runtime.kill_container(data.draw(st.sampled_from(running)).id)
        self.cluster.advance(3)

    @precondition(lambda self: len(self.failed) < len(NODES) - 1)
    @rule(node=st.sampled_from(NODES))
    def fail_node(self, node):
        if node not in self.failed:
            self.cluster.fail_node(node)
            self.failed.add(node)
        self.cluster.advance(20)

    @precondition(lambda self: self.failed)
    @rule(data=st.data())
    def recover_node(self, data):
        node = data.draw(st.sampled_from(sorted(self.failed)))
        self.cluster.recover_node(node)
        self.failed.discard(node)
        self.cluster.advance(10)

    @rule(seconds=st.sampled_from([1, 30, 120, 400]))
    def wait(self, seconds):
        self.cluster.advance(seconds)

    @invariant()
    def no_pod_has_two_controllers(self):
        for p in self.pods():
            controllers = [r for r in p["metadata"].get("ownerReferences") or [] if r.get("controller")]
            assert len(controllers) <= 1, p["metadata"]["name"]

    @invariant()
    def replica_sets_never_exceed_their_deployment_surge(self):
        store = self.cluster.store
        for d in store.list("Deployment", "default", copy=False):
            total = sum(rs["spec"].get("replicas", 0) for rs in store.owned_by(d["metadata"]["uid"], "ReplicaSet"))
            # maxSurge 25% rounds up: at most replicas + ceil(replicas / 4) (never below 1 surge).
            replicas = d["spec"]["replicas"]
            assert total <= replicas + max(1, -(-replicas // 4)), d["metadata"]["name"]

    @rule()
    def converge(self):
        """Stop the chaos: recover every node, then the cluster must reach the desired state."""
        for node in sorted(self.failed):
            self.cluster.recover_node(node)
        self.failed.clear()
        store = self.cluster.store

        def converged() -> bool:
            for name, replicas in self.wanted.items():
                d = store.get("Deployment", name, "default", copy=False)
                st_ = d.get("status") or {}
                if d["metadata"].get("generation") != st_.get("observedGeneration"):
                    return False
                if (st_.get("updatedReplicas", 0), st_.get("availableReplicas", 0), st_.get("replicas", 0)) != (
                    replicas, replicas, replicas,
                ):
                    return False
                pods = store.list("Pod", "default", from_label_selector({"matchLabels": {"app": name}}), copy=False)
                ready = [p for p in pods if (get_condition(p, "Ready") or {}).get("status") == "True"
                         and not p["metadata"].get("deletionTimestamp")]
                if len(ready) != replicas or len(pods) != replicas:
                    return False
            orphans = [p for p in self.pods() if p["metadata"]["labels"].get("app") not in self.wanted]
            return not orphans

        assert self.cluster.run_until(converged, timeout=1800), self.describe()
        pod_uids = {p["metadata"]["uid"] for p in self.pods()}
        for c in self.runtime.list_containers():
            if c.status == "running":
                assert c.labels.get("io.kubernetes.pod.uid") in pod_uids, c

    def describe(self) -> str:
        from engine.views import get_table

        now = self.clock.now()
        return "\n".join([
            f"wanted: {self.wanted}",
            get_table("deployments", self.cluster.store.list("Deployment"), now).render(),
            get_table("pods", self.pods(), now).render(wide=True),
        ])


ClusterMachine.TestCase.settings = settings(
    max_examples=60 if os.environ.get("CI") else 15,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestClusterConverges = ClusterMachine.TestCase
