"""DaemonSetsController: one pod on every eligible node
(pkg/controller/daemon: daemon_controller.go, update.go, util/daemonset_util.go).

`sync_daemon_set(key)` follows `DaemonSetsController.syncDaemonSet`:

- `node_should_run_daemon_pod` decides per node (NodeShouldRunDaemonPod): the
  pod must fit the node's name, the template's nodeSelector and required node
  affinity, and tolerate the node's NoSchedule/NoExecute taints. A pod whose
  node gained an untolerated NoSchedule taint keeps running; an untolerated
  NoExecute taint removes it;
- every daemon pod tolerates, as `AddOrUpdateDaemonPodTolerations` adds:
  not-ready and unreachable (NoExecute), disk-pressure, memory-pressure,
  pid-pressure and unschedulable (NoSchedule), network-unavailable with
  hostNetwork — so cordoned and failing nodes keep their daemons;
- pods are not bound by this controller: like Kubernetes since 1.12 it creates
  `<ds>-<5 chars>` pods whose required node affinity is replaced by
  `matchFields metadata.name In [node]` (ReplaceDaemonSetPodNodeNameNodeAffinity)
  and leaves the binding to the scheduler; the target node is read back from
  spec.nodeName or that affinity (GetTargetNodeName);
- `manage`: create on nodes that should run one and have none, delete from
  nodes that should not, delete failed pods (Warning FailedDaemonPod) and
  extra pods (oldest kept); pods of a node that no longer exists are deleted
  at once (grace 0), standing in for the pod garbage collector's
  orphaned-pod clean-up;
- `rolling_update` (maxSurge 0): old pods that are unavailable are replaced
  first, then old available ones while fewer than maxUnavailable daemon pods
  are unavailable; a pod is "updated" when its `controller-revision-hash`
  label matches the hash of the current template;
- status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
  numberReady, numberAvailable, updatedNumberScheduled, numberUnavailable.
Events as controller_utils' PodControl words them: SuccessfulCreate "Created
pod: x", SuccessfulDelete "Deleted pod: x". Not modelled: maxSurge > 0,
ControllerRevision objects, the failed-pod back-off.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

from ..api.errors import APIStatusError
from ..api.objects import clone, owner_reference
from ..api.selectors import from_label_selector
from ..api.store import WatchEvent
from .base import Controller, owner_keys
from .podutil import is_pod_available as _available
from .podutil import is_pod_ready as _ready
from .statefulset import compute_hash

REVISION_LABEL = "controller-revision-hash"
TEMPLATE_GENERATION_LABEL = "pod-template-generation"

DAEMON_TOLERATIONS = [
    ("node.kubernetes.io/not-ready", "NoExecute"),
    ("node.kubernetes.io/unreachable", "NoExecute"),
    ("node.kubernetes.io/disk-pressure", "NoSchedule"),
    ("node.kubernetes.io/memory-pressure", "NoSchedule"),
    ("node.kubernetes.io/pid-pressure", "NoSchedule"),
    ("node.kubernetes.io/unschedulable", "NoSchedule"),
]
NETWORK_UNAVAILABLE = ("node.kubernetes.io/network-unavailable", "NoSchedule")


# ---- scheduling predicates -------------------------------------------------------


def add_daemon_tolerations(spec: dict) -> None:
    tolerations = list(spec.get("tolerations") or [])
    wanted = DAEMON_TOLERATIONS + ([NETWORK_UNAVAILABLE] if spec.get("hostNetwork") else [])
    for key, effect in wanted:
        tol = {"key": key, "operator": "Exists", "effect": effect}
        # AddOrUpdateTolerationInPodSpec: replace a toleration with the same key and effect.
        tolerations = [
            t for t in tolerations if not (t.get("key") == key and t.get("effect") == effect)
        ]
        tolerations.append(tol)
    spec["tolerations"] = tolerations


def tolerates(tolerations: list[dict], taint: dict) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists":
            if not t.get("key") or t.get("key") == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and (t.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def _requirement_matches(req: dict, value: str | None) -> bool:
    op, values = req.get("operator"), [str(v) for v in req.get("values") or []]
    if op == "In":
        return value is not None and value in values
    if op == "NotIn":
        return value is None or value not in values
    if op == "Exists":
        return value is not None
    if op == "DoesNotExist":
        return value is None
    if op in ("Gt", "Lt") and value is not None and values:
        try:
            a, b = int(value), int(values[0])
        except ValueError:
            return False
        return a > b if op == "Gt" else a < b
    return False


def _term_matches(term: dict, node: dict) -> bool:
    exprs, fields = term.get("matchExpressions") or [], term.get("matchFields") or []
    if not exprs and not fields:
        return False  # an empty term matches no node
    labels = node["metadata"].get("labels") or {}
    if not all(_requirement_matches(r, labels.get(r.get("key"))) for r in exprs):
        return False
    name = node["metadata"]["name"]
    return all(
        _requirement_matches(r, name if r.get("key") == "metadata.name" else None) for r in fields
    )


def fits_node_affinity(pod_spec: dict, node: dict) -> bool:
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != str(v) for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is None:
        return True
    return any(_term_matches(t, node) for t in required.get("nodeSelectorTerms") or [])


def node_should_run_daemon_pod(node: dict, ds: dict) -> tuple[bool, bool]:
    """(shouldRun, shouldContinueRunning) for this DaemonSet on this node."""
    spec = clone(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    add_daemon_tolerations(spec)
    node_name = node["metadata"]["name"]
    if spec.get("nodeName") and spec["nodeName"] != node_name:
        return False, False
    if not fits_node_affinity(spec, node):
        return False, False
    taints = [
        t
        for t in (node.get("spec") or {}).get("taints") or []
        if t.get("effect") in ("NoSchedule", "NoExecute")
    ]
    tolerations = spec.get("tolerations") or []
    if all(tolerates(tolerations, t) for t in taints):
        return True, True
    return False, all(tolerates(tolerations, t) for t in taints if t.get("effect") == "NoExecute")


def target_node_name(pod: dict) -> str | None:
    """GetTargetNodeName: spec.nodeName, else the node named in the DaemonSet affinity."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    required = (
        ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for req in term.get("matchFields") or []:
            if (
                req.get("key") == "metadata.name"
                and req.get("operator") == "In"
                and len(req.get("values") or []) == 1
            ):
                return req["values"][0]
    return None


