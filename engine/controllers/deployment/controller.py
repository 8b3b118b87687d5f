"""DeploymentController: kubernetes/kubernetes pkg/controller/deployment/deployment_controller.go.

Watch handlers only enqueue the Deployment's key: its own events, its
ReplicaSets' events (an orphan ReplicaSet wakes every Deployment whose selector
matches it), and — for Recreate — the deletion of its pods. `sync_deployment`
then follows `syncDeployment`: claim the ReplicaSets (adopt matching orphans,
release the ones whose labels no longer match), and

- being deleted → status only;
- paused → pause/resume conditions, proportional scaling only (sync.py);
- `deprecated.deployment.rollback.to` set → rollback (rollback.py);
- replicas changed mid-rollout → proportional scaling (sync.py);
- else the strategy: Recreate (recreate.py) or RollingUpdate (rolling.py),
  then the rollout status and progress deadline (progress.py).

A sync that fails (an API error) raises, and the base Controller retries the
key with back-off, as the rate-limited work queue does in Kubernetes.
"""

from __future__ import annotations

from collections.abc import Hashable

from ...api.objects import clone, controller_of, labels_of
from ...api.selectors import Selector, SelectorError, from_label_selector
from ...api.store import ADDED, DELETED, MODIFIED, WatchEvent
from ..base import Controller, owner_keys
from ..podutil import ControllerRefManager
from .progress import ProgressMixin
from .recreate import RecreateMixin
from .rollback import RollbackMixin
from .rolling import RollingMixin
from .sync import SyncMixin


