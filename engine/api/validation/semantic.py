"""Per-kind rules: what the API server's `Validate<Kind>` refuses on create.

Ported from pkg/apis/apps/validation, pkg/apis/batch/validation and
pkg/apis/core/validation, reading values after Kubernetes' defaulting
(replicas 1, strategy RollingUpdate 25%/25%, restartPolicy Always, …).
Inputs are schema.check_structure's cleaned objects.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from ..errors import FieldError, duplicate, forbidden, invalid, required, unsupported
from ..quantity import QuantityError
from ..quantity import parse as parse_quantity
from ..registry import NODE_PORT_RANGE
from . import names
from .meta import (
    child,
    key,
    nonnegative,
    selector_is_empty,
    selector_matches,
    validate_annotations,
    validate_label_selector,
    validate_labels,
    validate_object_meta,
    with_source,
)
from .podspec import (
    PORT_PROTOCOLS,
    TAINT_EFFECTS,
    validate_dns1123_label,
    validate_pod_spec,
    validate_port_num_or_name,
)

SERVICE_TYPES = ["ClusterIP", "ExternalName", "LoadBalancer", "NodePort"]
SESSION_AFFINITIES = ["ClientIP", "None"]
ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
MAX_SECRET_SIZE = 1024 * 1024


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or {}


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


# --- pod templates and workload selectors ---


def validate_pod_template_spec(
    template: dict[str, Any], path: str, *, claim_template_names: tuple[str, ...] = ()
) -> list[FieldError]:
    """ValidatePodTemplateSpec. Kubernetes reports the template's labels at
    `spec.template.labels` (ObjectMeta is embedded in its internal type)."""
    meta = template.get("metadata") or {}
    errs = validate_labels(
        meta.get("labels"), child(path, "labels"), child(path, "metadata.labels")
    )
    errs += validate_annotations(
        meta.get("annotations"), child(path, "annotations"), child(path, "metadata.annotations")
    )
    errs += validate_pod_spec(
        template.get("spec") or {}, child(path, "spec"), claim_template_names=claim_template_names
    )
    return errs


def _selector(
    spec: dict[str, Any], what: str, as_selector_msg: str | None
) -> tuple[list[FieldError], bool]:
    """The selector rules of Deployment/ReplicaSet/StatefulSet.

    Returns the errors and whether the selector converts (LabelSelectorAsSelector).
    """
    sel = spec.get("selector")
    if sel is None:
        # A nil selector selects nothing: the template check below still fails.
        return [required("spec.selector")], True
    errs = validate_label_selector(sel, "spec.selector")
    converts = not errs
    if selector_is_empty(sel):
        errs.append(invalid("spec.selector", sel, f"empty selector is invalid for {what}"))
    if not converts and as_selector_msg is not None:
        errs.append(invalid("spec.selector", sel, as_selector_msg))
    return errs, converts


def _template_matches(spec: dict[str, Any]) -> list[FieldError]:
    sel = spec.get("selector")
    template = spec.get("template") or {}
    labels = (template.get("metadata") or {}).get("labels")
    if sel is not None and selector_is_empty(sel):
        return []  # an empty selector is already refused; Kubernetes skips the match
    if sel is None or not selector_matches(sel, labels or {}):
        return [
            invalid(
                "spec.template.metadata.labels",
                labels,
                "`selector` does not match template `labels`",
            )
        ]
    return []


def _always_restart(template: dict[str, Any], owner: str) -> list[FieldError]:
    spec = template.get("spec") or {}
    errs = []
    policy = spec.get("restartPolicy") or "Always"
    if policy != "Always":
        errs.append(unsupported("spec.template.spec.restartPolicy", policy, ["Always"]))
    if spec.get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {owner} is not Supported",
            )
        )
    return errs


def _replica_set_like(obj: dict[str, Any], what: str) -> list[FieldError]:
    """ValidateReplicaSetSpec / the common half of ValidateDeploymentSpec."""
    spec = _spec(obj)
    errs = nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    sel_errs, converts = _selector(spec, what, "invalid label selector")
    errs += sel_errs
    if "template" in spec and converts:
        errs += _template_matches(spec)
        errs += validate_pod_template_spec(spec["template"], "spec.template")
        errs += _always_restart(spec["template"], "ReplicaSet")
    return errs


def _int_or_percent(value: Any, path: str) -> list[FieldError]:
    """ValidatePositiveIntOrPercent."""
    if isinstance(value, str):
        return [invalid(path, value, m) for m in names.is_valid_percent(value)]
    return nonnegative(value, path)


def _percent_value(value: Any) -> int | None:
    if isinstance(value, str) and not names.is_valid_percent(value):
        return int(value[:-1])
    return None


def _int_or_percent_value(value: Any) -> int:
    pct = _percent_value(value)
    if pct is not None:
        return pct
    return value if isinstance(value, int) else 0


def _not_more_than_100(value: Any, path: str) -> list[FieldError]:
    pct = _percent_value(value)
    if pct is not None and pct > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


# --- apps/v1 ---


def validate_deployment(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    errs += _replica_set_like(obj, "deployment")
    strategy = spec.get("strategy") or {}
    stype = strategy.get("type") or "RollingUpdate"
    if stype == "Recreate":
        if "rollingUpdate" in strategy:
            errs.append(
                forbidden(
                    "spec.strategy.rollingUpdate",
                    "may not be specified when strategy `type` is 'Recreate'",
                )
            )
    elif stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        path = "spec.strategy.rollingUpdate"
        surge = ru.get("maxSurge", "25%")
        unavailable = ru.get("maxUnavailable", "25%")
        errs += _int_or_percent(unavailable, f"{path}.maxUnavailable")
        errs += _int_or_percent(surge, f"{path}.maxSurge")
        if _int_or_percent_value(unavailable) == 0 and _int_or_percent_value(surge) == 0:
            errs.append(
                invalid(f"{path}.maxUnavailable", unavailable, "may not be 0 when `maxSurge` is 0")
            )
        errs += _not_more_than_100(unavailable, f"{path}.maxUnavailable")
    else:
        errs.append(unsupported("spec.strategy", strategy, ["Recreate", "RollingUpdate"]))
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if deadline is not None:
        errs += nonnegative(deadline, "spec.progressDeadlineSeconds")
        if deadline <= (spec.get("minReadySeconds") or 0):
            errs.append(
                invalid(
                    "spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds"
                )
            )
    return errs


def validate_replica_set(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    # Kubernetes' ReplicaSet validation says "for deployment" here too.
    return errs + _replica_set_like(obj, "deployment")


def validate_daemon_set(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    sel = spec.get("selector")
    sel_errs = validate_label_selector(sel, "spec.selector")
    errs += sel_errs
    if sel is not None and selector_is_empty(sel):
        errs.append(invalid("spec.selector", sel, "empty selector is invalid for daemonset"))
    if "template" in spec:
        if not sel_errs and not (sel is not None and selector_is_empty(sel)):
            errs += _template_matches(spec)
        errs += validate_pod_template_spec(spec["template"], "spec.template")
        errs += _always_restart(spec["template"], "DaemonSet")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type") or "RollingUpdate"
    if stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        path = "spec.updateStrategy.rollingUpdate"
        unavailable, surge = ru.get("maxUnavailable", 1), ru.get("maxSurge", 0)
        errs += _int_or_percent(unavailable, f"{path}.maxUnavailable")
        errs += _int_or_percent(surge, f"{path}.maxSurge")
        errs += _not_more_than_100(unavailable, f"{path}.maxUnavailable")
        errs += _not_more_than_100(surge, f"{path}.maxSurge")
        has_unavailable = _int_or_percent_value(unavailable) != 0
        has_surge = _int_or_percent_value(surge) != 0
        if has_unavailable and has_surge:
            errs.append(
                invalid(f"{path}.maxSurge", surge, "may not be set when maxUnavailable is non-zero")
            )
        elif not has_unavailable and not has_surge:
            errs.append(required(f"{path}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    elif stype != "OnDelete":
        errs.append(unsupported("spec.updateStrategy", strategy, ["RollingUpdate", "OnDelete"]))
    return errs


def validate_stateful_set(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    # Recent Kubernetes validates StatefulSet names as DNS labels: they become pod hostnames.
    errs = validate_object_meta(_meta(obj), names.name_is_dns_label)
    policy = spec.get("podManagementPolicy") or "OrderedReady"
    if policy not in ("OrderedReady", "Parallel"):
        errs.append(
            invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'")
        )
    strategy = spec.get("updateStrategy") or {}
    stype = strategy.get("type") or "RollingUpdate"
    if stype == "OnDelete":
        if "rollingUpdate" in strategy:
            errs.append(
                invalid(
                    "spec.updateStrategy.rollingUpdate",
                    strategy["rollingUpdate"],
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            )
    elif stype == "RollingUpdate":
        ru = strategy.get("rollingUpdate") or {}
        path = "spec.updateStrategy.rollingUpdate"
        errs += nonnegative(ru.get("partition"), f"{path}.partition")
        if "maxUnavailable" in ru:
            mu = ru["maxUnavailable"]
            errs += _int_or_percent(mu, f"{path}.maxUnavailable")
            if _int_or_percent_value(mu) == 0:
                errs.append(invalid(f"{path}.maxUnavailable", mu, "cannot be 0"))
            errs += _not_more_than_100(mu, f"{path}.maxUnavailable")
    else:
        errs.append(
            invalid("spec.updateStrategy", strategy, "must be 'RollingUpdate' or 'OnDelete'")
        )
    retention = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    for field_name in ("whenDeleted", "whenScaled"):
        value = retention.get(field_name) or "Retain"
        if value not in ("Retain", "Delete"):
            errs.append(
                unsupported(
                    f"spec.persistentVolumeClaimRetentionPolicy.{field_name}",
                    value,
                    ["Retain", "Delete"],
                )
            )
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonnegative((spec.get("ordinals") or {}).get("start"), "spec.ordinals.start")
    sel_errs, converts = _selector(spec, "statefulset", "")
    errs += sel_errs
    if "template" in spec and converts:
        errs += _template_matches(spec)
        # Kubernetes leaves a StatefulSet's pod spec to pod creation; KubeQuest checks it
        # now (the claim templates count as volumes) so a broken template is found at once.
        claims = tuple(
            (c.get("metadata") or {}).get("name") or ""
            for c in spec.get("volumeClaimTemplates") or []
        )
        errs += validate_pod_template_spec(
            spec["template"], "spec.template", claim_template_names=claims
        )
        errs += _always_restart(spec["template"], "StatefulSet")
    return errs


# --- batch/v1 ---


def validate_job(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    for field_name in (
        "parallelism",
        "completions",
        "activeDeadlineSeconds",
        "backoffLimit",
        "ttlSecondsAfterFinished",
    ):
        errs += nonnegative(spec.get(field_name), f"spec.{field_name}")
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        errs.append(unsupported("spec.completionMode", mode, ["NonIndexed", "Indexed"]))
    sel = spec.get("selector")
    if spec.get("manualSelector") is True:
        if sel is None:
            errs.append(required("spec.selector"))
        else:
            sel_errs = validate_label_selector(sel, "spec.selector")
            errs += sel_errs
            if not sel_errs and "template" in spec:
                errs += _template_matches(spec)
    elif sel is not None:
        # ValidateGeneratedSelector: without manualSelector the selector is the one the
        # API server generates from the Job's uid; a selector written by hand is refused.
        uid = _meta(obj).get("uid") or ""
        expected = {"batch.kubernetes.io/controller-uid": uid}
        if not uid or not selector_matches(sel, expected):
            errs.append(invalid("spec.selector", sel, "`selector` not auto-generated"))
    if "template" in spec:
        template = spec["template"]
        errs += validate_pod_template_spec(template, "spec.template")
        # A template without restartPolicy is defaulted to Always, which a Job refuses.
        policy = (template.get("spec") or {}).get("restartPolicy") or "Always"
        if policy not in ("OnFailure", "Never"):
            errs.append(
                unsupported("spec.template.spec.restartPolicy", policy, ["OnFailure", "Never"])
            )
    return errs


# --- core/v1 ---


def validate_pod(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    errs += validate_pod_spec(spec, "spec")
    for list_name in ("containers", "initContainers"):
        for i, ctr in enumerate(spec.get(list_name) or []):
            image = ctr.get("image") or ""
            if image and image != image.strip():
                errs.append(
                    invalid(
                        f"spec.{list_name}[{i}].image",
                        image,
                        "must not have leading or trailing whitespace",
                    )
                )
    if spec.get("ephemeralContainers"):
        errs.append(forbidden("spec.ephemeralContainers", "cannot be set on create"))
    return errs


def validate_replication_controller(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    template = spec.get("template")
    labels = ((template or {}).get("metadata") or {}).get("labels") or {}
    # The selector defaults to the template's labels.
    selector = spec.get("selector") or labels
    if not selector:
        errs.append(required("spec.selector"))
    if template is None:
        errs.append(required("spec.template"))
        return errs
    if selector and not all(labels.get(k) == v for k, v in selector.items()):
        errs.append(
            invalid(
                "spec.template.metadata.labels",
                labels or None,
                "`selector` does not match template `labels`",
            )
        )
    errs += validate_pod_template_spec(template, "spec.template")
    errs += _always_restart(template, "ReplicationController")
    return errs


def _headless(spec: dict[str, Any]) -> bool:
    return (spec.get("type") or "ClusterIP") == "ClusterIP" and spec.get("clusterIP") == "None"


def validate_service(obj: dict[str, Any]) -> list[FieldError]:
    spec = _spec(obj)
    errs = validate_object_meta(_meta(obj), names.name_is_dns1035_label)
    stype = spec.get("type") or "ClusterIP"
    headless = _headless(spec)
    ports = spec.get("ports") or []
    if not ports and not headless and stype != "ExternalName":
        errs.append(required("spec.ports"))
    if headless and spec.get("sessionAffinity") == "ClientIP":
        errs.append(
            invalid("spec.sessionAffinity", "ClientIP", "must be None when spec.clusterIP is None")
        )
    if stype == "ExternalName":
        external = spec.get("externalName") or ""
        if not external:
            errs.append(required("spec.externalName"))
        else:
            errs += [
                invalid("spec.externalName", external, m)
                for m in names.is_dns1123_subdomain(external)
            ]
    elif spec.get("externalName"):
        errs.append(
            forbidden("spec.externalName", "may not be set when `type` is not 'ExternalName'")
        )
    seen_names: set[str] = set()
    for i, port in enumerate(ports):
        errs += _service_port(port, f"spec.ports[{i}]", len(ports) > 1, seen_names)
    errs += validate_labels(spec.get("selector"), "spec.selector")
    affinity = spec.get("sessionAffinity") or "None"
    if affinity not in SESSION_AFFINITIES:
        errs.append(unsupported("spec.sessionAffinity", affinity, SESSION_AFFINITIES))
    if stype not in SERVICE_TYPES:
        errs.append(unsupported("spec.type", stype, SERVICE_TYPES))
    cluster_ip = spec.get("clusterIP") or ""
    if cluster_ip and cluster_ip != "None":
        try:
            ipaddress.ip_address(cluster_ip)
        except ValueError:
            errs.append(
                invalid(
                    "spec.clusterIP",
                    cluster_ip,
                    "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                )
            )
    errs += _node_ports(ports, stype)
    seen_ports: set[tuple[str, int]] = set()
    for i, port in enumerate(ports):
        pair = (port.get("protocol") or "TCP", port.get("port") or 0)
        if pair in seen_ports:
            errs.append(duplicate(f"spec.ports[{i}]", {"port": pair[1], "protocol": pair[0]}))
        seen_ports.add(pair)
    return errs


def _service_port(
    port: dict[str, Any], path: str, require_name: bool, seen: set[str]
) -> list[FieldError]:
    errs: list[FieldError] = []
    name = port.get("name") or ""
    if require_name and not name:
        errs.append(required(f"{path}.name"))
    elif name:
        errs += validate_dns1123_label(name, f"{path}.name")
        if name in seen:
            errs.append(duplicate(f"{path}.name", name))
        else:
            seen.add(name)
    if "port" in port:
        errs += [
            invalid(f"{path}.port", port["port"], m) for m in names.is_valid_port_num(port["port"])
        ]
    protocol = port.get("protocol", "TCP")
    if not protocol:
        errs.append(required(f"{path}.protocol"))
    elif protocol not in PORT_PROTOCOLS:
        errs.append(unsupported(f"{path}.protocol", protocol, PORT_PROTOCOLS))
    # targetPort defaults to port; 0 means "unset" too.
    target = port.get("targetPort")
    if target not in (None, 0, ""):
        errs += validate_port_num_or_name(target, f"{path}.targetPort")
    return errs


def _node_ports(ports: list[dict[str, Any]], stype: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[tuple[str, int]] = set()
    lo, hi = NODE_PORT_RANGE
    for i, port in enumerate(ports):
        node_port = port.get("nodePort") or 0
        if not node_port:
            continue
        path = f"spec.ports[{i}].nodePort"
        if stype == "ClusterIP":
            errs.append(forbidden(path, "may not be used when `type` is 'ClusterIP'"))
            continue
        if stype in ("NodePort", "LoadBalancer") and not lo <= node_port <= hi:
            # The allocator's words (registry/core/service/portallocator), not validation's.
            errs.append(
                invalid(
                    path,
                    node_port,
                    "provided port is not in the valid range. "
                    f"The range of valid ports is {lo}-{hi}",
                )
            )
        pair = (port.get("protocol") or "TCP", node_port)
        if pair in seen:
            errs.append(duplicate(path, node_port))
        seen.add(pair)
    return errs


def _config_keys(data: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for k in data:
        errs += [
            with_source(invalid(key(path, k), k, m), child(path, k))
            for m in names.is_config_map_key(k)
        ]
    return errs


def validate_config_map(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    data = obj.get("data") or {}
    binary = obj.get("binaryData") or {}
    errs += _config_keys(data, "data")
    errs += _config_keys(binary, "binaryData")
    for k in data:
        if k in binary:
            errs.append(invalid(key("data", k), k, "duplicate of key present in binaryData"))
            errs.append(invalid(key("binaryData", k), k, "duplicate of key present in data"))
    for k, v in binary.items():
        errs += _base64(v, key("binaryData", k), child("binaryData", k))
    size = sum(len(v) for v in data.values()) + sum(len(v) for v in binary.values())
    if size > MAX_SECRET_SIZE:
        errs.append(
            FieldError("Too long", "", detail=f"may not be more than {MAX_SECRET_SIZE} bytes")
        )
    return errs


def base64_error(text: str) -> str | None:
    """Where Go's base64.StdEncoding.Decode fails, as its CorruptInputError words it.

    Kubernetes decodes Secret `data` with it while reading the request, so the
    learner sees e.g. `illegal base64 data at input byte 4`. CR and LF are skipped.
    """
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    src = text.encode("utf-8")
    si, n = 0, len(src)
    while si < n:
        j = 0
        while j < 4:
            if si == n:
                if j == 0:
                    return None
                return f"illegal base64 data at input byte {si - j}"
            ch = chr(src[si])
            si += 1
            if ch in alphabet:
                j += 1
                continue
            if ch in "\r\n":
                continue
            if ch != "=":
                return f"illegal base64 data at input byte {si - 1}"
            # Padding: only after 2 or 3 characters of a quantum.
            if j in (0, 1):
                return f"illegal base64 data at input byte {si - 1}"
            if j == 2:
                while si < n and chr(src[si]) in "\r\n":
                    si += 1
                if si == n:
                    return f"illegal base64 data at input byte {n}"
                if chr(src[si]) != "=":
                    return f"illegal base64 data at input byte {si - 1}"
                si += 1
            while si < n and chr(src[si]) in "\r\n":
                si += 1
            if si < n:
                return f"illegal base64 data at input byte {si}"
            return None
    return None


def _base64(value: Any, path: str, source: str) -> list[FieldError]:
    if not isinstance(value, str):
        return []
    problem = base64_error(value)
    if problem is None:
        return []
    # The API server refuses the whole request while decoding ("Secret in version
    # "v1" cannot be handled as a Secret: …"); we say which key, and redact as it does.
    return [with_source(invalid(path, "<secret contents redacted>", problem), source)]


def validate_secret(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    data = obj.get("data") or {}
    string_data = obj.get("stringData") or {}
    errs += _config_keys(data, "data")
    for k, v in data.items():
        errs += _base64(v, key("data", k), child("data", k))
    # stringData is merged into data before validation, so its keys are reported as data[...].
    for k in string_data:
        errs += [
            with_source(invalid(key("data", k), k, m), child("stringData", k))
            for m in names.is_config_map_key(k)
        ]
    keys = set(data) | set(string_data)
    size = sum(len(v) * 3 // 4 for v in data.values()) + sum(len(v) for v in string_data.values())
    if size > MAX_SECRET_SIZE:
        errs.append(
            FieldError("Too long", "data", detail=f"may not be more than {MAX_SECRET_SIZE} bytes")
        )
    stype = obj.get("type") or "Opaque"
    need: list[str] = []
    if stype == "kubernetes.io/service-account-token":
        annotations = _meta(obj).get("annotations") or {}
        if not annotations.get("kubernetes.io/service-account.name"):
            errs.append(required("metadata.annotations[kubernetes.io/service-account.name]"))
    elif stype == "kubernetes.io/dockercfg":
        need = [".dockercfg"]
    elif stype == "kubernetes.io/dockerconfigjson":
        need = [".dockerconfigjson"]
    elif stype == "kubernetes.io/basic-auth":
        if "username" not in keys and "password" not in keys:
            need = ["username", "password"]
    elif stype == "kubernetes.io/ssh-auth":
        need = ["ssh-privatekey"]
    elif stype == "kubernetes.io/tls":
        need = ["tls.crt", "tls.key"]
    errs += [required(key("data", k)) for k in need if k not in keys]
    return errs


def validate_namespace(obj: dict[str, Any]) -> list[FieldError]:
    return validate_object_meta(_meta(obj), names.name_is_dns_label)


def validate_node(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    seen: set[tuple[str, str]] = set()
    for i, taint in enumerate(_spec(obj).get("taints") or []):
        path = f"spec.taints[{i}]"
        k, value, effect = (
            taint.get("key") or "",
            taint.get("value") or "",
            taint.get("effect") or "",
        )
        errs += [invalid(f"{path}.key", k, m) for m in names.is_qualified_name(k)]
        msgs = names.is_valid_label_value(value)
        if msgs:
            errs.append(invalid(f"{path}.value", value, ";".join(msgs)))
        if not effect:
            errs.append(required(f"{path}.effect"))
        elif effect not in TAINT_EFFECTS:
            errs.append(unsupported(f"{path}.effect", effect, TAINT_EFFECTS))
        if (k, effect) in seen:
            err = duplicate(path, taint)
            err.detail = "taints must be unique by key and effect pair"
            errs.append(err)
        seen.add((k, effect))
    return errs


def _claim_spec(spec: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    modes = spec.get("accessModes") or []
    if not modes:
        errs.append(required(f"{path}.accessModes", "at least 1 access mode is required"))
    for mode in modes:
        if mode not in ACCESS_MODES:
            errs.append(unsupported(f"{path}.accessModes", mode, ACCESS_MODES))
    storage_path = key(f"{path}.resources", "storage")
    raw = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    if raw is None:
        errs.append(with_source(required(storage_path), f"{path}.resources.requests"))
    else:
        try:
            q = parse_quantity(raw)
        except QuantityError:
            q = None
        if q is not None and q.value <= 0:
            errs.append(
                with_source(
                    invalid(storage_path, q.canonical(), "must be greater than zero"),
                    f"{path}.resources.requests.storage",
                )
            )
    mode = spec.get("volumeMode")
    if mode is not None and mode not in ("Block", "Filesystem"):
        errs.append(unsupported(f"{path}.volumeMode", mode, ["Block", "Filesystem"]))
    return errs


def validate_persistent_volume_claim(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    return errs + _claim_spec(_spec(obj), "spec")


def validate_event(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    involved = obj.get("involvedObject") or {}
    namespace = _meta(obj).get("namespace") or ""
    obj_ns = involved.get("namespace") or ""
    if obj_ns and namespace and obj_ns != namespace:
        errs.append(invalid("involvedObject.namespace", obj_ns, "does not match event.namespace"))
    etype = obj.get("type")
    if etype is not None and etype not in ("Normal", "Warning"):
        errs.append(unsupported("type", etype, ["Normal", "Warning"]))
    return errs


def validate_endpoints(obj: dict[str, Any]) -> list[FieldError]:
    errs = validate_object_meta(_meta(obj), names.name_is_dns_subdomain)
    for i, subset in enumerate(obj.get("subsets") or []):
        spath = f"subsets[{i}]"
        for list_name in ("addresses", "notReadyAddresses"):
            for j, address in enumerate(subset.get(list_name) or []):
                ip = address.get("ip") or ""
                try:
                    ipaddress.ip_address(ip)
                except ValueError:
                    errs.append(
                        invalid(
                            f"{spath}.{list_name}[{j}].ip",
                            ip,
                            "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
                        )
                    )
        ports = subset.get("ports") or []
        for j, port in enumerate(ports):
            ppath = f"{spath}.ports[{j}]"
            name = port.get("name") or ""
            if len(ports) > 1 and not name:
                errs.append(required(f"{ppath}.name"))
            elif name:
                errs += validate_dns1123_label(name, f"{ppath}.name")
            errs += [
                invalid(f"{ppath}.port", port.get("port") or 0, m)
                for m in names.is_valid_port_num(port.get("port") or 0)
            ]
            protocol = port.get("protocol", "TCP")
            if protocol not in PORT_PROTOCOLS:
                errs.append(unsupported(f"{ppath}.protocol", protocol, PORT_PROTOCOLS))
    return errs


RULES: dict[str, Callable[[dict[str, Any]], list[FieldError]]] = {
    "Pod": validate_pod,
    "Service": validate_service,
    "ConfigMap": validate_config_map,
    "Secret": validate_secret,
    "Namespace": validate_namespace,
    "Node": validate_node,
    "Event": validate_event,
    "Endpoints": validate_endpoints,
    "ReplicationController": validate_replication_controller,
    "PersistentVolumeClaim": validate_persistent_volume_claim,
    "Deployment": validate_deployment,
    "ReplicaSet": validate_replica_set,
    "DaemonSet": validate_daemon_set,
    "StatefulSet": validate_stateful_set,
    "Job": validate_job,
}
