"""The kinds KubeQuest runs, with the names discovery gives them.

Each kind is served under one group/version; `resolve` turns a manifest's
apiVersion/kind into a KindInfo or refuses it with a sentence a learner can act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import UnsupportedKind


@dataclass(frozen=True)
class KindInfo:
    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)
    # Kinds without a spec/status split (ConfigMap, Secret, Endpoints, Event).
    has_spec: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


_ALL = ("all",)

KINDS: dict[str, KindInfo] = {
    k.kind: k
    for k in [
        KindInfo("", "v1", "Pod", "pods", "pod", True, ("po",), _ALL, ("status", "log", "exec")),
        KindInfo("", "v1", "Service", "services", "service", True, ("svc",), _ALL),
        KindInfo("", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",), (), (), False),
        KindInfo("", "v1", "Secret", "secrets", "secret", True, (), (), (), False),
        KindInfo("", "v1", "Namespace", "namespaces", "namespace", False, ("ns",)),
        KindInfo("", "v1", "Node", "nodes", "node", False, ("no",)),
        KindInfo("", "v1", "Event", "events", "event", True, ("ev",), (), (), False),
        KindInfo("", "v1", "Endpoints", "endpoints", "endpoints", True, ("ep",), (), (), False),
        KindInfo(
            "", "v1", "ReplicationController", "replicationcontrollers",
            "replicationcontroller", True, ("rc",), _ALL, ("status", "scale"),
        ),
        KindInfo(
            "", "v1", "PersistentVolumeClaim", "persistentvolumeclaims",
            "persistentvolumeclaim", True, ("pvc",),
        ),
        KindInfo("apps", "v1", "Deployment", "deployments", "deployment", True, ("deploy",), _ALL, ("status", "scale")),
        KindInfo("apps", "v1", "ReplicaSet", "replicasets", "replicaset", True, ("rs",), _ALL, ("status", "scale")),
        KindInfo("apps", "v1", "DaemonSet", "daemonsets", "daemonset", True, ("ds",), _ALL),
        KindInfo("apps", "v1", "StatefulSet", "statefulsets", "statefulset", True, ("sts",), _ALL, ("status", "scale")),
        KindInfo("batch", "v1", "Job", "jobs", "job", True, (), _ALL),
    ]
}

# Kinds a learner will meet in the Kubernetes docs that the game does not run.
NOT_RUN = {
    "Ingress", "IngressClass", "NetworkPolicy", "PersistentVolume", "StorageClass",
    "CronJob", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceAccount",
    "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding", "LimitRange",
    "ResourceQuota", "CustomResourceDefinition", "EndpointSlice", "PriorityClass",
    "Lease", "ControllerRevision", "VolumeAttachment", "CSIDriver", "RuntimeClass",
}


def resolve(api_version: object, kind: object, *, source: str = "") -> KindInfo:
    """Map a manifest's apiVersion/kind to a served kind, or explain why not."""
    where = f' from "{source}"' if source else ""
    if not kind or not isinstance(kind, str):
        raise UnsupportedKind(f"Object 'Kind' is missing{where}: every manifest needs `kind:`")
    if not api_version or not isinstance(api_version, str):
        raise UnsupportedKind(
            f"Object 'apiVersion' is missing{where}: every manifest needs `apiVersion:`"
        )
    info = KINDS.get(kind)
    if info is not None:
        if info.api_version == api_version:
            return info
        raise UnsupportedKind(
            f'no matches for kind "{kind}" in version "{api_version}"{where}'
            f" (KubeQuest serves {kind} as {info.api_version})"
        )
    if kind in NOT_RUN:
        raise UnsupportedKind(
            f"{api_version} {kind}{where} is not run by KubeQuest (yet): "
            f"the game's cluster runs {', '.join(sorted(KINDS))}"
        )
    raise UnsupportedKind(
        f'no matches for kind "{kind}" in version "{api_version}"{where}: '
        "KubeQuest does not run this kind"
    )


def by_plural(plural: str) -> KindInfo | None:
    for info in KINDS.values():
        if info.plural == plural:
            return info
    return None


def lookup(name: str) -> KindInfo | None:
    """Find a kind by kind name, plural, singular or short name (case-insensitive)."""
    n = name.lower()
    for info in KINDS.values():
        if n in (info.kind.lower(), info.plural, info.singular) or n in info.short_names:
            return info
    return None
