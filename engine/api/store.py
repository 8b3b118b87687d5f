"""The store: the cluster's only truth, shaped like the Kubernetes API (think etcd
behind the API server).

Objects are plain Kubernetes-shaped dicts. Every write bumps a global
`resourceVersion`; an update carrying a stale one is a Conflict (optimistic
concurrency); `metadata.generation` moves only when the spec does. Every change
is published as a watch event (ADDED / MODIFIED / DELETED), synchronously to
in-process subscribers (controllers enqueue keys) and through thread-safe
`Watch` queues (the UI, the HTTP API).

Stored objects are never mutated in place: a write replaces the whole object.
So `list(copy=False)` and watch events can hand out the stored dicts — readers
must treat them as read-only, as users of a client-go informer cache do.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..clock import Clock, WallClock, rfc3339
from . import registry
from .defaults import apply_defaults
from .errors import (
    AlreadyExists,
    APIStatusError,
    Conflict,
    FieldError,
    Forbidden,
    Invalid,
    NotFound,
    required,
)
from .kinds import KINDS, KindInfo
from .objects import clone, labels_of
from .selectors import FieldRequirement, Selector

NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"

Validator = Callable[[dict, "dict | None"], list[FieldError]]


class Gone(APIStatusError):
    code = 410
    reason = "Expired"


@dataclass(frozen=True)
class WatchEvent:
    type: str
    object: dict  # the stored object: read-only
    old: dict | None
    resource_version: int

    @property
    def kind(self) -> str:
        return self.object.get("kind", "")


class Watch:
    """A thread-safe stream of watch events for one consumer."""

    def __init__(self, store: Store, kinds: set[str] | None, namespace: str | None):
        self._store = store
        self.kinds = kinds
        self.namespace = namespace
        self._queue: queue.Queue[WatchEvent | None] = queue.Queue()
        self.stopped = False

    def _offer(self, ev: WatchEvent) -> None:
        if self.kinds is not None and ev.kind not in self.kinds:
            return
        if self.namespace and ev.object.get("metadata", {}).get("namespace") != self.namespace:
            return
        self._queue.put(ev)

    def get(self, timeout: float | None = None) -> WatchEvent | None:
        """The next event, or None on timeout or once stopped."""
        if self.stopped and self._queue.empty():
            return None
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def drain(self) -> list[WatchEvent]:
        out: list[WatchEvent] = []
        while True:
            try:
                ev = self._queue.get_nowait()
            except queue.Empty:
                return out
            if ev is not None:
                out.append(ev)

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self._store._remove_watch(self)
            self._queue.put(None)

    def __iter__(self) -> Iterator[WatchEvent]:
        while True:
            ev = self.get()
            if ev is None:
                return
            yield ev


Key = tuple[str, str]  # (namespace, name)


class Store:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        seed: int = 0,
        validator: Validator | None = None,
        bootstrap_namespaces: bool = True,
        history: int = 5000,
    ):
        self.clock = clock or WallClock()
        self.rng = random.Random(seed)
        self.validator = validator
        self._lock = threading.RLock()
        self._objects: dict[str, dict[Key, dict]] = {k: {} for k in KINDS}
        self._rv = 0
        self._sequence = 0
        self._subscribers: list[Callable[[WatchEvent], None]] = []
        self._watches: list[Watch] = []
        self._history: deque[WatchEvent] = deque(maxlen=history)
        # Indexes: owner uid -> {(kind, ns, name)}; pods by node; (kind, label, value) -> keys.
        self._by_owner: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
        self._pods_by_node: dict[str, set[Key]] = defaultdict(set)
        self._by_label: dict[tuple[str, str, str], set[Key]] = defaultdict(set)
        self.allocator = registry.Allocator(self.rng)
        if bootstrap_namespaces:
            for ns in DEFAULT_NAMESPACES:
                self.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})

    # ---- helpers ---------------------------------------------------------

    @staticmethod
    def _info(kind: str) -> KindInfo:
        info = KINDS.get(kind)
        if info is None:
            raise NotFound(f'the server doesn\'t have a resource type "{kind}"')
        return info

    def _key(self, info: KindInfo, name: str, namespace: str | None) -> Key:
        return ((namespace or "default") if info.namespaced else "", name)

    def _not_found(self, info: KindInfo, name: str) -> NotFound:
        resource = f"{info.plural}.{info.group}" if info.group else info.plural
        return NotFound(f'{resource} "{name}" not found', kind=info.kind, name=name)

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    @property
    def resource_version(self) -> int:
        return self._rv

    def new_uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def next_sequence(self) -> int:
        """A per-store counter (deterministic names that must not collide)."""
        with self._lock:
            self._sequence += 1
            return self._sequence

    def random_suffix(self, n: int = 5) -> str:
        return "".join(self.rng.choices(NAME_ALPHABET, k=n))

    def now(self) -> str:
        return rfc3339(self.clock.now())

    # ---- indexes ---------------------------------------------------------

    def _index(self, kind: str, key: Key, obj: dict, add: bool) -> None:
        md = obj.get("metadata") or {}
        ref = (kind, key[0], key[1])
        for owner in md.get("ownerReferences") or []:
            uid = owner.get("uid")
            if uid:
                if add:
                    self._by_owner[uid].add(ref)
                else:
                    self._by_owner[uid].discard(ref)
                    if not self._by_owner[uid]:
                        del self._by_owner[uid]
        for lk, lv in (md.get("labels") or {}).items():
            ik = (kind, lk, str(lv))
            if add:
                self._by_label[ik].add(key)
            else:
                s = self._by_label.get(ik)
                if s is not None:
                    s.discard(key)
                    if not s:
                        del self._by_label[ik]
        if kind == "Pod":
            node = (obj.get("spec") or {}).get("nodeName")
            if node:
                if add:
                    self._pods_by_node[node].add(key)
                else:
                    self._pods_by_node[node].discard(key)

    # ---- events ----------------------------------------------------------

    def subscribe(self, handler: Callable[[WatchEvent], None]) -> Callable[[], None]:
        """Call `handler` synchronously for every change. Handlers must be quick
        (enqueue a key) and must not write to the store."""
        with self._lock:
            self._subscribers.append(handler)

        def unsubscribe() -> None:
            with self._lock:
                if handler in self._subscribers:
                    self._subscribers.remove(handler)

        return unsubscribe

    def watch(
        self,
        kinds: Iterable[str] | None = None,
        namespace: str | None = None,
        since: int | None = None,
    ) -> Watch:
        """A Watch of future changes; with `since`, first replays the changes after
        that resourceVersion (410 Gone when they are no longer kept)."""
        with self._lock:
            w = Watch(self, set(kinds) if kinds is not None else None, namespace)
            if since is not None and since < self._rv:
                oldest = self._history[0].resource_version if self._history else self._rv + 1
                if since + 1 < oldest:
                    raise Gone(f"too old resource version: {since} ({oldest - 1})")
                for ev in self._history:
                    if ev.resource_version > since:
                        w._offer(ev)
            self._watches.append(w)
            return w

    def _remove_watch(self, w: Watch) -> None:
        with self._lock:
            if w in self._watches:
                self._watches.remove(w)

    def _publish(self, ev: WatchEvent) -> None:
        self._history.append(ev)
        for handler in list(self._subscribers):
            handler(ev)
        for w in self._watches:
            w._offer(ev)

    # ---- reads -----------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None, *, copy: bool = True) -> dict:
        info = self._info(kind)
        with self._lock:
            obj = self._objects[kind].get(self._key(info, name, namespace))
            if obj is None:
                raise self._not_found(info, name)
            return clone(obj) if copy else obj

    def try_get(self, kind: str, name: str, namespace: str | None = None, *, copy: bool = True) -> dict | None:
        info = self._info(kind)
        with self._lock:
            obj = self._objects[kind].get(self._key(info, name, namespace))
            if obj is None:
                return None
            return clone(obj) if copy else obj

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Selector | None = None,
        fields: list[FieldRequirement] | None = None,
        *,
        copy: bool = True,
    ) -> list[dict]:
        """Objects of a kind, sorted by namespace then name (as the API lists them)."""
        self._info(kind)
        with self._lock:
            table = self._objects[kind]
            keys: Iterable[Key]
            eq = selector.equality_labels() if selector is not None else {}
            if eq:
                sets = [self._by_label.get((kind, k, v), set()) for k, v in eq.items()]
                keys = set.intersection(*sets) if sets else set()
            else:
                keys = table.keys()
            out = []
            for key in keys:
                if namespace and key[0] != namespace:
                    continue
                obj = table[key]
                if selector is not None and not selector.matches(labels_of(obj)):
                    continue
                if fields and not all(f.matches(obj) for f in fields):
                    continue
                out.append(obj)
            out.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
            return [clone(o) for o in out] if copy else out

    def owned_by(self, uid: str, kind: str | None = None, *, copy: bool = False) -> list[dict]:
        """Objects whose ownerReferences name `uid` (the garbage collector's graph)."""
        with self._lock:
            out = []
            for k, ns, name in sorted(self._by_owner.get(uid, ())):
                if kind is not None and k != kind:
                    continue
                obj = self._objects[k].get((ns, name))
                if obj is not None:
                    out.append(clone(obj) if copy else obj)
            return out

    def pods_on_node(self, node: str, *, copy: bool = False) -> list[dict]:
        with self._lock:
            table = self._objects["Pod"]
            out = [table[k] for k in sorted(self._pods_by_node.get(node, ())) if k in table]
            return [clone(o) for o in out] if copy else out

    def count(self, kind: str) -> int:
        with self._lock:
            return len(self._objects[kind])

    # ---- writes ----------------------------------------------------------

    def _validate(self, obj: dict, old: dict | None) -> None:
        if self.validator is None:
            return
        errors = self.validator(obj, old)
        if errors:
            raise Invalid(obj.get("kind", ""), (obj.get("metadata") or {}).get("name", ""), errors)

    def create(self, obj: dict, *, validate: bool = True, dry_run: bool = False, copy: bool = True) -> dict:
        """Create an object (a copy of `obj` is stored) and return the stored version.

        With copy=False the store takes `obj` itself and returns the stored dict:
        for in-process writers that build a fresh object and never touch it again."""
        kind = obj.get("kind", "")
        info = self._info(kind)
        if copy:
            obj = clone(obj)
        obj.setdefault("apiVersion", info.api_version)
        md = obj.get("metadata")
        if not isinstance(md, dict):
            md = obj["metadata"] = {}
        with self._lock:
            if not md.get("name") and md.get("generateName"):
                for _ in range(20):
                    candidate = f"{md['generateName']}{self.random_suffix()}"
                    if self._key(info, candidate, md.get("namespace")) not in self._objects[kind]:
                        md["name"] = candidate
                        break
            if not md.get("name"):
                raise Invalid(kind, "", [required("metadata.name", "name or generateName is required")])
            apply_defaults(obj, namespaced=info.namespaced)
            if not info.namespaced:
                md.pop("namespace", None)
            for f in ("resourceVersion", "uid", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation", "managedFields"):
                md.pop(f, None)
            if validate:
                self._validate(obj, None)
            key = self._key(info, md["name"], md.get("namespace"))
            if info.namespaced:
                ns = self._objects["Namespace"].get(("", key[0]))
                if ns is None:
                    raise NotFound(f'namespaces "{key[0]}" not found', kind="Namespace", name=key[0])
                if (ns.get("metadata") or {}).get("deletionTimestamp"):
                    raise Forbidden(
                        f'{kind.lower()}s "{md["name"]}" is forbidden: unable to create new content '
                        f"in namespace {key[0]} because it is being terminated"
                    )
            if key in self._objects[kind]:
                resource = f"{info.plural}.{info.group}" if info.group else info.plural
                raise AlreadyExists(f'{resource} "{md["name"]}" already exists', kind=kind, name=md["name"])
            md["uid"] = self.new_uid()
            md["creationTimestamp"] = self.now()
            if info.has_spec and kind not in ("Namespace", "Node", "Pod", "Service", "PersistentVolumeClaim"):
                md["generation"] = 1
            errors = registry.prepare_for_create(obj, alloc=self.allocator, now_ts=md["creationTimestamp"])
            if errors:
                raise Invalid(kind, md["name"], errors)
            if dry_run:
                return clone(obj)
            md["resourceVersion"] = str(self._next_rv())
            self._objects[kind][key] = obj
            self._index(kind, key, obj, True)
            self._publish(WatchEvent(ADDED, obj, None, self._rv))
            return clone(obj) if copy else obj

    def update(self, obj: dict, *, subresource: str | None = None, validate: bool = True) -> dict:
        """Replace an object. A non-empty, stale metadata.resourceVersion is a Conflict.

        With subresource="status" only `status` is taken from `obj`; otherwise
        `status` is kept from the stored object (as the main resource does).
        """
        kind = obj.get("kind", "")
        info = self._info(kind)
        md_in = obj.get("metadata") or {}
        name = md_in.get("name", "")
        with self._lock:
            key = self._key(info, name, md_in.get("namespace"))
            old = self._objects[kind].get(key)
            if old is None:
                raise self._not_found(info, name)
            rv = md_in.get("resourceVersion")
            if rv and str(rv) != old["metadata"]["resourceVersion"]:
                resource = f"{info.plural}.{info.group}" if info.group else info.plural
                raise Conflict(
                    f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
                    "modified; please apply your changes to the latest version and try again",
                    kind=kind, name=name,
                )
            if subresource == "status":
                new = clone(old)
                new["status"] = clone(obj.get("status") or {})
            else:
                new = clone(obj)
                new.setdefault("apiVersion", info.api_version)
                if info.has_spec and "status" in old:
                    new["status"] = clone(old["status"])
                md = new.setdefault("metadata", {})
                # The server owns these; a client cannot change them.
                for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
                    if f in old["metadata"]:
                        md[f] = old["metadata"][f]
                    else:
                        md.pop(f, None)
                if not info.namespaced:
                    md.pop("namespace", None)
                apply_defaults(new, namespaced=info.namespaced)
                if validate:
                    self._validate(new, old)
                errors = registry.prepare_for_update(new, old, alloc=self.allocator)
                if errors:
                    raise Invalid(kind, name, errors)
                if "generation" in old["metadata"]:
                    md["generation"] = old["metadata"]["generation"]
                    if _spec_of(new) != _spec_of(old):
                        md["generation"] += 1
            new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            if new == old:
                return clone(old)  # no-op writes keep the resourceVersion, as etcd3's GuaranteedUpdate
            new["metadata"]["resourceVersion"] = str(self._next_rv())
            self._index(kind, key, old, False)
            md_new = new["metadata"]
            if (md_new.get("deletionTimestamp") and not md_new.get("finalizers")
                    and not _awaits_kubelet(new) and not _namespace_pending(new)):
                self._publish_delete(kind, key, new)
                return clone(new)
            self._objects[kind][key] = new
            self._index(kind, key, new, True)
            self._publish(WatchEvent(MODIFIED, new, old, self._rv))
            return clone(new)

    def bind(self, name: str, namespace: str, node: str, *, resource_version: str | None = None) -> dict:
        """The pods/binding subresource: set spec.nodeName and PodScheduled=True in
        one write (pkg/registry/core/pod/storage: assignPod). Binding a pod that is
        already bound, or being deleted, is a Conflict."""
        with self._lock:
            info = self._info("Pod")
            key = self._key(info, name, namespace)
            old = self._objects["Pod"].get(key)
            if old is None:
                raise self._not_found(info, name)
            md = old["metadata"]
            if resource_version and resource_version != md["resourceVersion"]:
                raise Conflict(
                    f'Operation cannot be fulfilled on pods/binding "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again", kind="Pod", name=name,
                )
            if md.get("deletionTimestamp"):
                raise Conflict(f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is being deleted, '
                               "cannot be assigned to a host", kind="Pod", name=name)
            current = (old.get("spec") or {}).get("nodeName")
            if current:
                raise Conflict(f'Operation cannot be fulfilled on pods/binding "{name}": pod {name} is already '
                               f'assigned to node "{current}"', kind="Pod", name=name)
            new = dict(old)  # shallow: only spec, status and metadata are replaced below
            new["spec"] = {**old["spec"], "nodeName": node}
            status = dict(old.get("status") or {})
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
            conditions.append({"type": "PodScheduled", "status": "True", "lastProbeTime": None,
                               "lastTransitionTime": self.now()})
            status["conditions"] = conditions
            new["status"] = status
            new["metadata"] = {**md, "resourceVersion": str(self._next_rv())}
            self._index("Pod", key, old, False)
            self._objects["Pod"][key] = new
            self._index("Pod", key, new, True)
            self._publish(WatchEvent(MODIFIED, new, old, self._rv))
            return new

    def update_status(self, obj: dict) -> dict:
        return self.update(obj, subresource="status")

    def mutate(
        self,
        kind: str,
        name: str,
        namespace: str | None,
        fn: Callable[[dict], Any],
        *,
        subresource: str | None = None,
    ) -> dict | None:
        """Read-modify-write under the store lock (no conflict possible). `fn` edits
        a copy in place; returning False skips the write. None if the object is gone."""
        with self._lock:
            obj = self.try_get(kind, name, namespace)
            if obj is None:
                return None
            if fn(obj) is False:
                return obj
            return self.update(obj, subresource=subresource, validate=False)

    def delete(
        self,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str | None = None,
        grace_period_seconds: int | None = None,
        uid: str | None = None,
    ) -> dict:
        """Delete an object, as the API server does:

        - a Pod on a node is first marked (deletionTimestamp) and its kubelet
          finishes the deletion after stopping the containers (grace 0 deletes now);
        - `Foreground` and `Orphan` propagation add the foregroundDeletion /
          orphan finalizer for the garbage collector; `Background` (the default)
          removes the object now and the collector deletes its dependents.
        Returns the object as it was removed or marked.
        """
        info = self._info(kind)
        with self._lock:
            key = self._key(info, name, namespace)
            old = self._objects[kind].get(key)
            if old is None:
                raise self._not_found(info, name)
            if uid and old["metadata"]["uid"] != uid:
                raise Conflict(
                    f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                    f"{old['metadata']['uid']}", kind=kind, name=name,
                )
            new = clone(old)
            md = new["metadata"]
            finalizers = list(md.get("finalizers") or [])
            if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            elif propagation == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
            elif kind == "Namespace" and "kubernetes" in ((new.get("spec") or {}).get("finalizers") or []):
                pass  # the namespace controller empties it, then drops the spec finalizer
            grace = grace_period_seconds
            if kind == "Pod":
                if grace is None:
                    grace = (new.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                if not (new.get("spec") or {}).get("nodeName"):
                    grace = 0
            is_pod_graceful = kind == "Pod" and (grace or 0) > 0
            namespace_pending = kind == "Namespace" and (new.get("spec") or {}).get("finalizers")
            if finalizers or is_pod_graceful or namespace_pending:
                if md.get("deletionTimestamp"):
                    if kind == "Pod" and grace == 0:
                        md["deletionGracePeriodSeconds"] = 0
                    elif finalizers == list(md.get("finalizers") or []):
                        return clone(old)  # already being deleted
                else:
                    md["deletionTimestamp"] = self.now()
                    md["deletionGracePeriodSeconds"] = int(grace or 0)
                md["finalizers"] = finalizers
                if not finalizers:
                    md.pop("finalizers")
                if kind == "Namespace":
                    new.setdefault("status", {})["phase"] = "Terminating"
                if not md.get("finalizers") and not is_pod_graceful and not namespace_pending:
                    self._index(kind, key, old, False)
                    self._publish_delete(kind, key, new)
                    return clone(new)
                md["resourceVersion"] = str(self._next_rv())
                if "generation" in md:
                    md["generation"] += 1
                self._index(kind, key, old, False)
                self._objects[kind][key] = new
                self._index(kind, key, new, True)
                self._publish(WatchEvent(MODIFIED, new, old, self._rv))
                return clone(new)
            self._index(kind, key, old, False)
            self._publish_delete(kind, key, old)
            return clone(old)

    def _publish_delete(self, kind: str, key: Key, obj: dict) -> None:
        removed = self._objects[kind].pop(key, None)
        if kind == "Service" and removed is not None:
            self.allocator.release(removed)
        final = clone(obj)
        final["metadata"]["resourceVersion"] = str(self._next_rv())
        self._publish(WatchEvent(DELETED, final, removed, self._rv))

    # ---- snapshots -------------------------------------------------------

    def dump(self) -> list[dict]:
        """Every object (copies), for debugging and snapshots."""
        with self._lock:
            return [clone(o) for kind in self._objects for o in self._objects[kind].values()]


def _spec_of(obj: dict) -> str:
    rest = {k: v for k, v in obj.items() if k not in ("metadata", "status")}
    return json.dumps(rest, sort_keys=True, default=str)


def _awaits_kubelet(obj: dict) -> bool:
    """A terminating Pod on a node stays until its kubelet deletes it with grace 0."""
    if obj.get("kind") != "Pod":
        return False
    md = obj["metadata"]
    return bool((obj.get("spec") or {}).get("nodeName")) and md.get("deletionGracePeriodSeconds", 0) > 0


def _namespace_pending(obj: dict) -> bool:
    """A terminating Namespace stays until the namespace controller drops its spec finalizer."""
    return obj.get("kind") == "Namespace" and bool((obj.get("spec") or {}).get("finalizers"))


def pretty(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, default=str)
