"""Reading `application/vnd.kubernetes.protobuf` request bodies.

kubectl 1.32+ sends protobuf from its typed clients (`kubectl create configmap`,
`create secret`, `create deployment`, …). The body is the magic `k8s\\0`, then a
runtime.Unknown {typeMeta {apiVersion, kind}, raw}: `raw` is the object's
message. Field numbers come from engine/api/schema/proto-k8s.json
(tools/gen_proto.py, from kubernetes/api's generated.proto files). Answers are
always JSON (kubectl accepts both).

Go's protobuf marshalling writes every non-pointer field, zero or not, while its
JSON drops the `omitempty` zeros; so zero scalars are dropped here, except the
pointer fields in which a zero means something (`replicas: 0`, `runAsUser: 0`, …).
Messages are kept even when empty (`resources: {}`), as Go's JSON keeps structs.
"""

from __future__ import annotations

import base64
import json
import struct
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

MAGIC = b"k8s\x00"
MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "api" / "schema" / "proto-k8s.json"

_META = "k8s.io.apimachinery.pkg.apis.meta.v1."
_GROUPS = {"v1": "k8s.io.api.core.v1.", "apps/v1": "k8s.io.api.apps.v1.", "batch/v1": "k8s.io.api.batch.v1.",
           "autoscaling/v1": "k8s.io.api.autoscaling.v1."}

# Pointer fields whose zero value is meaningful (kept); other zero scalars are dropped.
KEEP_ZERO = {"replicas", "terminationGracePeriodSeconds", "activeDeadlineSeconds", "backoffLimit",
             "completions", "parallelism", "revisionHistoryLimit", "progressDeadlineSeconds",
             "ttlSecondsAfterFinished", "runAsUser", "runAsGroup", "fsGroup", "defaultMode", "mode",
             "tolerationSeconds", "gracePeriodSeconds", "expirationSeconds", "backoffLimitPerIndex",
             "maxFailedIndexes", "minAvailable"}
KEEP_FALSE = {"automountServiceAccountToken", "privileged", "allowPrivilegeEscalation", "runAsNonRoot",
              "readOnlyRootFilesystem", "immutable", "enableServiceLinks", "hostUsers",
              "setHostnameAsFQDN", "shareProcessNamespace", "suspend", "manualSelector",
              "allocateLoadBalancerNodePorts", "optional", "orphanDependents"}


class ProtobufError(Exception):
    pass


@lru_cache(maxsize=1)
def _messages() -> dict[str, dict[str, list[str]]]:
    return json.loads(SCHEMA_FILE.read_text())["messages"]


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7


