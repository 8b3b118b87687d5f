"""Strategic three-way merge, as `kubectl apply` computes it.

`original` is the last applied configuration (the
`kubectl.kubernetes.io/last-applied-configuration` annotation), `modified` the
manifest being applied, `current` the live object. Fields the user set are
taken from `modified`; fields the user set before and dropped now are removed;
fields nobody wrote in a manifest (defaults, what controllers own, status) are
kept. Lists of objects merge by their Kubernetes patch merge key
(`patchMergeKey` in k8s.io/api): containers by name, container ports by
containerPort, env by name, volumeMounts by mountPath, volumes by name, a
Service's ports by port. Other lists are replaced whole.
"""

from __future__ import annotations

from typing import Any

from .objects import clone

# Field name -> merge key (container ports vs Service ports are told apart by context).
MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "volumes": "name",
    "imagePullSecrets": "name",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "conditions": "type",
    "ownerReferences": "uid",
    "resourceClaims": "name",
}
# Lists of scalars merged as sets ($patch strategy "merge" on primitives).
SET_LISTS = {"finalizers"}


def merge_key(field: str, path: str, kind: str) -> str | None:
    if field == "ports":
        return "port" if kind == "Service" and path == "spec.ports" else "containerPort"
    return MERGE_KEYS.get(field)


def three_way_merge(original: Any, modified: Any, current: Any, *, kind: str = "", path: str = "") -> Any:
    """The live object after applying `modified` over `current` (inputs are not changed)."""
    if not isinstance(modified, dict) or not isinstance(current, dict):
        return clone(modified)
    original = original if isinstance(original, dict) else {}
    result = clone(current)
    for key in original:
        if key not in modified:
            result.pop(key, None)
    for key, mval in modified.items():
        child = f"{path}.{key}" if path else key
        cval = current.get(key)
        oval = original.get(key)
        if isinstance(mval, dict) and isinstance(cval, dict):
            result[key] = three_way_merge(oval, mval, cval, kind=kind, path=child)
        elif isinstance(mval, list) and isinstance(cval, list):
            result[key] = _merge_list(key, oval, mval, cval, kind=kind, path=child)
        else:
            result[key] = clone(mval)
    return result


def _merge_list(field: str, original: Any, modified: list, current: list, *, kind: str, path: str) -> list:
    mk = merge_key(field, path, kind)
    original = original if isinstance(original, list) else []
    if field in SET_LISTS and all(not isinstance(v, (dict, list)) for v in modified):
        dropped = {v for v in original if v not in modified}
        out = [clone(v) for v in modified]
        out += [v for v in current if v not in modified and v not in dropped]
        return out
    if mk is None or not all(isinstance(v, dict) and mk in v for v in modified):
        return clone(modified)
    cur_by = {v.get(mk): v for v in current if isinstance(v, dict)}
    orig_by = {v.get(mk): v for v in original if isinstance(v, dict)}
    mod_keys = [v[mk] for v in modified]
    out = []
    for item in modified:
        k = item[mk]
        if k in cur_by:
            out.append(three_way_merge(orig_by.get(k), item, cur_by[k], kind=kind, path=path))
        else:
            out.append(clone(item))
    # Items someone else added (never in a manifest) stay; ones the user dropped go.
    for item in current:
        if not isinstance(item, dict):
            continue
        k = item.get(mk)
        if k not in mod_keys and k not in orig_by:
            out.append(clone(item))
    return out
