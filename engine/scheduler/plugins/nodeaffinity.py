"""NodeAffinity: spec.nodeSelector and requiredDuringSchedulingIgnoredDuringExecution
must match the node's labels; preferred terms add their weights to the score.

pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go and
k8s.io/component-helpers/scheduling/corev1/nodeaffinity.
"""

from __future__ import annotations

from ..framework import (
    SKIPPED,
    CycleState,
    NodeInfo,
    PodInfo,
    Status,
    default_normalize_score,
    unschedulable,
)
from ..helpers import node_selector_matches, node_selector_term_matches
from .base import Plugin

ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector"


def _node_affinity(pod: PodInfo) -> dict:
    return ((pod.pod.get("spec") or {}).get("affinity") or {}).get("nodeAffinity") or {}


class NodeAffinity(Plugin):
    name = "NodeAffinity"
    weight = 2
    filters = True

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        selector = (pod.pod.get("spec") or {}).get("nodeSelector") or {}
        required = _node_affinity(pod).get("requiredDuringSchedulingIgnoredDuringExecution")
        if not selector and required is None:
            return SKIPPED
        terms = None if required is None else (required.get("nodeSelectorTerms") or [])
        state[self.name] = ({str(k): str(v) for k, v in selector.items()}, terms)
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        selector, terms = state[self.name]
        labels = node.labels
        ok = all(labels.get(k) == v for k, v in selector.items())
        if ok and terms is not None:
            ok = node_selector_matches(terms, labels, node.name)
        return None if ok else unschedulable(self.name, ERR_REASON_POD, unresolvable=True)

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        preferred = _node_affinity(pod).get("preferredDuringSchedulingIgnoredDuringExecution") or []
        if not preferred:
            return SKIPPED
        state[self.name + "/score"] = preferred
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        total = 0
        for term in state[self.name + "/score"]:
            weight = int(term.get("weight") or 0)
            if weight and node_selector_term_matches(term.get("preference") or {}, node.labels, node.name):
                total += weight
        return total

    def normalize(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        default_normalize_score(scores, reverse=False)
