"""Controller behaviour on both runtimes: rollouts, rollback, Jobs, node failure."""

from __future__ import annotations

import urllib.error
import urllib.request

from engine.cluster import NodeConfig
from engine.controllers.rollout import rollout_status, rollout_undo
from tests.scenarios.test_pods import events, wait

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: REPLICAS
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: IMAGE
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
"""


def web(image="kubequest/web:1.0", replicas=4):
    return WEB.replace("IMAGE", image).replace("REPLICAS", str(replicas))


def deployment(cluster, name="web"):
    return cluster.store.get("Deployment", name, "default", copy=False)


def rolled_out(cluster, name="web"):
    return rollout_status(cluster.store, name, "default")[0]


def ready_pods(cluster, app="web"):
    from engine.api.objects import get_condition
    from engine.api.selectors import parse

    return [p for p in cluster.store.list("Pod", "default", parse(f"app={app}"), copy=False)
            if not p["metadata"].get("deletionTimestamp")
            and (get_condition(p, "Ready") or {}).get("status") == "True"]


def http_get(cluster):
    host, port = cluster.proxy.address_of("web")
    with urllib.request.urlopen(f"http://{host}:{port}/", timeout=5) as r:
        return r.read().decode()


def test_rolling_update_keeps_the_service_answering(make_cluster):
    cluster = make_cluster([NodeConfig("node-1"), NodeConfig("node-2")])
    cluster.apply_text(web())
    assert wait(make_cluster, cluster, lambda: rolled_out(cluster), 60)
    assert http_get(cluster).startswith("web 1.0")
    cluster.apply_text(web("kubequest/web:2.0"))
    answers, min_ready, max_pods = [], 99, 0

    def watch_rollout() -> bool:
        nonlocal min_ready, max_pods
        min_ready = min(min_ready, len(ready_pods(cluster)))
        pods = [p for p in cluster.store.list("Pod", "default", copy=False) if not p["metadata"].get("deletionTimestamp")]
        max_pods = max(max_pods, len(pods))
        answers.append(http_get(cluster))  # raises if the Service ever fails to answer
        return rolled_out(cluster)

    assert wait(make_cluster, cluster, watch_rollout, 120)
    assert min_ready >= 4  # maxUnavailable 0
    assert max_pods <= 5  # maxSurge 1
    assert answers[-1].startswith("web 2.0")
    assert {a.split()[1] for a in answers} <= {"1.0", "2.0"}
    assert deployment(cluster)["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
    assert any("Scaled up replica set web-" in e["message"] for e in events(cluster, "ScalingReplicaSet"))


def test_bad_release_is_rolled_back(make_cluster):
    cluster = make_cluster()
    cluster.apply_text(web(replicas=2))
    assert wait(make_cluster, cluster, lambda: rolled_out(cluster), 60)
    cluster.apply_text(web("kubequest/web:2.1", replicas=2))
    # 2.1 crashes without DATABASE_URL: the rollout stalls with the old pods serving.
    wait(make_cluster, cluster, lambda: False, 30)
    done, message = rollout_status(cluster.store, "web", "default")
    assert not done and "new replicas have been updated" in message
    assert http_get(cluster).startswith("web 1.0")
    assert rollout_undo(cluster.store, "web", "default") == "deployment.apps/web rolled back"
    assert wait(make_cluster, cluster, lambda: rolled_out(cluster), 60)
    d = deployment(cluster)
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "kubequest/web:1.0"
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    assert len(ready_pods(cluster)) == 2


def test_job_runs_to_completion(make_cluster):
    cluster = make_cluster()
    cluster.apply_text("""
apiVersion: batch/v1
kind: Job
metadata: {name: batch}
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: work
        image: kubequest/worker:1.0
        env: [{name: WORK_SECONDS, value: "1"}]
""")

    def complete():
        job = cluster.store.get("Job", "batch", "default", copy=False)
        return any(c["type"] == "Complete" and c["status"] == "True"
                   for c in (job.get("status") or {}).get("conditions") or [])

    assert wait(make_cluster, cluster, complete, 60)
    assert cluster.store.get("Job", "batch")["status"]["succeeded"] == 3


def test_failed_nodes_pods_come_back_elsewhere(make_cluster):
    cluster = make_cluster([NodeConfig("node-1"), NodeConfig("node-2")])
    cluster.apply_text(web(replicas=4))
    assert wait(make_cluster, cluster, lambda: rolled_out(cluster), 60)
    on_node_1 = [p["metadata"]["name"] for p in ready_pods(cluster) if p["spec"]["nodeName"] == "node-1"]
    assert on_node_1, "the scheduler spreads replicas over both nodes"
    cluster.fail_node("node-1")
    grace, toleration = cluster.timing.node_monitor_grace, cluster.timing.toleration_seconds

    def node_unknown():
        node = cluster.store.get("Node", "node-1", copy=False)
        return any(c["type"] == "Ready" and c["status"] == "Unknown" for c in node["status"]["conditions"])

    assert wait(make_cluster, cluster, node_unknown, 120)
    # Within the toleration the pods stay put, out of the Service's endpoints.
    assert all(cluster.store.get("Pod", n)["spec"]["nodeName"] == "node-1" for n in on_node_1)

    def replaced_on_node_2():
        pods = ready_pods(cluster)
        return len(pods) == 4 and all(p["spec"]["nodeName"] == "node-2" for p in pods)

    assert wait(make_cluster, cluster, replaced_on_node_2, grace + toleration + 60)
    assert events(cluster, "TaintManagerEviction")
    assert http_get(cluster).startswith("web 1.0")
