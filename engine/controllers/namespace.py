"""NamespaceController: empties a namespace that is being deleted, then
finalizes it (pkg/controller/namespace/namespace_controller.go and
deletion/namespaced_resources_deleter.go).

`sync_namespace(name)` follows `namespacedResourcesDeleter.Delete`:

- only a namespace with a deletionTimestamp whose `spec.finalizers` still holds
  `kubernetes` is worked on (the API server has already set phase Terminating
  and refuses new content there);
- `delete_all_content` deletes every object of every namespaced kind in it,
  with Background propagation as the deleter does; pods are deleted
  gracefully, so their kubelets stop them first;
- while something remains (terminating pods, objects held by finalizers) the
  namespace is synced again: when such an object goes away, and after the
  estimated graceful-termination time (`estimateGracefulTermination`);
- once the namespace is empty `kubernetes` is removed from spec.finalizers
  (the `/finalize` call) and the API server removes the namespace.

Kubernetes also records the NamespaceContentRemaining / NamespaceFinalizersRemaining
conditions in the namespace's status while it waits. They are not written
here: this store removes a terminating namespace on any update that leaves it
without metadata.finalizers, even while spec.finalizers still holds
`kubernetes` (see Store.update), so a status write would end the namespace
before its content is gone. No events are recorded, as in Kubernetes.
"""

from __future__ import annotations

from collections.abc import Hashable

from ..api.errors import APIStatusError
from ..api.kinds import KINDS
from ..api.store import WatchEvent
from .base import Controller

FINALIZER = "kubernetes"
DEFAULT_POD_GRACE = 30


def _terminating(ns: dict | None) -> bool:
    return bool(ns and ns["metadata"].get("deletionTimestamp"))


class NamespaceController(Controller):
    name = "namespace"

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Namespace":
            if ev.type != "DELETED" and _terminating(ev.object):
                self.queue.add(ev.object["metadata"]["name"])
            return
        if ev.type == "DELETED":
            ns = (ev.object.get("metadata") or {}).get("namespace")
            # Something left a terminating namespace: it may be empty now.
            if ns and _terminating(self.store.try_get("Namespace", ns, copy=False)):
                self.queue.add(ns)

    def resync_all(self) -> None:
        for ns in self.store.list("Namespace", copy=False):
            if _terminating(ns):
                self.queue.add(ns["metadata"]["name"])

    def sync(self, key: Hashable) -> None:
        try:
            self.sync_namespace(str(key))
        except APIStatusError:
            self.enqueue_after(key, 1.0)  # retry, as the rate-limited work queue would

    def sync_namespace(self, name: str) -> None:
        ns = self.store.try_get("Namespace", name, copy=False)
        if not _terminating(ns):
            return
        if FINALIZER not in ((ns.get("spec") or {}).get("finalizers") or []):
            return
        remaining, estimate = self.delete_all_content(name)
        if remaining:
            # The DELETED events wake us up too; this is the deleter's own retry.
            self.enqueue_after(name, max(1.0, float(estimate)))
            return
        self.finalize_namespace(name)

    def delete_all_content(self, namespace: str) -> tuple[dict[str, int], int]:
        """Delete everything in the namespace. Returns what is left by kind and the
        estimated seconds until it is gone."""
        remaining: dict[str, int] = {}
        estimate = 0
        for kind, info in KINDS.items():
            if not info.namespaced:
                continue
            for obj in self.store.list(kind, namespace, copy=False):
                md = obj["metadata"]
                if not md.get("deletionTimestamp"):
                    try:
                        self.store.delete(kind, md["name"], namespace, propagation="Background")
                    except APIStatusError:
                        pass  # already gone
            left = self.store.list(kind, namespace, copy=False)
            if left:
                remaining[kind] = len(left)
            if kind == "Pod":
                for pod in left:
                    grace = pod["metadata"].get("deletionGracePeriodSeconds")
                    if grace is None:
                        grace = (pod.get("spec") or {}).get(
                            "terminationGracePeriodSeconds", DEFAULT_POD_GRACE
                        )
                    estimate = max(estimate, int(grace or 0))
        return remaining, estimate

    def finalize_namespace(self, name: str) -> None:
        """The /finalize call: drop `kubernetes` from spec.finalizers."""

        def drop(ns: dict) -> bool | None:
            spec = ns.setdefault("spec", {})
            fins = [f for f in spec.get("finalizers") or [] if f != FINALIZER]
            if fins == (spec.get("finalizers") or []):
                return False
            spec["finalizers"] = fins
            return None

        self.store.mutate("Namespace", name, None, drop)
