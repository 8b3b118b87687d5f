"""The node lifecycle controller and its taint-eviction manager.

After pkg/controller/nodelifecycle/node_lifecycle_controller.go
(`monitorNodeHealth`, `tryUpdateNodeHealth`, `processTaintBaseEviction`,
`doNoScheduleTaintingPass`), pkg/controller/util/node/controller_utils.go
(`MarkPodsNotReady`, `RecordNodeStatusChange`, `SwapNodeControllerTaint`) and
pkg/controller/tainteviction/taint_eviction.go (`processPodOnNode`,
`getMinTolerationTime`, `addConditionAndDeletePod`).

Every node_monitor_period the controller looks at each Node: a node whose
heartbeat (the Ready condition's lastHeartbeatTime) has not moved for
node_monitor_grace gets Ready=Unknown `NodeStatusUnknown`; its pods are marked
not Ready (so Services drop them); the next pass taints it
node.kubernetes.io/unreachable:NoExecute. Conditions also map to NoSchedule
taints, and a cordoned node gets node.kubernetes.io/unschedulable:NoSchedule.
The taint manager deletes pods on NoExecute-tainted nodes once their
tolerations run out (300 s by default, from DefaultTolerationSeconds); a pod on
a dead node then stays Terminating, since no kubelet finishes the deletion.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from ..api.objects import get_condition
from ..api.store import DELETED, WatchEvent
from ..scheduler.helpers import (
    NO_EXECUTE,
    NO_SCHEDULE,
    TAINT_NODE_DISK_PRESSURE,
    TAINT_NODE_MEMORY_PRESSURE,
    TAINT_NODE_NETWORK_UNAVAILABLE,
    TAINT_NODE_NOT_READY,
    TAINT_NODE_PID_PRESSURE,
    TAINT_NODE_UNREACHABLE,
    TAINT_NODE_UNSCHEDULABLE,
    effective_tolerations,
    get_matching_tolerations,
)
from .base import Context, Controller

# nodeConditionToTaintKeyStatusMap
CONDITION_TAINTS = {
    "Ready": {"False": TAINT_NODE_NOT_READY, "Unknown": TAINT_NODE_UNREACHABLE},
    "MemoryPressure": {"True": TAINT_NODE_MEMORY_PRESSURE},
    "DiskPressure": {"True": TAINT_NODE_DISK_PRESSURE},
    "NetworkUnavailable": {"True": TAINT_NODE_NETWORK_UNAVAILABLE},
    "PIDPressure": {"True": TAINT_NODE_PID_PRESSURE},
}
CONDITION_TAINT_KEYS = {k for m in CONDITION_TAINTS.values() for k in m.values()}
# The conditions a silent kubelet leaves Unknown (NetworkUnavailable belongs to the network).
MONITORED_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


@dataclass
class _Eviction:
    created_at: float
    fire_at: float
    epoch: int


def _heartbeat(node: dict | None) -> str | None:
    ready = get_condition(node, "Ready") if node else None
    return ready.get("lastHeartbeatTime") if ready else None


def _pod_ref(namespace: str, name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace}}


class NodeLifecycleController(Controller):
    name = "node-lifecycle"

    def __init__(self, ctx: Context):
        super().__init__(ctx)
        self.eviction_recorder = ctx.recorder("taint-eviction-controller")
        self._probe: dict[str, float] = {}  # nodeHealth.probeTimestamp: when the heartbeat last moved
        self._known: set[str] = set()
        self._tainted: dict[str, list[dict]] = {}  # the taint manager's view of NoExecute taints
        self._evictions: dict[tuple[str, str], _Eviction] = {}
        self._epoch = 0
        self._monitoring = False

    @property
    def component(self) -> str:
        return "node-controller"

    # ---- informers -----------------------------------------------------------

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Node":
            name = ev.object["metadata"]["name"]
            if ev.type != DELETED and (ev.old is None or _heartbeat(ev.object) != _heartbeat(ev.old)):
                self._probe[name] = self.ctx.clock.now()
            self.queue.add(("node", name))
        elif ev.kind == "Pod":
            new = None if ev.type == DELETED else ev.object
            old = ev.old
            md = ev.object.get("metadata") or {}
            key = ("pod", md.get("namespace") or "default", md.get("name", ""))
            if new is None:
                if (key[1], key[2]) in self._evictions:
                    self.queue.add(key)
                return
            spec, old_spec = new.get("spec") or {}, (old or {}).get("spec") or {}
            if spec.get("nodeName") and (old is None or spec.get("nodeName") != old_spec.get("nodeName")
                                         or spec.get("tolerations") != old_spec.get("tolerations")):
                self.queue.add(key)

    def resync_all(self) -> None:
        now = self.ctx.clock.now()
        for node in self.store.list("Node", copy=False):
            self._probe.setdefault(node["metadata"]["name"], now)
            self.queue.add(("node", node["metadata"]["name"]))
        if not self._monitoring:
            self._monitoring = True
            self.ctx.after(self.ctx.timing.node_monitor_period, self._tick)

    def _tick(self) -> None:
        self.queue.add(("monitor",))
        self.ctx.after(self.ctx.timing.node_monitor_period, self._tick)

    def sync(self, key: Hashable) -> None:
        kind = key[0]  # type: ignore[index]
        if kind == "monitor":
            self.monitor_node_health()
        elif kind == "node":
            self.sync_node(key[1])  # type: ignore[index]
        elif kind == "pod":
            self.sync_pod(key[1], key[2])  # type: ignore[index]
        elif kind == "evict":
            self._evict((key[1], key[2]), key[3])  # type: ignore[index]

    # ---- node health -----------------------------------------------------------

    def monitor_node_health(self) -> None:
        now = self.ctx.clock.now()
        seen = set()
        for node in self.store.list("Node", copy=False):
            name = node["metadata"]["name"]
            seen.add(name)
            if name not in self._known:
                self._known.add(name)
                self._probe.setdefault(name, now)
                self.recorder.normal(node, "RegisteredNode", f"Registered Node {name} in Controller")
            observed, current, node = self._try_update_node_health(node, now)
            self._process_taint_based_eviction(node, observed)
            if current.get("status") != "True" and observed.get("status") == "True":
                # RecordNodeStatusChange, once per transition; then MarkPodsNotReady.
                self.recorder.normal(node, "NodeNotReady", f"Node {name} status is now: NodeNotReady")
                self.mark_pods_not_ready(name)
        for gone in self._known - seen:
            self._known.discard(gone)
            self._probe.pop(gone, None)

    def _try_update_node_health(self, node: dict, now: float) -> tuple[dict, dict, dict]:
        """Returns (the Ready condition as observed, as it is now, the node as it is now)."""
        name = node["metadata"]["name"]
        ready = get_condition(node, "Ready")
        observed = dict(ready) if ready else {"type": "Ready", "status": "Unknown"}
        if not now > self._probe.get(name, now) + self.ctx.timing.node_monitor_grace:
            return observed, observed, node
        ts = self.store.now()

        def to_unknown(n: dict) -> bool:
            conditions = n.setdefault("status", {}).setdefault("conditions", [])
            if get_condition(n, "Ready") is None:
                conditions.append({"type": "Ready", "status": "Unknown", "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status.",
                                   "lastHeartbeatTime": n["metadata"].get("creationTimestamp"),
                                   "lastTransitionTime": ts})
            changed = False
            for cond in conditions:
                if cond.get("type") in MONITORED_CONDITIONS and cond.get("status") != "Unknown":
                    cond.update(status="Unknown", reason="NodeStatusUnknown",
                                message="Kubelet stopped posting node status.", lastTransitionTime=ts)
                    changed = True
            return changed or ready is None

        updated = self.store.mutate("Node", name, None, to_unknown, subresource="status") or node
        return observed, get_condition(updated, "Ready") or observed, updated

    def _process_taint_based_eviction(self, node: dict, observed: dict) -> dict:
        """Ready False -> not-ready:NoExecute, Unknown -> unreachable:NoExecute (mutually
        exclusive), True -> neither (markNodeAsReachable). Returns the node as it is now."""
        status = observed.get("status")
        not_ready = {"key": TAINT_NODE_NOT_READY, "effect": NO_EXECUTE}
        unreachable = {"key": TAINT_NODE_UNREACHABLE, "effect": NO_EXECUTE}
        if status == "False":
            return self._swap_taints(node, [not_ready], [unreachable])
        if status == "Unknown":
            return self._swap_taints(node, [unreachable], [not_ready])
        if status == "True":
            return self._swap_taints(node, [], [not_ready, unreachable])
        return node

    def mark_pods_not_ready(self, node_name: str) -> None:
        """MarkPodsNotReady: Ready=False on the node's pods, a NodeNotReady event on each."""
        for pod in self.store.pods_on_node(node_name):
            self._mark_pod_not_ready(pod)

    def _mark_pod_not_ready(self, pod: dict) -> None:
        cond = get_condition(pod, "Ready")
        if cond is None or cond.get("status") == "False":
            return
        ts = self.store.now()

        def not_ready(p: dict) -> bool:
            c = get_condition(p, "Ready")
            if c is None or c.get("status") == "False":
                return False
            c.update(status="False", lastTransitionTime=ts)
            return True

        md = pod["metadata"]
        updated = self.store.mutate("Pod", md["name"], md.get("namespace"), not_ready, subresource="status")
        if updated is not None:
            self.recorder.warning(updated, "NodeNotReady", "Node is not ready")

    # ---- taints ------------------------------------------------------------------

    def sync_node(self, name: str) -> None:
        node = self.store.try_get("Node", name, copy=False)
        if node is None:
            self._tainted.pop(name, None)
            return
        node = self._do_no_schedule_tainting_pass(node)
        ready = get_condition(node, "Ready") or {}
        if ready.get("status") == "True":
            # markNodeAsReachable at once, not at the next monitor pass: between the two, a
            # pod that tolerates the NoExecute taint for 0 s could be scheduled there and
            # evicted, over and over, while no time passes on a virtual clock.
            node = self._process_taint_based_eviction(node, ready)
        self._taint_manager_node_update(node)

    def _do_no_schedule_tainting_pass(self, node: dict) -> dict:
        """Conditions and spec.unschedulable, as NoSchedule taints."""
        wanted = []
        for cond in (node.get("status") or {}).get("conditions") or []:
            key = CONDITION_TAINTS.get(cond.get("type"), {}).get(cond.get("status"))
            if key:
                wanted.append({"key": key, "effect": NO_SCHEDULE})
        if (node.get("spec") or {}).get("unschedulable"):
            wanted.append({"key": TAINT_NODE_UNSCHEDULABLE, "effect": NO_SCHEDULE})
        have = [t for t in (node.get("spec") or {}).get("taints") or []
                if t.get("effect") == NO_SCHEDULE
                and (t.get("key") == TAINT_NODE_UNSCHEDULABLE or t.get("key") in CONDITION_TAINT_KEYS)]
        wanted_keys = {t["key"] for t in wanted}
        add = [t for t in wanted if t["key"] not in {h.get("key") for h in have}]
        remove = [t for t in have if t.get("key") not in wanted_keys]
        return self._swap_taints(node, add, remove)

    def _swap_taints(self, node: dict, add: list[dict], remove: list[dict]) -> dict:
        """SwapNodeControllerTaint: add (stamped with timeAdded) and remove taints by key+effect."""
        ts = self.store.now()

        def swap(n: dict) -> bool:
            spec = n.setdefault("spec", {})
            taints = list(spec.get("taints") or [])
            matches = lambda t, u: t.get("key") == u["key"] and t.get("effect") == u["effect"]
            kept = [t for t in taints if not any(matches(t, r) for r in remove)]
            for a in add:
                if not any(matches(t, a) for t in kept):
                    kept.append({"key": a["key"], "effect": a["effect"], "timeAdded": ts})
            if kept == taints:
                return False
            if kept:
                spec["taints"] = kept
            else:
                spec.pop("taints", None)
            return True

        if not add and not any(t.get("key") == r["key"] and t.get("effect") == r["effect"]
                               for t in (node.get("spec") or {}).get("taints") or [] for r in remove):
            return node
        return self.store.mutate("Node", node["metadata"]["name"], None, swap) or node

    # ---- taint eviction ------------------------------------------------------------

    def _taint_manager_node_update(self, node: dict) -> None:
        name = node["metadata"]["name"]
        taints = [t for t in (node.get("spec") or {}).get("taints") or [] if t.get("effect") == NO_EXECUTE]
        if self._tainted.get(name) == taints:
            return
        self._tainted[name] = taints
        now = self.ctx.clock.now()
        for pod in self.store.pods_on_node(name):
            md = pod["metadata"]
            key = (md.get("namespace") or "default", md["name"])
            if not taints:
                self._cancel(key)
            else:
                self._process_pod_on_node(pod, taints, now)

    def sync_pod(self, namespace: str, name: str) -> None:
        pod = self.store.try_get("Pod", name, namespace, copy=False)
        if pod is None:
            self._cancel((namespace, name))
            return
        node_name = (pod.get("spec") or {}).get("nodeName")
        node = self.store.try_get("Node", node_name, copy=False) if node_name else None
        if node is None:
            return
        # processPod: a pod that lands on a node that is not Ready is not Ready either.
        ready = get_condition(node, "Ready")
        if ready is not None and ready.get("status") != "True":
            self._mark_pod_not_ready(pod)
        taints = self._tainted.get(node_name)
        if taints:
            self._process_pod_on_node(pod, taints, self.ctx.clock.now())

    def _process_pod_on_node(self, pod: dict, taints: list[dict], now: float) -> None:
        md = pod["metadata"]
        key = (md.get("namespace") or "default", md["name"])
        if md.get("deletionTimestamp"):
            return  # already on its way out
        tolerations = effective_tolerations(pod.get("spec") or {}, self.ctx.timing.toleration_seconds)
        all_tolerated, used = get_matching_tolerations(taints, tolerations)
        if not all_tolerated:
            self._cancel(key)
            self._add_work(key, now, now)
            return
        wait = _min_toleration_time(used)
        if wait < 0:  # tolerated forever
            self._cancel(key)
            return
        start, trigger = now, now + wait
        scheduled = self._evictions.get(key)
        if scheduled is not None:
            start = scheduled.created_at
            if start + wait < trigger:
                return  # the eviction already planned comes first
            self._cancel(key)
        self._add_work(key, start, trigger)

    def _add_work(self, key: tuple[str, str], created_at: float, fire_at: float) -> None:
        self._epoch += 1
        epoch = self._epoch
        self._evictions[key] = _Eviction(created_at, fire_at, epoch)
        delay = fire_at - self.ctx.clock.now()
        if delay <= 0:
            self._evict(key, epoch)
        else:
            self.enqueue_after(("evict", key[0], key[1], epoch), delay)

    def _cancel(self, key: tuple[str, str]) -> None:
        if self._evictions.pop(key, None) is not None:
            self.eviction_recorder.normal(self._event_target(key), "TaintManagerEviction",
                                          f"Cancelling deletion of Pod {key[0]}/{key[1]}")

    def _event_target(self, key: tuple[str, str]) -> dict:
        return self.store.try_get("Pod", key[1], key[0], copy=False) or _pod_ref(*key)

    def _evict(self, key: tuple[str, str], epoch: int) -> None:
        scheduled = self._evictions.get(key)
        if scheduled is None or scheduled.epoch != epoch:
            return  # cancelled or re-planned since
        del self._evictions[key]
        ns, name = key
        pod = self.store.try_get("Pod", name, ns, copy=False)
        if pod is None:
            return
        self.eviction_recorder.normal(pod, "TaintManagerEviction", f"Marking for deletion Pod {ns}/{name}")

        def disruption_target(p: dict) -> bool:
            conditions = p.setdefault("status", {}).setdefault("conditions", [])
            if get_condition(p, "DisruptionTarget") is not None:
                return False
            conditions.append({"type": "DisruptionTarget", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": self.store.now(), "reason": "DeletionByTaintManager",
                               "message": "Taint manager: deleting due to NoExecute taint"})
            return True

        self.store.mutate("Pod", name, ns, disruption_target, subresource="status")
        if self.store.try_get("Pod", name, ns, copy=False) is not None:
            self.store.delete("Pod", name, ns)


def _min_toleration_time(tolerations: list[dict]) -> float:
    """getMinTolerationTime: the shortest tolerationSeconds, 0 for none used, -1 for forever."""
    if not tolerations:
        return 0
    seconds = [t["tolerationSeconds"] for t in tolerations if t.get("tolerationSeconds") is not None]
    if not seconds:
        return -1
    return max(0, min(float(s) for s in seconds))
