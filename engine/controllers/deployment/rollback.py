"""Server-side rollback: kubernetes/kubernetes pkg/controller/deployment/rollback.go.

The extensions/v1beta1 `spec.rollbackTo` survives in apps/v1 as the annotation
`deprecated.deployment.rollback.to: "<revision>"` (0 = the previous revision).
The controller copies that revision's template into the Deployment and removes
the annotation; the next sync rolls out as for any template change. Events:
DeploymentRollback "Rolled back deployment "x" to revision N",
DeploymentRollbackRevisionNotFound "Unable to find last revision." /
"Unable to find the revision to rollback to.", DeploymentRollbackTemplateUnchanged.

`kubectl rollout undo` does not use this path any more: it patches the
template itself (see engine/controllers/rollout.py).
"""

from __future__ import annotations

from . import util


class RollbackMixin:
    def get_rollback_to(self, d: dict) -> int | None:
        raw = util.annotations(d).get(util.DEPRECATED_ROLLBACK_TO)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            return None  # an invalid annotation is ignored

    def rollback(self, d: dict, rs_list: list[dict]) -> None:
        new_rs, all_old = self.get_all_replica_sets_and_sync_revision(d, rs_list, True)
        all_rss = [rs for rs in all_old + [new_rs] if rs is not None]
        to_revision = self.get_rollback_to(d) or 0
        if to_revision == 0:
            to_revision = util.last_revision(all_rss)
            if to_revision == 0:
                self.recorder.warning(
                    d, util.ROLLBACK_REVISION_NOT_FOUND, "Unable to find last revision."
                )
                self.update_deployment_and_clear_rollback_to(d)
                return
        for rs in all_rss:
            if util.revision(rs) == to_revision:
                if self.rollback_to_template(d, rs):
                    self.recorder.normal(
                        d,
                        util.ROLLBACK_DONE,
                        f'Rolled back deployment "{d["metadata"]["name"]}" '
                        f"to revision {to_revision}",
                    )
                return
        self.recorder.warning(
            d, util.ROLLBACK_REVISION_NOT_FOUND, "Unable to find the revision to rollback to."
        )
        self.update_deployment_and_clear_rollback_to(d)

    def rollback_to_template(self, d: dict, rs: dict) -> bool:
        performed = False
        if not util.equal_ignore_hash(d["spec"].get("template"), rs["spec"].get("template")):
            util.set_from_replica_set_template(d, rs["spec"]["template"])
            # The Deployment takes the old set's annotations (its change-cause, say), or the
            # current ones would be copied onto the old set as it becomes new again.
            util.set_deployment_annotations_to(d, rs)
            performed = True
        else:
            self.recorder.warning(
                d,
                util.ROLLBACK_TEMPLATE_UNCHANGED,
                "The rollback revision contains the same template as current deployment "
                f'"{d["metadata"]["name"]}"',
            )
        self.update_deployment_and_clear_rollback_to(d)
        return performed

    def update_deployment_and_clear_rollback_to(self, d: dict) -> None:
        (d["metadata"].get("annotations") or {}).pop(util.DEPRECATED_ROLLBACK_TO, None)
        md = d["metadata"]

        def write(o: dict) -> None:
            o["spec"]["template"] = d["spec"]["template"]
            o["metadata"]["annotations"] = dict(md.get("annotations") or {})

        self.store.mutate("Deployment", md["name"], md["namespace"], write)
