"""The scheduler: filter plugins, then score plugins, then bind (kube-scheduler's
framework, pkg/scheduler/). `Scheduler(ctx)` is the component the cluster runs."""

from .schedule_one import DEFAULT_SCHEDULER, Scheduler

__all__ = ["DEFAULT_SCHEDULER", "Scheduler"]
