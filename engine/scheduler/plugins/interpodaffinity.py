"""InterPodAffinity (filter): required pod affinity and anti-affinity, and the
anti-affinity of the pods already running, over any topologyKey.

pkg/scheduler/framework/plugins/interpodaffinity/filtering.go. Preferred
(weighted) terms are not scored.
"""

from __future__ import annotations

from collections import Counter

from ..framework import SKIPPED, CycleState, NodeInfo, PodInfo, Status, unschedulable
from .base import Plugin

ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules"
ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules"
ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules"

Pair = tuple[str, str]  # (topology key, value)


class _State:
    def __init__(self) -> None:
        self.existing_anti: Counter[Pair] = Counter()
        self.affinity: Counter[Pair] = Counter()
        self.anti: Counter[Pair] = Counter()
        self.matches_own_terms = False


class InterPodAffinity(Plugin):
    name = "InterPodAffinity"
    filters = True

    def _ns_labels(self, namespace: str) -> dict:
        ns = self.handle.store.try_get("Namespace", namespace, copy=False)
        return ((ns or {}).get("metadata") or {}).get("labels") or {}

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        cache = self.handle.cache
        s = _State()
        # Existing pods whose required anti-affinity matches the incoming pod.
        for existing in cache.anti_affinity_pods.values():
            if existing.key == pod.key:
                continue
            node = cache.nodes.get(cache.pod_nodes.get(existing.key, ""))
            if node is None:
                continue
            for term in existing.required_anti_affinity:
                value = node.labels.get(term.topology_key)
                if value is not None and term.matches(pod, self._ns_labels):
                    s.existing_anti[(term.topology_key, value)] += 1
        if not s.existing_anti and not pod.required_affinity and not pod.required_anti_affinity:
            return SKIPPED
        if pod.required_affinity or pod.required_anti_affinity:
            # Only pods that carry terms pay for a pass over the running pods.
            for ni in cache.nodes.values():
                for existing in ni.pods.values():
                    if existing.key == pod.key:
                        continue
                    if pod.required_affinity and all(t.matches(existing, self._ns_labels)
                                                     for t in pod.required_affinity):
                        for t in pod.required_affinity:
                            if t.topology_key in ni.labels:
                                s.affinity[(t.topology_key, ni.labels[t.topology_key])] += 1
                    for t in pod.required_anti_affinity:
                        if t.topology_key in ni.labels and t.matches(existing, self._ns_labels):
                            s.anti[(t.topology_key, ni.labels[t.topology_key])] += 1
            s.matches_own_terms = all(t.matches(pod, self._ns_labels) for t in pod.required_affinity)
        state[self.name] = s
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        s: _State = state[self.name]
        labels = node.labels
        if pod.required_affinity:
            pods_exist = True
            for t in pod.required_affinity:
                if t.topology_key not in labels:
                    return unschedulable(self.name, ERR_REASON_AFFINITY, unresolvable=True)
                if s.affinity[(t.topology_key, labels[t.topology_key])] <= 0:
                    pods_exist = False
            # The first pod of a group that has affinity to itself may go anywhere.
            if not pods_exist and not (not s.affinity and s.matches_own_terms):
                return unschedulable(self.name, ERR_REASON_AFFINITY, unresolvable=True)
        for t in pod.required_anti_affinity:
            value = labels.get(t.topology_key)
            if value is not None and s.anti[(t.topology_key, value)] > 0:
                return unschedulable(self.name, ERR_REASON_ANTI_AFFINITY)
        for (key, value), n in s.existing_anti.items():
            if n > 0 and labels.get(key) == value:
                return unschedulable(self.name, ERR_REASON_EXISTING_ANTI_AFFINITY)
        return None
