"""The container runtime stops answering mid-level (a Docker daemon that dies):
the node says so, nothing crashes, the store keeps everything, and the cluster
catches up when the runtime returns."""

from __future__ import annotations

from engine.api.objects import get_condition
from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime

DEPLOY = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: kubequest/web:1.0
        readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 2}
"""
DOWN = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"


def ready(cluster, name):
    node = cluster.store.get("Node", name, copy=False)
    return get_condition(node, "Ready")


def available(cluster):
    return (cluster.store.get("Deployment", "web", copy=False).get("status") or {}).get("availableReplicas") == 2


def test_runtime_outage_is_reported_and_recovered():
    clock = VirtualClock()
    runtime = SimRuntime(clock)
    cluster = Cluster(runtime, clock=clock, nodes=[NodeConfig("node-1")])
    try:
        cluster.apply_text(DEPLOY)
        assert cluster.run_until(lambda: available(cluster), timeout=60)
        before = {p["metadata"]["name"] for p in cluster.store.list("Pod")}

        runtime.set_outage(DOWN)
        victim = sorted(before)[0]
        cluster.store.delete("Pod", victim)  # a learner acts while the runtime is down
        cluster.advance(60)  # probes, heartbeats, syncs all meet the dead runtime
        cond = ready(cluster, "node-1")
        assert (cond["status"], cond["reason"]) == ("False", "KubeletNotReady")
        assert cond["message"] == f"container runtime is down: {DOWN}"
        # The store kept everything: the deleted pod waits, its replacement waits.
        pods = {p["metadata"]["name"]: p for p in cluster.store.list("Pod")}
        assert victim in pods and pods[victim]["metadata"]["deletionTimestamp"]
        assert len(pods) == 3

        runtime.set_outage(None)
        assert cluster.run_until(lambda: available(cluster) and victim not in
                                 {p["metadata"]["name"] for p in cluster.store.list("Pod")}, timeout=120)
        assert ready(cluster, "node-1")["status"] == "True"
        assert len(cluster.store.list("Pod")) == 2
    finally:
        cluster.close()
        runtime.close()
