"""What the cluster panels show, computed from a snapshot: rows, bars, the owner tree.

Pure functions over Kubernetes-shaped dicts (engine.views does the kubectl
columns); the widgets only place the result on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.views import get_table, parse_quantity
from engine.views._format import dig, format_labels
from engine.views.age import translate_timestamp_since
from engine.views.describe import taint_string
from engine.views.describe_kinds import pod_resources
from engine.views.printers_kinds import format_endpoints, node_status

from .driver import ClusterSnapshot
from .widgets.resource_table import Row, object_key, status_class

POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE")
DEPLOY_COLUMNS = ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE")
RS_COLUMNS = ("NAME", "DESIRED", "CURRENT", "READY", "AGE")
SVC_COLUMNS = ("NAME", "TYPE", "CLUSTER-IP", "PORT(S)", "SELECTOR", "ENDPOINTS")
NODE_COLUMNS = ("NAME", "STATUS", "CPU requested", "MEMORY requested", "PODS", "LABELS", "TAINTS")
BAR_WIDTH = 8
# The kinds whose namespaces decide whether the tables show a NAMESPACE column.
NAMESPACED_KINDS = ("Pod", "Deployment", "ReplicaSet", "Service", "Job", "DaemonSet", "StatefulSet",
                    "ConfigMap", "Secret")


def _visible(objs: list[dict]) -> list[dict]:
    """Objects of the namespaces a learner plays in (not kube-system)."""
    return [o for o in objs if dig(o, "metadata", "namespace", default="") not in
            ("kube-system", "kube-public", "kube-node-lease")]


def _is_default_kubernetes_service(svc: dict) -> bool:
    return dig(svc, "metadata", "namespace") == "default" and dig(svc, "metadata", "name") == "kubernetes"


def spans_namespaces(snap: ClusterSnapshot) -> bool:
    """True when the level's objects live in more than one namespace: then every table shows
    NAMESPACE, as `kubectl get -A` does, since a pod in the wrong one is the bug to see."""
    namespaces = {dig(o, "metadata", "namespace", default="") for kind in NAMESPACED_KINDS
                  for o in _visible(snap.of(kind)) if not _is_default_kubernetes_service(o)}
    return len(namespaces) > 1


def _namespace(obj: dict, spans: bool) -> str | None:
    return dig(obj, "metadata", "namespace", default="") if spans else None


# Labels a controller stamps on the objects it makes: shown after the learner's own, which the
# selectors of the level's puzzle are about (`app=web,zone=eu-1,pod-template-hash=…`).
CONTROLLER_LABELS = ("pod-template-hash", "controller-revision-hash", "pod-template-generation",
                     "job-name", "controller-uid")


def _is_stamped(key: str) -> bool:
    return key in CONTROLLER_LABELS or "kubernetes.io/" in key


def label_text(labels: dict[str, str] | None) -> str:
    """`kubectl get --show-labels`' LABELS cell, the labels a controller adds last."""
    if not labels:
        return format_labels(labels)
    keys = sorted(labels, key=lambda k: (_is_stamped(k), k))
    return ",".join(f"{k}={labels[k]}" for k in keys)


def _labels(obj: dict) -> str:
    return label_text(dig(obj, "metadata", "labels"))


def pod_rows(snap: ClusterSnapshot) -> list[Row]:
    pods = _visible(snap.of("Pod"))
    table = get_table("Pod", pods, snap.now)
    spans = spans_namespaces(snap)
    rows = []
    for obj, cells in zip(pods, table.rows):
        name, ready, status, restarts, age, _ip, node = cells[:7]
        style = "terminating" if status == "Terminating" else status_class(status, ready)
        rows.append(Row(object_key(obj), (name, ready, status, restarts, age, node), style,
                        _namespace(obj, spans), _labels(obj)))
    return rows


def deployment_rows(snap: ClusterSnapshot) -> list[Row]:
    objs = _visible(snap.of("Deployment"))
    table = get_table("Deployment", objs, snap.now)
    spans = spans_namespaces(snap)
    rows = []
    for obj, cells in zip(objs, table.rows):
        ready = cells[1]
        have, _, want = ready.partition("/")
        rows.append(Row(object_key(obj), tuple(cells[:5]), "ok" if have == want else "pending",
                        _namespace(obj, spans), _labels(obj)))
    return rows


