"""What `kubectl get` prints, as data first and text second.

Ported from kubernetes/kubernetes pkg/printers/internalversion/printers.go
(`AddHandlers` column definitions, `printPod`, `translateTimestampSince`) and
the table layout of k8s.io/cli-runtime/pkg/printers/tableprinter.go (headers
upper-cased, priority>0 columns only with -o wide, cells cut at the first
newline with `...`, tabwriter min width 6 and padding 3).

A `Table` carries every column and every cell, as the API server's Table
responses do (it generates them with Wide=true and lets the client hide the
priority-1 columns). Cells are strings; `Column.type` says which ones a
Table response should send as integers.

Other kinds live in printers_kinds.py; `get_table` dispatches to both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.views._format import condition_true, dig
from engine.views.age import parse_timestamp, translate_timestamp_since
from engine.views.tabwriter import kubectl_get_table


@dataclass(frozen=True)
class Column:
    """A metav1.TableColumnDefinition."""

    name: str
    type: str = "string"
    priority: int = 0  # 0 = always shown, 1 = only with -o wide
    format: str = ""
    description: str = ""

    @property
    def header(self) -> str:
        return self.name.upper()


@dataclass(frozen=True)
class Table:
    """Columns plus one row of string cells per object, all columns included."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]

    def visible(self, wide: bool = False) -> tuple[list[str], list[list[str]]]:
        """Headers and rows as kubectl shows them, with or without -o wide."""
        keep = [i for i, c in enumerate(self.columns) if wide or c.priority == 0]
        headers = [self.columns[i].header for i in keep]
        rows = [[row[i] for i in keep] for row in self.rows]
        return headers, rows

    def render(self, wide: bool = False) -> str:
        headers, rows = self.visible(wide)
        return render_table(headers, rows)


def _cell_text(cell: str) -> str:
    # tableprinter appendCellValue: a multi-line cell is cut at the first break.
    for i, ch in enumerate(cell):
        if ch in "\n\r\f":
            return cell[:i] + "..."
    return cell


