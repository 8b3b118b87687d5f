"""Rules shared by every kind: object metadata, labels, annotations, label selectors.

Ported from apimachinery's ValidateObjectMeta, ValidateLabels, ValidateAnnotations
and ValidateLabelSelector. Field paths are Kubernetes' own (`metadata.labels`,
`data[key]`); when the line a learner should look at is elsewhere (the label's own
key, a template's `metadata.labels` reported as `spec.template.labels`), the error
carries a `source_path` used only to find the line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import FieldError, forbidden, invalid, required
from ..selectors import SelectorError, from_label_selector
from . import names

NameFn = Callable[[str, bool], list[str]]

# ValidateAnnotationsSize: the total size of all annotation keys and values.
TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024


def with_source(err: FieldError, source: str) -> FieldError:
    """Point an error at a source location other than its field path."""
    err.source_path = source  # type: ignore[attr-defined]
    return err


def child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def key(path: str, k: str) -> str:
    """A map entry, as field.Path.Key renders it: `data[my.key]`."""
    return f"{path}[{k}]"


def nonnegative(value: Any, path: str) -> list[FieldError]:
    """ValidateNonnegativeField."""
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [invalid(path, value, "must be greater than or equal to 0")]
    return []


def validate_name(name: Any, path: str, name_fn: NameFn, prefix: bool = False) -> list[FieldError]:
    if not isinstance(name, str):
        return []
    return [invalid(path, name, msg) for msg in name_fn(name, prefix)]


def validate_object_meta(
    meta: dict[str, Any], name_fn: NameFn, path: str = "metadata"
) -> list[FieldError]:
    """ValidateObjectMeta for a create.

    A missing namespace is not an error here: the API server fills it in from
    the request (kubectl's current namespace), as it would for the learner.
    """
    errs: list[FieldError] = []
    generate_name = meta.get("generateName") or ""
    if generate_name:
        errs += validate_name(generate_name, child(path, "generateName"), name_fn, prefix=True)
    name = meta.get("name") or ""
    if not name:
        if not generate_name:
            errs.append(required(child(path, "name"), "name or generateName is required"))
    else:
        errs += validate_name(name, child(path, "name"), name_fn)
    namespace = meta.get("namespace") or ""
    if namespace:
        errs += validate_name(namespace, child(path, "namespace"), names.name_is_dns_label)
    errs += nonnegative(meta.get("generation"), child(path, "generation"))
    errs += validate_labels(meta.get("labels"), child(path, "labels"))
    errs += validate_annotations(meta.get("annotations"), child(path, "annotations"))
    return errs


def validate_labels(labels: Any, path: str, source: str | None = None) -> list[FieldError]:
    """ValidateLabels: every key a qualified name, every value a label value.

    Kubernetes reports both at the map's path (`metadata.labels`); the line is
    the offending key's.
    """
    if not isinstance(labels, dict):
        return []
    src = source or path
    errs: list[FieldError] = []
    for k, v in labels.items():
        where = child(src, k)
        errs += [with_source(invalid(path, k, m), where) for m in names.is_qualified_name(k)]
        if isinstance(v, str):
            errs += [with_source(invalid(path, v, m), where) for m in names.is_valid_label_value(v)]
    return errs


def validate_annotations(
    annotations: Any, path: str, source: str | None = None
) -> list[FieldError]:
    if not isinstance(annotations, dict):
        return []
    src = source or path
    errs: list[FieldError] = []
    total = 0
    for k, v in annotations.items():
        # Annotation keys are qualified names, compared case-insensitively.
        errs += [
            with_source(invalid(path, k, m), child(src, k))
            for m in names.is_qualified_name(k.lower())
        ]
        total += len(k) + (len(v) if isinstance(v, str) else 0)
    if total > TOTAL_ANNOTATION_SIZE_LIMIT:
        errs.append(
            FieldError(
                "Too long", path, detail=f"may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes"
            )
        )
    return errs


# --- label selectors ---


def validate_label_selector(selector: Any, path: str) -> list[FieldError]:
    """ValidateLabelSelector (strict values, as for workload selectors)."""
    if not isinstance(selector, dict):
        return []
    errs = validate_labels(selector.get("matchLabels"), child(path, "matchLabels"))
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        errs += validate_selector_requirement(expr, f"{path}.matchExpressions[{i}]")
    return errs


def validate_selector_requirement(expr: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    op = expr.get("operator") or ""
    values = expr.get("values") or []
    if op in ("In", "NotIn"):
        if not values:
            errs.append(
                required(
                    child(path, "values"), "must be specified when `operator` is 'In' or 'NotIn'"
                )
            )
    elif op in ("Exists", "DoesNotExist"):
        if values:
            errs.append(
                forbidden(
                    child(path, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                )
            )
    else:
        errs.append(invalid(child(path, "operator"), op, "not a valid selector operator"))
    errs += [
        invalid(child(path, "key"), expr.get("key") or "", m)
        for m in names.is_qualified_name(expr.get("key") or "")
    ]
    for i, value in enumerate(values):
        errs += [
            invalid(f"{path}.values[{i}]", value, m) for m in names.is_valid_label_value(value)
        ]
    return errs


def selector_is_empty(selector: dict[str, Any]) -> bool:
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """labels.Selector.Matches for a metav1.LabelSelector; an unusable selector matches nothing."""
    try:
        return from_label_selector(selector).matches(labels)
    except SelectorError:
        return False