def replicaset_rows(snap: ClusterSnapshot) -> list[Row]:
    objs = _visible(snap.of("ReplicaSet"))
    table = get_table("ReplicaSet", objs, snap.now)
    spans = spans_namespaces(snap)
    rows = []
    for obj, cells in zip(objs, table.rows):
        desired, ready = cells[1], cells[3]
        style = "completed" if desired == "0" else ("ok" if desired == ready else "pending")
        rows.append(Row(object_key(obj), tuple(cells[:5]), style, _namespace(obj, spans), _labels(obj)))
    return rows


def service_rows(snap: ClusterSnapshot) -> list[Row]:
    objs = _visible(snap.of("Service"))
    spans = spans_namespaces(snap)
    endpoints = {(dig(e, "metadata", "namespace"), dig(e, "metadata", "name")): e
                 for e in snap.of("Endpoints")}
    rows = []
    for svc in objs:
        md = svc.get("metadata") or {}
        spec = svc.get("spec") or {}
        if _is_default_kubernetes_service(svc):
            continue
        ports = ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
        selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
        ep = endpoints.get((md.get("namespace"), md.get("name")))
        ep_text = format_endpoints(ep) if ep else "<none>"
        rows.append(Row(object_key(svc), (
            md.get("name", ""), spec.get("type") or "ClusterIP", spec.get("clusterIP") or "<none>",
            ports or "<none>", selector or "<none>", ep_text,
        ), "ok" if ep_text not in ("<none>", "") else "error", _namespace(svc, spans), _labels(svc)))
    return rows


@dataclass(frozen=True)
class NodeUse:
    name: str
    status: str
    cpu: float  # requested fraction of allocatable, 0..1+
    memory: float
    cpu_text: str
    memory_text: str
    pods: int
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[str, ...] = ()


def _fraction(used: float, total: float) -> float:
    return used / total if total > 0 else 0.0


def node_usage(snap: ClusterSnapshot) -> list[NodeUse]:
    out = []
    for node in snap.of("Node"):
        name = dig(node, "metadata", "name", default="")
        alloc = dig(node, "status", "allocatable", default={}) or {}
        cpu_total = parse_quantity(alloc.get("cpu", "0"))
        mem_total = parse_quantity(alloc.get("memory", "0"))
        cpu = mem = 0.0
        n = 0
        for pod in snap.of("Pod"):
            if dig(pod, "spec", "nodeName") != name or dig(pod, "status", "phase") in ("Succeeded", "Failed"):
                continue
            n += 1
            req = pod_resources(pod, "requests")
            if "cpu" in req:
                cpu += req["cpu"].milli_value() / 1000
            if "memory" in req:
                mem += req["memory"].int_value()
        out.append(NodeUse(
            name, node_status(node), _fraction(cpu, cpu_total), _fraction(mem, mem_total),
            f"{cpu * 1000:.0f}m/{cpu_total:g}", f"{mem / 2**20:.0f}Mi/{mem_total / 2**30:g}Gi", n,
            dict(dig(node, "metadata", "labels", default={}) or {}),
            tuple(taint_string(t) for t in dig(node, "spec", "taints", default=[]) or []),
        ))
    return out


HOSTNAME_LABEL = "kubernetes.io/hostname"


def node_labels(uses: list[NodeUse]) -> dict[str, str]:
    """Each node's LABELS cell: what tells the nodes apart. kubernetes.io/hostname repeats the
    name, and a well-known `kubernetes.io/` label the same on every node (os, arch) tells none
    apart; the level's own labels come first."""
    alike = {key for key in {k for u in uses for k in u.labels if "kubernetes.io/" in k}
             if len({u.labels.get(key) for u in uses}) == 1}
    return {use.name: label_text({k: v for k, v in use.labels.items()
                                  if k != HOSTNAME_LABEL and k not in alike}) for use in uses}


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled) + f" {fraction * 100:3.0f}%"


def node_rows(snap: ClusterSnapshot) -> list[Row]:
    rows = []
    uses = node_usage(snap)
    labels = node_labels(uses)
    for use in uses:
        style = "ok" if use.status == "Ready" else "error"
        if "SchedulingDisabled" in use.status:
            style = "pending"
        rows.append(Row(f"Node//{use.name}", (
            use.name, use.status, f"{bar(use.cpu)} {use.cpu_text}", f"{bar(use.memory)} {use.memory_text}",
            str(use.pods), labels[use.name], ",".join(use.taints) or "<none>",
        ), style))
    return rows


# ---- the owner tree: Deployment → ReplicaSet → Pod ------------------------------------------


