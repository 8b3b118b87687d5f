"""The scheduler's cache: a NodeInfo per node with the aggregates of its pods,
kept up to date from watch events so a scheduling cycle costs O(nodes), not O(pods).

After pkg/scheduler/backend/cache/cache.go (AddPod/UpdatePod/RemovePod,
AddNode/UpdateNode) and pkg/scheduler/eventhandlers.go (which pods go into
the cache: assigned, non-terminal ones). Each change also says which plugins
it may help, as the plugins' EventsToRegister do, so that only the pods those
plugins rejected are retried.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..api.store import ADDED, DELETED, WatchEvent
from .framework import NodeInfo, PodInfo, is_terminal

NODE_RESOURCES_FIT = "NodeResourcesFit"
NODE_UNSCHEDULABLE = "NodeUnschedulable"
NODE_AFFINITY = "NodeAffinity"
TAINT_TOLERATION = "TaintToleration"
INTER_POD_AFFINITY = "InterPodAffinity"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"

ALL_PLUGINS = None  # a cluster event that may help any plugin (a node joined)


def _assigned(pod: Mapping | None) -> bool:
    return bool(pod) and bool((pod.get("spec") or {}).get("nodeName")) and not is_terminal(pod)


def _pod_signature(pod: Mapping) -> tuple:
    """What the cache keeps of a pod; a change in anything else is ignored."""
    md = pod.get("metadata") or {}
    return ((pod.get("spec") or {}).get("nodeName"), bool(md.get("deletionTimestamp")),
            md.get("labels") or {}, is_terminal(pod))


class SchedulerCache:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self.pod_nodes: dict[tuple[str, str], str] = {}
        # Assigned pods with required anti-affinity: every new pod is checked against them.
        self.anti_affinity_pods: dict[tuple[str, str], PodInfo] = {}

    # ---- reads -----------------------------------------------------------------

    def node_list(self) -> list[NodeInfo]:
        """Nodes that exist (a pod may name a node before the Node object arrives)."""
        return [ni for _, ni in sorted(self.nodes.items()) if ni.node is not None]

    def all_pods(self):
        for ni in self.nodes.values():
            yield from ni.pods.values()

    # ---- writes ----------------------------------------------------------------

    def _node_info(self, name: str) -> NodeInfo:
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo(name)
        return ni

    def add_pod(self, pod: dict) -> PodInfo:
        pi = PodInfo.of(pod)
        node = pod["spec"]["nodeName"]
        self._node_info(node).add_pod(pi)
        self.pod_nodes[pi.key] = node
        if pi.required_anti_affinity:
            self.anti_affinity_pods[pi.key] = pi
        return pi

    def remove_pod(self, key: tuple[str, str]) -> None:
        node = self.pod_nodes.pop(key, None)
        if node is None:
            return
        ni = self.nodes.get(node)
        if ni is not None:
            ni.remove_pod(key)
            if ni.node is None and not ni.pods:
                del self.nodes[node]
        self.anti_affinity_pods.pop(key, None)

    def set_node(self, node: dict) -> None:
        self._node_info(node["metadata"]["name"]).set_node(node)

    def remove_node(self, name: str) -> None:
        ni = self.nodes.get(name)
        if ni is None:
            return
        if ni.pods:
            ni.set_node(None)  # its pods stay accounted until they are deleted
        else:
            del self.nodes[name]

    # ---- events ----------------------------------------------------------------

    def apply(self, ev: WatchEvent) -> tuple[bool, set[str] | None]:
        """Fold one watch event in. Returns (may help pending pods, the plugins it may help;
        None = all)."""
        if ev.kind == "Node":
            return self._apply_node(ev)
        if ev.kind == "Pod":
            return self._apply_pod(ev)
        return False, set()

    def _apply_node(self, ev: WatchEvent) -> tuple[bool, set[str] | None]:
        name = ev.object["metadata"]["name"]
        if ev.type == DELETED:
            self.remove_node(name)
            return False, set()
        old = self.nodes.get(name)
        old_node = old.node if old is not None else None
        self.set_node(ev.object)
        if ev.type == ADDED or old_node is None:
            return True, ALL_PLUGINS
        new = self.nodes[name]
        plugins: set[str] = set()
        before = NodeInfo(name)
        before.set_node(old_node)
        if (new.allocatable.milli_cpu > before.allocatable.milli_cpu
                or new.allocatable.memory > before.allocatable.memory
                or new.allocatable.pods > before.allocatable.pods):
            plugins.add(NODE_RESOURCES_FIT)
        if new.labels != before.labels:
            plugins |= {NODE_AFFINITY, INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD, TAINT_TOLERATION}
        if new.taints != before.taints:
            plugins.add(TAINT_TOLERATION)
        if new.unschedulable != before.unschedulable:
            plugins.add(NODE_UNSCHEDULABLE)
        return bool(plugins), plugins

    def _apply_pod(self, ev: WatchEvent) -> tuple[bool, set[str] | None]:
        new = None if ev.type == DELETED else ev.object
        old = ev.old
        md = ev.object.get("metadata") or {}
        key = (md.get("namespace") or "default", md.get("name", ""))
        was, now = key in self.pod_nodes, _assigned(new)
        if was and now and old is not None and _pod_signature(old) == _pod_signature(new):
            return False, set()
        if not was and not now:
            return False, set()
        if was:
            self.remove_pod(key)
        if now:
            self.add_pod(new)
        if was and not now:
            # deleted, finished or unbound: its resources and its anti-affinity are free
            return True, {NODE_RESOURCES_FIT, INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD}
        # a pod arrived on a node, or its labels changed: pod affinity may now be satisfied
        return True, {INTER_POD_AFFINITY, POD_TOPOLOGY_SPREAD}
