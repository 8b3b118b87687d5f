"""Small formatting helpers shared by the printers and describe.

Sources: k8s.io/apimachinery/pkg/labels (`FormatLabels`, `Requirement.String`,
`internalSelector.String`), apimachinery/pkg/apis/meta/v1 (`FormatLabelSelector`,
`LabelSelectorAsSelector`, `GetControllerOf`).
"""

from __future__ import annotations

from typing import Any


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """obj["a"]["b"][0] that answers `default` for any missing or null step."""
    cur = obj
    for key in path:
        if isinstance(key, int):
            if not isinstance(cur, list) or not -len(cur) <= key < len(cur):
                return default
            cur = cur[key]
        else:
            if not isinstance(cur, dict):
                return default
            cur = cur.get(key)
        if cur is None:
            return default
    return cur


def as_int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def format_labels(labels: dict[str, str] | None) -> str:
    """labels.FormatLabels: `a=1,b=2` sorted by key, `<none>` when empty."""
    if not labels:
        return "<none>"
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def _requirement(key: str, op: str, values: list[str]) -> str:
    if op == "Exists":
        return key
    if op == "DoesNotExist":
        return "!" + key
    joined = values[0] if len(values) == 1 else ",".join(sorted(values))
    if op == "In":
        return f"{key} in ({joined})"
    if op == "NotIn":
        return f"{key} notin ({joined})"
    if op == "NotEquals":
        return f"{key}!={joined}"
    return f"{key}={joined}"


def selector_string(selector: dict | None) -> str:
    """LabelSelectorAsSelector(sel).String(): requirements sorted by key, "" for nil/empty."""
    if not selector:
        return ""
    reqs: list[tuple[str, str]] = []
    for key, value in (selector.get("matchLabels") or {}).items():
        reqs.append((key, _requirement(key, "Equals", [str(value)])))
    for expr in selector.get("matchExpressions") or []:
        key = expr.get("key", "")
        reqs.append((key, _requirement(key, expr.get("operator", ""), list(expr.get("values") or []))))
    reqs.sort(key=lambda r: r[0])  # stable, like sort.Sort on byKey for distinct keys
    return ",".join(text for _, text in reqs)


def format_label_selector(selector: dict | None) -> str:
    """metav1.FormatLabelSelector: like selector_string but `<none>` when empty."""
    return selector_string(selector) or "<none>"


def layout_container_cells(containers: list[dict] | None) -> tuple[str, str]:
    """printers.go layoutContainerCells: comma-joined names and images."""
    containers = containers or []
    return (
        ",".join(c.get("name", "") for c in containers),
        ",".join(c.get("image", "") for c in containers),
    )


def controller_of(obj: dict) -> dict | None:
    """metav1.GetControllerOf: the ownerReference with controller: true."""
    for ref in dig(obj, "metadata", "ownerReferences", default=[]):
        if ref.get("controller"):
            return ref
    return None


def is_controlled_by(obj: dict, owner: dict) -> bool:
    """True when obj's controller reference points at owner (by uid when both have one)."""
    ref = controller_of(obj)
    if ref is None:
        return False
    owner_uid = dig(owner, "metadata", "uid")
    if ref.get("uid") and owner_uid:
        return ref["uid"] == owner_uid
    return ref.get("kind") == owner.get("kind") and ref.get("name") == dig(owner, "metadata", "name")


def condition(obj: dict, cond_type: str) -> dict | None:
    for cond in dig(obj, "status", "conditions", default=[]):
        if cond.get("type") == cond_type:
            return cond
    return None


def condition_true(obj: dict, cond_type: str) -> bool:
    cond = condition(obj, cond_type)
    return cond is not None and cond.get("status") == "True"
