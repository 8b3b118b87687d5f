"""Pod spec rules, shared by Pods and every pod template.

Ported from pkg/apis/core/validation/validation.go (ValidatePodSpec and the
functions it calls), reading values after Kubernetes' defaulting: a missing
restartPolicy is Always, a missing protocol TCP, and so on. Inputs are the
cleaned objects of schema.check_structure, so shapes can be trusted.
"""

from __future__ import annotations

from typing import Any

from ..errors import (
    FieldError,
    duplicate,
    forbidden,
    invalid,
    not_found,
    required,
    unsupported,
)
from ..quantity import QuantityError
from ..quantity import parse as parse_quantity
from . import names
from .meta import child, key, nonnegative, validate_labels

MAX_INT32 = 2**31 - 1

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
PORT_PROTOCOLS = ["SCTP", "TCP", "UDP"]  # sets.List: sorted
TERMINATION_MESSAGE_POLICIES = ["File", "FallbackToLogsOnError"]
HTTP_SCHEMES = ["HTTP", "HTTPS"]
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
FILE_MODE_MSG = "must be a number between 0 and 0777 (octal), both inclusive"

# validateVolumeSource checks the sources in this order; the second one found
# is the one reported as "may not specify more than 1 volume type".
VOLUME_SOURCES = [
    "emptyDir",
    "hostPath",
    "gitRepo",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "flocker",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "quobyte",
    "downwardAPI",
    "fc",
    "azureFile",
    "vsphereVolume",
    "photonPersistentDisk",
    "portworxVolume",
    "azureDisk",
    "storageos",
    "projected",
    "scaleIO",
    "configMap",
    "csi",
    "ephemeral",
    "image",
]

FIELD_REF_PATHS = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.name",
    "metadata.namespace",
    "metadata.uid",
    "spec.nodeName",
    "spec.serviceAccountName",
    "status.hostIP",
    "status.hostIPs",
    "status.podIP",
    "status.podIPs",
]
RESOURCE_FIELD_REFS = [
    "limits.cpu",
    "limits.ephemeral-storage",
    "limits.memory",
    "requests.cpu",
    "requests.ephemeral-storage",
    "requests.memory",
]
STANDARD_CONTAINER_RESOURCES = {"cpu", "memory", "ephemeral-storage"}


def validate_dns1123_label(value: str, path: str) -> list[FieldError]:
    return [invalid(path, value, m) for m in names.is_dns1123_label(value)]


def validate_port_num_or_name(port: Any, path: str) -> list[FieldError]:
    """ValidatePortNumOrName for an IntOrString port."""
    if isinstance(port, int):
        return [invalid(path, port, m) for m in names.is_valid_port_num(port)]
    if isinstance(port, str):
        return [invalid(path, port, m) for m in names.is_valid_port_name(port)]
    return []


def validate_pod_spec(
    spec: dict[str, Any], path: str, *, claim_template_names: tuple[str, ...] = ()
) -> list[FieldError]:
    """ValidatePodSpec. `claim_template_names` are a StatefulSet's volumeClaimTemplates,
    which its pods get as volumes."""
    errs, volumes = validate_volumes(spec.get("volumes") or [], child(path, "volumes"))
    volumes.update(claim_template_names)
    containers = spec.get("containers") or []
    errs += validate_containers(containers, volumes, child(path, "containers"))
    errs += validate_init_containers(
        spec.get("initContainers") or [], containers, volumes, child(path, "initContainers")
    )
    policy = spec.get("restartPolicy") or "Always"
    if policy not in RESTART_POLICIES:
        errs.append(unsupported(child(path, "restartPolicy"), policy, RESTART_POLICIES))
    dns = spec.get("dnsPolicy") or "ClusterFirst"
    if dns not in DNS_POLICIES:
        errs.append(unsupported(child(path, "dnsPolicy"), dns, DNS_POLICIES))
    errs += validate_labels(spec.get("nodeSelector"), child(path, "nodeSelector"))
    for field_name in ("serviceAccountName", "nodeName"):
        value = spec.get(field_name) or ""
        if value:
            errs += [
                invalid(child(path, field_name), value, m)
                for m in names.name_is_dns_subdomain(value)
            ]
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and not 1 <= deadline <= MAX_INT32:
        errs.append(
            invalid(
                child(path, "activeDeadlineSeconds"),
                deadline,
                names.inclusive_range_error(1, MAX_INT32),
            )
        )
    for field_name in ("hostname", "subdomain"):
        if spec.get(field_name):
            errs += validate_dns1123_label(spec[field_name], child(path, field_name))
    errs += validate_tolerations(spec.get("tolerations") or [], child(path, "tolerations"))
    if "resources" in spec:
        errs += validate_pod_resources(spec["resources"], child(path, "resources"))
    return errs


