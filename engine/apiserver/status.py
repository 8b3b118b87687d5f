"""Kubernetes `Status` bodies: how the API server says no (and, for a delete, yes).

kubectl prints them as `Error from server (NotFound): pods "x" not found`; a
422 it rebuilds from `details.causes` as `The Deployment "web" is invalid:
spec.replicas: Invalid value: -1: …` (kubectl cmd/util/helpers.go), so every
FieldError becomes one cause with its field and `field.Error.ErrorBody()`.
"""

from __future__ import annotations

from typing import Any

from engine.api import errors as E
from engine.api.kinds import KindInfo

# apimachinery metav1.CauseType for each field.ErrorType.
CAUSE_TYPES = {
    E.REQUIRED: "FieldValueRequired",
    E.INVALID: "FieldValueInvalid",
    E.UNSUPPORTED: "FieldValueNotSupported",
    E.FORBIDDEN: "FieldValueForbidden",
    E.DUPLICATE: "FieldValueDuplicate",
    E.NOT_FOUND: "FieldValueNotFound",
    E.TOO_LONG: "FieldValueTooLong",
    E.TOO_MANY: "FieldValueTooMany",
    E.UNKNOWN_FIELD: "FieldValueInvalid",
}

REASONS = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
           405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict", 410: "Expired",
           415: "UnsupportedMediaType", 422: "Invalid", 500: "InternalError"}


class APIError(Exception):
    """An answer other than success, already shaped as a Status."""

    def __init__(self, code: int, message: str, *, reason: str | None = None,
                 details: dict[str, Any] | None = None):
        self.code = code
        self.reason = reason or REASONS.get(code, "InternalError")
        self.details = details
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        return status(self.code, self.reason, str(self), self.details)


def status(code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                            "message": message, "reason": reason, "code": code}
    if details:
        body["details"] = details
    return body


def success(info: KindInfo, obj: dict) -> dict[str, Any]:
    """What a DELETE answers when the object is gone at once."""
    md = obj.get("metadata") or {}
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
            "details": {"name": md.get("name", ""), "group": info.group, "kind": info.plural,
                        "uid": md.get("uid", "")}}


def cause(err: E.FieldError) -> dict[str, str]:
    return {"reason": CAUSE_TYPES.get(err.type, "FieldValueInvalid"), "message": err.body(),
            "field": err.field}


def from_engine(exc: E.APIStatusError, info: KindInfo | None = None) -> APIError:
    """The store's refusal as the API server words it."""
    details: dict[str, Any] = {}
    if exc.name:
        details["name"] = exc.name
    if info is not None:
        details["group"] = info.group
        details["kind"] = info.kind if exc.code == 422 else info.plural
    elif exc.kind:
        details["kind"] = exc.kind
    if exc.causes:
        details["causes"] = [cause(c) for c in exc.causes]
    return APIError(exc.code, str(exc), reason=exc.reason, details=details or None)


def unknown_fields(kind: str, causes: list[E.FieldError]) -> APIError:
    """Strict field validation: kube-apiserver's words for fields the schema lacks."""
    what = ", ".join(c.body() for c in causes)
    version = "v1"
    return APIError(400, f'{kind} in version "{version}" cannot be handled as a {kind}: '
                         f"strict decoding error: {what}")
