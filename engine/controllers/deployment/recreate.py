"""The Recreate strategy: kubernetes/kubernetes pkg/controller/deployment/recreate.go.

Scale every old ReplicaSet to 0; wait until no old pod is left (terminating
pods count: `oldPodsRunning` only skips Succeeded and Failed ones); only then
create the new ReplicaSet and scale it to `replicas`. Old and new pods never
run side by side.
"""

from __future__ import annotations

from ..podutil import filter_active_replica_sets, replicas_of
from . import conditions, util


class RecreateMixin:
    def rollout_recreate(
        self, d: dict, rs_list: list[dict], pod_map: dict[str, list[dict]]
    ) -> None:
        # Do not create the new set yet, so that nothing scales up before the old pods are gone.
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        all_rss = old_rss + [new_rs]
        if self.scale_down_old_replica_sets_for_recreate(filter_active_replica_sets(old_rss), d):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if old_pods_running(new_rs, old_rss, pod_map):
            self.sync_rollout_status(all_rss, new_rs, d)
            return
        if new_rs is None:
            new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(d, rs_list, True)
            if new_rs is None:
                return
            all_rss = old_rss + [new_rs]
        self.scale_replica_set_and_record_event(
            new_rs, replicas_of(d), d
        )  # scaleUpNewReplicaSetForRecreate
        if conditions.deployment_complete(d, d.get("status") or {}):
            self.cleanup_deployment(old_rss, d)
        self.sync_rollout_status(all_rss, new_rs, d)

    def scale_down_old_replica_sets_for_recreate(self, old_rss: list[dict], d: dict) -> bool:
        scaled = False
        for rs in old_rss:
            if replicas_of(rs) == 0:
                continue
            did, _ = self.scale_replica_set_and_record_event(rs, 0, d)
            scaled = scaled or did
        return scaled


def old_pods_running(
    new_rs: dict | None, old_rss: list[dict], pod_map: dict[str, list[dict]]
) -> bool:
    """Does an old set still report replicas, or is any old pod not yet finished?"""
    if util.actual_replica_count(old_rss) > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    for rs_uid, pods in pod_map.items():
        if rs_uid == new_uid:
            continue
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Failed", "Succeeded"):
                return True  # Pending, Running, Unknown — or terminating: still there
    return False
