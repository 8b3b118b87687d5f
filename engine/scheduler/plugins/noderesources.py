"""NodeResourcesFit (filter, LeastAllocated score) and NodeResourcesBalancedAllocation.

pkg/scheduler/framework/plugins/noderesources/{fit.go, least_allocated.go,
balanced_allocation.go, resource_allocation.go}. Requests, not limits, count;
the node's pods' requests are kept summed in the cache. Since v1.34 (PR
#131345) a request larger than the node's whole allocatable is
UnschedulableAndUnresolvable: preemption could not help there.
"""

from __future__ import annotations

from ..framework import (
    MAX_NODE_SCORE,
    SKIPPED,
    CycleState,
    NodeInfo,
    PodInfo,
    Status,
    unschedulable,
)
from .base import Plugin


def _least_requested(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * MAX_NODE_SCORE // capacity


class Fit(Plugin):
    name = "NodeResourcesFit"
    weight = 1
    filters = True

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        alloc = node.allocatable
        reasons: list[str] = []
        unresolvable = False
        if len(node.pods) + 1 > alloc.pods:
            reasons.append("Too many pods")
        cpu, mem = pod.requests
        if cpu > 0 and cpu > alloc.milli_cpu - node.requested_cpu:
            reasons.append("Insufficient cpu")
            unresolvable |= cpu > alloc.milli_cpu
        if mem > 0 and mem > alloc.memory - node.requested_mem:
            reasons.append("Insufficient memory")
            unresolvable |= mem > alloc.memory
        if not reasons:
            return None
        return unschedulable(self.name, *reasons, unresolvable=unresolvable)

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        # LeastAllocated over cpu and memory (weight 1 each), with the non-zero defaults.
        alloc = node.allocatable
        cpu = _least_requested(node.non_zero_cpu + pod.non_zero[0], alloc.milli_cpu)
        mem = _least_requested(node.non_zero_mem + pod.non_zero[1], alloc.memory)
        return (cpu + mem) // 2


class BalancedAllocation(Plugin):
    name = "NodeResourcesBalancedAllocation"
    weight = 1

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        # A pod that requests nothing does not change any node's balance.
        return SKIPPED if pod.requests == (0, 0) else None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        alloc = node.allocatable
        fractions = []
        for requested, capacity in ((node.requested_cpu + pod.requests[0], alloc.milli_cpu),
                                    (node.requested_mem + pod.requests[1], alloc.memory)):
            if capacity > 0:
                fractions.append(min(requested / capacity, 1.0))
        if len(fractions) < 2:
            return MAX_NODE_SCORE
        std = abs(fractions[0] - fractions[1]) / 2
        return int((1 - std) * MAX_NODE_SCORE)
