"""The four PATCH bodies kube-apiserver accepts, applied to a stored object.

- JSON patch (RFC 6902, `application/json-patch+json`): add, remove, replace,
  move, copy, test — what `kubectl rollout undo` and `kubectl patch --type json` send;
- JSON merge patch (RFC 7386, `application/merge-patch+json`): maps merge,
  `null` deletes, lists are replaced — `kubectl scale`, `kubectl patch --type merge`;
- strategic merge patch (`application/strategic-merge-patch+json`): a merge
  patch in which lists of objects merge by their Kubernetes patch merge key
  (containers by name, ports by containerPort, a Service's ports by port, env
  by name, volumes by name, … — engine.api.merge.MERGE_KEYS), with the
  directives kubectl's client-side apply sends: `$patch: replace|delete|merge`,
  `$retainKeys`, `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`
  (k8s.io/apimachinery/pkg/util/strategicpatch/patch.go);
- server-side apply (`application/apply-patch+yaml`): see `server_side_apply`.

Each function returns a new value and never changes its inputs.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from engine.api.merge import MERGE_KEYS, SET_LISTS, merge_key, three_way_merge
from engine.api.objects import clone

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)

# Patch merge keys the engine's apply does not need but a status or SMP may carry.
_EXTRA_MERGE_KEYS = {"addresses": "type", "podIPs": "ip", "hostIPs": "ip", "schedulingGates": "name",
                     "allocatedResourcesStatus": "name"}
_SET_LISTS = SET_LISTS | {"podCIDRs"}
_DELETE_FROM = "$deleteFromPrimitiveList/"
_ORDER = "$setElementOrder/"


class PatchError(Exception):
    """The patch cannot be applied (the API server answers 422 or 400)."""

    def __init__(self, message: str, *, code: int = 422):
        self.code = code
        super().__init__(message)


def decode_body(body: bytes, content_type: str) -> Any:
    """A request body as JSON (YAML for server-side apply, protobuf from typed clients)."""
    from . import protobuf

    if content_type == protobuf.MEDIA_TYPE:
        try:
            return protobuf.decode(body)
        except (protobuf.ProtobufError, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise PatchError(f"cannot read the protobuf body: {exc}", code=415) from None
    try:
        if content_type == APPLY_PATCH or content_type.endswith("yaml"):
            return yaml.safe_load(body.decode("utf-8"))
        return json.loads(body.decode("utf-8") or "null")
    except (ValueError, yaml.YAMLError) as exc:
        raise PatchError(f"couldn't get version/kind; json parse error: {exc}", code=400) from None


def apply_patch(content_type: str, current: dict, patch: Any, *, kind: str) -> dict:
    """`current` with the patch applied, by its content type."""
    if content_type == JSON_PATCH:
        if not isinstance(patch, list):
            raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch", code=400)
        return json_patch(current, patch)
    if not isinstance(patch, dict):
        raise PatchError("the patch must be a JSON object", code=400)
    if content_type == MERGE_PATCH:
        return merge_patch(current, patch)
    if content_type == STRATEGIC_MERGE_PATCH:
        return strategic_merge_patch(current, patch, kind=kind)
    raise PatchError(f"the server does not support the patch type {content_type}", code=415)


# ---- RFC 6902 ------------------------------------------------------------------


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise PatchError(f'invalid JSON pointer "{path}"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise PatchError(f"doc is missing path: {path}: missing value")
    return cur


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise PatchError(f"doc is missing path: {path}: missing value")


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise PatchError(f"Unable to remove nonexistent key: {last}: missing value")


def _add(doc: Any, path: str, value: Any, *, replace: bool = False) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"replace operation does not apply: doc is missing key: {path}: missing value")
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise PatchError(f"add operation does not apply: doc is missing path: {path}: missing value")
    else:
        raise PatchError(f"doc is missing path: {path}: missing value")
    return doc


def json_patch(doc: Any, ops: list[Any]) -> Any:
    doc = clone(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op:
            raise PatchError("json patch operations must be objects with an \"op\"", code=400)
        kind, path = op["op"], op.get("path", "")
        if kind == "add":
            doc = _add(doc, path, clone(op.get("value")))
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "replace":
            doc = _add(doc, path, clone(op.get("value")), replace=True)
        elif kind == "move":
            value = _remove(doc, op.get("from", ""))
            doc = _add(doc, path, value)
        elif kind == "copy":
            doc = _add(doc, path, clone(_get(doc, op.get("from", ""))))
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise PatchError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f'Unexpected kind: {kind}', code=400)
    return doc


# ---- RFC 7386 ------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return clone(patch)
    result = clone(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# ---- strategic merge patch -------------------------------------------------------


def _merge_key(field: str, path: str, kind: str) -> str | None:
    return merge_key(field, path, kind) or _EXTRA_MERGE_KEYS.get(field)


def strategic_merge_patch(original: Any, patch: Any, *, kind: str, path: str = "") -> Any:
    """Apply a strategic merge patch to a map (None when the patch deletes it)."""
    if not isinstance(patch, dict):
        return clone(patch)
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: clone(v) for k, v in patch.items() if k != "$patch"}
    result = clone(original) if isinstance(original, dict) else {}
    retain = patch.get("$retainKeys")
    if isinstance(retain, list):
        for key in list(result):
            if key not in retain:
                del result[key]
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith(_ORDER):
            orders[key[len(_ORDER):]] = value if isinstance(value, list) else []
            continue
        if key.startswith(_DELETE_FROM):
            field = key[len(_DELETE_FROM):]
            drop = value if isinstance(value, list) else []
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in drop]
            continue
        child = f"{path}.{key}" if path else key
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge_patch(result.get(key), value, kind=kind, path=child)
            if merged is None:
                result.pop(key, None)
            else:
                result[key] = merged
        elif isinstance(value, list):
            result[key] = _merge_list(key, result.get(key), value, kind=kind, path=child)
        else:
            result[key] = value
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(field, result[field], order, kind=kind,
                                     path=f"{path}.{field}" if path else field)
    return result


def _merge_list(field: str, current: Any, patch: list, *, kind: str, path: str) -> list:
    current = current if isinstance(current, list) else []
    if any(isinstance(v, dict) and v.get("$patch") == "replace" for v in patch):
        return [clone(v) for v in patch if not (isinstance(v, dict) and v.get("$patch") == "replace")]
    if field in _SET_LISTS and all(not isinstance(v, (dict, list)) for v in patch):
        return list(current) + [v for v in patch if v not in current]
    key = _merge_key(field, path, kind)
    if key is None or not all(isinstance(v, dict) for v in patch):
        return clone(patch)
    out = clone(current)
    for item in patch:
        if item.get("$patch") == "delete":
            out = [v for v in out if not (isinstance(v, dict) and v.get(key) == item.get(key))]
            continue
        for i, existing in enumerate(out):
            if isinstance(existing, dict) and key in item and existing.get(key) == item[key]:
                out[i] = strategic_merge_patch(existing, item, kind=kind, path=path)
                break
        else:
            out.append(strategic_merge_patch({}, item, kind=kind, path=path))
    return out


def _reorder(field: str, items: list, order: list, *, kind: str, path: str) -> list:
    key = _merge_key(field, path, kind)

    def ident(v: Any) -> Any:
        if key is not None and isinstance(v, dict):
            return v.get(key)
        return json.dumps(v, sort_keys=True)

    wanted = [o.get(key) if key is not None and isinstance(o, dict) else json.dumps(o, sort_keys=True)
              for o in order]
    ranked = {w: i for i, w in enumerate(wanted)}
    listed = sorted((v for v in items if ident(v) in ranked), key=lambda v: ranked[ident(v)])
    others = [v for v in items if ident(v) not in ranked]
    return listed + others


# ---- server-side apply -----------------------------------------------------------


def server_side_apply(previous: dict | None, applied: dict, current: dict, *, kind: str) -> dict:
    """Server-side apply without field ownership tracking: the applied configuration
    merges over the live object as `kubectl apply` does (lists of objects by their
    merge keys), and fields this field manager applied last time but left out now
    are removed. `previous` is that manager's last applied configuration."""
    return three_way_merge(previous, applied, current, kind=kind)


__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_KEYS",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "STRATEGIC_MERGE_PATCH",
    "PatchError",
    "apply_patch",
    "decode_body",
    "json_patch",
    "merge_patch",
    "server_side_apply",
    "strategic_merge_patch",
]
