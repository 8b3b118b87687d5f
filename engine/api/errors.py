"""Errors as data, worded as the Kubernetes API server words them.

`FieldError` mirrors apimachinery's `field.Error`: a field path, an error type and
a value, rendered as `spec.replicas: Invalid value: -1: must be greater than or
equal to 0`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# The error types of k8s.io/apimachinery/pkg/util/validation/field/errors.go.
REQUIRED = "Required value"
INVALID = "Invalid value"
UNSUPPORTED = "Unsupported value"
FORBIDDEN = "Forbidden"
DUPLICATE = "Duplicate value"
NOT_FOUND = "Not found"
TOO_LONG = "Too long"
TOO_MANY = "Too many"
# Not a field.Error type in Kubernetes: strict decoding reports these apart,
# as `unknown field "spec.replica"`. We keep them in the same list.
UNKNOWN_FIELD = "Unknown field"

_OMITTED = object()
# Types whose body carries no value (field.Error.ErrorBody).
_VALUELESS = {REQUIRED, FORBIDDEN, TOO_LONG, TOO_MANY}


def render_value(value: Any) -> str:
    """Render a bad value as Kubernetes 1.34+ does: JSON for strings, maps and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    try:
        return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


@dataclass
class FieldError:
    """One problem at one field path."""

    type: str
    field: str
    value: Any = _OMITTED
    detail: str = ""
    # Filled in by whoever knows the source (the YAML loader), not by validators.
    line: int | None = None

    @property
    def has_value(self) -> bool:
        return self.value is not _OMITTED

    def body(self) -> str:
        if self.type == UNKNOWN_FIELD:
            return f'unknown field "{self.field}"'
        parts = [self.type]
        if self.type not in _VALUELESS and self.has_value:
            parts.append(render_value(self.value))
        if self.detail:
            parts.append(self.detail)
        return ": ".join(parts)

    def message(self) -> str:
        if self.type == UNKNOWN_FIELD:
            return self.body()
        return f"{self.field}: {self.body()}" if self.field else self.body()

    def __str__(self) -> str:
        return self.message()


def required(path: str, detail: str = "") -> FieldError:
    return FieldError(REQUIRED, path, detail=detail)


def invalid(path: str, value: Any, detail: str = "") -> FieldError:
    return FieldError(INVALID, path, value, detail)


def unsupported(path: str, value: Any, valid: list[str]) -> FieldError:
    quoted = ", ".join(f'"{v}"' for v in valid)
    return FieldError(UNSUPPORTED, path, value, f"supported values: {quoted}")


def forbidden(path: str, detail: str) -> FieldError:
    return FieldError(FORBIDDEN, path, detail=detail)


def duplicate(path: str, value: Any) -> FieldError:
    return FieldError(DUPLICATE, path, value)


def not_found(path: str, value: Any) -> FieldError:
    return FieldError(NOT_FOUND, path, value)


def unknown_field(path: str) -> FieldError:
    return FieldError(UNKNOWN_FIELD, path)


class KubeQuestError(Exception):
    """A user-facing failure: its str() is one clear sentence, never a traceback."""


class ManifestError(KubeQuestError):
    """A manifest could not be read or parsed (YAML syntax, not a mapping, …)."""

    def __init__(self, message: str, *, filename: str | None = None, line: int | None = None):
        self.filename = filename
        self.line = line
        self.reason = message
        where = filename or "<input>"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {message}")


class UnsupportedKind(KubeQuestError):
    """The manifest names a kind KubeQuest does not run, or no kind at all."""


class APIStatusError(KubeQuestError):
    """An API-level refusal, shaped like a Kubernetes `Status` (code + reason)."""

    code = 500
    reason = "InternalError"

    def __init__(self, message: str, *, kind: str = "", name: str = "", causes: list[FieldError] | None = None):
        self.kind = kind
        self.name = name
        self.causes = list(causes or [])
        super().__init__(message)


class NotFound(APIStatusError):
    code = 404
    reason = "NotFound"


class AlreadyExists(APIStatusError):
    code = 409
    reason = "AlreadyExists"


class Conflict(APIStatusError):
    code = 409
    reason = "Conflict"


class Invalid(APIStatusError):
    """HTTP 422: printed by kubectl as `The Deployment "x" is invalid: …`."""

    code = 422
    reason = "Invalid"

    def __init__(self, kind: str, name: str, causes: list[FieldError]):
        self.kind = kind
        self.name = name
        self.causes = list(causes)
        if len(causes) == 1:
            text = f'The {kind} "{name}" is invalid: {causes[0].message()}'
        else:
            text = f'The {kind} "{name}" is invalid: \n' + "\n".join(
                f"* {c.message()}" for c in causes
            )
        Exception.__init__(self, text)


class Forbidden(APIStatusError):
    code = 403
    reason = "Forbidden"


