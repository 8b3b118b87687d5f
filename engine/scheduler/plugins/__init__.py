"""The default plugins, in the order kube-scheduler's default profile runs them
(pkg/scheduler/apis/config/v1/default_plugins.go), with their score weights."""

from __future__ import annotations

from .base import Plugin
from .interpodaffinity import InterPodAffinity
from .nodeaffinity import NodeAffinity
from .noderesources import BalancedAllocation, Fit
from .nodeunschedulable import NodeUnschedulable
from .podtopologyspread import PodTopologySpread
from .tainttoleration import TaintToleration


def default_plugins(handle) -> list[Plugin]:
    """Filter order: NodeUnschedulable, TaintToleration, NodeAffinity, NodeResourcesFit,
    PodTopologySpread, InterPodAffinity (the first failing filter names a node's reason).
    Score weights: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
    NodeResourcesFit 1, NodeResourcesBalancedAllocation 1."""
    return [
        NodeUnschedulable(handle),
        TaintToleration(handle),
        NodeAffinity(handle),
        Fit(handle),
        PodTopologySpread(handle),
        InterPodAffinity(handle),
        BalancedAllocation(handle),
    ]


__all__ = ["Plugin", "default_plugins"]
