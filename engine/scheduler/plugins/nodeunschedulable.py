"""NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods,
unless the pod tolerates node.kubernetes.io/unschedulable:NoSchedule.

pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go
"""

from __future__ import annotations

from ..framework import CycleState, NodeInfo, PodInfo, Status, unschedulable
from ..helpers import NO_SCHEDULE, TAINT_NODE_UNSCHEDULABLE, tolerations_tolerate_taint
from .base import Plugin

ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable"
_TAINT = {"key": TAINT_NODE_UNSCHEDULABLE, "effect": NO_SCHEDULE}


class NodeUnschedulable(Plugin):
    name = "NodeUnschedulable"
    filters = True

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        tolerations = (pod.pod.get("spec") or {}).get("tolerations") or []
        state[self.name] = tolerations_tolerate_taint(tolerations, _TAINT)
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        if not node.unschedulable or state[self.name]:
            return None
        return unschedulable(self.name, ERR_REASON_UNSCHEDULABLE, unresolvable=True)
