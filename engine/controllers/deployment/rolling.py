"""The RollingUpdate strategy: kubernetes/kubernetes pkg/controller/deployment/rolling.go.

One sync takes one step: scale the new ReplicaSet up as far as maxSurge allows
(`reconcileNewReplicaSet`); if nothing could grow, scale old ReplicaSets down
as far as maxUnavailable allows (`reconcileOldReplicaSets`) — first the old
sets' unhealthy replicas (`cleanupUnhealthyReplicas`), then old sets oldest
first (`scaleDownOldReplicaSetsForRollingUpdate`). The ReplicaSet status
changes that follow (pods created, ready, gone) wake the Deployment for the
next step.
"""

from __future__ import annotations

from ..podutil import creation_key, filter_active_replica_sets, replicas_of
from . import conditions, util


class InvalidScale(Exception):
    """A computed scale-down that would grow a set (from stale status)."""


class RollingMixin:
    def rollout_rolling(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(d, rs_list, True)
        if new_rs is None:
            return  # creation failed or collided: the status write requeues us
        all_rss = old_rss + [new_rs]
        if self.reconcile_new_replica_set(all_rss, new_rs, d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if self.reconcile_old_replica_sets(all_rss, filter_active_replica_sets(old_rss), new_rs, d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if conditions.deployment_complete(d, d.get("status") or {}):
            self.cleanup_deployment(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def reconcile_new_replica_set(self, all_rss: list[dict], new_rs: dict, d: dict) -> bool:
        replicas = replicas_of(d)
        if replicas_of(new_rs) == replicas:
            return False
        if replicas_of(new_rs) > replicas:
            scaled, _ = self.scale_replica_set_and_record_event(new_rs, replicas, d)
            return scaled
        scaled, _ = self.scale_replica_set_and_record_event(
            new_rs, util.new_rs_new_replicas(d, all_rss, new_rs), d
        )
        return scaled

    def reconcile_old_replica_sets(
        self, all_rss: list[dict], old_rss: list[dict], new_rs: dict, d: dict
    ) -> bool:
        if util.replica_count(old_rss) == 0:
            return False  # nothing left to scale down
        all_pods = util.replica_count(all_rss)
        min_available = replicas_of(d) - util.max_unavailable(d)
        new_unavailable = replicas_of(new_rs) - int(
            (new_rs.get("status") or {}).get("availableReplicas") or 0
        )
        # Count the new set's unavailable pods too, so a broken new template never lets
        # the old sets shrink further (rolling.go's "Concrete example").
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        try:
            old_rss, cleaned = self.cleanup_unhealthy_replicas(old_rss, d, max_scaled_down)
        except InvalidScale:
            return False  # Kubernetes drops the error here and waits for fresher status
        scaled_down = self.scale_down_old_replica_sets_for_rolling_update(
            old_rss + [new_rs], old_rss, d
        )
        return cleaned + scaled_down > 0

    def cleanup_unhealthy_replicas(
        self, old_rss: list[dict], d: dict, max_cleanup: int
    ) -> tuple[list[dict], int]:
        """Scale old sets down by their unavailable replicas, oldest first: the ReplicaSet
        deletes its not-ready pods first, so availability does not drop."""
        old_rss = sorted(old_rss, key=creation_key)
        total = 0
        for i, rs in enumerate(old_rss):
            if total >= max_cleanup:
                break
            available = int((rs.get("status") or {}).get("availableReplicas") or 0)
            if replicas_of(rs) == 0 or replicas_of(rs) == available:
                continue
            count = min(max_cleanup - total, replicas_of(rs) - available)
            if count < 0:
                # Stale status.availableReplicas (the set was just scaled down): never scale up.
                raise InvalidScale(
                    f"when cleaning up unhealthy replicas, got invalid request to scale down "
                    f"{rs['metadata']['namespace']}/{rs['metadata']['name']} "
                    f"{replicas_of(rs)} -> {replicas_of(rs) - count}"
                )
            _, old_rss[i] = self.scale_replica_set_and_record_event(rs, replicas_of(rs) - count, d)
            total += count
        return old_rss, total

    def scale_down_old_replica_sets_for_rolling_update(
        self, all_rss: list[dict], old_rss: list[dict], d: dict
    ) -> int:
        min_available = replicas_of(d) - util.max_unavailable(d)
        available = util.available_replica_count(all_rss)
        if available <= min_available:
            return 0
        to_scale_down = available - min_available
        total = 0
        for rs in sorted(old_rss, key=creation_key):
            if total >= to_scale_down:
                break
            if replicas_of(rs) == 0:
                continue
            count = min(replicas_of(rs), to_scale_down - total)
            self.scale_replica_set_and_record_event(rs, replicas_of(rs) - count, d)
            total += count
        return total
