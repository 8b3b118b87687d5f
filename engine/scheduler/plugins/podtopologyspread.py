"""PodTopologySpread with the system default constraints: pods of one controller
spread over nodes (maxSkew 3 on kubernetes.io/hostname, ScheduleAnyway), the
successor of SelectorSpread.

pkg/scheduler/framework/plugins/podtopologyspread/scoring.go. Kubernetes
counts the pods that the Services and controllers selecting the pod also
select; the cache counts pods per controller (ownerReference) per node, which
is the same set for a ReplicaSet's or StatefulSet's pods and costs O(1) a node.
The zone constraint (maxSkew 5) is left out: KubeQuest nodes carry no zone label.
"""

from __future__ import annotations

import math

from ..framework import MAX_NODE_SCORE, SKIPPED, CycleState, NodeInfo, PodInfo, Status, go_round
from .base import Plugin

DEFAULT_HOSTNAME_MAX_SKEW = 3


class PodTopologySpread(Plugin):
    name = "PodTopologySpread"
    weight = 2

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        if pod.controller is None or len(nodes) < 2:
            return SKIPPED
        # topologyNormalizingWeight: log(number of domains + 2)
        state[self.name] = math.log(len(nodes) + 2)
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        count = node.controller_counts.get(pod.controller, 0)  # type: ignore[arg-type]
        return go_round(count * state[self.name] + (DEFAULT_HOSTNAME_MAX_SKEW - 1))

    def normalize(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        if not scores:
            return
        hi, lo = max(scores.values()), min(scores.values())
        for name, s in scores.items():
            scores[name] = MAX_NODE_SCORE if hi == 0 else MAX_NODE_SCORE * (hi + lo - s) // hi
