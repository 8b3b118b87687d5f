"""The patch bodies kube-apiserver accepts, and protobuf request bodies."""

from __future__ import annotations

import base64

import pytest

from engine.apiserver import patch as P
from engine.apiserver.protobuf import decode

POD_SPEC = {"containers": [{"name": "web", "image": "web:1", "ports": [{"containerPort": 8080}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                           {"name": "side", "image": "side:1"}]}


def test_json_patch_ops() -> None:
    doc = {"spec": {"replicas": 1, "template": {"x": 1}}, "list": [1, 2]}
    out = P.json_patch(doc, [
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/list/-", "value": 3},
        {"op": "add", "path": "/metadata", "value": {"labels": {"a/b": "c"}}},
        {"op": "copy", "from": "/spec/replicas", "path": "/copied"},
        {"op": "move", "from": "/spec/template", "path": "/moved"},
        {"op": "remove", "path": "/list/0"},
        {"op": "test", "path": "/copied", "value": 3},
    ])
    assert out == {"spec": {"replicas": 3}, "list": [2, 3], "metadata": {"labels": {"a/b": "c"}},
                   "copied": 3, "moved": {"x": 1}}
    assert doc["spec"]["replicas"] == 1  # inputs untouched
    with pytest.raises(P.PatchError):
        P.json_patch(doc, [{"op": "replace", "path": "/nope/x", "value": 1}])
    with pytest.raises(P.PatchError):
        P.json_patch(doc, [{"op": "test", "path": "/spec/replicas", "value": 2}])


def test_merge_patch_rfc7386() -> None:
    doc = {"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": True}
    assert P.merge_patch(doc, {"a": {"b": None, "d": 4}, "list": [3], "gone": None}) == \
        {"a": {"c": 2, "d": 4}, "list": [3]}


def test_strategic_merge_containers_by_name_env_by_name() -> None:
    patch = {"containers": [{"name": "web", "image": "web:2", "env": [{"name": "B", "value": "3"}]}]}
    out = P.strategic_merge_patch(POD_SPEC, patch, kind="Pod", path="spec")
    web, side = out["containers"]
    assert web["image"] == "web:2" and side == {"name": "side", "image": "side:1"}
    assert web["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert web["ports"] == [{"containerPort": 8080}]


def test_strategic_merge_directives() -> None:
    delete = {"containers": [{"name": "side", "$patch": "delete"}]}
    assert [c["name"] for c in P.strategic_merge_patch(POD_SPEC, delete, kind="Pod", path="spec")["containers"]] \
        == ["web"]
    order = {"$setElementOrder/containers": [{"name": "side"}, {"name": "web"}],
             "containers": [{"name": "web", "image": "web:3"}]}
    out = P.strategic_merge_patch(POD_SPEC, order, kind="Pod", path="spec")
    assert [c["name"] for c in out["containers"]] == ["side", "web"]
    replace = {"containers": [{"name": "only", "image": "x"}, {"$patch": "replace"}]}
    assert P.strategic_merge_patch(POD_SPEC, replace, kind="Pod", path="spec")["containers"] == \
        [{"name": "only", "image": "x"}]
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}
    out = P.strategic_merge_patch({"strategy": strategy}, {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}},
                                  kind="Deployment", path="spec")
    assert out == {"strategy": {"type": "Recreate"}}
    meta = {"finalizers": ["a", "b"], "labels": {"x": "1", "y": "2"}}
    out = P.strategic_merge_patch(meta, {"$deleteFromPrimitiveList/finalizers": ["a"], "labels": {"y": None}},
                                  kind="Pod", path="metadata")
    assert out == {"finalizers": ["b"], "labels": {"x": "1"}}
    svc = {"ports": [{"port": 80, "targetPort": 8080}]}
    out = P.strategic_merge_patch(svc, {"ports": [{"port": 443, "targetPort": 8443}]}, kind="Service", path="spec")
    assert [p["port"] for p in out["ports"]] == [80, 443]


def test_server_side_apply_drops_what_the_manager_stopped_applying() -> None:
    live = {"metadata": {"name": "x", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}}
    first = {"metadata": {"name": "x", "labels": {"a": "1", "b": "2"}}}
    second = {"metadata": {"name": "x", "labels": {"a": "1"}}}
    out = P.server_side_apply(first, second, live, kind="Deployment")
    assert out["metadata"]["labels"] == {"a": "1"} and out["spec"] == {"replicas": 1}


# What kubectl 1.33 sent for `kubectl create configmap cfg2 --from-literal=a=b`.
CONFIGMAP_PROTO = bytes.fromhex(
    "6b3873000a0f0a027631120943 6f6e6669674d6170121e0a140a0463666732120 01a00220 02a003200380042001206"
    "0a0161120162 1a002200".replace(" ", ""))


def test_protobuf_configmap_from_kubectl() -> None:
    assert decode(CONFIGMAP_PROTO) == {"apiVersion": "v1", "kind": "ConfigMap",
                                       "metadata": {"name": "cfg2"}, "data": {"a": "b"}}


def _field(num: int, payload: bytes) -> bytes:
    return bytes([num << 3 | 2, len(payload)]) + payload


def test_protobuf_secret_bytes_and_zero_pointer() -> None:
    meta = _field(1, b"s")
    entry = _field(1, b"pw") + _field(2, b"x")
    raw = _field(1, meta) + _field(2, entry) + _field(3, b"Opaque")
    unknown = _field(1, _field(1, b"v1") + _field(2, b"Secret")) + _field(2, raw)
    obj = decode(b"k8s\x00" + unknown)
    assert obj["data"] == {"pw": base64.b64encode(b"x").decode()} and obj["type"] == "Opaque"
    # replicas: 0 is a pointer set to zero and stays; hostPort 0 is Go's zero value and goes.
    spec = bytes([1 << 3, 0])  # DeploymentSpec.replicas = 0
    dep = _field(1, meta) + _field(2, spec)
    unknown = _field(1, _field(1, b"apps/v1") + _field(2, b"Deployment")) + _field(2, dep)
    assert decode(b"k8s\x00" + unknown)["spec"] == {"replicas": 0}
