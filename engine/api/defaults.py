"""Defaulting, as the API server does it before validation and storage.

Sources: pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go,
pkg/apis/batch/v1/defaults.go. Defaulting is idempotent: applying it twice
changes nothing, so it runs on every create and update.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}


def _d(m: dict, key: str, value: Any) -> Any:
    if m.get(key) is None:
        m[key] = value
    return m[key]


def _dict(m: dict, key: str) -> dict | None:
    v = m.get(key)
    return v if isinstance(v, dict) else None


def _image_pull_policy(image: Any) -> str:
    if not isinstance(image, str):
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return "IfNotPresent"
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def _default_probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    for k, v in _PROBE_DEFAULTS.items():
        _d(probe, k, v)
    http = _dict(probe, "httpGet")
    if http is not None:
        _d(http, "path", "/")
        _d(http, "scheme", "HTTP")


def _default_container(c: Any) -> None:
    if not isinstance(c, dict):
        return
    _d(c, "imagePullPolicy", _image_pull_policy(c.get("image")))
    _d(c, "terminationMessagePath", "/dev/termination-log")
    _d(c, "terminationMessagePolicy", "File")
    _d(c, "resources", {})
    for p in c.get("ports") or []:
        if isinstance(p, dict):
            _d(p, "protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _default_probe(c.get(name))
    res = _dict(c, "resources")
    if res is not None and isinstance(res.get("limits"), dict):
        # Requests default to limits for each resource with a limit.
        requests = res.setdefault("requests", {})
        if isinstance(requests, dict):
            for k, v in res["limits"].items():
                requests.setdefault(k, v)
    for e in c.get("env") or []:
        if isinstance(e, dict):
            fr = _dict(e.get("valueFrom") or {}, "fieldRef") if isinstance(e.get("valueFrom"), dict) else None
            if fr is not None:
                _d(fr, "apiVersion", "v1")


def default_pod_spec(spec: Any) -> None:
    if not isinstance(spec, dict):
        return
    _d(spec, "restartPolicy", "Always")
    _d(spec, "terminationGracePeriodSeconds", 30)
    _d(spec, "dnsPolicy", "ClusterFirst")
    _d(spec, "schedulerName", "default-scheduler")
    _d(spec, "securityContext", {})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            _default_container(c)
    for v in spec.get("volumes") or []:
        if not isinstance(v, dict):
            continue
        for src in ("configMap", "secret"):
            s = _dict(v, src)
            if s is not None:
                _d(s, "defaultMode", 420)
        ed = v.get("emptyDir", ...)
        if ed is None:
            v["emptyDir"] = {}


def _default_rolling_update(spec: dict, key: str, rolling: dict[str, Any]) -> None:
    """`strategy` / `updateStrategy`: type RollingUpdate unless set, and its defaults."""
    strategy = spec.get(key)
    if strategy is None:
        strategy = spec[key] = {}
    if not isinstance(strategy, dict):
        return
    _d(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.get("rollingUpdate")
        if ru is None:
            ru = strategy["rollingUpdate"] = {}
        if isinstance(ru, dict):
            for name, value in rolling.items():
                _d(ru, name, value)


def _default_template(spec: dict) -> None:
    tmpl = _dict(spec, "template")
    if tmpl is not None:
        default_pod_spec(tmpl.get("spec"))


def _deployment(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _d(spec, "replicas", 1)
    _default_rolling_update(spec, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})
    _d(spec, "revisionHistoryLimit", 10)
    _d(spec, "progressDeadlineSeconds", 600)
    _default_template(spec)


def _replicaset(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _d(spec, "replicas", 1)
    _default_template(spec)


def _replicationcontroller(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _d(spec, "replicas", 1)
    tmpl = _dict(spec, "template")
    if tmpl is not None:
        tlabels = (tmpl.get("metadata") or {}).get("labels") if isinstance(tmpl.get("metadata"), dict) else None
        if tlabels and not spec.get("selector"):
            spec["selector"] = dict(tlabels)
        md = obj.setdefault("metadata", {})
        if tlabels and isinstance(md, dict) and not md.get("labels"):
            md["labels"] = dict(tlabels)
    _default_template(spec)


def _daemonset(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _default_rolling_update(spec, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})
    _d(spec, "revisionHistoryLimit", 10)
    _default_template(spec)


def _statefulset(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _d(spec, "replicas", 1)
    _d(spec, "podManagementPolicy", "OrderedReady")
    _default_rolling_update(spec, "updateStrategy", {"partition": 0})
    _d(spec, "revisionHistoryLimit", 10)
    _d(spec, "persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
    for pvc in spec.get("volumeClaimTemplates") or []:
        if isinstance(pvc, dict):
            _pvc(pvc)
    _default_template(spec)


def _job(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    _d(spec, "parallelism", 1)
    _d(spec, "backoffLimit", 6)
    _d(spec, "completionMode", "NonIndexed")
    _d(spec, "suspend", False)
    _default_template(spec)


def _pod(obj: dict) -> None:
    default_pod_spec(obj.get("spec"))


def _service(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is None:
        return
    _d(spec, "type", "ClusterIP")
    _d(spec, "sessionAffinity", "None")
    for p in spec.get("ports") or []:
        if not isinstance(p, dict):
            continue
        _d(p, "protocol", "TCP")
        if p.get("targetPort") in (None, 0, "") and p.get("port") is not None:
            p["targetPort"] = p["port"]
    if spec.get("type") in ("NodePort", "LoadBalancer"):
        _d(spec, "externalTrafficPolicy", "Cluster")


def _secret(obj: dict) -> None:
    _d(obj, "type", "Opaque")


def _namespace(obj: dict) -> None:
    spec = obj.get("spec")
    if spec is None:
        spec = obj["spec"] = {}
    if isinstance(spec, dict):
        _d(spec, "finalizers", ["kubernetes"])


def _pvc(obj: dict) -> None:
    spec = _dict(obj, "spec")
    if spec is not None:
        _d(spec, "volumeMode", "Filesystem")


DEFAULTERS: dict[str, Callable[[dict], None]] = {
    "Deployment": _deployment,
    "ReplicaSet": _replicaset,
    "ReplicationController": _replicationcontroller,
    "DaemonSet": _daemonset,
    "StatefulSet": _statefulset,
    "Job": _job,
    "Pod": _pod,
    "Service": _service,
    "Secret": _secret,
    "Namespace": _namespace,
    "PersistentVolumeClaim": _pvc,
}


def apply_defaults(obj: dict, *, namespaced: bool = True) -> dict:
    """Default `obj` in place (and return it). Never raises on malformed input."""
    if not isinstance(obj, dict):
        return obj
    md = obj.get("metadata")
    if isinstance(md, dict) and namespaced and not md.get("namespace"):
        md["namespace"] = "default"
    fn = DEFAULTERS.get(obj.get("kind", ""))
    if fn is not None:
        fn(obj)
    return obj