def _by_creation(pods: list[dict]) -> list[dict]:
    return sorted(
        pods, key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"])
    )


class DaemonSetController(Controller):
    name = "daemonset"

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "DaemonSet":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))
        elif ev.kind == "Pod":
            for key in owner_keys(ev, "DaemonSet"):
                self.queue.add(key)
        elif ev.kind == "Node" and self._node_changed(ev):
            for ds in self.store.list("DaemonSet", copy=False):
                self.queue.add((ds["metadata"]["namespace"], ds["metadata"]["name"]))

    @staticmethod
    def _node_changed(ev: WatchEvent) -> bool:
        """shouldIgnoreNodeUpdate: only labels, taints and existence matter here."""
        if ev.type != "MODIFIED" or ev.old is None:
            return True
        new, old = ev.object, ev.old
        return (new["metadata"].get("labels") != old["metadata"].get("labels")) or (
            new.get("spec") or {}
        ).get("taints") != (old.get("spec") or {}).get("taints")

    def resync_all(self) -> None:
        for ds in self.store.list("DaemonSet", copy=False):
            self.queue.add((ds["metadata"]["namespace"], ds["metadata"]["name"]))

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        try:
            self.sync_daemon_set(ns, name)
        except APIStatusError:
            self.enqueue_after(key, 1.0)  # retry, as the rate-limited work queue would

    # ---- syncDaemonSet -------------------------------------------------------------

    def sync_daemon_set(self, ns: str, name: str) -> None:
        ds = self.store.try_get("DaemonSet", name, ns)
        if ds is None:
            return
        hash_ = compute_hash((ds.get("spec") or {}).get("template") or {})
        if not ds["metadata"].get("deletionTimestamp"):
            self.manage(ds, hash_)
            strategy = ds["spec"].get("updateStrategy") or {}
            if strategy.get("type", "RollingUpdate") == "RollingUpdate":
                self.rolling_update(ds, hash_)
        self.update_daemon_set_status(ds, hash_)

    def _pods_by_node(self, ds: dict) -> dict[str | None, list[dict]]:
        md = ds["metadata"]
        out: dict[str | None, list[dict]] = {}
        for pod in self.store.list(
            "Pod", md["namespace"], from_label_selector(ds["spec"].get("selector")), copy=False
        ):
            if any(
                r.get("uid") == md["uid"] and r.get("controller")
                for r in pod["metadata"].get("ownerReferences") or []
            ):
                out.setdefault(target_node_name(pod), []).append(pod)
        return out

    def manage(self, ds: dict, hash_: str) -> None:
        by_node = self._pods_by_node(ds)
        nodes = {n["metadata"]["name"]: n for n in self.store.list("Node", copy=False)}
        to_create: list[str] = []
        to_delete: list[tuple[dict, int | None]] = []
        for node_name, node in nodes.items():
            should_run, should_continue = node_should_run_daemon_pod(node, ds)
            pods = by_node.get(node_name, [])
            if should_run and not pods:
                to_create.append(node_name)
            elif should_continue:
                running = []
                for pod in pods:
                    if pod["metadata"].get("deletionTimestamp"):
                        continue
                    phase = (pod.get("status") or {}).get("phase")
                    if phase == "Failed":
                        self._event(
                            ds,
                            "Warning",
                            "FailedDaemonPod",
                            f"Found failed daemon pod {pod['metadata']['namespace']}/{pod['metadata']['name']} "
                            f"on node {node_name}, will try to kill it",
                        )
                        to_delete.append((pod, None))
                    elif phase == "Succeeded":
                        to_delete.append((pod, None))
                    else:
                        running.append(pod)
                # Without surge, at most one pod per node: keep the oldest.
                to_delete += [(p, None) for p in _by_creation(running)[1:]]
            elif pods:
                to_delete += [(p, None) for p in pods if not p["metadata"].get("deletionTimestamp")]
        for node_name, pods in by_node.items():
            if node_name is None or node_name not in nodes:
                # The node is gone: nothing will ever run or stop these pods.
                to_delete += [(p, 0) for p in pods]
        for pod, grace in to_delete:
            self._delete_pod(ds, pod, grace)
        for node_name in to_create:
            self._create_pod(ds, node_name, hash_)

    def rolling_update(self, ds: dict, hash_: str) -> None:
        now = self.ctx.clock.now()
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        by_node = self._pods_by_node(ds)
        desired = [
            n["metadata"]["name"]
            for n in self.store.list("Node", copy=False)
            if node_should_run_daemon_pod(n, ds)[0]
        ]
        max_unavailable = self._max_unavailable(ds, len(desired))
        unavailable = 0
        old_to_delete: list[dict] = []
        candidates: list[dict] = []
        for node_name in desired:
            pods = [
                p for p in by_node.get(node_name, []) if not p["metadata"].get("deletionTimestamp")
            ]
            new = [
                p for p in pods if (p["metadata"].get("labels") or {}).get(REVISION_LABEL) == hash_
            ]
            old = [p for p in pods if p not in new]
            if len(pods) != 1:
                unavailable += 1  # missing, or being replaced: manage handles it
            elif new:
                if not _available(new[0], min_ready, now):
                    unavailable += 1
            elif not _available(old[0], min_ready, now):
                old_to_delete.append(old[0])  # replacing it costs no availability
            elif unavailable < max_unavailable:
                candidates.append(old[0])
        room = max(0, min(max_unavailable - unavailable, len(candidates)))
        for pod in old_to_delete + candidates[:room]:
            self._delete_pod(ds, pod, None)

    @staticmethod
    def _max_unavailable(ds: dict, desired: int) -> int:
        ru = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        value = ru.get("maxUnavailable", 1)
        if isinstance(value, str) and value.endswith("%"):
            result = math.ceil(int(value[:-1]) * desired / 100)
        else:
            result = int(value)
        return max(result, 1) if not ru.get("maxSurge") else result

    # ---- pods ----------------------------------------------------------------------

    def _create_pod(self, ds: dict, node_name: str, hash_: str) -> None:
        tmpl = clone(ds["spec"].get("template") or {})
        tmeta = tmpl.get("metadata") or {}
        spec = tmpl.get("spec") or {}
        add_daemon_tolerations(spec)
        affinity = spec.setdefault("affinity", {})
        node_aff = affinity.setdefault("nodeAffinity", {})
        node_aff["requiredDuringSchedulingIgnoredDuringExecution"] = {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
            ]
        }
        labels = dict(tmeta.get("labels") or {})
        labels[REVISION_LABEL] = hash_
        labels[TEMPLATE_GENERATION_LABEL] = str(ds["metadata"].get("generation", 1))
        md = {
            "generateName": f"{ds['metadata']['name']}-",
            "namespace": ds["metadata"]["namespace"],
            "labels": labels,
            "ownerReferences": [owner_reference(ds)],
        }
        if tmeta.get("annotations"):
            md["annotations"] = dict(tmeta["annotations"])
        created = self.store.create(
            {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}, validate=False
        )
        self._event(ds, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def _delete_pod(self, ds: dict, pod: dict, grace: int | None) -> None:
        name = pod["metadata"]["name"]
        try:
            self.store.delete("Pod", name, pod["metadata"]["namespace"], grace_period_seconds=grace)
        except APIStatusError:
            return
        self._event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {name}")

    # ---- status --------------------------------------------------------------------

    def update_daemon_set_status(self, ds: dict, hash_: str) -> None:
        md = ds["metadata"]
        now = self.ctx.clock.now()
        min_ready = int(ds["spec"].get("minReadySeconds") or 0)
        by_node = self._pods_by_node(ds)
        desired = current = misscheduled = ready = available = updated = 0
        recheck = False
        for node in self.store.list("Node", copy=False):
            should_run, _ = node_should_run_daemon_pod(node, ds)
            pods = by_node.get(node["metadata"]["name"], [])
            if should_run:
                desired += 1
                if pods:
                    current += 1
                    pod = _by_creation(pods)[0]
                    if _ready(pod):
                        ready += 1
                        if _available(pod, min_ready, now):
                            available += 1
                        else:
                            recheck = True
                    if (pod["metadata"].get("labels") or {}).get(REVISION_LABEL) == hash_:
                        updated += 1
            elif pods:
                misscheduled += 1
        status = {
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "observedGeneration": md.get("generation", 1),
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
        }
        for f in ("updatedNumberScheduled", "numberAvailable", "numberUnavailable"):
            if not status[f]:
                status.pop(f)  # omitempty
        if recheck and min_ready:
            self.enqueue_after((md["namespace"], md["name"]), float(min_ready))
        if status != (ds.get("status") or {}):
            self.store.mutate(
                "DaemonSet",
                md["name"],
                md["namespace"],
                lambda d: d.__setitem__("status", status),
                subresource="status",
            )

    def _event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        try:
            self.recorder.event(obj, type_, reason, message)
        except APIStatusError:
            pass  # client-go's recorder drops events it cannot write