@dataclass
class TreeItem:
    key: str
    label: str
    style: str
    children: list[TreeItem] = field(default_factory=list)

    def shape(self) -> tuple:
        return (self.key, tuple(c.shape() for c in self.children))


def _owner_uid(obj: dict) -> str | None:
    for ref in dig(obj, "metadata", "ownerReferences", default=[]) or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def owner_tree(snap: ClusterSnapshot) -> list[TreeItem]:
    """Deployments with their ReplicaSets and pods; then bare ReplicaSets, Jobs…; then lone pods."""
    pods = {object_key(p): row for p, row in zip(_visible(snap.of("Pod")), pod_rows(snap))}
    pod_objs = _visible(snap.of("Pod"))
    by_owner: dict[str, list[dict]] = {}
    for obj in pod_objs + _visible(snap.of("ReplicaSet")):
        uid = _owner_uid(obj)
        if uid:
            by_owner.setdefault(uid, []).append(obj)

    def pod_item(pod: dict) -> TreeItem:
        row = pods[object_key(pod)]
        return TreeItem(row.key, f"Pod {row.cells[0]}  {row.cells[1]}  {row.cells[2]}", row.style)

    def rs_item(rs: dict) -> TreeItem:
        md = rs.get("metadata") or {}
        desired = dig(rs, "spec", "replicas", default=1)
        ready = dig(rs, "status", "readyReplicas", default=0) or 0
        style = "completed" if desired == 0 else ("ok" if ready == desired else "pending")
        children = [pod_item(p) for p in by_owner.get(md.get("uid", ""), []) if p.get("kind") == "Pod"]
        return TreeItem(object_key(rs), f"ReplicaSet {md.get('name')}  {ready}/{desired}", style, children)

    items: list[TreeItem] = []
    owned: set[str] = set()
    for dep in _visible(snap.of("Deployment")):
        md = dep.get("metadata") or {}
        want = dig(dep, "spec", "replicas", default=1)
        ready = dig(dep, "status", "readyReplicas", default=0) or 0
        rss = [o for o in by_owner.get(md.get("uid", ""), []) if o.get("kind") == "ReplicaSet"]
        children = [rs_item(rs) for rs in rss]
        owned.update(object_key(rs) for rs in rss)
        items.append(TreeItem(object_key(dep), f"Deployment {md.get('name')}  {ready}/{want}",
                              "ok" if ready == want else "pending", children))
    for rs in _visible(snap.of("ReplicaSet")):
        if object_key(rs) not in owned:
            items.append(rs_item(rs))
            owned.add(object_key(rs))
    for kind in ("Job", "DaemonSet", "StatefulSet"):
        for obj in _visible(snap.of(kind)):
            md = obj.get("metadata") or {}
            children = [pod_item(p) for p in by_owner.get(md.get("uid", ""), []) if p.get("kind") == "Pod"]
            items.append(TreeItem(object_key(obj), f"{kind} {md.get('name')}", "ok", children))
    known_uids = {dig(o, "metadata", "uid") for k in ("ReplicaSet", "Job", "DaemonSet", "StatefulSet")
                  for o in snap.of(k)}
    for pod in pod_objs:
        if _owner_uid(pod) not in known_uids:
            items.append(pod_item(pod))
    return items


# ---- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventLine:
    key: str
    at: float
    type: str
    reason: str
    object: str
    message: str
    age: str


def event_lines(snap: ClusterSnapshot) -> list[EventLine]:
    from engine.views.age import parse_timestamp

    out = []
    for ev in _visible(snap.of("Event")):
        at = (parse_timestamp(ev.get("lastTimestamp")) or parse_timestamp(ev.get("eventTime"))
              or parse_timestamp(dig(ev, "metadata", "creationTimestamp")) or 0.0)
        involved = ev.get("involvedObject") or {}
        out.append(EventLine(
            key=str(dig(ev, "metadata", "name")), at=at, type=ev.get("type", "Normal"),
            reason=ev.get("reason", ""), object=f"{involved.get('kind', '').lower()}/{involved.get('name', '')}",
            message=str(ev.get("message", "")).strip(), age=translate_timestamp_since(at, snap.now),
        ))
    out.sort(key=lambda e: (e.at, e.key))
    return out


def events_about(snap: ClusterSnapshot, kind: str, name: str, namespace: str) -> list[dict]:
    return [ev for ev in snap.of("Event")
            if dig(ev, "involvedObject", "kind") == kind and dig(ev, "involvedObject", "name") == name
            and dig(ev, "involvedObject", "namespace", default=namespace) in (namespace, "")]
