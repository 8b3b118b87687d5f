"""Timings of the control plane. Kubernetes' defaults; the game may scale them down."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Timing:
    # kubelet restart back-off (pkg/kubelet/kubelet.go: MaxContainerBackOff, backOffPeriod)
    backoff_initial: float = 10.0
    backoff_max: float = 300.0
    backoff_reset: float = 600.0  # a container that ran this long resets its back-off
    # image pull back-off follows the same doubling
    image_backoff_initial: float = 10.0
    image_backoff_max: float = 300.0
    # node status (kubelet nodeStatusUpdateFrequency; node lifecycle grace period, 50 s since 1.32)
    node_status_update: float = 10.0
    node_monitor_grace: float = 50.0
    node_monitor_period: float = 5.0
    # NoExecute toleration for not-ready/unreachable nodes (DefaultTolerationSeconds admission)
    toleration_seconds: float = 300.0
    # how long a scheduling-failed pod waits before a retry without cluster changes
    unschedulable_retry: float = 60.0
    # the time each fake "image pull" and container start takes on the sim runtime
    sim_pull_seconds: float = 0.0

    def scaled(self, factor: float) -> "Timing":
        """Every duration multiplied by `factor` (the game plays at a faster pace)."""
        return replace(
            self,
            **{f: getattr(self, f) * factor for f in self.__dataclass_fields__},
        )


DEFAULT_TIMING = Timing()
