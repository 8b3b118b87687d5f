"""The plugin shape: the extension points of pkg/scheduler/framework/interface.go
that KubeQuest uses (PreFilter, Filter, PreScore, Score, NormalizeScore)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..framework import CycleState, NodeInfo, PodInfo, Status

if TYPE_CHECKING:
    from ..schedule_one import Scheduler


class Plugin:
    name = "Plugin"
    weight = 0  # score weight; 0: not a score plugin
    filters = False  # has a Filter extension point

    def __init__(self, handle: Scheduler):
        self.handle = handle

    def pre_filter(self, state: CycleState, pod: PodInfo) -> Status | None:
        """Compute per-cycle data; SKIPPED means Filter has nothing to check for this pod."""
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return None

    def pre_score(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        """SKIPPED means every node would score the same."""
        return None

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        return 0

    def normalize(self, state: CycleState, pod: PodInfo, scores: dict[str, int]) -> None:
        """Scale raw scores to 0..MAX_NODE_SCORE in place (ScoreExtensions)."""
