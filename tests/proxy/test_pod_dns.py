"""A pod with spec.hostname and spec.subdomain — a StatefulSet's, under its headless
Service — has a DNS name of its own on the sim runtime too: `db-1.db`."""

from __future__ import annotations

from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.runtime.sim import SimRuntime

STATEFUL_DB = """
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 8080}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: web, image: "kubequest/web:1.0"}]
"""


def test_a_statefulset_pod_resolves_by_hostname_and_subdomain():
    clock = VirtualClock()
    c = Cluster(SimRuntime(clock), clock=clock, nodes=[NodeConfig("node-1")])
    try:
        c.apply_text(STATEFUL_DB)
        assert c.run_until(lambda: all((c.store.try_get("Pod", n, "default") or {}).get("status", {}).get("podIP")
                                       for n in ("db-0", "db-1")), 60)
        ip = c.store.get("Pod", "db-1", "default")["status"]["podIP"]
        direct = c.proxy.resolve(ip, 8080, "default")
        assert direct is not None
        for host in ("db-1.db", "db-1.db.default", "db-1.db.default.svc", "db-1.db.default.svc.cluster.local"):
            assert c.proxy.resolve(host, 8080, "default") == direct, host
        assert c.proxy.resolve("db-1.db.other", 8080, "default") != direct  # another namespace's name
        assert c.proxy.resolve("db-1.db", 8080, "other") != direct  # the short form is the pod's own namespace
    finally:
        c.close()