def render_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Align like kubectl get: 3 spaces between columns, last column unpadded.

    kubectl prints nothing (not even headers) for an empty list, and neither
    does this; the caller prints "No resources found ..." if it wants to.
    """
    if not rows:
        return ""
    lines = [list(columns)] + [[_cell_text(str(c)) for c in row] for row in rows]
    return kubectl_get_table(lines)


# ---------------------------------------------------------------------------
# Pods
# ---------------------------------------------------------------------------

NAME = Column("Name", format="name")
AGE = Column("Age")

POD_COLUMNS = (
    NAME,
    Column("Ready"),
    Column("Status"),
    Column("Restarts"),
    AGE,
    Column("IP", priority=1),
    Column("Node", priority=1),
    Column("Nominated Node", priority=1),
    Column("Readiness Gates", priority=1),
)

# pkg/util/node: the reason the node lifecycle controller sets on pods of a lost node.
NODE_UNREACHABLE_POD_REASON = "NodeLost"


def _is_restartable_init_container(container: dict | None) -> bool:
    # A sidecar: an init container with restartPolicy Always (pod/util.go).
    return bool(container) and container.get("restartPolicy") == "Always"


def _later(current: float | None, candidate: str | None) -> float | None:
    ts = parse_timestamp(candidate)
    if ts is None:
        return current
    return ts if current is None or ts > current else current


def pod_summary(pod: dict) -> tuple[str, str, int, float | None]:
    """printPod's core: (READY "n/m", STATUS reason, restarts, last restart time).

    Follows printers.go line by line; the comments note the rules learners meet.
    """
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    restarts = 0
    sidecar_restarts = 0
    total = len(spec.get("containers") or [])
    ready = 0
    last_restart: float | None = None
    last_sidecar_restart: float | None = None

    phase = status.get("phase") or ""
    reason = status.get("reason") or phase

    # A pod held by scheduling gates shows SchedulingGated instead of Pending.
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = {c.get("name"): c for c in spec.get("initContainers") or []}
    total += sum(1 for c in init_specs.values() if _is_restartable_init_container(c))
    n_init = len(spec.get("initContainers") or [])

    initializing = False
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        restarts += int(cs.get("restartCount") or 0)
        last_term = dig(cs, "lastState", "terminated")
        if last_term:
            last_restart = _later(last_restart, last_term.get("finishedAt"))
        sidecar = _is_restartable_init_container(init_specs.get(cs.get("name")))
        if sidecar:
            sidecar_restarts += int(cs.get("restartCount") or 0)
            if last_term:
                last_sidecar_restart = _later(last_sidecar_restart, last_term.get("finishedAt"))
        terminated = dig(cs, "state", "terminated")
        waiting = dig(cs, "state", "waiting")
        if terminated and int(terminated.get("exitCode") or 0) == 0:
            continue  # this init container finished; look at the next one
        if sidecar and cs.get("started"):
            if cs.get("ready"):
                ready += 1
            continue
        if terminated:
            # Initialization failed.
            if not terminated.get("reason"):
                if terminated.get("signal"):
                    reason = f"Init:Signal:{terminated['signal']}"
                else:
                    reason = f"Init:ExitCode:{int(terminated.get('exitCode') or 0)}"
            else:
                reason = "Init:" + terminated["reason"]
        elif waiting and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = "Init:" + waiting["reason"]
        else:
            reason = f"Init:{i}/{n_init}"
        initializing = True
        break

    if not initializing or condition_true(pod, "Initialized"):
        restarts = sidecar_restarts
        last_restart = last_sidecar_restart
        has_running = False
        # Last container first, so the first container's state wins the STATUS.
        for cs in reversed(status.get("containerStatuses") or []):
            restarts += int(cs.get("restartCount") or 0)
            last_term = dig(cs, "lastState", "terminated")
            if last_term:
                last_restart = _later(last_restart, last_term.get("finishedAt"))
            waiting = dig(cs, "state", "waiting")
            terminated = dig(cs, "state", "terminated")
            if waiting and waiting.get("reason"):
                reason = waiting["reason"]
            elif terminated and terminated.get("reason"):
                reason = terminated["reason"]
            elif terminated:
                if terminated.get("signal"):
                    reason = f"Signal:{terminated['signal']}"
                else:
                    reason = f"ExitCode:{int(terminated.get('exitCode') or 0)}"
            elif cs.get("ready") and dig(cs, "state", "running") is not None:
                has_running = True
                ready += 1

        # One container completed but another still runs: the pod is not done.
        if reason == "Completed" and has_running:
            reason = "Running" if condition_true(pod, "Ready") else "NotReady"

    deleting = dig(pod, "metadata", "deletionTimestamp") is not None
    if deleting and status.get("reason") == NODE_UNREACHABLE_POD_REASON:
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    return f"{ready}/{total}", reason, restarts, last_restart


def pod_status(pod: dict) -> str:
    """The STATUS column of `kubectl get pods` (CrashLoopBackOff, Init:0/2, ...)."""
    return pod_summary(pod)[1]


def pod_row(pod: dict, now: float) -> tuple[str, ...]:
    ready, reason, restarts, last_restart = pod_summary(pod)
    restarts_text = str(restarts)
    if restarts != 0 and last_restart is not None:
        restarts_text = f"{restarts} ({translate_timestamp_since(last_restart, now)} ago)"
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    pod_ips = status.get("podIPs") or []
    ip = (pod_ips[0].get("ip") if pod_ips else None) or status.get("podIP") or "<none>"
    gates = spec.get("readinessGates") or []
    readiness = "<none>"
    if gates:
        true_count = 0
        for gate in gates:
            for cond in status.get("conditions") or []:
                if cond.get("type") == gate.get("conditionType"):
                    true_count += cond.get("status") == "True"
                    break
        readiness = f"{true_count}/{len(gates)}"
    return (
        dig(pod, "metadata", "name", default=""),
        ready,
        reason,
        restarts_text,
        translate_timestamp_since(dig(pod, "metadata", "creationTimestamp"), now),
        ip,
        spec.get("nodeName") or "<none>",
        status.get("nominatedNodeName") or "<none>",
        readiness,
    )


# ---------------------------------------------------------------------------
# Dispatch
# ---------------------------------------------------------------------------

RowFn = Callable[[dict, float], tuple[str, ...]]


def _printers() -> dict[str, tuple[tuple[Column, ...], RowFn]]:
    from engine.views import printers_kinds as k  # split for size; no cycle at import time

    return {"Pod": (POD_COLUMNS, pod_row), **k.PRINTERS}


_ALIASES = {
    "po": "Pod", "pod": "Pod", "pods": "Pod",
    "deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
    "rs": "ReplicaSet", "replicaset": "ReplicaSet", "replicasets": "ReplicaSet",
    "rc": "ReplicationController", "replicationcontroller": "ReplicationController",
    "replicationcontrollers": "ReplicationController",
    "ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
    "sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
    "job": "Job", "jobs": "Job",
    "svc": "Service", "service": "Service", "services": "Service",
    "ep": "Endpoints", "endpoints": "Endpoints",
    "no": "Node", "node": "Node", "nodes": "Node",
    "ns": "Namespace", "namespace": "Namespace", "namespaces": "Namespace",
    "cm": "ConfigMap", "configmap": "ConfigMap", "configmaps": "ConfigMap",
    "secret": "Secret", "secrets": "Secret",
    "ev": "Event", "event": "Event", "events": "Event",
    "pvc": "PersistentVolumeClaim", "persistentvolumeclaim": "PersistentVolumeClaim",
    "persistentvolumeclaims": "PersistentVolumeClaim",
}


def kind_for(resource: str) -> str:
    """`pods`, `po`, `Pod` -> `Pod`. Raises KeyError for kinds without a printer."""
    printers = _printers()
    if resource in printers:
        return resource
    kind = _ALIASES.get(resource.lower())
    if kind is None:
        raise KeyError(f"no printer for {resource!r}")
    return kind


def columns_for(resource: str) -> tuple[Column, ...]:
    return _printers()[kind_for(resource)][0]


def print_row(obj: dict, now: float) -> tuple[str, ...]:
    """One object's cells (all columns) chosen by its `kind`."""
    _, row_fn = _printers()[kind_for(obj.get("kind", ""))]
    return row_fn(obj, now)


def get_table(resource: str, objects: Sequence[dict], now: float) -> Table:
    """The table `kubectl get <resource>` would show for `objects`, in the given order."""
    columns, row_fn = _printers()[kind_for(resource)]
    return Table(columns, tuple(row_fn(obj, now) for obj in objects))
