"""Deployment conditions and progress checks, from kubernetes/kubernetes
pkg/controller/deployment/util/deployment_util.go (`NewDeploymentCondition`,
`SetDeploymentCondition`, `RemoveDeploymentCondition`, `HasProgressDeadline`,
`DeploymentComplete`, `DeploymentProgressing`, `DeploymentTimedOut`).
"""

from __future__ import annotations

from ..podutil import replicas_of, timestamp
from .util import MAX_INT32, NEW_RS_AVAILABLE, TIMED_OUT


def new_condition(type_: str, status: str, reason: str, message: str, now_ts: str) -> dict:
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": now_ts,
        "lastTransitionTime": now_ts,
        "reason": reason,
        "message": message,
    }


def get_condition(status: dict, type_: str) -> dict | None:
    for c in status.get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def set_condition(status: dict, cond: dict) -> None:
    """SetDeploymentCondition: same status and reason → no change; same status keeps
    lastTransitionTime; the condition moves to the end of the list."""
    current = get_condition(status, cond["type"])
    if (
        current is not None
        and current.get("status") == cond["status"]
        and current.get("reason") == cond["reason"]
    ):
        return
    if current is not None and current.get("status") == cond["status"]:
        cond = {**cond, "lastTransitionTime": current.get("lastTransitionTime")}
    status["conditions"] = [
        c for c in status.get("conditions") or [] if c.get("type") != cond["type"]
    ] + [cond]


def remove_condition(status: dict, type_: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or [] if c.get("type") != type_]


# ---- progress ---------------------------------------------------------------------


def has_progress_deadline(d: dict) -> bool:
    v = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return v is not None and v != MAX_INT32


def deployment_complete(d: dict, status: dict) -> bool:
    replicas = replicas_of(d)
    return (
        int(status.get("updatedReplicas") or 0) == replicas
        and int(status.get("replicas") or 0) == replicas
        and int(status.get("availableReplicas") or 0) == replicas
        and int(status.get("observedGeneration") or 0) >= int(d["metadata"].get("generation") or 0)
    )


def deployment_progressing(d: dict, new: dict) -> bool:
    old = d.get("status") or {}

    def g(s: dict, f: str) -> int:
        return int(s.get(f) or 0)

    return (
        g(new, "updatedReplicas") > g(old, "updatedReplicas")
        or g(new, "replicas") - g(new, "updatedReplicas")
        < g(old, "replicas") - g(old, "updatedReplicas")
        or g(new, "readyReplicas") > g(old, "readyReplicas")
        or g(new, "availableReplicas") > g(old, "availableReplicas")
    )


def deployment_timed_out(d: dict, new: dict, now: float) -> bool:
    if not has_progress_deadline(d):
        return False
    cond = get_condition(new, "Progressing")
    if cond is None or cond.get("reason") == NEW_RS_AVAILABLE:
        return False
    if cond.get("reason") == TIMED_OUT:
        return True
    since = timestamp(cond.get("lastUpdateTime"))
    if since is None:
        return False
    return since + int(d["spec"]["progressDeadlineSeconds"]) < now
