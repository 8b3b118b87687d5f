"""`kubectl apply` for a learner: create-or-update from a manifest.

Applying the same file twice changes nothing; re-applying keeps `status` and
what controllers own; a changed immutable field is refused by the store with
`field is immutable`. The last applied manifest is kept in the
`kubectl.kubernetes.io/last-applied-configuration` annotation, as kubectl does,
so a field removed from the file is removed from the object.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .errors import FieldError, Invalid
from .kinds import resolve
from .merge import three_way_merge
from .objects import clone
from .store import Store

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
CREATED, CONFIGURED, UNCHANGED = "created", "configured", "unchanged"


@dataclass
class ApplyResult:
    action: str  # created | configured | unchanged
    object: dict

    @property
    def ref(self) -> str:
        """kubectl's `deployment.apps/web` form."""
        from .kinds import KINDS

        info = KINDS[self.object["kind"]]
        resource = f"{info.singular}.{info.group}" if info.group else info.singular
        return f"{resource}/{self.object['metadata']['name']}"

    def __str__(self) -> str:
        return f"{self.ref} {self.action}"


def _last_applied(manifest: dict) -> str:
    m = clone(manifest)
    ann = (m.get("metadata") or {}).get("annotations")
    if isinstance(ann, dict):
        ann.pop(LAST_APPLIED, None)
        if not ann:
            m["metadata"].pop("annotations")
    return json.dumps(m, sort_keys=True, separators=(",", ":"))


def apply(
    store: Store,
    manifest: dict,
    *,
    namespace: str | None = None,
    validator: Callable[[dict, dict | None], list[FieldError]] | None = None,
) -> ApplyResult:
    """Create or update the object a manifest describes. Raises the store's
    API errors (Invalid with every cause, NotFound for a missing namespace …)
    and UnsupportedKind for a kind KubeQuest does not run."""
    info = resolve(manifest.get("apiVersion"), manifest.get("kind"))
    manifest = clone(manifest)
    md = manifest.setdefault("metadata", {})
    if info.namespaced and not md.get("namespace"):
        md["namespace"] = namespace or "default"
    if validator is not None:
        errors = validator(manifest, None)
        if errors:
            raise Invalid(info.kind, md.get("name", ""), errors)
    name = md.get("name", "")
    live = store.try_get(info.kind, name, md.get("namespace")) if name else None
    applied = _last_applied(manifest)
    if live is None:
        obj = clone(manifest)
        obj["metadata"].setdefault("annotations", {})[LAST_APPLIED] = applied
        return ApplyResult(CREATED, store.create(obj))
    previous = (live["metadata"].get("annotations") or {}).get(LAST_APPLIED)
    try:
        original = json.loads(previous) if previous else None
    except ValueError:
        original = None
    merged = three_way_merge(original, manifest, live, kind=info.kind)
    merged["metadata"].setdefault("annotations", {})[LAST_APPLIED] = applied
    merged["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    updated = store.update(merged)
    action = UNCHANGED if updated["metadata"]["resourceVersion"] == live["metadata"]["resourceVersion"] else CONFIGURED
    return ApplyResult(action, updated)
