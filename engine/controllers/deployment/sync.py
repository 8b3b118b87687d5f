"""Scaling, revisions, history cleanup and status: kubernetes/kubernetes
pkg/controller/deployment/sync.go (`sync`, `syncStatusOnly`,
`checkPausedConditions`, `getAllReplicaSetsAndSyncRevision`, `getNewReplicaSet`,
`scale`, `scaleReplicaSet`, `cleanupDeployment`, `syncDeploymentStatus`,
`calculateStatus`, `isScalingEvent`).

Event wording is Kubernetes 1.33's: "Scaled up replica set web-6d4cf56db6 from
0 to 3", "Scaled down replica set web-6d4cf56db6 from 3 to 2".
"""

from __future__ import annotations

from ...api.errors import AlreadyExists, APIStatusError, Forbidden
from ...api.objects import clone, controller_of, owner_reference
from ..podutil import creation_key, filter_active_replica_sets, replicas_of
from . import conditions, template_hash, util


class SyncMixin:
    """Methods of DeploymentController, split by file as in Kubernetes."""

    # ---- sync / syncStatusOnly ----------------------------------------------------

    def sync_status_only(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def sync_scaling(self, d: dict, rs_list: list[dict]) -> None:
        """sync.go `sync` (renamed: `sync(key)` is every controller's entry point here):
        scaling events and paused deployments — scale proportionally, no rollout."""
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        self.scale(d, new_rs, old_rss)
        if d["spec"].get("paused") and self.get_rollback_to(d) is None:
            self.cleanup_deployment(old_rss, d)
        self.sync_deployment_status(old_rss + [new_rs], new_rs, d)

    def check_paused_conditions(self, d: dict) -> None:
        if not conditions.has_progress_deadline(d):
            return
        status = d.setdefault("status", {})
        cond = conditions.get_condition(status, "Progressing")
        if cond is not None and cond.get("reason") == util.TIMED_OUT:
            return  # a reported lack of progress is not overwritten by "paused"
        paused_cond = cond is not None and cond.get("reason") == util.PAUSED
        paused = bool(d["spec"].get("paused"))
        if paused and not paused_cond:
            conditions.set_condition(
                status,
                conditions.new_condition(
                    "Progressing", "Unknown", util.PAUSED, "Deployment is paused", self.store.now()
                ),
            )
        elif not paused and paused_cond:
            conditions.set_condition(
                status,
                conditions.new_condition(
                    "Progressing",
                    "Unknown",
                    util.RESUMED,
                    "Deployment is resumed",
                    self.store.now(),
                ),
            )
        else:
            return
        self.update_deployment_status(d)

    # ---- the new and old ReplicaSets ------------------------------------------------

    def get_all_replica_sets_and_sync_revision(
        self, d: dict, rs_list: list[dict], create: bool
    ) -> tuple[dict | None, list[dict]]:
        existing_new = util.find_new_replica_set(d, rs_list)
        _, all_old = util.find_old_replica_sets(d, rs_list, existing_new)
        new_rs = self.get_new_replica_set(d, rs_list, all_old, create)
        return new_rs, all_old

    def get_new_replica_set(
        self, d: dict, rs_list: list[dict], old_rss: list[dict], create: bool
    ) -> dict | None:
        existing = util.find_new_replica_set(d, rs_list)
        new_revision = str(util.max_revision(old_rss) + 1)
        status = d.setdefault("status", {})
        if existing is not None:
            rs = clone(existing)
            changed = util.set_new_replica_set_annotations(d, rs, new_revision, True)
            min_ready = d["spec"].get("minReadySeconds") or 0
            if changed or (rs["spec"].get("minReadySeconds") or 0) != min_ready:
                rs["spec"]["minReadySeconds"] = min_ready
                return self.update_replica_set(rs)
            needs_update = util.set_deployment_revision(
                d, util.annotations(rs).get(util.REVISION, "")
            )
            if (
                conditions.has_progress_deadline(d)
                and conditions.get_condition(status, "Progressing") is None
            ):
                conditions.set_condition(
                    status,
                    conditions.new_condition(
                        "Progressing",
                        "True",
                        util.FOUND_NEW_RS,
                        f'Found new replica set "{rs["metadata"]["name"]}"',
                        self.store.now(),
                    ),
                )
                needs_update = True
            if needs_update:
                self.update_deployment_status(d)
            return rs
        if not create:
            return None

        template = clone(d["spec"]["template"])
        collision_count = status.get("collisionCount")
        pod_hash = template_hash.compute_hash(template, collision_count)
        template.setdefault("metadata", {})["labels"] = {
            **(template["metadata"].get("labels") or {}),
            util.POD_TEMPLATE_HASH: pod_hash,
        }
        selector = clone(d["spec"].get("selector") or {})
        selector["matchLabels"] = {
            **(selector.get("matchLabels") or {}),
            util.POD_TEMPLATE_HASH: pod_hash,
        }
        new_rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{d['metadata']['name']}-{pod_hash}",
                "namespace": d["metadata"]["namespace"],
                "ownerReferences": [owner_reference(d)],
                "labels": dict(template["metadata"]["labels"]),
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": d["spec"].get("minReadySeconds") or 0,
                "selector": selector,
                "template": template,
            },
        }
        new_replicas = util.new_rs_new_replicas(d, old_rss + [new_rs], new_rs)
        new_rs["spec"]["replicas"] = new_replicas
        util.set_new_replica_set_annotations(d, new_rs, new_revision, False)
        already_exists = False
        try:
            created = self.store.create(new_rs)
        except AlreadyExists:
            already_exists = True
            found = self.store.try_get(
                "ReplicaSet", new_rs["metadata"]["name"], d["metadata"]["namespace"]
            )
            ref = controller_of(found) if found is not None else None
            if (
                found is None
                or ref is None
                or ref.get("uid") != d["metadata"]["uid"]
                or not util.equal_ignore_hash(d["spec"]["template"], found["spec"].get("template"))
            ):
                # A hash collision: bump collisionCount; the status write requeues us.
                status["collisionCount"] = int(collision_count or 0) + 1
                self.update_deployment_status(d)
                return None
            created = found
        except Forbidden as exc:
            if "being terminated" in str(exc):
                return None
            self._failed_rs_create(d, new_rs, exc)
            raise  # retried with back-off, as getNewReplicaSet returns the error
        except APIStatusError as exc:
            self._failed_rs_create(d, new_rs, exc)
            raise  # retried with back-off, as getNewReplicaSet returns the error
        if not already_exists and new_replicas > 0:
            self.recorder.normal(
                d,
                "ScalingReplicaSet",
                f"Scaled up replica set {created['metadata']['name']} from 0 to {new_replicas}",
            )
        needs_update = util.set_deployment_revision(d, new_revision)
        if not already_exists and conditions.has_progress_deadline(d):
            conditions.set_condition(
                status,
                conditions.new_condition(
                    "Progressing",
                    "True",
                    util.NEW_REPLICA_SET,
                    f'Created new replica set "{created["metadata"]["name"]}"',
                    self.store.now(),
                ),
            )
            needs_update = True
        if needs_update:
            self.update_deployment_status(d)
        return created

    def _failed_rs_create(self, d: dict, new_rs: dict, exc: Exception) -> None:
        msg = f'Failed to create new replica set "{new_rs["metadata"]["name"]}": {exc}'
        if conditions.has_progress_deadline(d):
            conditions.set_condition(
                d.setdefault("status", {}),
                conditions.new_condition(
                    "Progressing", "False", util.FAILED_RS_CREATE, msg, self.store.now()
                ),
            )
            self.update_deployment_status(d)
        self.recorder.warning(d, util.FAILED_RS_CREATE, msg)

    # ---- scale (proportional scaling) ---------------------------------------------------

    def scale(self, d: dict, new_rs: dict | None, old_rss: list[dict]) -> None:
        replicas = replicas_of(d)
        active_or_latest = util.find_active_or_latest(new_rs, old_rss)
        if active_or_latest is not None:
            if replicas_of(active_or_latest) != replicas:
                self.scale_replica_set_and_record_event(active_or_latest, replicas, d)
            return
        if util.is_saturated(d, new_rs):
            for old in filter_active_replica_sets(old_rss):
                self.scale_replica_set_and_record_event(old, 0, d)
            return
        if not util.is_rolling_update(d):
            return
        all_rss = filter_active_replica_sets(old_rss + [new_rs])
        allowed = replicas + util.max_surge(d) if replicas > 0 else 0
        to_add = allowed - util.replica_count(all_rss)
        if to_add > 0:  # ReplicaSetsBySizeNewer: larger first, then newer
            all_rss.sort(key=creation_key, reverse=True)
            all_rss.sort(key=replicas_of, reverse=True)
        elif to_add < 0:  # ReplicaSetsBySizeOlder: larger first, then older
            all_rss.sort(key=creation_key)
            all_rss.sort(key=replicas_of, reverse=True)
        added = 0
        sizes: dict[str, int] = {}
        for rs in all_rss:
            if to_add != 0:
                proportion = util.get_proportion(rs, d, to_add, added)
                sizes[rs["metadata"]["name"]] = replicas_of(rs) + proportion
                added += proportion
            else:
                sizes[rs["metadata"]["name"]] = replicas_of(rs)
        for i, rs in enumerate(all_rss):
            name = rs["metadata"]["name"]
            if i == 0 and to_add != 0:  # leftovers go to the largest set
                sizes[name] = max(sizes[name] + to_add - added, 0)
            self.scale_replica_set(rs, sizes[name], d)

    def scale_replica_set_and_record_event(
        self, rs: dict, new_scale: int, d: dict
    ) -> tuple[bool, dict]:
        if replicas_of(rs) == new_scale:
            return False, rs
        return self.scale_replica_set(rs, new_scale, d)

    def scale_replica_set(self, rs: dict, new_scale: int, d: dict) -> tuple[bool, dict]:
        """Set spec.replicas and the desired/max-replicas annotations; event ScalingReplicaSet."""
        size_changed = replicas_of(rs) != new_scale
        desired, max_replicas = replicas_of(d), replicas_of(d) + util.max_surge(d)
        if not size_changed and not util.replicas_annotations_need_update(
            rs, desired, max_replicas
        ):
            return False, rs
        old_scale = replicas_of(rs)
        copy = clone(rs)
        copy["spec"]["replicas"] = new_scale
        util.set_replicas_annotations(copy, desired, max_replicas)
        updated = self.update_replica_set(copy)
        if size_changed:
            direction = "up" if old_scale < new_scale else "down"
            self.recorder.normal(
                d,
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} "
                f"from {old_scale} to {new_scale}",
            )
        return size_changed, updated

    # ---- cleanupDeployment ----------------------------------------------------------------

    def cleanup_deployment(self, old_rss: list[dict], d: dict) -> None:
        """Delete the oldest revisions beyond revisionHistoryLimit — only sets with no
        replicas left in spec or status, whose status is up to date."""
        if not util.has_revision_history_limit(d):
            return
        alive = [
            rs for rs in old_rss if rs is not None and not rs["metadata"].get("deletionTimestamp")
        ]
        diff = len(alive) - int(d["spec"]["revisionHistoryLimit"])
        if diff <= 0:
            return
        for rs in sorted(alive, key=util.revision_sort_key)[:diff]:
            st = rs.get("status") or {}
            if (
                int(st.get("replicas") or 0) != 0
                or replicas_of(rs) != 0
                or int(rs["metadata"].get("generation") or 0)
                > int(st.get("observedGeneration") or 0)
            ):
                continue
            try:
                self.store.delete(
                    "ReplicaSet", rs["metadata"]["name"], rs["metadata"].get("namespace")
                )
            except APIStatusError:
                continue  # NotFound: already gone

    # ---- status ------------------------------------------------------------------------------

    def sync_deployment_status(
        self, all_rss: list[dict | None], new_rs: dict | None, d: dict
    ) -> None:
        new_status = self.calculate_status(all_rss, new_rs, d)
        if (d.get("status") or {}) == new_status:
            return
        d["status"] = new_status
        self.update_deployment_status(d)

    def calculate_status(self, all_rss: list[dict | None], new_rs: dict | None, d: dict) -> dict:
        rss = [rs for rs in all_rss if rs is not None]
        available = util.available_replica_count(rss)
        total = util.replica_count(rss)
        current = d.get("status") or {}
        status: dict = {
            "observedGeneration": d["metadata"].get("generation", 0),
            "replicas": util.actual_replica_count(rss),
            "updatedReplicas": util.actual_replica_count([new_rs]),
            "readyReplicas": util.ready_replica_count(rss),
            "availableReplicas": available,
            "unavailableReplicas": max(total - available, 0),
            "conditions": clone(current.get("conditions") or []),
        }
        if current.get("collisionCount") is not None:
            status["collisionCount"] = current["collisionCount"]
        if available >= replicas_of(d) - util.max_unavailable(d):
            cond = conditions.new_condition(
                "Available",
                "True",
                util.MINIMUM_REPLICAS_AVAILABLE,
                "Deployment has minimum availability.",
                self.store.now(),
            )
        else:
            cond = conditions.new_condition(
                "Available",
                "False",
                util.MINIMUM_REPLICAS_UNAVAILABLE,
                "Deployment does not have minimum availability.",
                self.store.now(),
            )
        conditions.set_condition(status, cond)
        return status

    def is_scaling_event(self, d: dict, rs_list: list[dict]) -> bool:
        """A scaling event: an active set's desired-replicas annotation is not spec.replicas."""
        new_rs, old_rss = self.get_all_replica_sets_and_sync_revision(d, rs_list, False)
        for rs in filter_active_replica_sets(old_rss + [new_rs]):
            desired = util.int_annotation(rs, util.DESIRED_REPLICAS)
            if desired is not None and desired != replicas_of(d):
                return True
        return False
