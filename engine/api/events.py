"""Recording Events, as client-go's EventRecorder does: a repeat of the same
event (same object, reason, message, source) bumps `count` and
`lastTimestamp` instead of adding a new object."""

from __future__ import annotations

from .errors import APIStatusError
from .objects import name_of, namespace_of, uid_of
from .store import Store

NORMAL, WARNING = "Normal", "Warning"


class EventRecorder:
    def __init__(self, store: Store, component: str, host: str | None = None):
        self.store = store
        self.component = component
        self.host = host
        # (involved uid, reason, message) -> event name, for aggregation.
        self._seen: dict[tuple[str, str, str, str], str] = {}

    def event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        """Record an event about `obj` (any stored object)."""
        ns = namespace_of(obj) or "default"
        now = self.store.now()
        key = (uid_of(obj), reason, message, self.component)
        existing_name = self._seen.get(key)
        if existing_name is not None:
            def bump(ev: dict) -> None:
                ev["count"] = int(ev.get("count", 1)) + 1
                ev["lastTimestamp"] = now

            if self.store.mutate("Event", existing_name, ns, bump) is not None:
                return
        source = {"component": self.component}
        if self.host:
            source["host"] = self.host
        ev = {
            "apiVersion": "v1",
            "kind": "Event",
            # client-go names events <object>.<unix nanoseconds in hex>; the sequence
            # number keeps two events of one virtual instant apart.
            "metadata": {"name": f"{name_of(obj)}.{self._next_name_suffix():x}", "namespace": ns},
            "involvedObject": {
                "apiVersion": obj.get("apiVersion", ""),
                "kind": obj.get("kind", ""),
                "name": name_of(obj),
                "namespace": namespace_of(obj),
                "uid": uid_of(obj),
                "resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", ""),
            },
            "reason": reason,
            "message": message,
            "type": type_,
            "source": source,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "reportingComponent": self.component,
            "reportingInstance": self.host or "",
        }
        if not namespace_of(obj):
            ev["involvedObject"].pop("namespace")
        try:
            created = self.store.create(ev, validate=False, copy=False)
        except APIStatusError:
            # As client-go's recorder: an event that cannot be written (its
            # namespace is being deleted) is dropped, never an error for the caller.
            return
        self._seen[key] = created["metadata"]["name"]

    def _next_name_suffix(self) -> int:
        return int(self.store.clock.now() * 1e9) + self.store.next_sequence()

    def normal(self, obj: dict, reason: str, message: str) -> None:
        self.event(obj, NORMAL, reason, message)

    def warning(self, obj: dict, reason: str, message: str) -> None:
        self.event(obj, WARNING, reason, message)
