"""GarbageCollector: deletes objects whose owners are gone, and carries out
foreground and orphan deletion (pkg/controller/garbagecollector/garbagecollector.go,
graph_builder.go).

The owner graph is the store's ownerReferences index (`store.owned_by(uid)`),
so there is no separate graph to build. `sync` plays the roles of the
collector's two queues:

- attemptToDelete (`attempt_to_delete_item`): an object's owners are looked up
  by kind, namespace, name and uid and classified (`classifyReferences`) as
  solid (exists), dangling (absent, or another object with the same name) or
  waitingForDependentsDeletion (being deleted in the foreground). With a solid
  owner the object stays, minus references to dangling and waiting owners.
  Otherwise it is deleted: in the foreground if an owner is waiting for it and
  it has dependents of its own, else with the propagation its finalizers ask
  for (Background by default);
- an owner in foreground deletion (`foregroundDeletion` finalizer,
  `processDeletingDependentsItem`) has its dependents deleted and keeps the
  finalizer until no dependent with `blockOwnerDeletion: true` is left — so a
  Deployment deleted with `--cascade=foreground` disappears after its pods;
- attemptToOrphan (`orphan_dependents`): an owner with the `orphan` finalizer
  (`--cascade=orphan`) has its ownerReference removed from every dependent,
  then loses the finalizer.

Owners of kinds the cluster does not serve cannot be looked up and count as
solid (Kubernetes retries those until the kind appears). No events are
recorded: the collector only records them for invalid owner references.
"""

from __future__ import annotations

from collections.abc import Hashable

from ..api.errors import APIStatusError
from ..api.kinds import KINDS
from ..api.store import WatchEvent
from .base import Controller

FOREGROUND = "foregroundDeletion"
ORPHAN = "orphan"


def _refs(obj: dict | None) -> list[dict]:
    if not obj:
        return []
    return list((obj.get("metadata") or {}).get("ownerReferences") or [])


def _finalizers(obj: dict) -> list[str]:
    return list(obj["metadata"].get("finalizers") or [])


def _deleting_dependents(obj: dict) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp")) and FOREGROUND in _finalizers(obj)