# --- volumes ---


def validate_volumes(volumes: list[dict[str, Any]], path: str) -> tuple[list[FieldError], set[str]]:
    """ValidateVolumes: returns the errors and the names of the valid volumes.

    As in Kubernetes, a volume with any error is left out of the names, so the
    mounts that use it are reported as "Not found" too.
    """
    errs: list[FieldError] = []
    valid: set[str] = set()
    seen: set[str] = set()
    for i, vol in enumerate(volumes):
        vpath = f"{path}[{i}]"
        name = vol.get("name") or ""
        el = validate_volume_source(vol, vpath)
        if not name:
            el.append(required(child(vpath, "name")))
        else:
            el += validate_dns1123_label(name, child(vpath, "name"))
        if name in seen:
            el.append(duplicate(child(vpath, "name"), name))
        if not el:
            seen.add(name)
            valid.add(name)
        errs += el
    return errs, valid


def validate_volume_source(vol: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    found = 0
    for source in VOLUME_SOURCES:
        if source not in vol:
            continue
        if found:
            errs.append(forbidden(child(path, source), "may not specify more than 1 volume type"))
            continue
        found += 1
        errs += _validate_source(source, vol[source], child(path, source))
    if not found:
        errs.append(required(path, "must specify a volume type"))
    return errs


def _validate_source(source: str, src: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    if source == "emptyDir":
        limit = _quantity(src["sizeLimit"]) if "sizeLimit" in src else None
        if limit is not None and limit.value < 0:
            errs.append(
                forbidden(
                    child(path, "sizeLimit"), "SizeLimit field must be a valid resource quantity"
                )
            )
    elif source in ("secret", "configMap"):
        name_field = "secretName" if source == "secret" else "name"
        if not src.get(name_field):
            errs.append(required(child(path, name_field)))
        mode = src.get("defaultMode")
        if mode is not None and not 0 <= mode <= 0o777:
            errs.append(invalid(child(path, "defaultMode"), mode, FILE_MODE_MSG))
        for i, item in enumerate(src.get("items") or []):
            ipath = f"{path}.items[{i}]"
            if not item.get("key"):
                errs.append(required(child(ipath, "key")))
            errs += _local_descending_path(item.get("path"), child(ipath, "path"), True)
    elif source in _REQUIRED_SOURCE_FIELD and not src.get(_REQUIRED_SOURCE_FIELD[source]):
        errs.append(required(child(path, _REQUIRED_SOURCE_FIELD[source])))
    return errs


_REQUIRED_SOURCE_FIELD = {"persistentVolumeClaim": "claimName", "hostPath": "path"}


def _local_descending_path(value: Any, path: str, required_field: bool) -> list[FieldError]:
    if not value:
        return [required(path)] if required_field else []
    errs = []
    if value.startswith("/"):
        errs.append(invalid(path, value, "must be a relative path"))
    if ".." in value.split("/"):
        errs.append(invalid(path, value, "must not contain '..'"))
    return errs


# --- containers ---


def validate_containers(
    containers: list[dict[str, Any]], volumes: set[str], path: str
) -> list[FieldError]:
    if not containers:
        return [required(path)]
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, ctr in enumerate(containers):
        cpath = f"{path}[{i}]"
        errs += validate_container_common(ctr, volumes, cpath)
        name = ctr.get("name") or ""
        if name in seen:
            errs.append(duplicate(child(cpath, "name"), name))
        else:
            seen.add(name)
        errs += validate_probe(ctr.get("livenessProbe"), child(cpath, "livenessProbe"), "liveness")
        errs += validate_probe(
            ctr.get("readinessProbe"), child(cpath, "readinessProbe"), "readiness"
        )
        errs += validate_probe(ctr.get("startupProbe"), child(cpath, "startupProbe"), "startup")
        if ctr.get("restartPolicy"):
            errs.append(
                forbidden(child(cpath, "restartPolicy"), "may not be set for non-init containers")
            )
    return errs


def validate_init_containers(
    inits: list[dict[str, Any]],
    containers: list[dict[str, Any]],
    volumes: set[str],
    path: str,
) -> list[FieldError]:
    errs: list[FieldError] = []
    # Init containers share one name space with the regular containers.
    seen = {c.get("name") or "" for c in containers}
    for i, ctr in enumerate(inits):
        cpath = f"{path}[{i}]"
        errs += validate_container_common(ctr, volumes, cpath)
        sidecar = False
        policy = ctr.get("restartPolicy")
        if policy is not None:
            if policy != "Always":
                errs.append(unsupported(child(cpath, "restartPolicy"), policy, ["Always"]))
            sidecar = policy == "Always"
        name = ctr.get("name") or ""
        if name in seen:
            errs.append(duplicate(child(cpath, "name"), name))
        elif name:
            seen.add(name)
        if sidecar:
            errs += validate_probe(
                ctr.get("livenessProbe"), child(cpath, "livenessProbe"), "liveness"
            )
            errs += validate_probe(
                ctr.get("readinessProbe"), child(cpath, "readinessProbe"), "readiness"
            )
            errs += validate_probe(ctr.get("startupProbe"), child(cpath, "startupProbe"), "startup")
        else:
            for field_name in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if field_name in ctr:
                    errs.append(
                        forbidden(
                            child(cpath, field_name),
                            "may not be set for init containers without restartPolicy=Always",
                        )
                    )
    return errs


def validate_container_common(
    ctr: dict[str, Any], volumes: set[str], path: str
) -> list[FieldError]:
    errs: list[FieldError] = []
    name = ctr.get("name") or ""
    if not name:
        errs.append(required(child(path, "name")))
    else:
        errs += validate_dns1123_label(name, child(path, "name"))
    if not ctr.get("image"):
        errs.append(required(child(path, "image")))
    tmp = ctr.get("terminationMessagePolicy")
    if tmp is not None and tmp not in TERMINATION_MESSAGE_POLICIES:
        errs.append(
            unsupported(child(path, "terminationMessagePolicy"), tmp, TERMINATION_MESSAGE_POLICIES)
        )
    errs += validate_container_ports(ctr.get("ports") or [], child(path, "ports"))
    errs += validate_env(ctr.get("env") or [], child(path, "env"))
    errs += validate_env_from(ctr.get("envFrom") or [], child(path, "envFrom"))
    errs += validate_volume_mounts(
        ctr.get("volumeMounts") or [], volumes, child(path, "volumeMounts")
    )
    pull = ctr.get("imagePullPolicy")
    if pull is not None and pull not in PULL_POLICIES:
        errs.append(unsupported(child(path, "imagePullPolicy"), pull, PULL_POLICIES))
    if "lifecycle" in ctr:
        for hook in ("postStart", "preStop"):
            if hook in ctr["lifecycle"]:
                errs += validate_handler(ctr["lifecycle"][hook], child(path, f"lifecycle.{hook}"))
    errs += validate_container_resources(ctr.get("resources") or {}, child(path, "resources"))
    return errs


def validate_container_ports(ports: list[dict[str, Any]], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    seen: set[str] = set()
    for i, port in enumerate(ports):
        ppath = f"{path}[{i}]"
        name = port.get("name") or ""
        if name:
            msgs = names.is_valid_port_name(name)
            if msgs:
                errs += [invalid(child(ppath, "name"), name, m) for m in msgs]
            elif name in seen:
                errs.append(duplicate(child(ppath, "name"), name))
            else:
                seen.add(name)
        number = port.get("containerPort") or 0
        if number == 0:
            errs.append(required(child(ppath, "containerPort")))
        else:
            errs += [
                invalid(child(ppath, "containerPort"), number, m)
                for m in names.is_valid_port_num(number)
            ]
        host = port.get("hostPort") or 0
        if host:
            errs += [
                invalid(child(ppath, "hostPort"), host, m) for m in names.is_valid_port_num(host)
            ]
        protocol = port.get("protocol", "TCP")
        if not protocol:
            errs.append(required(child(ppath, "protocol")))
        elif protocol not in PORT_PROTOCOLS:
            errs.append(unsupported(child(ppath, "protocol"), protocol, PORT_PROTOCOLS))
    return errs


def validate_env(env: list[dict[str, Any]], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, var in enumerate(env):
        epath = f"{path}[{i}]"
        name = var.get("name") or ""
        if not name:
            errs.append(required(child(epath, "name")))
        else:
            errs += [
                invalid(child(epath, "name"), name, m) for m in names.is_relaxed_env_var_name(name)
            ]
        if "valueFrom" in var:
            errs += _validate_env_value_from(var, child(epath, "valueFrom"))
    return errs


def _validate_env_value_from(var: dict[str, Any], path: str) -> list[FieldError]:
    source = var["valueFrom"]
    errs: list[FieldError] = []
    count = 0
    if "fieldRef" in source:
        count += 1
        fpath = child(path, "fieldRef")
        field_path = source["fieldRef"].get("fieldPath") or ""
        if not field_path:
            errs.append(required(child(fpath, "fieldPath")))
        else:
            base = field_path.split("[", 1)[0]
            if base not in FIELD_REF_PATHS:
                errs.append(unsupported(child(fpath, "fieldPath"), field_path, FIELD_REF_PATHS))
    if "resourceFieldRef" in source:
        count += 1
        rpath = child(path, "resourceFieldRef")
        resource = source["resourceFieldRef"].get("resource") or ""
        if not resource:
            errs.append(required(child(rpath, "resource")))
        elif resource not in RESOURCE_FIELD_REFS and not resource.split(".", 1)[-1].startswith(
            "hugepages-"
        ):
            errs.append(unsupported(child(rpath, "resource"), resource, RESOURCE_FIELD_REFS))
    for ref in ("configMapKeyRef", "secretKeyRef"):
        if ref in source:
            count += 1
            errs += _validate_key_selector(source[ref], child(path, ref))
    if count == 0:
        errs.append(
            invalid(
                path,
                "",
                "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                "`secretKeyRef`",
            )
        )
    elif var.get("value"):
        errs.append(invalid(path, "", "may not be specified when `value` is not empty"))
    elif count > 1:
        errs.append(invalid(path, "", "may not have more than one field specified at a time"))
    return errs


def _validate_key_selector(selector: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    name = selector.get("name") or ""
    if name:
        errs += [invalid(child(path, "name"), name, m) for m in names.name_is_dns_subdomain(name)]
    k = selector.get("key") or ""
    if not k:
        errs.append(required(child(path, "key")))
    else:
        errs += [invalid(child(path, "key"), k, m) for m in names.is_config_map_key(k)]
    return errs


def validate_env_from(sources: list[dict[str, Any]], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, source in enumerate(sources):
        spath = f"{path}[{i}]"
        refs = [r for r in ("configMapRef", "secretRef") if r in source]
        for ref in refs:
            name = source[ref].get("name") or ""
            if name:
                errs += [
                    invalid(f"{spath}.{ref}.name", name, m)
                    for m in names.name_is_dns_subdomain(name)
                ]
        if not refs:
            errs.append(invalid(spath, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(refs) > 1:
            errs.append(invalid(spath, "", "may not have more than one field specified at a time"))
    return errs


def validate_volume_mounts(
    mounts: list[dict[str, Any]], volumes: set[str], path: str
) -> list[FieldError]:
    errs: list[FieldError] = []
    mount_points: set[str] = set()
    for i, mount in enumerate(mounts):
        mpath = f"{path}[{i}]"
        name = mount.get("name") or ""
        if not name:
            errs.append(required(child(mpath, "name")))
        if name not in volumes:
            errs.append(not_found(child(mpath, "name"), name))
        mount_path = mount.get("mountPath") or ""
        if not mount_path:
            errs.append(required(child(mpath, "mountPath")))
        if mount_path in mount_points:
            errs.append(invalid(child(mpath, "mountPath"), mount_path, "must be unique"))
        mount_points.add(mount_path)
        errs += _local_descending_path(mount.get("subPath"), child(mpath, "subPath"), False)
    return errs


# --- probes and handlers ---


def validate_handler(handler: dict[str, Any], path: str) -> list[FieldError]:
    """validateHandler: exactly one of exec, httpGet, tcpSocket, grpc, sleep."""
    errs: list[FieldError] = []
    count = 0
    for kind in ("exec", "httpGet", "tcpSocket", "grpc", "sleep"):
        if kind not in handler:
            continue
        if count:
            errs.append(forbidden(child(path, kind), "may not specify more than 1 handler type"))
            continue
        count += 1
        action, apath = handler[kind], child(path, kind)
        if kind == "exec" and not action.get("command"):
            errs.append(required(child(apath, "command")))
        elif kind == "httpGet":
            errs += validate_port_num_or_name(action.get("port"), child(apath, "port"))
            scheme = action.get("scheme", "HTTP")
            if scheme not in HTTP_SCHEMES:
                errs.append(unsupported(child(apath, "scheme"), scheme, HTTP_SCHEMES))
            for header in action.get("httpHeaders") or []:
                hname = header.get("name") or ""
                errs += [
                    invalid(child(apath, "httpHeaders"), hname, m)
                    for m in names.is_http_header_name(hname)
                ]
        elif kind == "tcpSocket":
            errs += validate_port_num_or_name(action.get("port"), child(apath, "port"))
        elif kind == "grpc":
            port = action.get("port") or 0
            errs += [invalid(child(apath, "port"), port, m) for m in names.is_valid_port_num(port)]
    if not count:
        errs.append(required(path, "must specify a handler type"))
    return errs


def validate_probe(probe: dict[str, Any] | None, path: str, kind: str) -> list[FieldError]:
    if probe is None:
        return []
    errs = validate_handler(probe, path)
    for field_name in (
        "initialDelaySeconds",
        "timeoutSeconds",
        "periodSeconds",
        "successThreshold",
        "failureThreshold",
    ):
        errs += nonnegative(probe.get(field_name), child(path, field_name))
    grace = probe.get("terminationGracePeriodSeconds")
    if grace is not None:
        if kind == "readiness":
            errs.append(
                invalid(
                    child(path, "terminationGracePeriodSeconds"),
                    grace,
                    "must not be set for readinessProbes",
                )
            )
        elif grace <= 0:
            errs.append(
                invalid(
                    child(path, "terminationGracePeriodSeconds"), grace, "must be greater than 0"
                )
            )
    # successThreshold defaults to 1; liveness and startup probes allow nothing else.
    success = probe.get("successThreshold") or 1
    if kind in ("liveness", "startup") and success != 1:
        errs.append(invalid(child(path, "successThreshold"), success, "must be 1"))
    return errs


# --- resources ---


def _quantity(raw: Any):
    try:
        return parse_quantity(raw)
    except QuantityError:
        return None


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def validate_container_resources(resources: dict[str, Any], path: str) -> list[FieldError]:
    """ValidateContainerResourceRequirements."""
    errs: list[FieldError] = []
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    for section, values in (("limits", limits), ("requests", requests)):
        for name, raw in values.items():
            rpath = key(child(path, section), name)
            errs += _validate_resource_name(name, rpath)
            q = _quantity(raw)
            if q is not None and q.value < 0:
                errs.append(invalid(rpath, q.canonical(), "must be greater than or equal to 0"))
            elif q is not None and not _is_native(name) and q.value.denominator != 1:
                errs.append(invalid(rpath, q.canonical(), "must be an integer"))
    errs += _requests_within_limits(requests, limits, path)
    return errs


def _validate_resource_name(name: str, path: str) -> list[FieldError]:
    errs = [invalid(path, name, m) for m in names.is_qualified_name(name)]
    if "/" not in name:
        if name not in STANDARD_CONTAINER_RESOURCES and not name.startswith("hugepages-"):
            errs.append(invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name):
        extended = not name.startswith("requests.") and not names.is_qualified_name(
            "requests." + name
        )
        if not extended:
            errs.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return errs


def _requests_within_limits(
    requests: dict[str, Any], limits: dict[str, Any], path: str
) -> list[FieldError]:
    errs: list[FieldError] = []
    req_path, lim_path = child(path, "requests"), child(path, "limits")
    for name, raw in requests.items():
        q = _quantity(raw)
        if q is None:
            continue
        overcommit = _is_native(name) and not name.startswith("hugepages-")
        if name in limits:
            limit = _quantity(limits[name])
            if limit is None:
                continue
            if q.value != limit.value and not overcommit:
                errs.append(
                    invalid(req_path, q.canonical(), f"must be equal to {name} limit of {limit}")
                )
            elif q.value > limit.value:
                errs.append(
                    invalid(
                        req_path,
                        q.canonical(),
                        f"must be less than or equal to {name} limit of {limit}",
                    )
                )
        elif not overcommit:
            errs.append(required(lim_path, "Limit must be set for non overcommitable resources"))
    return errs


def validate_pod_resources(resources: dict[str, Any], path: str) -> list[FieldError]:
    """Pod-level resources (KEP-2837, in the 1.33 schema): cpu and memory only."""
    errs: list[FieldError] = []
    for section in ("limits", "requests"):
        for name, raw in (resources.get(section) or {}).items():
            rpath = key(child(path, section), name)
            if name not in ("cpu", "memory") and not name.startswith("hugepages-"):
                errs.append(unsupported(rpath, name, ["cpu", "memory"]))
                continue
            q = _quantity(raw)
            if q is not None and q.value < 0:
                errs.append(invalid(rpath, q.canonical(), "must be greater than or equal to 0"))
    errs += _requests_within_limits(
        resources.get("requests") or {}, resources.get("limits") or {}, path
    )
    return errs


# --- tolerations ---


def validate_tolerations(tolerations: list[dict[str, Any]], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for i, tol in enumerate(tolerations):
        tpath = f"{path}[{i}]"
        k = tol.get("key") or ""
        op = tol.get("operator") or ""
        value = tol.get("value") or ""
        effect = tol.get("effect") or ""
        if k:
            errs += [invalid(child(tpath, "key"), k, m) for m in names.is_qualified_name(k)]
        if not k and op != "Exists":
            errs.append(
                invalid(
                    child(tpath, "operator"),
                    op,
                    'operator must be Exists when `key` is empty, which means "match all values '
                    'and all keys"',
                )
            )
        if tol.get("tolerationSeconds") is not None and effect != "NoExecute":
            errs.append(
                invalid(
                    child(tpath, "effect"),
                    effect,
                    "effect must be 'NoExecute' when `tolerationSeconds` is set",
                )
            )
        # Gt/Lt (numeric comparison) appear in the current Kubernetes docs; KubeQuest
        # accepts them so those examples run, with the value checked as for Equal.
        if op in ("Equal", "", "Gt", "Lt"):
            msgs = names.is_valid_label_value(value)
            if msgs:
                errs.append(invalid(child(tpath, "operator"), value, ";".join(msgs)))
        elif op == "Exists":
            if value:
                errs.append(
                    invalid(
                        child(tpath, "operator"),
                        tol,
                        "value must be empty when `operator` is 'Exists'",
                    )
                )
        else:
            errs.append(unsupported(child(tpath, "operator"), op, ["Equal", "Exists"]))
        if effect and effect not in TAINT_EFFECTS:
            errs.append(unsupported(child(tpath, "effect"), effect, TAINT_EFFECTS))
    return errs
