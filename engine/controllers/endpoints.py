"""EndpointsController: every Service with a selector gets an Endpoints object
listing the pods it routes to (pkg/controller/endpoint/endpoints_controller.go).

Pods count when they are not terminal and have an IP; Ready ones (and not
terminating) go in `addresses`, the others in `notReadyAddresses`. A named
targetPort is looked up in each pod's container ports, so pods that name the
port differently land in different subsets, as in Kubernetes.
"""

from __future__ import annotations

from typing import Hashable

from ..api.objects import get_condition, labels_of
from ..api.selectors import from_set
from ..api.store import WatchEvent
from .base import Controller


def _resolve_target_port(pod: dict, port: dict) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("name") == target and p.get("protocol", "TCP") == port.get("protocol", "TCP"):
                return p.get("containerPort")
    return None


def pod_is_ready(pod: dict) -> bool:
    cond = get_condition(pod, "Ready")
    return bool(cond and cond.get("status") == "True")


class EndpointsController(Controller):
    name = "endpoint"

    def handle(self, ev: WatchEvent) -> None:
        kind = ev.kind
        if kind == "Service":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))
        elif kind == "Endpoints" and ev.type == "DELETED":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))
        elif kind == "Pod":
            ns = ev.object["metadata"]["namespace"]
            label_sets = [labels_of(ev.object)] + ([labels_of(ev.old)] if ev.old else [])
            for svc in self.store.list("Service", ns, copy=False):
                sel = from_set((svc.get("spec") or {}).get("selector"))
                if any(sel.matches(ls) for ls in label_sets):
                    self.queue.add((ns, svc["metadata"]["name"]))

    def resync_all(self) -> None:
        for svc in self.store.list("Service", copy=False):
            self.queue.add((svc["metadata"]["namespace"], svc["metadata"]["name"]))

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        svc = self.store.try_get("Service", name, ns, copy=False)
        if svc is None or svc["metadata"].get("deletionTimestamp"):
            if self.store.try_get("Endpoints", name, ns, copy=False) is not None:
                self.store.delete("Endpoints", name, ns)
            return
        spec = svc.get("spec") or {}
        if not spec.get("selector"):
            return  # selector-less Services have hand-made Endpoints
        pods = self.store.list("Pod", ns, from_set(spec["selector"]), copy=False)
        subsets = compute_subsets(spec, pods)
        desired = {
            "apiVersion": "v1",
            "kind": "Endpoints",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels_of(svc))},
            "subsets": subsets,
        }
        if not desired["metadata"]["labels"]:
            del desired["metadata"]["labels"]
        current = self.store.try_get("Endpoints", name, ns)
        if current is None:
            self.store.create(desired, validate=False)
            return
        if current.get("subsets") == subsets and current["metadata"].get("labels") == desired["metadata"].get("labels"):
            return
        current["subsets"] = subsets
        if "labels" in desired["metadata"]:
            current["metadata"]["labels"] = desired["metadata"]["labels"]
        self.store.update(current, validate=False)


def compute_subsets(spec: dict, pods: list[dict]) -> list[dict]:
    """Group pod addresses by their resolved ports (the repacked subsets Kubernetes writes)."""
    groups: dict[tuple, dict] = {}
    for pod in pods:
        status = pod.get("status") or {}
        ip = status.get("podIP")
        if not ip or status.get("phase") in ("Succeeded", "Failed"):
            continue
        ports = []
        for sp in spec.get("ports") or []:
            target = _resolve_target_port(pod, sp)
            if target is None:
                continue
            entry = {"port": target, "protocol": sp.get("protocol", "TCP")}
            if sp.get("name"):
                entry["name"] = sp["name"]
            ports.append(entry)
        if not ports:
            continue
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        group = groups.setdefault(key, {"addresses": [], "notReadyAddresses": [], "ports": ports})
        address = {
            "ip": ip,
            "nodeName": (pod.get("spec") or {}).get("nodeName"),
            "targetRef": {"kind": "Pod", "name": pod["metadata"]["name"],
                          "namespace": pod["metadata"]["namespace"], "uid": pod["metadata"]["uid"]},
        }
        ready = pod_is_ready(pod) and not pod["metadata"].get("deletionTimestamp")
        group["addresses" if ready else "notReadyAddresses"].append(address)
    subsets = []
    for key in sorted(groups):
        g = groups[key]
        subset: dict = {}
        if g["addresses"]:
            subset["addresses"] = sorted(g["addresses"], key=lambda a: a["ip"])
        if g["notReadyAddresses"]:
            subset["notReadyAddresses"] = sorted(g["notReadyAddresses"], key=lambda a: a["ip"])
        subset["ports"] = sorted(g["ports"], key=lambda p: (p.get("name", ""), p["port"]))
        subsets.append(subset)
    return subsets


def ready_addresses(endpoints: dict | None, port_name: str | None = None) -> list[tuple[str, int, str]]:
    """(ip, port, pod name) of every ready address, for the port with that name."""
    out = []
    for subset in (endpoints or {}).get("subsets") or []:
        port = None
        for p in subset.get("ports") or []:
            if port_name is None or p.get("name", "") == (port_name or ""):
                port = p["port"]
                break
        if port is None:
            continue
        for a in subset.get("addresses") or []:
            out.append((a["ip"], port, (a.get("targetRef") or {}).get("name", "")))
    return out
