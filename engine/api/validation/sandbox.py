"""The sandbox policy: what KubeQuest refuses although Kubernetes would accept it.

KubeQuest runs every pod as a real Docker container on the learner's own
machine (and level packs are written by third parties). Anything that would
let a container reach the host — privileges, added capabilities, host paths,
host namespaces, host ports — is refused with `Forbidden`, at the field, with
a sentence saying why. The policy applies to Pods and to every pod template.
"""

from __future__ import annotations

from typing import Any

from ..errors import FieldError, forbidden

WHY = "KubeQuest runs pods as real Docker containers on your machine"

# Where each kind keeps its pod spec.
POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
}

_HOST_NAMESPACES = {
    "hostNetwork": "the host's network",
    "hostPID": "the host's processes",
    "hostIPC": "the host's shared memory",
}


def check_sandbox(kind: str, obj: dict[str, Any]) -> list[FieldError]:
    """Forbidden errors for every host-reaching setting in the object's pod spec."""
    steps = POD_SPEC_PATHS.get(kind)
    if steps is None:
        return []
    spec: Any = obj
    for step in steps:
        spec = spec.get(step) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    return check_pod_spec(spec, ".".join(steps))


def check_pod_spec(spec: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    for field_name, what in _HOST_NAMESPACES.items():
        if spec.get(field_name) is True:
            errs.append(
                forbidden(
                    f"{path}.{field_name}",
                    f"refused by KubeQuest: a pod may not share {what}; {WHY}",
                )
            )
    for i, volume in enumerate(spec.get("volumes") or []):
        if isinstance(volume, dict) and "hostPath" in volume:
            errs.append(
                forbidden(
                    f"{path}.volumes[{i}].hostPath",
                    f"refused by KubeQuest: hostPath volumes would mount your own files; {WHY}",
                )
            )
    for list_name in ("initContainers", "containers"):
        for i, ctr in enumerate(spec.get(list_name) or []):
            if isinstance(ctr, dict):
                errs += _check_container(ctr, f"{path}.{list_name}[{i}]")
    return errs


def _check_container(ctr: dict[str, Any], path: str) -> list[FieldError]:
    errs: list[FieldError] = []
    sc = ctr.get("securityContext") or {}
    if sc.get("privileged") is True:
        errs.append(
            forbidden(
                f"{path}.securityContext.privileged",
                f"refused by KubeQuest: a privileged container can take over the host; {WHY}",
            )
        )
    added = (sc.get("capabilities") or {}).get("add") or []
    if added:
        errs.append(
            forbidden(
                f"{path}.securityContext.capabilities.add",
                f"refused by KubeQuest: containers may not add Linux capabilities; {WHY}",
            )
        )
    for j, port in enumerate(ctr.get("ports") or []):
        if isinstance(port, dict) and port.get("hostPort"):
            errs.append(
                forbidden(
                    f"{path}.ports[{j}].hostPort",
                    f"refused by KubeQuest: a hostPort would open a port on your machine; {WHY}"
                    " (use a Service instead)",
                )
            )
    return errs
