"""TaintToleration: NoSchedule and NoExecute taints must be tolerated; nodes with
fewer untolerated PreferNoSchedule taints score higher.

pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go. The filter
message is the v1.33 wording `node(s) had untolerated taint {key: value}`
(v1.35 and v1.34.2+ print `node(s) had untolerated taint(s)`, PR #134740).
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
from ..helpers import (
    PREFER_NO_SCHEDULE,
    does_not_schedule,
    effective_tolerations,
    find_matching_untolerated_taint,
    tolerations_tolerate_taint,
)
from .base import Plugin


class TaintToleration(Plugin):
    name = "TaintToleration"
    weight = 3
    filters = True

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        # The pod as admitted: DefaultTolerationSeconds adds not-ready/unreachable NoExecute.
        state[self.name] = effective_tolerations(pod.pod.get("spec") or {},
                                                 self.handle.ctx.timing.toleration_seconds)
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.taints:
            return None
        taint = find_matching_untolerated_taint(node.taints, state[self.name], does_not_schedule)
        if taint is None:
            return None
        reason = f"node(s) had untolerated taint {{{taint.get('key', '')}: {taint.get('value') or ''}}}"
        return unschedulable(self.name, reason, unresolvable=True)

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        if not any(t.get("effect") == PREFER_NO_SCHEDULE for n in nodes for t in n.taints):
            return SKIPPED
        tolerations = (pod.pod.get("spec") or {}).get("tolerations") or []
        # getAllTolerationPreferNoSchedule: an empty effect tolerates PreferNoSchedule too
        state[self.name + "/score"] = [t for t in tolerations
                                       if t.get("effect") in (None, "", PREFER_NO_SCHEDULE)]
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        tolerations = state[self.name + "/score"]
        return sum(1 for t in node.taints if t.get("effect") == PREFER_NO_SCHEDULE
                   and not tolerations_tolerate_taint(tolerations, t))

    def normalize(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        default_normalize_score(scores, reverse=True)
