"""Small helpers over Kubernetes-shaped dicts (the store keeps plain JSON-like dicts)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def clone(o: Any) -> Any:
    """Deep-copy a JSON-like value; much faster than copy.deepcopy for dicts of scalars."""
    if isinstance(o, dict):
        return {k: clone(v) for k, v in o.items()}
    if isinstance(o, list):
        return [clone(v) for v in o]
    return o


def meta(obj: dict) -> dict:
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = obj["metadata"] = {}
    return m


def name_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def namespace_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace", "")


def uid_of(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("uid", "")


def labels_of(obj: dict) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def annotations_of(obj: dict) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def controller_of(obj: dict) -> dict | None:
    """The ownerReference with controller=true, if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owner_reference(owner: dict, *, controller: bool = True) -> dict:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": name_of(owner),
        "uid": uid_of(owner),
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def key_of(obj: dict) -> tuple[str, str, str]:
    """(kind, namespace, name): how the store addresses an object."""
    return obj.get("kind", ""), namespace_of(obj), name_of(obj)


def ref_str(kind: str, namespace: str, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"


def get_condition(obj: dict, type_: str) -> dict | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c
    return None


def iter_pod_specs(obj: dict) -> Iterator[tuple[str, dict]]:
    """The PodSpecs inside an object, with their field paths (Pod or pod template)."""
    kind = obj.get("kind")
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return
    if kind == "Pod":
        yield "spec", spec
        return
    tmpl = spec.get("template")
    if isinstance(tmpl, dict) and isinstance(tmpl.get("spec"), dict):
        yield "spec.template.spec", tmpl["spec"]
