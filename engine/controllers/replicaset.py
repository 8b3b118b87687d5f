"""ReplicaSetController and ReplicationManager: keep `spec.replicas` pods running.

Ported from kubernetes/kubernetes:
- pkg/controller/replicaset/replica_set.go: `syncReplicaSet` lists the pods the
  set controls plus orphans (`FilterPodsByOwner`), drops inactive ones
  (Succeeded, Failed, terminating: a terminating pod is replaced at once),
  claims the rest, then `manageReplicas` creates the missing pods in slow-start
  batches of 1, 2, 4, … (`slowStartBatch`, at most burstReplicas = 500 per
  sync) or deletes the surplus in `getPodsToDelete` order;
- pkg/controller/replicaset/replica_set_utils.go: `calculateStatus` (replicas,
  fullyLabeledReplicas, readyReplicas, availableReplicas with minReadySeconds,
  the ReplicaFailure condition) and `updateReplicaSetStatus` (observedGeneration);
- pkg/controller/controller_ref_manager.go: `ClaimPods` (podutil.ControllerRefManager);
- pkg/controller/controller_utils.go: `CreatePods` (events SuccessfulCreate
  "Created pod: x" / FailedCreate "Error creating: …") and `DeletePod`
  (SuccessfulDelete "Deleted pod: x" / FailedDelete "Error deleting: …");
- pkg/controller/replication/: the ReplicationController controller is the
  ReplicaSet controller with a map (equality) selector and its own event source
  "replication-controller".

Differences, because the store answers synchronously: no expectations cache
(a write is visible to the next read), and "requeue after minReadySeconds"
is computed from the ready pods (the exact second the next one becomes
available) instead of Kubernetes' pod-update handler plus resync.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator

from ..api.errors import APIStatusError, Forbidden, NotFound
from ..api.objects import clone, controller_of, labels_of, owner_reference
from ..api.selectors import Selector, SelectorError, from_label_selector, from_set
from ..api.store import ADDED, DELETED, WatchEvent
from .base import Controller, owner_keys
from .podutil import (
    ControllerRefManager,
    available_at,
    is_pod_active,
    is_pod_available,
    is_pod_ready,
    pod_from_template,
    pods_to_delete,
    replicas_of,
)

BURST_REPLICAS = 500  # --concurrent-... burstReplicas: most pods created or deleted per sync
SLOW_START_INITIAL_BATCH_SIZE = 1
REPLICA_FAILURE = "ReplicaFailure"


def slow_start_batch(
    count: int, initial: int, fn: Callable[[], None]
) -> tuple[int, Exception | None]:
    """Call `fn` count times in batches of initial, 2*initial, 4*initial, …; stop after the
    first batch with an error. Returns (successes, first error). Kubernetes runs a batch
    in parallel goroutines, so every call of a failing batch is still attempted."""
    remaining, successes = count, 0
    batch = min(remaining, initial)
    while batch > 0:
        errors: list[Exception] = []
        for _ in range(batch):
            try:
                fn()
            except APIStatusError as exc:
                errors.append(exc)
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


# ---- the controller ---------------------------------------------------------------


class ReplicaSetController(Controller):
    name = "replicaset"
    kind = "ReplicaSet"
    kinds = ("ReplicaSet", "Pod")
    burst_replicas = BURST_REPLICAS

    def __init__(self, ctx):
        super().__init__(ctx)
        self._requeue_at: dict[Hashable, float] = {}

    def selector_for(self, rs: dict) -> Selector:
        return from_label_selector((rs.get("spec") or {}).get("selector"))

    # ---- watch handlers: only enqueue ------------------------------------------

    def resync_all(self) -> None:
        for rs in self.store.list(self.kind, copy=False):
            self.queue.add(_key(rs))

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == self.kind:
            self.queue.add(_key(ev.object))
            return
        if ev.kind != "Pod":
            return
        old = ev.old
        if (
            old is not None
            and ev.type != DELETED
            and old["metadata"].get("resourceVersion")
            == ev.object["metadata"].get("resourceVersion")
        ):
            return
        for key in owner_keys(ev, self.kind):
            self.queue.add(key)
        pod = ev.object
        if ev.type == DELETED or controller_of(pod) is not None:
            return
        # An orphan: wake every set that may adopt it (getPodReplicaSets), but only when
        # it is new or its labels or owner changed, not on every status write.
        if (
            ev.type == ADDED
            or old is None
            or labels_of(old) != labels_of(pod)
            or controller_of(old) is not None
        ):
            for key in self._matching_controllers(pod):
                self.queue.add(key)

    def _matching_controllers(self, pod: dict) -> Iterator[tuple[str, str]]:
        labels = labels_of(pod)
        for rs in self.store.list(self.kind, pod["metadata"].get("namespace"), copy=False):
            try:
                if self.selector_for(rs).matches(labels):
                    yield _key(rs)
            except SelectorError:
                continue

    # ---- syncReplicaSet -----------------------------------------------------------

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        rs = self.store.try_get(self.kind, name, ns, copy=False)
        if rs is None:
            self._requeue_at.pop(key, None)
            return
        try:
            selector = self.selector_for(rs)
        except SelectorError:
            return  # Kubernetes logs "error converting pod selector" and drops the key
        now = self.ctx.clock.now()
        pods = [p for p in self.candidate_pods(rs, selector) if is_pod_active(p)]
        pods, claim_error = ControllerRefManager(self.store, rs, selector, "Pod").claim(pods)
        if claim_error is not None:
            raise claim_error  # the base Controller retries the key with back-off
        manage_error: Exception | None = None
        if not rs["metadata"].get("deletionTimestamp"):
            manage_error = self.manage_replicas(pods, rs, now)
        status = calculate_status(rs, pods, manage_error, now, self.store.now())
        updated = self.update_status(rs, status)
        self._requeue_for_availability(key, updated or rs, pods, now)
        if manage_error is not None:
            # As syncReplicaSet returns manageReplicasErr: the key is retried with back-off.
            raise manage_error

    def candidate_pods(self, rs: dict, selector: Selector) -> list[dict]:
        """FilterPodsByOwner(includeOrphaned): the pods this set controls, then the
        namespace's orphans its selector matches — through the store's owner and
        label indexes, never a scan of every pod."""
        uid = rs["metadata"]["uid"]
        pods = []
        for p in self.store.owned_by(uid, "Pod"):
            ref = controller_of(p)
            if ref is not None and ref.get("uid") == uid and ref.get("kind") == self.kind:
                pods.append(p)
        if (rs.get("spec") or {}).get("selector") is not None:
            ns = rs["metadata"].get("namespace")
            pods.extend(
                p
                for p in self.store.list("Pod", ns, selector, copy=False)
                if controller_of(p) is None
            )
        return pods

    def manage_replicas(self, active: list[dict], rs: dict, now: float) -> Exception | None:
        diff = len(active) - replicas_of(rs)
        if diff < 0:
            count = min(-diff, self.burst_replicas)
            _, err = slow_start_batch(
                count, SLOW_START_INITIAL_BATCH_SIZE, lambda: self.create_pod(rs)
            )
            return err
        if diff > 0:
            count = min(diff, self.burst_replicas)
            victims = pods_to_delete(active, self.indirectly_related_pods(rs), count, now)
            first_error: Exception | None = None
            for pod in victims:
                err = self.delete_pod(rs, pod)
                first_error = first_error or err
            return first_error
        return None

    def create_pod(self, rs: dict) -> None:
        """RealPodControl.CreatePods for one pod; raises on failure (after the Warning event)."""
        template = (rs.get("spec") or {}).get("template")
        if not isinstance(template, dict):
            err = APIStatusError("unable to create pods, no template")
            self.recorder.warning(rs, "FailedCreate", f"Error creating: {err}")
            raise err
        pod = pod_from_template(template, rs, owner_reference(rs))
        if not pod["metadata"].get("labels"):
            raise APIStatusError("unable to create pods, no labels")
        try:
            created = self.store.create(pod, copy=False)  # a fresh dict, never touched again
        except Forbidden as exc:
            if "being terminated" in str(exc):
                return  # NamespaceTerminatingCause: no event, no error
            self.recorder.warning(rs, "FailedCreate", f"Error creating: {exc}")
            raise
        except APIStatusError as exc:
            self.recorder.warning(rs, "FailedCreate", f"Error creating: {exc}")
            raise
        self.recorder.normal(rs, "SuccessfulCreate", f"Created pod: {created['metadata']['name']}")

    def delete_pod(self, rs: dict, pod: dict) -> Exception | None:
        name = pod["metadata"]["name"]
        try:
            self.store.delete("Pod", name, pod["metadata"].get("namespace"))
        except NotFound:
            return None  # already gone: what we wanted
        except APIStatusError as exc:
            self.recorder.warning(rs, "FailedDelete", f"Error deleting: {exc}")
            return exc
        self.recorder.normal(rs, "SuccessfulDelete", f"Deleted pod: {name}")
        return None

    def indirectly_related_pods(self, rs: dict) -> list[dict]:
        """getIndirectlyRelatedPods: the pods of every set with the same controller (a
        Deployment's old and new ReplicaSets), which rank pods by node crowding."""
        ref = controller_of(rs)
        if ref is None:
            return []
        seen: set[str] = set()
        related: list[dict] = []
        for other in self.store.owned_by(ref["uid"], self.kind):
            if (controller_of(other) or {}).get("uid") != ref["uid"]:
                continue
            try:
                selector = self.selector_for(other)
            except SelectorError:
                continue
            for p in self.store.list(
                "Pod", other["metadata"].get("namespace"), selector, copy=False
            ):
                if p["metadata"]["uid"] not in seen:
                    seen.add(p["metadata"]["uid"])
                    related.append(p)
        return related

    def update_status(self, rs: dict, status: dict) -> dict | None:
        """updateReplicaSetStatus: write only what changed, with observedGeneration."""
        generation = rs["metadata"].get("generation", 0)
        current = rs.get("status") or {}
        same = (
            all(current.get(f, 0) == status.get(f, 0) for f in _COUNTS)
            and current.get("observedGeneration", 0) == generation
            and (current.get("conditions") or []) == (status.get("conditions") or [])
        )
        if same:
            return rs
        status["observedGeneration"] = generation
        if not status.get("conditions"):
            status.pop("conditions", None)

        def write(o: dict) -> None:
            o["status"] = status

        md = rs["metadata"]
        return self.store.mutate(
            self.kind, md["name"], md.get("namespace"), write, subresource="status"
        )

    def _requeue_for_availability(
        self, key: Hashable, rs: dict, pods: list[dict], now: float
    ) -> None:
        """Sync again the second the next ready pod has been ready for minReadySeconds."""
        min_ready = int((rs.get("spec") or {}).get("minReadySeconds") or 0)
        if min_ready <= 0:
            return
        times = [
            t
            for p in pods
            if is_pod_ready(p) and not is_pod_available(p, min_ready, now)
            for t in [available_at(p, min_ready)]
            if t is not None
        ]
        if not times:
            return
        when = max(min(times), now)
        if self._requeue_at.get(key) == when:
            return
        self._requeue_at[key] = when
        self.enqueue_after(key, when - now)


class ReplicationManager(ReplicaSetController):
    """The ReplicationController controller: ReplicaSet logic with a map selector."""

    name = "replication"
    kind = "ReplicationController"
    kinds = ("ReplicationController", "Pod")

    def selector_for(self, rs: dict) -> Selector:
        return from_set((rs.get("spec") or {}).get("selector"))


# ---- helpers --------------------------------------------------------------------

_COUNTS = ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas")


def _key(obj: dict) -> tuple[str, str]:
    md = obj["metadata"]
    return md.get("namespace", ""), md["name"]


def calculate_status(
    rs: dict, pods: list[dict], manage_error: Exception | None, now: float, now_ts: str
) -> dict:
    """replica_set_utils.go calculateStatus, over the active pods the set claimed."""
    status = clone(rs.get("status") or {})
    spec = rs.get("spec") or {}
    template_labels = (((spec.get("template") or {}).get("metadata") or {}).get("labels")) or {}
    min_ready = int(spec.get("minReadySeconds") or 0)
    fully = ready = available = 0
    for p in pods:
        labels = labels_of(p)
        if all(labels.get(k) == v for k, v in template_labels.items()):
            fully += 1
        if is_pod_ready(p):
            ready += 1
            if is_pod_available(p, min_ready, now):
                available += 1
    conditions = [c for c in status.get("conditions") or []]
    failure = next((c for c in conditions if c.get("type") == REPLICA_FAILURE), None)
    if manage_error is not None and failure is None:
        diff = len(pods) - replicas_of(rs)
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        conditions.append(
            {
                "type": REPLICA_FAILURE,
                "status": "True",
                "lastTransitionTime": now_ts,
                "reason": reason,
                "message": str(manage_error),
            }
        )
    elif manage_error is None and failure is not None:
        conditions = [c for c in conditions if c.get("type") != REPLICA_FAILURE]
    status.update(
        replicas=len(pods),
        fullyLabeledReplicas=fully,
        readyReplicas=ready,
        availableReplicas=available,
    )
    status["conditions"] = conditions
    return status
