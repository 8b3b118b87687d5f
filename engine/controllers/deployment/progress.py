"""The Progressing condition and the progress deadline: kubernetes/kubernetes
pkg/controller/deployment/progress.go (`syncRolloutStatus`, `getReplicaFailures`,
`requeueStuckDeployment`).

While a rollout moves (new pods created, ready or available, old ones gone),
Progressing is True with reason ReplicaSetUpdated and a fresh lastUpdateTime;
once complete, NewReplicaSetAvailable. If nothing moves for
progressDeadlineSeconds after the last update, Progressing turns False with
ProgressDeadlineExceeded. A stuck deployment produces no events to wake it, so
it is requeued for the second its deadline passes.
"""

from __future__ import annotations

from ..podutil import timestamp
from . import conditions, util


class ProgressMixin:
    def sync_rollout_status(self, all_rss: list[dict | None], new_rs: dict | None, d: dict) -> None:
        new_status = self.calculate_status(all_rss, new_rs, d)
        if not conditions.has_progress_deadline(d):
            conditions.remove_condition(new_status, "Progressing")
        current = conditions.get_condition(d.get("status") or {}, "Progressing")
        # Only one active set and already complete: a resync, nothing to estimate.
        is_complete = (
            new_status["replicas"] == new_status["updatedReplicas"]
            and current is not None
            and current.get("reason") == util.NEW_RS_AVAILABLE
        )
        subject = (
            f'ReplicaSet "{new_rs["metadata"]["name"]}"'
            if new_rs is not None
            else f'Deployment "{d["metadata"]["name"]}"'
        )
        now_ts = self.store.now()
        if conditions.has_progress_deadline(d) and not is_complete:
            if conditions.deployment_complete(d, new_status):
                conditions.set_condition(
                    new_status,
                    conditions.new_condition(
                        "Progressing",
                        "True",
                        util.NEW_RS_AVAILABLE,
                        f"{subject} has successfully progressed.",
                        now_ts,
                    ),
                )
            elif conditions.deployment_progressing(d, new_status):
                cond = conditions.new_condition(
                    "Progressing",
                    "True",
                    util.REPLICA_SET_UPDATED,
                    f"{subject} is progressing.",
                    now_ts,
                )
                # Same reason, new lastUpdateTime: SetDeploymentCondition would skip it.
                if current is not None:
                    if current.get("status") == "True":
                        cond["lastTransitionTime"] = current.get("lastTransitionTime")
                    conditions.remove_condition(new_status, "Progressing")
                conditions.set_condition(new_status, cond)
            elif conditions.deployment_timed_out(d, new_status, self.ctx.clock.now()):
                conditions.set_condition(
                    new_status,
                    conditions.new_condition(
                        "Progressing",
                        "False",
                        util.TIMED_OUT,
                        f"{subject} has timed out progressing.",
                        now_ts,
                    ),
                )
        failures = self.get_replica_failures(all_rss, new_rs)
        if failures:
            conditions.set_condition(new_status, failures[0])
        else:
            conditions.remove_condition(new_status, "ReplicaFailure")
        if (d.get("status") or {}) == new_status:
            self.requeue_stuck_deployment(d, new_status)
            return
        d["status"] = new_status
        self.update_deployment_status(d)

    def get_replica_failures(self, all_rss: list[dict | None], new_rs: dict | None) -> list[dict]:
        """The new set's ReplicaFailure conditions, else any set's, as Deployment conditions."""

        def failures(rs: dict) -> list[dict]:
            return [
                {
                    "type": c.get("type"),
                    "status": c.get("status"),
                    "lastUpdateTime": c.get("lastTransitionTime"),
                    "lastTransitionTime": c.get("lastTransitionTime"),
                    "reason": c.get("reason"),
                    "message": c.get("message"),
                }
                for c in (rs.get("status") or {}).get("conditions") or []
                if c.get("type") == "ReplicaFailure"
            ]

        if new_rs is not None and (found := failures(new_rs)):
            return found
        return [c for rs in all_rss if rs is not None for c in failures(rs)]

    def requeue_stuck_deployment(self, d: dict, new_status: dict) -> float:
        """Sync again when the progress deadline passes. Returns the wait (0: now, -1: never)."""
        current = conditions.get_condition(d.get("status") or {}, "Progressing")
        if not conditions.has_progress_deadline(d) or current is None:
            return -1.0
        if conditions.deployment_complete(d, new_status) or current.get("reason") == util.TIMED_OUT:
            return -1.0
        since = timestamp(current.get("lastUpdateTime"))
        if since is None:
            return -1.0
        key = (d["metadata"]["namespace"], d["metadata"]["name"])
        after = since + int(d["spec"]["progressDeadlineSeconds"]) - self.ctx.clock.now()
        if after < 1.0:
            # Kubernetes' rate-limited requeue; a second is enough for the deadline to pass.
            self.enqueue_after(key, 1.0)
            return 0.0
        self.enqueue_after(key, after + 1.0)  # one more second against sub-second skew
        return after