class DeploymentController(
    SyncMixin, RollingMixin, RecreateMixin, RollbackMixin, ProgressMixin, Controller
):
    name = "deployment"
    kinds = ("Deployment", "ReplicaSet", "Pod")

    # ---- watch handlers: only enqueue --------------------------------------------------

    def resync_all(self) -> None:
        for d in self.store.list("Deployment", copy=False):
            self.queue.add(_key(d))

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Deployment":
            self.queue.add(_key(ev.object))
        elif ev.kind == "ReplicaSet":
            self._handle_replica_set(ev)
        elif ev.kind == "Pod" and ev.type == DELETED:
            self._handle_pod_deleted(ev.object)

    def _handle_replica_set(self, ev: WatchEvent) -> None:
        rs, old = ev.object, ev.old
        if (
            ev.type == MODIFIED
            and old is not None
            and old["metadata"].get("resourceVersion") == rs["metadata"].get("resourceVersion")
        ):
            return
        for key in owner_keys(ev, "Deployment"):
            self.queue.add(key)
        if ev.type == DELETED or controller_of(rs) is not None:
            return
        if (
            ev.type == ADDED
            or old is None
            or labels_of(old) != labels_of(rs)
            or controller_of(old) is not None
        ):
            for d in self.store.list("Deployment", rs["metadata"].get("namespace"), copy=False):
                try:
                    if from_label_selector((d.get("spec") or {}).get("selector")).matches(
                        labels_of(rs)
                    ):
                        self.queue.add(_key(d))
                except SelectorError:
                    continue

    def _handle_pod_deleted(self, pod: dict) -> None:
        """A Recreate rollout waits for its old pods to be gone: their deletion wakes it."""
        ref = controller_of(pod)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        rs = self.store.try_get(
            "ReplicaSet", ref.get("name", ""), pod["metadata"].get("namespace"), copy=False
        )
        if rs is None or rs["metadata"]["uid"] != ref.get("uid"):
            return
        dref = controller_of(rs)
        if dref is None or dref.get("kind") != "Deployment":
            return
        d = self.store.try_get(
            "Deployment", dref.get("name", ""), rs["metadata"].get("namespace"), copy=False
        )
        if (
            d is not None
            and ((d.get("spec") or {}).get("strategy") or {}).get("type") == "Recreate"
        ):
            self.queue.add(_key(d))

    # ---- syncDeployment ----------------------------------------------------------------------

    def sync(self, key: Hashable) -> None:
        self.sync_deployment(key)  # the controller's syncHandler

    def sync_deployment(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        stored = self.store.try_get("Deployment", name, ns, copy=False)
        if stored is None:
            return
        d = clone(stored)
        raw_selector = d["spec"].get("selector")
        try:
            selector = from_label_selector(raw_selector)
        except SelectorError:
            return
        if raw_selector is not None and selector.empty:
            self.recorder.warning(
                d,
                "SelectingAll",
                "This deployment is selecting all pods. A non-empty selector is required.",
            )
            status = d.setdefault("status", {})
            if int(status.get("observedGeneration") or 0) < int(
                d["metadata"].get("generation") or 0
            ):
                status["observedGeneration"] = d["metadata"]["generation"]
                self.update_deployment_status(d)
            return
        rs_list = self.get_replica_sets_for_deployment(d, selector)
        if d["metadata"].get("deletionTimestamp"):
            self.sync_status_only(d, rs_list)
            return
        self.check_paused_conditions(d)
        if d["spec"].get("paused"):
            self.sync_scaling(d, rs_list)
            return
        if self.get_rollback_to(d) is not None:
            self.rollback(d, rs_list)
            return
        if self.is_scaling_event(d, rs_list):
            self.sync_scaling(d, rs_list)
            return
        strategy = (d["spec"].get("strategy") or {}).get("type", "RollingUpdate")
        if strategy == "Recreate":
            self.rollout_recreate(d, rs_list, self.get_pod_map_for_deployment(rs_list))
        elif strategy == "RollingUpdate":
            self.rollout_rolling(d, rs_list)

    def get_replica_sets_for_deployment(self, d: dict, selector: Selector) -> list[dict]:
        """The ReplicaSets this Deployment controls, after adopting matching orphans and
        releasing owned sets that no longer match (ClaimReplicaSets). Copies: safe to edit."""
        uid = d["metadata"]["uid"]
        owned = [
            rs
            for rs in self.store.owned_by(uid, "ReplicaSet")
            if (controller_of(rs) or {}).get("uid") == uid
        ]
        orphans = [
            rs
            for rs in self.store.list(
                "ReplicaSet", d["metadata"]["namespace"], selector, copy=False
            )
            if controller_of(rs) is None
        ]
        claimed, err = ControllerRefManager(self.store, d, selector, "ReplicaSet").claim(
            owned + orphans
        )
        if err is not None:
            raise err
        return [clone(rs) for rs in claimed]

    def get_pod_map_for_deployment(self, rs_list: list[dict]) -> dict[str, list[dict]]:
        """Pods grouped by the uid of the ReplicaSet that controls them (read-only)."""
        pod_map: dict[str, list[dict]] = {}
        for rs in rs_list:
            uid = rs["metadata"]["uid"]
            pod_map[uid] = [
                p
                for p in self.store.owned_by(uid, "Pod")
                if (controller_of(p) or {}).get("uid") == uid
            ]
        return pod_map

    # ---- writes ---------------------------------------------------------------------------------

    def update_replica_set(self, rs: dict) -> dict:
        """Write a ReplicaSet's metadata and spec (its status stays the ReplicaSet controller's)."""
        obj = clone(rs)
        obj["metadata"].pop("resourceVersion", None)
        return self.store.update(obj, validate=False)

    def update_deployment_status(self, d: dict) -> None:
        """UpdateStatus(d). The API server's status strategy keeps metadata changes, which is how
        the revision annotation reaches the Deployment; the store's status subresource takes only
        `status`, so changed annotations are written first."""
        md = d["metadata"]
        stored = self.store.try_get("Deployment", md["name"], md["namespace"], copy=False)
        if stored is None:
            return
        annotations = dict(md.get("annotations") or {})
        if (stored["metadata"].get("annotations") or {}) != annotations:

            def set_annotations(o: dict) -> None:
                o["metadata"]["annotations"] = annotations

            self.store.mutate("Deployment", md["name"], md["namespace"], set_annotations)
        status = clone(d.get("status") or {})

        def set_status(o: dict) -> None:
            o["status"] = status

        self.store.mutate(
            "Deployment", md["name"], md["namespace"], set_status, subresource="status"
        )


def _key(obj: dict) -> tuple[str, str]:
    md = obj["metadata"]
    return md.get("namespace", ""), md["name"]