class GarbageCollector(Controller):
    name = "garbage-collector"

    # ---- graph changes -------------------------------------------------------------

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Event":
            return
        md = ev.object.get("metadata") or {}
        ns = md.get("namespace", "")
        if ev.type == "DELETED":
            # Its dependents may now be garbage, and owners waiting on it may finish.
            self.queue.add(("dependents", md.get("uid", "")))
            for ref in _refs(ev.object):
                self._enqueue_owner(ref, ns)
            return
        new_refs, old_refs = _refs(ev.object), _refs(ev.old)
        if new_refs and (ev.type == "ADDED" or new_refs != old_refs):
            self.queue.add(("item", ev.kind, ns, md.get("name", "")))
        if old_refs != new_refs:
            for ref in old_refs:
                self._enqueue_owner(ref, ns)  # a dependent let go of it
        if md.get("deletionTimestamp") and (
            FOREGROUND in (md.get("finalizers") or []) or ORPHAN in (md.get("finalizers") or [])
        ):
            self.queue.add(("item", ev.kind, ns, md.get("name", "")))

    def _enqueue_owner(self, ref: dict, ns: str) -> None:
        info = KINDS.get(ref.get("kind", ""))
        if info is not None:
            self.queue.add(("item", info.kind, ns if info.namespaced else "", ref.get("name", "")))

    def resync_all(self) -> None:
        for kind in KINDS:
            if kind == "Event":
                continue
            for obj in self.store.list(kind, copy=False):
                md = obj["metadata"]
                if md.get("ownerReferences") or (
                    md.get("deletionTimestamp") and md.get("finalizers")
                ):
                    self.queue.add(("item", kind, md.get("namespace", ""), md["name"]))

    def sync(self, key: Hashable) -> None:
        try:
            if key[0] == "dependents":  # type: ignore[index]
                for dep in self.store.owned_by(key[1]):  # type: ignore[index]
                    self.attempt_to_delete_item(dep)
                return
            _, kind, ns, name = key  # type: ignore[misc]
            obj = self.store.try_get(kind, name, ns or None, copy=False)
            if obj is None:
                return
            if obj["metadata"].get("deletionTimestamp") and ORPHAN in _finalizers(obj):
                self.orphan_dependents(obj)
            elif _deleting_dependents(obj):
                self.process_deleting_dependents_item(obj)
            else:
                self.attempt_to_delete_item(obj)
        except APIStatusError:
            self.enqueue_after(key, 1.0)  # retry, as the rate-limited work queue would

    # ---- attemptToDelete ---------------------------------------------------------------

    def _owner_of(self, dependent: dict, ref: dict) -> tuple[str, dict | None]:
        """('solid' | 'dangling' | 'waiting', owner) for one ownerReference."""
        info = KINDS.get(ref.get("kind", ""))
        if info is None:
            return "solid", None
        ns = dependent["metadata"].get("namespace") if info.namespaced else None
        owner = self.store.try_get(info.kind, ref.get("name", ""), ns, copy=False)
        if owner is None or owner["metadata"].get("uid") != ref.get("uid"):
            return "dangling", None
        if _deleting_dependents(owner):
            return "waiting", owner
        return "solid", owner

    def attempt_to_delete_item(self, item: dict) -> None:
        md = item["metadata"]
        if md.get("deletionTimestamp") and FOREGROUND not in _finalizers(item):
            return  # already on its way out
        if _deleting_dependents(item):
            self.process_deleting_dependents_item(item)
            return
        refs = _refs(item)
        if not refs:
            return
        classes: dict[str, list[dict]] = {"solid": [], "dangling": [], "waiting": []}
        for ref in refs:
            cls, _ = self._owner_of(item, ref)
            classes[cls].append(ref)
        if classes["solid"]:
            gone = {r.get("uid") for r in classes["dangling"] + classes["waiting"]}
            if gone:
                self._remove_refs(item, gone)
            return
        dependents = self.store.owned_by(md["uid"])
        if classes["waiting"] and dependents:
            if any(_deleting_dependents(d) for d in dependents):
                # A cycle of foreground deletions: stop blocking the waiting owners.
                self._unblock(item, {r.get("uid") for r in classes["waiting"]})
            self._delete(item, "Foreground")
            return
        fins = _finalizers(item)
        policy = (
            "Orphan" if ORPHAN in fins else "Foreground" if FOREGROUND in fins else "Background"
        )
        self._delete(item, policy)

    def process_deleting_dependents_item(self, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        dependents = self.store.owned_by(uid)
        blocking = [
            d
            for d in dependents
            if any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in _refs(d))
        ]
        if not blocking:
            self._remove_finalizer(owner, FOREGROUND)
            return
        for dep in dependents:
            if not _deleting_dependents(dep):
                self.attempt_to_delete_item(dep)

    # ---- attemptToOrphan ---------------------------------------------------------------

    def orphan_dependents(self, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        for dep in self.store.owned_by(uid):
            self._remove_refs(dep, {uid})
        self._remove_finalizer(owner, ORPHAN)

    # ---- writes --------------------------------------------------------------------------

    def _delete(self, item: dict, policy: str) -> None:
        md = item["metadata"]
        try:
            self.store.delete(
                item["kind"],
                md["name"],
                md.get("namespace") or None,
                propagation=policy,
                uid=md["uid"],
            )
        except APIStatusError:
            pass  # gone already, or replaced by a new object of the same name

    def _remove_refs(self, item: dict, uids: set) -> None:
        md = item["metadata"]

        def strip(obj: dict) -> bool | None:
            if obj["metadata"].get("uid") != md["uid"]:
                return False
            refs = [r for r in _refs(obj) if r.get("uid") not in uids]
            if len(refs) == len(_refs(obj)):
                return False
            if refs:
                obj["metadata"]["ownerReferences"] = refs
            else:
                obj["metadata"].pop("ownerReferences", None)
            return None

        self.store.mutate(item["kind"], md["name"], md.get("namespace") or None, strip)

    def _unblock(self, item: dict, uids: set) -> None:
        md = item["metadata"]

        def unblock(obj: dict) -> None:
            for r in obj["metadata"].get("ownerReferences") or []:
                if r.get("uid") in uids:
                    r["blockOwnerDeletion"] = False

        self.store.mutate(item["kind"], md["name"], md.get("namespace") or None, unblock)

    def _remove_finalizer(self, obj: dict, finalizer: str) -> None:
        md = obj["metadata"]

        def drop(o: dict) -> bool | None:
            fins = _finalizers(o)
            if finalizer not in fins:
                return False
            fins.remove(finalizer)
            if fins:
                o["metadata"]["finalizers"] = fins
            else:
                o["metadata"].pop("finalizers", None)
            return None

        self.store.mutate(obj["kind"], md["name"], md.get("namespace") or None, drop)