def _fields(buf: bytes):
    """(field number, wire type, value) for each field; value is int or bytes."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            value, i = _varint(buf, i)
        elif wt == 1:
            value, i = struct.unpack_from("<Q", buf, i)[0], i + 8
        elif wt == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wt == 5:
            value, i = struct.unpack_from("<I", buf, i)[0], i + 4
        else:
            raise ProtobufError(f"unsupported wire type {wt}")
        yield num, wt, value


def _signed(v: int, bits: int) -> int:
    return v - (1 << bits) if v >= 1 << (bits - 1) else v


def _scalar(type_: str, wt: int, v: Any) -> Any:
    if type_ == "string":
        return bytes(v).decode("utf-8")
    if type_ == "bytes":
        return base64.b64encode(bytes(v)).decode()
    if type_ == "bool":
        return bool(v)
    if type_ in ("int32", "int64"):
        return _signed(v, 64)
    if type_ in ("double",):
        return struct.unpack("<d", struct.pack("<Q", v))[0]
    if type_ in ("float",):
        return struct.unpack("<f", struct.pack("<I", v))[0]
    return v


def _special(type_: str, buf: bytes) -> tuple[bool, Any]:
    """Types whose JSON form is not their message: Time, IntOrString, Quantity, raw JSON."""
    if type_ in (_META + "Time", _META + "MicroTime"):
        seconds = next((_signed(v, 64) for n, _, v in _fields(buf) if n == 1), 0)
        if not seconds:
            return True, None
        return True, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    if type_ == "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
        f = {n: v for n, _, v in _fields(buf)}
        if f.get(1, 0) == 1:
            return True, bytes(f.get(3, b"")).decode()
        return True, _signed(f.get(2, 0), 64)
    if type_ == "k8s.io.apimachinery.pkg.api.resource.Quantity":
        return True, next((bytes(v).decode() for n, _, v in _fields(buf) if n == 1), "0")
    if type_ in ("k8s.io.apimachinery.pkg.runtime.RawExtension", _META + "FieldsV1"):
        raw = next((bytes(v) for n, _, v in _fields(buf) if n == 1), b"")
        try:
            return True, json.loads(raw) if raw else None
        except ValueError:
            return True, None
    if type_ == _META + "Duration":
        return True, f"{next((_signed(v, 64) for n, _, v in _fields(buf) if n == 1), 0) / 1e9:g}s"
    return False, None


def _map_entry(type_: str, buf: bytes) -> tuple[Any, Any]:
    k_type, v_type = type_[4:-1].split(",", 1)
    key: Any = ""
    value: Any = "" if v_type in ("string", "bytes") else None
    for num, wt, v in _fields(buf):
        if num == 1:
            key = _scalar(k_type, wt, v)
        elif num == 2:
            value = _value(v_type, wt, v)
    return key, value


def _value(type_: str, wt: int, v: Any) -> Any:
    if type_ in ("string", "bytes", "bool", "int32", "int64", "uint32", "uint64", "double", "float"):
        return _scalar(type_, wt, v)
    handled, out = _special(type_, bytes(v))
    if handled:
        return out
    return decode_message(type_, bytes(v))


def decode_message(type_: str, buf: bytes) -> dict[str, Any]:
    schema = _messages().get(type_)
    if schema is None:
        raise ProtobufError(f"KubeQuest cannot read protobuf for {type_}: send JSON")
    out: dict[str, Any] = {}
    for num, wt, v in _fields(buf):
        field = schema.get(str(num))
        if field is None:
            continue  # a newer field than the schema knows
        name, ftype, label = field
        if ftype.startswith("map<"):
            key, value = _map_entry(ftype, bytes(v))
            out.setdefault(name, {})[key] = value
            continue
        if label == "repeated":
            items = out.setdefault(name, [])
            if wt == 2 and ftype in ("int32", "int64", "bool", "uint32", "uint64"):
                i, packed = 0, bytes(v)
                while i < len(packed):
                    x, i = _varint(packed, i)
                    items.append(_scalar(ftype, 0, x))
            else:
                items.append(_value(ftype, wt, v))
            continue
        value = _value(ftype, wt, v)
        if value is None or value == "" or (value is False and name not in KEEP_FALSE) or (
                value == 0 and not isinstance(value, bool) and name not in KEEP_ZERO):
            out.pop(name, None)
            continue
        out[name] = value
    return out


def decode(body: bytes) -> dict[str, Any]:
    """A protobuf-encoded object as its JSON dict (apiVersion and kind included)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the protobuf body does not start with the Kubernetes magic number")
    unknown = {n: v for n, _, v in _fields(body[len(MAGIC):])}
    type_meta = {n: bytes(v).decode() for n, _, v in _fields(bytes(unknown.get(1, b"")))}
    api_version, kind = type_meta.get(1, ""), type_meta.get(2, "")
    prefix = _GROUPS.get(api_version)
    if kind == "DeleteOptions":
        prefix = _META
    if prefix is None or not kind:
        raise ProtobufError(f"KubeQuest cannot read protobuf for {api_version} {kind}: send JSON")
    obj = decode_message(prefix + kind, bytes(unknown.get(2, b"")))
    return {"apiVersion": api_version, "kind": kind, **obj}
