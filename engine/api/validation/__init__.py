"""Manifest validation: every problem the API server would report on create, at once.

    validate(obj, old=None)   -> list[FieldError]   one decoded manifest (never raises)
    validate_documents(docs)  -> list[Problem]      loaded YAML documents, with lines

The layers, in the order the API server meets them:

1. schema.py    decoding: unknown fields, JSON types, required fields, quantities
                (driven by engine/api/schema/k8s-1.33.json, generated from the
                official OpenAPI by tools/gen_schema.py);
2. semantic.py  the per-kind rules of Validate<Kind> (podspec.py for pod specs,
                meta.py for metadata, labels and selectors, names.py for formats);
3. sandbox.py   KubeQuest's own policy: nothing that reaches the learner's host.

What may not change on an update (immutable selectors, Pod specs, …) is the
registry's business (engine/api/registry.py prepare_for_update), as the store
runs both; with `old`, validate() only stops checking the server-owned `status`.

A later layer's error at a field the schema layer already refused (wrong type,
missing) is dropped: Kubernetes would have stopped at decoding and said only that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..errors import INVALID, REQUIRED, FieldError, UnsupportedKind
from ..kinds import resolve
from ..source import Document
from .sandbox import check_sandbox
from .schema import check_structure, json_type
from .semantic import RULES

__all__ = ["INTERNAL_ERROR", "Problem", "validate", "validate_documents"]

# field.ErrorTypeInternal. validate() only returns it if a rule itself failed (a bug).
INTERNAL_ERROR = "Internal error"

NOT_A_MAPPING = "a manifest must be a mapping with apiVersion, kind and metadata"


@dataclass(frozen=True)
class Problem:
    """One problem in one manifest file, ready to print."""

    filename: str
    line: int
    kind: str  # "" when the document's kind itself is the problem
    name: str
    message: str  # `field.path: Type: value: detail`, or a whole sentence
    field: str = ""

    def __str__(self) -> str:
        where = f"{self.filename}:{self.line}"
        if not self.kind:
            return f"{where}: {self.message}"
        who = f"{self.kind}/{self.name}" if self.name else self.kind
        return f"{where}: {who}: {self.message}"


_KEY = re.compile(r"\[([^\]]*[^\]0-9][^\]]*|)\]")


def source_path(err: FieldError) -> str:
    """The path to look the error's line up with: Document paths join map keys with dots."""
    explicit = getattr(err, "source_path", None)
    if explicit:
        return explicit
    return _KEY.sub(lambda m: "." + m.group(1), err.field)


def _under(path: str, bad: set[str]) -> bool:
    while path:
        if path in bad:
            return True
        cut = max(path.rfind("."), path.rfind("["))
        if cut <= 0:
            return False
        path = path[:cut]
    return False


def _kind_error(obj: dict[str, Any], exc: UnsupportedKind) -> FieldError:
    kind = obj.get("kind")
    if not kind or not isinstance(kind, str):
        return FieldError(REQUIRED, "kind", detail=str(exc))
    if not obj.get("apiVersion") or not isinstance(obj.get("apiVersion"), str):
        return FieldError(REQUIRED, "apiVersion", detail=str(exc))
    return FieldError(INVALID, "kind", kind, str(exc))


def _check(obj: dict[str, Any], kind: str, old: Any) -> list[FieldError]:
    # On an update the store carries `status` over from the stored object: it is
    # the server's (controllers and kubelets write it), not the client's request.
    structure = check_structure(obj, kind, check_status=old is None)
    later = RULES[kind](structure.cleaned)
    later += check_sandbox(kind, structure.cleaned)
    result = list(structure.errors)
    seen = {(e.message(), source_path(e)) for e in result}
    for err in later:
        where = source_path(err)
        mark = (err.message(), where)
        if mark in seen or _under(where, structure.bad):
            continue
        seen.add(mark)
        result.append(err)
    return result


def _guarded(obj: dict[str, Any], kind: str, old: Any) -> list[FieldError]:
    try:
        return _check(obj, kind, old)
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises"
        return [
            FieldError(
                INTERNAL_ERROR,
                "",
                detail=f"KubeQuest's validator failed on this object ({type(exc).__name__}: {exc})",
            )
        ]


def validate(obj: Any, *, old: dict[str, Any] | None = None) -> list[FieldError]:
    """Every problem with one decoded manifest ([] when valid). Never raises.

    With `old` (the stored version, on an update), the server-owned `status` is not checked.
    """
    if not isinstance(obj, dict):
        return [FieldError(INVALID, "", json_type(obj), f"{NOT_A_MAPPING}, not {json_type(obj)}")]
    try:
        info = resolve(obj.get("apiVersion"), obj.get("kind"))
    except UnsupportedKind as exc:
        return [_kind_error(obj, exc)]
    return _guarded(obj, info.kind, old)


def _object_name(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def validate_documents(docs: Iterable[Document]) -> list[Problem]:
    """Validate loaded documents; each problem carries its document's kind, name and line."""
    problems: list[Problem] = []
    for doc in docs:
        obj = doc.obj
        if not isinstance(obj, dict):
            message = f"{NOT_A_MAPPING}, not {json_type(obj)}"
            problems.append(Problem(doc.filename, doc.start_line, "", "", message))
            continue
        try:
            info = resolve(obj.get("apiVersion"), obj.get("kind"))
        except UnsupportedKind as exc:
            line = doc.line_of("kind") if "kind" in obj else doc.start_line
            problems.append(Problem(doc.filename, line, "", "", str(exc)))
            continue
        found = []
        for err in _guarded(obj, info.kind, None):
            err.line = doc.line_of(source_path(err))
            found.append(
                Problem(
                    doc.filename, err.line, info.kind, _object_name(obj), err.message(), err.field
                )
            )
        # Sorted by line within the document (stable: same-line errors keep rule order).
        problems += sorted(found, key=lambda p: p.line)
    return problems
