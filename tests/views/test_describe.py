"""`kubectl describe` sections and formatting, after kubectl describe.go (v0.36.3)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.views.describe import describe, event_age, smart_label_for
from engine.views.describe_pod import describe_probe, pod_qos_class
from engine.views.tabwriter import tabwrite

T0 = "2026-01-01T00:00:00Z"
NOW = 1_767_225_600.0 + 600


def line(text: str, label: str) -> str:
    """The one line that starts with `label` (after indentation)."""
    found = [ln for ln in text.splitlines() if ln.strip().startswith(label)]
    assert len(found) == 1, (label, found)
    return found[0]


def value(text: str, label: str) -> str:
    return line(text, label).split(label, 1)[1].strip()


def make_pod(**over: Any) -> dict:
    p: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-abc", "namespace": "shop", "uid": "p1", "creationTimestamp": T0,
                     "labels": {"app": "web", "tier": "fe"},
                     "ownerReferences": [{"kind": "ReplicaSet", "name": "web-5d4f",
                                          "controller": True, "uid": "rs1"}]},
        "spec": {"nodeName": "node-1", "containers": [{
            "name": "web", "image": "nginx:1.25",
            "ports": [{"containerPort": 8080, "protocol": "TCP"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
            "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5},
            "env": [{"name": "MODE", "value": "prod"},
                    {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db",
                                                                        "key": "pw"}}}],
            "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}},
            "volumeMounts": [{"name": "data", "mountPath": "/var/data"},
                             {"name": "cfg", "mountPath": "/etc/cfg", "readOnly": True}]}],
            "volumes": [{"name": "cfg", "configMap": {"name": "web-cfg"}},
                        {"name": "data", "emptyDir": {}}]},
        "status": {"phase": "Running", "hostIP": "172.18.0.2", "podIP": "10.244.0.5",
                   "startTime": T0,
                   "conditions": [{"type": "Ready", "status": "True"},
                                  {"type": "PodScheduled", "status": "True"}],
                   "containerStatuses": [{
                       "name": "web", "ready": False, "restartCount": 4,
                       "containerID": "containerd://abc", "imageID": "nginx@sha256:1",
                       "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                       "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                                    "startedAt": T0,
                                                    "finishedAt": "2026-01-01T00:05:00Z"}}}]},
    }
    p.update(over)
    return p


def event(reason: str, message: str, *, kind: str = "Pod", name: str = "web-abc",
          etype: str = "Normal", count: int = 1, first: str = T0, last: str | None = None,
          source: str = "kubelet", **extra: Any) -> dict:
    return {"kind": "Event", "type": etype, "reason": reason, "message": message,
            "count": count, "firstTimestamp": first, "lastTimestamp": last or first,
            "source": {"component": source},
            "involvedObject": {"kind": kind, "name": name, "namespace": "shop"}, **extra}


def test_pod_header_fields() -> None:
    out = describe(make_pod(), events=[], now=NOW)
    assert out.startswith("Name:         web-abc\nNamespace:    shop\n")
    assert value(out, "Node:") == "node-1/172.18.0.2"
    assert value(out, "Start Time:") == "Thu, 01 Jan 2026 00:00:00 +0000"
    assert "Labels:       app=web\n              tier=fe\n" in out
    assert value(out, "Status:") == "Running"
    assert value(out, "Controlled By:") == "ReplicaSet/web-5d4f"
    assert value(out, "QoS Class:") == "Guaranteed"  # limits only: requests default to them


def test_pod_container_section() -> None:
    out = describe(make_pod(), events=[], now=NOW)
    assert value(out, "Image:") == "nginx:1.25"
    assert value(out, "Port:") == "8080/TCP"
    assert value(out, "Host Port:") == "0/TCP"
    assert value(out, "State:") == "Waiting"
    assert value(out, "Last State:") == "Terminated"
    assert "    State:          Waiting\n      Reason:       CrashLoopBackOff\n" in out
    assert "    Last State:     Terminated\n      Reason:       OOMKilled\n" in out
    assert value(out, "Exit Code:") == "137"
    assert value(out, "Finished:") == "Thu, 01 Jan 2026 00:05:00 +0000"
    assert value(out, "Ready:") == "False"
    assert value(out, "Restart Count:") == "4"
    assert value(out, "Liveness:") == (
        "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3")
    assert value(out, "Readiness:") == (
        "tcp-socket :8080 delay=0s timeout=1s period=5s #success=1 #failure=3")
    assert value(out, "MODE:") == "prod"
    assert re.search(r"PASSWORD:\s+<set to the key 'pw' in secret 'db'>\s+Optional: false", out)
    # Mounts are sorted by path; read-only flags shown.
    assert "      /etc/cfg from cfg (ro)\n      /var/data from data (rw)\n" in out
    # Limits share a tabwriter block with the probe lines below them, as in kubectl.
    assert "    Limits:\n      cpu:      500m\n      memory:   128Mi\n    Liveness:   http-get" in out


def test_pod_conditions_and_volumes() -> None:
    out = describe(make_pod(), events=[], now=NOW)
    assert "Conditions:\n  Type           Status\n  Ready          True \n" in out
    assert ("  cfg:\n    Type:      ConfigMap (a volume populated by a ConfigMap)\n"
            "    Name:      web-cfg\n    Optional:  false\n  data:\n") in out
    assert "EmptyDir (a temporary directory that shares a pod's lifetime)" in out
    assert value(out, "SizeLimit:") == "<unset>"
    assert value(out, "Tolerations:") == "<none>"


def test_pod_events_none_and_alignment() -> None:
    out = describe(make_pod(), events=[], now=NOW)
    # `Events:` shares its tabwriter block with the lines above it, as in kubectl.
    assert out.endswith("Events:          <none>\n")
    assert line(out, "Tolerations:").index("<none>") == line(out, "Events:").index("<none>")
    assert "Events" not in describe(make_pod(), events=None, now=NOW)


def test_pod_events_table_with_repeats() -> None:
    events = [
        event("BackOff", "Back-off restarting failed container web", etype="Warning",
              count=3, first="2026-01-01T00:02:00Z", last="2026-01-01T00:09:40Z",
              involvedObject={"kind": "Pod", "name": "web-abc", "namespace": "shop",
                              "fieldPath": "spec.containers{web}"}),
        event("Scheduled", "Successfully assigned shop/web-abc to node-1",
              source="default-scheduler"),
        event("Scheduled", "someone else's event", name="other-pod"),
    ]
    out = describe(make_pod(), events=events, now=NOW)
    table = out.split("Events:\n", 1)[1]
    assert table == (
        "  Type     Reason     Age               From               Message\n"
        "  ----     ------     ----              ----               -------\n"
        "  Normal   Scheduled  10m               default-scheduler  "
        "Successfully assigned shop/web-abc to node-1\n"
        "  Warning  BackOff    20s (x3 over 8m)  kubelet            "
        "spec.containers{web}: Back-off restarting failed container web\n"
    )


@pytest.mark.parametrize(
    ("ev", "expected"),
    [
        ({"count": 1, "firstTimestamp": "2026-01-01T00:09:40Z"}, "20s"),
        ({"count": 3, "firstTimestamp": T0, "lastTimestamp": "2026-01-01T00:09:40Z"},
         "20s (x3 over 10m)"),
        ({"eventTime": "2026-01-01T00:08:00.000000Z",
          "series": {"count": 7, "lastObservedTime": "2026-01-01T00:09:50.000000Z"}},
         "10s (x7 over 2m)"),
        ({}, "<unknown>"),
    ],
)
def test_event_age(ev: dict, expected: str) -> None:
    assert event_age(ev, NOW) == expected


@pytest.mark.parametrize(
    ("probe", "expected"),
    [
        ({"httpGet": {"path": "/healthz", "port": 8080}},
         "http-get http://:8080/healthz delay=0s timeout=1s period=10s #success=1 #failure=3"),
        ({"httpGet": {"path": "ready", "port": "http", "scheme": "HTTPS", "host": "10.0.0.1"},
          "initialDelaySeconds": 5, "failureThreshold": 1},
         ("http-get https://10.0.0.1:http/ready delay=5s timeout=1s period=10s #success=1 "
         "#failure=1")),
        ({"exec": {"command": ["cat", "/tmp/healthy"]}, "periodSeconds": 5},
         "exec [cat /tmp/healthy] delay=0s timeout=1s period=5s #success=1 #failure=3"),
        ({"tcpSocket": {"port": 6379}, "timeoutSeconds": 2},
         "tcp-socket :6379 delay=0s timeout=2s period=10s #success=1 #failure=3"),
        ({"grpc": {"port": 2379}}, ("grpc <pod>:2379  delay=0s timeout=1s period=10s #success=1 "
                                   "#failure=3")),
    ],
)
def test_describe_probe(probe: dict, expected: str) -> None:
    assert describe_probe(probe) == expected


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([{}], "BestEffort"),
        ([{"requests": {"cpu": "100m"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}], "Guaranteed"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "500m"}}], "Burstable"),
        ([{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
    ],
)
def test_pod_qos_class(resources: list[dict], expected: str) -> None:
    p = {"spec": {"containers": [{"name": f"c{i}", "resources": r}
                                 for i, r in enumerate(resources)]}}
    assert pod_qos_class(p) == expected


def test_terminating_pod() -> None:
    p = make_pod()
    p["metadata"]["deletionTimestamp"] = "2026-01-01T00:10:30Z"
    p["metadata"]["deletionGracePeriodSeconds"] = 30
    out = describe(p, events=[], now=NOW)
    assert value(out, "Status:") == "Terminating (lasts <invalid>)"
    assert value(out, "Termination Grace Period:") == "30s"


def deployment(**spec: Any) -> dict:
    return {
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": "web", "namespace": "shop", "uid": "d1", "creationTimestamp": T0,
                     "annotations": {"deployment.kubernetes.io/revision": "2"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}},
                 **spec},
        "status": {"replicas": 4, "updatedReplicas": 2, "availableReplicas": 3,
                   "unavailableReplicas": 1,
                   "conditions": [{"type": "Available", "status": "True",
                                   "reason": "MinimumReplicasAvailable"},
                                  {"type": "Progressing", "status": "True",
                                   "reason": "ReplicaSetUpdated"}]},
    }


def replicaset(name: str, image: str, want: int, created: str, **status: int) -> dict:
    return {"kind": "ReplicaSet", "metadata": {
        "name": name, "namespace": "shop", "uid": name, "creationTimestamp": created,
        "ownerReferences": [{"kind": "Deployment", "name": "web", "uid": "d1", "controller": True}]},
        "spec": {"replicas": want, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web", "pod-template-hash": name}},
                              "spec": {"containers": [{"name": "web", "image": image}]}}},
        "status": status}


def test_deployment_describe() -> None:
    rss = [replicaset("web-old", "nginx:1.25", 2, T0, replicas=2),
           replicaset("web-new", "nginx:1.26", 2, "2026-01-01T00:05:00Z", replicas=2),
           replicaset("web-older", "nginx:1.24", 0, T0)]
    out = describe(deployment(), events=[], related={"replicasets": rss}, now=NOW)
    assert value(out, "Replicas:") == "3 desired | 2 updated | 4 total | 3 available | 1 unavailable"
    assert value(out, "StrategyType:") == "RollingUpdate"
    assert value(out, "RollingUpdateStrategy:") == "25% max unavailable, 25% max surge"
    assert value(out, "Selector:") == "app=web"
    assert "Pod Template:\n  Labels:  app=web\n  Containers:\n   web:\n" in out
    assert "Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n" in out
    assert "  Available      True    MinimumReplicasAvailable\n" in out
    assert value(out, "OldReplicaSets:") == "web-old (2/2 replicas created)"
    assert value(out, "NewReplicaSet:") == "web-new (2/2 replicas created)"
    assert re.search(r"Events:\s+<none>\n$", out)


def test_deployment_recreate_and_int_rolling_update() -> None:
    out = describe(deployment(strategy={"type": "Recreate"}), events=[], now=NOW)
    assert value(out, "StrategyType:") == "Recreate"
    assert "RollingUpdateStrategy" not in out
    assert "OldReplicaSets" not in out  # no replica sets at all
    out = describe(deployment(strategy={"type": "RollingUpdate", "rollingUpdate": {
        "maxUnavailable": 0, "maxSurge": 1}}), events=[], now=NOW)
    assert value(out, "RollingUpdateStrategy:") == "0 max unavailable, 1 max surge"


def test_replicaset_describe_counts_owned_pods() -> None:
    rs = replicaset("web-new", "nginx:1.26", 3, T0, replicas=3)
    rs["metadata"]["ownerReferences"][0]["name"] = "web"

    def owned(phase: str, uid: str = "web-new") -> dict:
        return {"metadata": {"ownerReferences": [{"controller": True, "uid": uid}]},
                "status": {"phase": phase}}

    pods = [owned("Running"), owned("Running"), owned("Pending"), owned("Failed"),
            owned("Running", uid="someone-else")]
    out = describe(rs, events=[], related={"pods": pods}, now=NOW)
    assert value(out, "Replicas:") == "3 current / 3 desired"
    assert value(out, "Pods Status:") == "2 Running / 1 Waiting / 0 Succeeded / 1 Failed"
    assert value(out, "Controlled By:") == "Deployment/web"
    assert value(out, "Selector:") == "app=web"


def service() -> dict:
    return {"kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"type": "NodePort", "selector": {"app": "web"}, "clusterIP": "10.96.0.20",
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080,
                                "nodePort": 30080, "protocol": "TCP"}]}}


def test_service_describe_with_endpoint_slices() -> None:
    slices = [{"ports": [{"name": "http", "port": 8080}], "endpoints": [
        {"addresses": ["10.244.0.5"], "conditions": {"ready": True}},
        {"addresses": ["10.244.0.6"], "conditions": {"ready": False}},
        {"addresses": ["10.244.0.7"]}]}]
    out = describe(service(), events=[], related={"endpointslices": slices}, now=NOW)
    assert value(out, "Selector:") == "app=web"
    assert value(out, "Type:") == "NodePort"
    assert value(out, "IP:") == "10.96.0.20"
    assert re.search(r"Port:\s+http\s+80/TCP", out)
    assert value(out, "TargetPort:") == "8080/TCP"
    assert re.search(r"NodePort:\s+http\s+30080/TCP", out)
    assert value(out, "Endpoints:") == "10.244.0.5:8080,10.244.0.7:8080"
    assert value(out, "Session Affinity:") == "None"
    assert value(out, "External Traffic Policy:") == "Cluster"


def test_service_describe_with_legacy_endpoints_and_truncation() -> None:
    eps = {"subsets": [{"addresses": [{"ip": f"10.244.0.{i}"} for i in range(5, 10)],
                        "ports": [{"name": "http", "port": 8080}]}]}
    out = describe(service(), events=[], related={"endpoints": eps}, now=NOW)
    assert value(out, "Endpoints:") == (
        "10.244.0.5:8080,10.244.0.6:8080,10.244.0.7:8080 + 2 more...")
    assert value(describe(service(), events=[], now=NOW), "Endpoints:") == "<none>"


def test_node_describe() -> None:
    node = {"kind": "Node", "metadata": {"name": "node-1", "creationTimestamp": T0,
                                         "labels": {"kubernetes.io/hostname": "node-1"}},
            "spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                                {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]},
            "status": {"conditions": [{"type": "Ready", "status": "Unknown",
                                       "reason": "NodeStatusUnknown",
                                       "message": "Kubelet stopped posting node status.",
                                       "lastHeartbeatTime": T0, "lastTransitionTime": T0}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}],
                       "capacity": {"cpu": "4", "memory": "8Gi", "pods": "110"},
                       "allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"},
                       "nodeInfo": {"kubeletVersion": "v1.33.1"}}}

    def p(name: str, node_name: str = "node-1", phase: str = "Running", **res: dict) -> dict:
        return {"metadata": {"name": name, "namespace": "shop", "creationTimestamp": T0},
                "spec": {"nodeName": node_name, "containers": [{"name": "c", "resources": res}]},
                "status": {"phase": phase}}

    pods = [p("a", requests={"cpu": "500m", "memory": "1Gi"}),
            p("b", limits={"cpu": "1", "memory": "512Mi"}),
            p("elsewhere", node_name="node-2", requests={"cpu": "1"}),
            p("done", phase="Succeeded", requests={"cpu": "1"})]
    out = describe(node, events=[], related={"pods": pods}, now=NOW)
    assert value(out, "Roles:") == "<none>"
    # Sorted by "effect,key": NoExecute before NoSchedule.
    assert ("Taints:             node.kubernetes.io/unreachable:NoExecute\n"
            "                    dedicated=gpu:NoSchedule\n") in out
    assert value(out, "Unschedulable:") == "false"
    assert re.search(r"  Ready\s+Unknown\s+Thu, 01 Jan 2026 00:00:00 \+0000 .*NodeStatusUnknown"
                     r"\s+Kubelet stopped posting node status\.", out)
    assert "Capacity:\n  cpu:     4\n  memory:  8Gi\n  pods:    110\n" in out
    assert value(out, "Non-terminated Pods:") == "(2 in total)"
    assert re.search(r"  shop\s+a\s+500m \(25%\)\s+0 \(0%\)\s+1Gi \(25%\)\s+0 \(0%\)\s+10m", out)
    assert re.search(r"  shop\s+b\s+1 \(50%\)\s+1 \(50%\)\s+512Mi \(12%\)\s+512Mi \(12%\)", out)
    assert re.search(r"  cpu\s+1500m \(75%\)\s+1 \(50%\)\n", out)
    assert re.search(r"  memory\s+1536Mi \(37%\)\s+512Mi \(12%\)\n", out)


def test_generic_fallback() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "cfg", "namespace": "shop", "creationTimestamp": T0,
                       "resourceVersion": "42", "uid": "abc"},
          "data": {"color": "blue"}, "immutable": True}
    out = describe(cm, events=[], now=NOW)
    assert out.startswith("Name:         cfg\nNamespace:    shop\nLabels:       <none>\n")
    assert value(out, "API Version:") == "v1"
    assert value(out, "Kind:") == "ConfigMap"
    assert value(out, "Immutable:") == "true"
    assert "Metadata:\n  Creation Timestamp:  2026-01-01T00:00:00Z\n" in out
    assert value(out, "UID:") == "abc"
    assert "Data:\n  Color:    blue\nImmutable:  true\n" in out
    assert re.search(r"Events:\s+<none>\n$", out)


@pytest.mark.parametrize(
    ("field", "label"),
    [("apiVersion", "API Version"), ("creationTimestamp", "Creation Timestamp"),
     ("uid", "UID"), ("podCIDRs", "Pod CIDRs"), ("hostIP", "Host IP"),
     ("color.name", "color.name"), ("data", "Data")],
)
def test_smart_label_for(field: str, label: str) -> None:
    assert smart_label_for(field) == label


def test_tabwriter_blocks_align_independently() -> None:
    text = "a:\t1\nlonger:\t2\nsection\n  x:\t3\n"
    assert tabwrite(text) == "a:       1\nlonger:  2\nsection\n  x:  3\n"
