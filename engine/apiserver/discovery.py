"""Discovery: how kubectl learns which resources exist and what they are called.

`/api` (APIVersions) and `/apis` (APIGroupList) list the group-versions; each
`/api/v1`, `/apis/apps/v1`, … is an APIResourceList with every resource's
plural, singular, kind, verbs, short names (`po`, `deploy`), the `all`
category (`kubectl get all`) and the subresources (`pods/log`, `*/status`,
`deployments/scale`, which kubectl's scale client resolves to
autoscaling/v1 Scale). The plain (unaggregated) form is served: kubectl asks
for aggregated discovery first and reads this form when the answer's
Content-Type says it is plain `application/json`.
"""

from __future__ import annotations

from typing import Any

from engine.api.kinds import KINDS, KindInfo

SERVER_VERSION = {"major": "1", "minor": "33", "gitVersion": "v1.33.0-kubequest",
                  "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                  "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.24 (KubeQuest, Python)",
                  "compiler": "gc", "platform": "linux/amd64"}

VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
READ_WRITE = ["get", "patch", "update"]


def group_versions() -> dict[str, list[KindInfo]]:
    """'v1', 'apps/v1', … -> the kinds served there, in KINDS order."""
    out: dict[str, list[KindInfo]] = {}
    for info in KINDS.values():
        out.setdefault(info.api_version, []).append(info)
    return out


def api_versions() -> dict[str, Any]:
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}


def api_group(group: str) -> dict[str, Any]:
    versions = sorted({i.version for i in KINDS.values() if i.group == group})
    gvs = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": gvs,
            "preferredVersion": gvs[0]}


def api_group_list() -> dict[str, Any]:
    groups = sorted({i.group for i in KINDS.values() if i.group})
    return {"kind": "APIGroupList", "apiVersion": "v1",
            "groups": [{k: v for k, v in api_group(g).items() if k not in ("kind", "apiVersion")}
                       for g in groups]}


def _resource(info: KindInfo) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": info.plural, "singularName": info.singular,
                             "namespaced": info.namespaced, "kind": info.kind, "verbs": VERBS}
    if info.short_names:
        entry["shortNames"] = list(info.short_names)
    if info.categories:
        entry["categories"] = list(info.categories)
    return entry


def _subresources(info: KindInfo) -> list[dict[str, Any]]:
    out = []
    for sub in info.subresources:
        entry: dict[str, Any] = {"name": f"{info.plural}/{sub}", "singularName": "",
                                 "namespaced": info.namespaced, "kind": info.kind, "verbs": READ_WRITE}
        if sub == "scale":
            entry.update(group="autoscaling", version="v1", kind="Scale")
        elif sub == "log":
            entry["verbs"] = ["get"]
        elif sub == "exec":
            entry.update(kind="PodExecOptions", verbs=["create", "get"])
        out.append(entry)
    return out


def resource_list(group_version: str) -> dict[str, Any] | None:
    kinds = group_versions().get(group_version)
    if kinds is None:
        return None
    resources = []
    for info in kinds:
        resources.append(_resource(info))
        resources += _subresources(info)
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
            "resources": resources}
