"""`kubectl get` columns and rows, one case per printers.go rule."""

from __future__ import annotations

import re
from typing import Any

import pytest

from engine.views.printers import (
    Table,
    columns_for,
    get_table,
    kind_for,
    pod_row,
    pod_status,
    print_row,
    render_table,
)

T0 = "2026-01-01T00:00:00Z"
NOW = 1_767_225_600.0 + 600  # ten minutes after T0


def ts(seconds: float) -> str:
    """T0 plus `seconds`, as an RFC 3339 string."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(1_767_225_600.0 + seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def running(ready: bool = True, restarts: int = 0) -> dict[str, Any]:
    return {"name": "app", "ready": ready, "restartCount": restarts,
            "state": {"running": {"startedAt": T0}}}


def waiting(reason: str, name: str = "app", restarts: int = 0) -> dict[str, Any]:
    return {"name": name, "ready": False, "restartCount": restarts,
            "state": {"waiting": {"reason": reason}}}


def terminated(exit_code: int, reason: str = "", signal: int = 0, name: str = "app") -> dict:
    term: dict[str, Any] = {"exitCode": exit_code, "finishedAt": ts(60)}
    if reason:
        term["reason"] = reason
    if signal:
        term["signal"] = signal
    return {"name": name, "ready": False, "restartCount": 0, "state": {"terminated": term}}


def pod(*, phase: str = "Running", statuses: list | None = None, init: list | None = None,
        init_statuses: list | None = None, containers: int = 1, conditions: list | None = None,
        reason: str = "", meta: dict | None = None, spec: dict | None = None) -> dict:
    p: dict[str, Any] = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web", "namespace": "default", "creationTimestamp": T0, **(meta or {})},
        "spec": {"containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)],
                 **(spec or {})},
        "status": {"phase": phase},
    }
    if statuses is not None:
        p["status"]["containerStatuses"] = statuses
    if init is not None:
        p["spec"]["initContainers"] = init
    if init_statuses is not None:
        p["status"]["initContainerStatuses"] = init_statuses
    if conditions is not None:
        p["status"]["conditions"] = conditions
    if reason:
        p["status"]["reason"] = reason
    return p


READY = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "True"}]
NOT_READY = [{"type": "Initialized", "status": "True"}, {"type": "Ready", "status": "False"}]
TWO_INITS = [{"name": "i0", "image": "busybox"}, {"name": "i1", "image": "busybox"}]


STATUS_CASES = [
    ("Running", pod(statuses=[running()], conditions=READY), "Running"),
    ("Pending unscheduled", pod(phase="Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}]), "Pending"),
    ("ContainerCreating", pod(phase="Pending", statuses=[waiting("ContainerCreating")]),
     "ContainerCreating"),
    ("ErrImagePull", pod(phase="Pending", statuses=[waiting("ErrImagePull")]), "ErrImagePull"),
    ("ImagePullBackOff", pod(phase="Pending", statuses=[waiting("ImagePullBackOff")]),
     "ImagePullBackOff"),
    ("CreateContainerConfigError", pod(phase="Pending", statuses=[
        waiting("CreateContainerConfigError")]), "CreateContainerConfigError"),
    ("CrashLoopBackOff", pod(statuses=[waiting("CrashLoopBackOff", restarts=4)]),
     "CrashLoopBackOff"),
    ("OOMKilled", pod(statuses=[terminated(137, "OOMKilled")]), "OOMKilled"),
    ("Error", pod(phase="Failed", statuses=[terminated(1, "Error")]), "Error"),
    ("Completed", pod(phase="Succeeded", statuses=[terminated(0, "Completed")]), "Completed"),
    ("ExitCode without reason", pod(phase="Failed", statuses=[terminated(3)]), "ExitCode:3"),
    ("Signal without reason", pod(phase="Failed", statuses=[terminated(137, signal=9)]),
     "Signal:9"),
    ("Evicted", pod(phase="Failed", reason="Evicted"), "Evicted"),
    ("Init:0/2 running", pod(phase="Pending", init=TWO_INITS, init_statuses=[
        {"name": "i0", "state": {"running": {}}}, {"name": "i1", "state": {"waiting": {
            "reason": "PodInitializing"}}}]), "Init:0/2"),
    ("Init:1/2 after first done", pod(phase="Pending", init=TWO_INITS, init_statuses=[
        {"name": "i0", "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        {"name": "i1", "state": {"running": {}}}]), "Init:1/2"),
    ("Init:CrashLoopBackOff", pod(phase="Pending", init=TWO_INITS, init_statuses=[
        {"name": "i0", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]),
     "Init:CrashLoopBackOff"),
    ("Init:Error", pod(phase="Pending", init=TWO_INITS, init_statuses=[
        {"name": "i0", "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}]),
     "Init:Error"),
    ("Init:ExitCode", pod(phase="Pending", init=TWO_INITS, init_statuses=[
        {"name": "i0", "state": {"terminated": {"exitCode": 2}}}]), "Init:ExitCode:2"),
    ("Init:Signal", pod(phase="Pending", init=TWO_INITS, init_statuses=[
        {"name": "i0", "state": {"terminated": {"exitCode": 137, "signal": 9}}}]),
     "Init:Signal:9"),
    ("Completed + running ready -> Running", pod(containers=2, conditions=READY, statuses=[
        {**running(), "name": "c0"}, terminated(0, "Completed", name="c1")]), "Running"),
    ("Completed + running, pod not Ready -> NotReady", pod(containers=2, conditions=NOT_READY,
     statuses=[{**running(), "name": "c0"}, terminated(0, "Completed", name="c1")]), "NotReady"),
    ("first container wins (last to first)", pod(containers=2, statuses=[
        waiting("CrashLoopBackOff", name="c0"), waiting("ErrImagePull", name="c1")]),
     "CrashLoopBackOff"),
    ("Terminating", pod(statuses=[running()], meta={"deletionTimestamp": ts(630)}),
     "Terminating"),
    ("deleted but finished keeps its phase", pod(phase="Succeeded", statuses=[
        terminated(0, "Completed")], meta={"deletionTimestamp": ts(630)}), "Completed"),
    ("NodeLost -> Unknown", pod(reason="NodeLost", statuses=[running()],
                                meta={"deletionTimestamp": ts(630)}), "Unknown"),
    ("SchedulingGated", pod(phase="Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "SchedulingGated"}]),
     "SchedulingGated"),
]


@pytest.mark.parametrize(("case", "obj", "expected"), STATUS_CASES, ids=[c[0] for c in STATUS_CASES])
def test_pod_status(case: str, obj: dict, expected: str) -> None:
    assert pod_status(obj) == expected


def test_pod_ready_and_restarts_with_last_restart_age() -> None:
    cs = running(restarts=3)
    cs["lastState"] = {"terminated": {"exitCode": 1, "finishedAt": ts(480)}}
    row = pod_row(pod(statuses=[cs], conditions=READY), NOW)
    assert row[:5] == ("web", "1/1", "Running", "3 (2m ago)", "10m")


def test_pod_not_ready_counts_and_plain_restarts() -> None:
    row = pod_row(pod(containers=2, statuses=[running(ready=False), waiting("CrashLoopBackOff",
                                                                        restarts=2)]), NOW)
    assert row[1] == "0/2"
    assert row[3] == "2"  # no lastState.terminated, so no "(... ago)"


def test_sidecar_counts_towards_ready_and_total() -> None:
    p = pod(init=[{"name": "proxy", "image": "envoy", "restartPolicy": "Always"}],
            init_statuses=[{"name": "proxy", "started": True, "ready": True, "restartCount": 1,
                            "state": {"running": {}}}],
            statuses=[running()], conditions=READY)
    row = pod_row(p, NOW)
    assert row[1:4] == ("2/2", "Running", "1")


def test_pod_wide_columns() -> None:
    p = pod(statuses=[running()], conditions=READY,
            spec={"nodeName": "node-1", "readinessGates": [{"conditionType": "www/ok"}]})
    p["status"]["podIPs"] = [{"ip": "10.244.0.5"}]
    p["status"]["conditions"].append({"type": "www/ok", "status": "True"})
    assert pod_row(p, NOW)[5:] == ("10.244.0.5", "node-1", "<none>", "1/1")
    bare = pod_row(pod(phase="Pending"), NOW)
    assert bare[5:] == ("<none>", "<none>", "<none>", "<none>")


def test_pod_table_renders_like_kubectl() -> None:
    pods = [pod(statuses=[running()], conditions=READY),
            pod(statuses=[waiting("CrashLoopBackOff", restarts=12)], meta={"name": "api-1"})]
    text = get_table("pods", pods, NOW).render()
    assert text == (
        "NAME    READY   STATUS             RESTARTS   AGE\n"
        "web     1/1     Running            0          10m\n"
        "api-1   0/1     CrashLoopBackOff   12         10m\n"
    )
    wide = get_table("po", pods, NOW).render(wide=True)
    header = re.split(r"\s{3,}", wide.splitlines()[0])
    assert header[-4:] == ["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]


def test_render_table_min_width_and_newlines() -> None:
    # tabwriter min width 6: a 1-char column still takes 6; the last column is never padded.
    assert render_table(["A", "B"], [["x", "y"]]) == "A     B\nx     y\n"
    assert render_table(["NAME", "MSG"], [["a", "line1\nline2"]]) == "NAME   MSG\na      line1...\n"
    assert render_table(["NAME"], []) == ""


def dep(**status: int) -> dict:
    return {"kind": "Deployment", "metadata": {"name": "web", "creationTimestamp": T0},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web", "tier": "fe"}},
                     "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1"},
                                                          {"name": "log", "image": "busybox"}]}}},
            "status": status}


def test_deployment_row_and_wide() -> None:
    row = print_row(dep(readyReplicas=2, updatedReplicas=3, availableReplicas=2), NOW)
    assert row == ("web", "2/3", "3", "2", "10m", "web,log", "nginx:1,busybox",
                   "app=web,tier=fe")
    assert [c.header for c in columns_for("deploy") if c.priority == 0] == [
        "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    fresh = print_row({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {}}, NOW)
    assert fresh[:5] == ("x", "0/1", "0", "0", "<unknown>")


def test_replicaset_and_rc_rows() -> None:
    rs = {"kind": "ReplicaSet", "metadata": {"name": "web-5d4f", "creationTimestamp": T0},
          "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [
              {"key": "env", "operator": "In", "values": ["prod", "dev"]}]}},
          "status": {"replicas": 3, "readyReplicas": 1}}
    assert print_row(rs, NOW)[:5] == ("web-5d4f", "3", "3", "1", "10m")
    assert print_row(rs, NOW)[7] == "app=web,env in (dev,prod)"
    rc = {**rs, "kind": "ReplicationController", "spec": {"replicas": 2, "selector": {"app": "w"}}}
    assert print_row(rc, NOW)[:5] == ("web-5d4f", "2", "3", "1", "10m")
    assert print_row(rc, NOW)[7] == "app=w"


def test_daemonset_and_statefulset_rows() -> None:
    ds = {"kind": "DaemonSet", "metadata": {"name": "fluentd", "creationTimestamp": T0},
          "spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd"}}}},
          "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 2,
                     "updatedNumberScheduled": 3, "numberAvailable": 2}}
    assert print_row(ds, NOW)[:8] == ("fluentd", "3", "3", "2", "3", "2", "disk=ssd", "10m")
    sts = {"kind": "StatefulSet", "metadata": {"name": "db", "creationTimestamp": T0},
           "spec": {"replicas": 3}, "status": {"readyReplicas": 1}}
    assert print_row(sts, NOW)[:3] == ("db", "1/3", "10m")


def job(conditions: list | None = None, **kw: Any) -> dict:
    status = {"conditions": conditions or [], **kw.pop("status", {})}
    return {"kind": "Job", "metadata": {"name": "pi", "creationTimestamp": T0, **kw.pop("meta", {})},
            "spec": kw.pop("spec", {}), "status": status}


@pytest.mark.parametrize(
    ("obj", "status", "completions", "duration"),
    [
        (job(spec={"completions": 1}, status={"startTime": ts(0)}), "Running", "0/1", "10m"),
        (job([{"type": "Complete", "status": "True"}], spec={"completions": 3},
             status={"succeeded": 3, "startTime": ts(0), "completionTime": ts(75)}),
         "Complete", "3/3", "75s"),
        (job([{"type": "Failed", "status": "True"}], status={"startTime": ts(0),
                                                            "completionTime": ts(130)}),
         "Failed", "0/1", "2m10s"),
        (job(spec={"parallelism": 2}), "Running", "0/1 of 2", ""),
        (job([{"type": "Suspended", "status": "True"}]), "Suspended", "0/1", ""),
        (job([{"type": "FailureTarget", "status": "True"}]), "FailureTarget", "0/1", ""),
        (job([{"type": "Complete", "status": "False"}], meta={"deletionTimestamp": ts(0)}),
         "Terminating", "0/1", ""),
    ],
)
def test_job_rows(obj: dict, status: str, completions: str, duration: str) -> None:
    assert print_row(obj, NOW)[1:4] == (status, completions, duration)
    assert [c.header for c in columns_for("jobs") if c.priority == 0] == [
        "NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]


def svc(spec: dict, status: dict | None = None) -> dict:
    return {"kind": "Service", "metadata": {"name": "web", "creationTimestamp": T0},
            "spec": spec, "status": status or {}}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (svc({"clusterIP": "10.96.0.10", "ports": [{"port": 80, "protocol": "TCP"}],
              "selector": {"app": "web"}}),
         ("web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP", "10m", "app=web")),
        (svc({"type": "NodePort", "clusterIPs": ["10.96.0.11"],
              "ports": [{"port": 80, "nodePort": 30080}, {"port": 443, "protocol": "TCP",
                                                           "nodePort": 30443}]}),
         ("web", "NodePort", "10.96.0.11", "<none>", "80:30080/TCP,443:30443/TCP", "10m",
          "<none>")),
        (svc({"type": "LoadBalancer", "clusterIP": "10.96.0.12", "ports": [{"port": 80}]}),
         ("web", "LoadBalancer", "10.96.0.12", "<pending>", "80/TCP", "10m", "<none>")),
        (svc({"type": "LoadBalancer", "clusterIP": "10.96.0.12", "ports": [{"port": 80}]},
             {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}),
         ("web", "LoadBalancer", "10.96.0.12", "203.0.113.10", "80/TCP", "10m", "<none>")),
        (svc({"clusterIP": "None"}), ("web", "ClusterIP", "None", "<none>", "<none>", "10m",
                                      "<none>")),
        (svc({"type": "ExternalName", "externalName": "db.example.com"}),
         ("web", "ExternalName", "<none>", "db.example.com", "<none>", "10m", "<none>")),
    ],
)
def test_service_rows(obj: dict, expected: tuple) -> None:
    assert print_row(obj, NOW) == expected


def endpoints(n: int, ports: list | None = None) -> dict:
    return {"kind": "Endpoints", "metadata": {"name": "web", "creationTimestamp": T0},
            "subsets": [{"addresses": [{"ip": f"10.244.0.{i + 5}"} for i in range(n)],
                         "ports": ports if ports is not None else [{"port": 8080}]}]}


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (endpoints(2), "10.244.0.5:8080,10.244.0.6:8080"),
        (endpoints(3), "10.244.0.5:8080,10.244.0.6:8080,10.244.0.7:8080"),
        (endpoints(4), "10.244.0.5:8080,10.244.0.6:8080,10.244.0.7:8080 + 1 more..."),
        (endpoints(2, [{"port": 80}, {"port": 443}]),
         "10.244.0.5:80,10.244.0.6:80,10.244.0.5:443 + 1 more..."),
        (endpoints(2, []), "10.244.0.5,10.244.0.6"),
        ({"kind": "Endpoints", "metadata": {"name": "web", "creationTimestamp": T0}}, "<none>"),
    ],
)
def test_endpoints_rows(obj: dict, expected: str) -> None:
    assert print_row(obj, NOW)[1] == expected


def node(conditions: list, **kw: Any) -> dict:
    return {"kind": "Node", "metadata": {"name": "node-1", "creationTimestamp": T0,
                                         "labels": kw.pop("labels", {})},
            "spec": kw.pop("spec", {}),
            "status": {"conditions": conditions, "nodeInfo": {"kubeletVersion": "v1.33.1"},
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.2"}]}}


@pytest.mark.parametrize(
    ("obj", "status", "roles"),
    [
        (node([{"type": "Ready", "status": "True"}]), "Ready", "<none>"),
        (node([{"type": "Ready", "status": "False"}]), "NotReady", "<none>"),
        (node([{"type": "Ready", "status": "Unknown"}]), "NotReady", "<none>"),
        (node([]), "Unknown", "<none>"),
        (node([{"type": "Ready", "status": "True"}], spec={"unschedulable": True}),
         "Ready,SchedulingDisabled", "<none>"),
        (node([{"type": "Ready", "status": "True"}], labels={
            "node-role.kubernetes.io/control-plane": "", "kubernetes.io/role": "etcd"}),
         "Ready", "control-plane,etcd"),
    ],
)
def test_node_rows(obj: dict, status: str, roles: str) -> None:
    row = print_row(obj, NOW)
    assert row[:5] == ("node-1", status, roles, "10m", "v1.33.1")
    assert row[5:7] == ("172.18.0.2", "<none>")


def test_namespace_configmap_secret_rows() -> None:
    ns = {"kind": "Namespace", "metadata": {"name": "dev", "creationTimestamp": T0},
          "status": {"phase": "Terminating"}}
    assert print_row(ns, NOW) == ("dev", "Terminating", "10m")
    cm = {"kind": "ConfigMap", "metadata": {"name": "cfg", "creationTimestamp": T0},
          "data": {"a": "1", "b": "2"}, "binaryData": {"c": "AA=="}}
    assert print_row(cm, NOW) == ("cfg", "3", "10m")
    sec = {"kind": "Secret", "metadata": {"name": "tls", "creationTimestamp": T0},
           "type": "kubernetes.io/tls", "data": {"tls.crt": "", "tls.key": ""}}
    assert print_row(sec, NOW) == ("tls", "kubernetes.io/tls", "2", "10m")
    opaque = {"kind": "Secret", "metadata": {"name": "s", "creationTimestamp": T0}}
    assert print_row(opaque, NOW)[1:3] == ("Opaque", "0")


def test_event_rows() -> None:
    ev = {"kind": "Event", "metadata": {"name": "web.1"}, "type": "Warning", "reason": "BackOff",
          "message": "Back-off restarting failed container app\n", "count": 5,
          "firstTimestamp": ts(0), "lastTimestamp": ts(580),
          "involvedObject": {"kind": "Pod", "name": "web", "fieldPath": "spec.containers{app}"},
          "source": {"component": "kubelet", "host": "node-1"}}
    row = print_row(ev, NOW)
    assert row == ("20s", "Warning", "BackOff", "pod/web", "spec.containers{app}",
                   "kubelet, node-1", "Back-off restarting failed container app", "10m", "5",
                   "web.1")
    headers, _ = get_table("events", [ev], NOW).visible()
    assert headers == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    new_api = {"kind": "Event", "metadata": {"name": "e"}, "eventTime": "2026-01-01T00:09:00.000000Z",
               "reportingComponent": "default-scheduler", "involvedObject": {"kind": "Pod"}}
    row = print_row(new_api, NOW)
    assert (row[0], row[3], row[5], row[8]) == ("60s", "pod", "default-scheduler", "1")


def test_pvc_rows() -> None:
    bound = {"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "creationTimestamp": T0},
             "spec": {"volumeName": "pv-1", "storageClassName": "standard"},
             "status": {"phase": "Bound", "capacity": {"storage": "1024Mi"},
                        "accessModes": ["ReadWriteMany", "ReadWriteOnce"]}}
    assert print_row(bound, NOW) == ("data", "Bound", "pv-1", "1Gi", "RWO,RWX", "standard",
                                     "<unset>", "10m", "<unset>")
    pending = {"kind": "PersistentVolumeClaim", "metadata": {"name": "d", "creationTimestamp": T0},
               "spec": {"resources": {"requests": {"storage": "1Gi"}}}}
    assert print_row(pending, NOW)[1:6] == ("Pending", "", "", "", "")


def test_dispatch() -> None:
    assert kind_for("svc") == "Service"
    assert kind_for("Pod") == "Pod"
    assert kind_for("PVC") == "PersistentVolumeClaim"
    with pytest.raises(KeyError):
        kind_for("widgets")
    table = get_table("cm", [], NOW)
    assert isinstance(table, Table) and table.rows == () and table.render() == ""
    deployments = get_table("deployments", [dep()], NOW)
    assert all(len(row) == len(deployments.columns) for row in deployments.rows)
