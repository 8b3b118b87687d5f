"""Per-kind create/update strategies, as the API server's registry applies them.

What lives here is what Kubernetes does between decoding a request and storing
it: allocating a Service's clusterIP and nodePorts, generating a Job's
selector, folding a Secret's stringData into data, the initial status of new
objects, and refusing changes to immutable fields.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import random
from typing import Any

from .errors import FieldError, forbidden, invalid
from .objects import meta

# 10.96.0.0/12, the default service-cluster-ip-range; .1 is the kubernetes Service.
SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = (30000, 32767)
DEFAULT_STORAGE_CLASS = "standard"

POD_MUTABLE_MESSAGE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)
STATEFULSET_MUTABLE_MESSAGE = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
)


class Allocator:
    """Hands out ClusterIPs and NodePorts, like the apiserver's ipallocator/portallocator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.cluster_ips: set[str] = set()
        self.node_ports: set[int] = set()

    def allocate_ip(self, requested: str | None = None) -> str:
        if requested:
            self.cluster_ips.add(requested)
            return requested
        hosts = SERVICE_CIDR.num_addresses
        for _ in range(1000):
            ip = str(SERVICE_CIDR.network_address + self.rng.randrange(2, hosts - 1))
            if ip not in self.cluster_ips:
                self.cluster_ips.add(ip)
                return ip
        raise RuntimeError("service IP range exhausted")

    def allocate_port(self) -> int:
        lo, hi = NODE_PORT_RANGE
        for _ in range(5000):
            port = self.rng.randint(lo, hi)
            if port not in self.node_ports:
                self.node_ports.add(port)
                return port
        raise RuntimeError("node port range exhausted")

    def release(self, svc: dict) -> None:
        spec = svc.get("spec") or {}
        self.cluster_ips.discard(spec.get("clusterIP"))
        for p in spec.get("ports") or []:
            self.node_ports.discard(p.get("nodePort"))


def _service_needs_node_ports(spec: dict) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _allocate_service(svc: dict, alloc: Allocator, old: dict | None) -> list[FieldError]:
    spec = svc.setdefault("spec", {})
    errors: list[FieldError] = []
    old_spec = (old or {}).get("spec") or {}
    if spec.get("type") == "ExternalName":
        return errors
    if old is not None:
        if not spec.get("clusterIP") and old_spec.get("clusterIP"):
            spec["clusterIP"] = old_spec["clusterIP"]
        elif spec.get("clusterIP") != old_spec.get("clusterIP"):
            errors.append(invalid("spec.clusterIP", spec.get("clusterIP"), "field is immutable"))
    if not spec.get("clusterIP"):
        spec["clusterIP"] = alloc.allocate_ip()
    elif spec["clusterIP"] != "None" and old is None:
        ip = spec["clusterIP"]
        if ip in alloc.cluster_ips:
            errors.append(invalid("spec.clusterIP", ip, "provided IP is already allocated"))
        else:
            try:
                if ipaddress.ip_address(ip) not in SERVICE_CIDR:
                    errors.append(invalid(
                        "spec.clusterIP", ip,
                        f"provided IP is not in the valid range. The range of valid IPs is {SERVICE_CIDR}",
                    ))
                else:
                    alloc.allocate_ip(ip)
            except ValueError:
                pass  # validation reports a malformed IP
    spec["clusterIPs"] = [spec["clusterIP"]]
    if spec["clusterIP"] != "None":
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    old_ports = {p.get("port"): p.get("nodePort") for p in old_spec.get("ports") or []}
    for i, p in enumerate(spec.get("ports") or []):
        if not isinstance(p, dict):
            continue
        if not _service_needs_node_ports(spec):
            p.pop("nodePort", None)
            continue
        requested = p.get("nodePort")
        if requested is None:
            kept = old_ports.get(p.get("port"))
            p["nodePort"] = kept if kept else alloc.allocate_port()
            continue
        if requested == old_ports.get(p.get("port")):
            continue
        lo, hi = NODE_PORT_RANGE
        if not isinstance(requested, int) or not lo <= requested <= hi:
            errors.append(invalid(
                f"spec.ports[{i}].nodePort", requested,
                f"provided port is not in the valid range. The range of valid ports is {lo}-{hi}",
            ))
        elif requested in alloc.node_ports:
            errors.append(invalid(f"spec.ports[{i}].nodePort", requested, "provided port is already allocated"))
        else:
            alloc.node_ports.add(requested)
    return errors


def _fold_string_data(secret: dict) -> None:
    string_data = secret.pop("stringData", None)
    if isinstance(string_data, dict):
        data = secret.get("data")
        if not isinstance(data, dict):
            data = secret["data"] = {}
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()


def prepare_for_create(obj: dict, *, alloc: Allocator, now_ts: str) -> list[FieldError]:
    """Mutate a new object as the registry would; return allocation errors."""
    kind = obj.get("kind")
    errors: list[FieldError] = []
    if kind == "Service":
        errors += _allocate_service(obj, alloc, None)
        obj["status"] = {"loadBalancer": {}}
    elif kind == "Secret":
        _fold_string_data(obj)
    elif kind == "Namespace":
        obj["status"] = {"phase": "Active"}
    elif kind == "Pod":
        status = obj.setdefault("status", {})
        if not isinstance(status, dict) or not status:
            obj["status"] = {"phase": "Pending", "qosClass": qos_class(obj.get("spec") or {})}
    elif kind == "Job":
        _generate_job_selector(obj)
    elif kind == "PersistentVolumeClaim":
        # The DefaultStorageClass admission plugin: a claim that names no class gets the default.
        spec = obj.setdefault("spec", {})
        if isinstance(spec, dict) and "storageClassName" not in spec:
            spec["storageClassName"] = DEFAULT_STORAGE_CLASS
        obj.setdefault("status", {"phase": "Pending"})
    elif kind in ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"):
        obj.setdefault("status", {})
    return errors


def _generate_job_selector(job: dict) -> None:
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector"):
        return
    uid = meta(job).get("uid", "")
    tmpl = spec.setdefault("template", {})
    tmeta = tmpl.setdefault("metadata", {})
    tlabels = tmeta.setdefault("labels", {})
    tlabels["batch.kubernetes.io/controller-uid"] = uid
    tlabels["batch.kubernetes.io/job-name"] = meta(job).get("name", "")
    tlabels["controller-uid"] = uid
    tlabels["job-name"] = meta(job).get("name", "")
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}


def qos_class(pod_spec: dict) -> str:
    """Guaranteed, Burstable or BestEffort (pkg/apis/core/helper/qos)."""
    containers = list(pod_spec.get("containers") or [])
    any_set = False
    guaranteed = True
    for c in containers:
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or str(req.get(r, lim.get(r))) != str(lim.get(r)):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def _selector_changed(path: str, new: Any, old: Any) -> list[FieldError]:
    if json.dumps(new, sort_keys=True) != json.dumps(old, sort_keys=True):
        return [invalid(path, new, "field is immutable")]
    return []


def _pod_update_errors(new: dict, old: dict) -> list[FieldError]:
    errors: list[FieldError] = []
    nspec, ospec = new.get("spec") or {}, old.get("spec") or {}
    for key in ("containers", "initContainers"):
        ncs, ocs = nspec.get(key) or [], ospec.get(key) or []
        for i, (nc, oc) in enumerate(zip(ncs, ocs)):
            if isinstance(nc, dict) and isinstance(oc, dict) and nc.get("name") != oc.get("name"):
                errors.append(invalid(f"spec.{key}[{i}].name", nc.get("name"), "field is immutable"))
    if errors:
        return errors

    def strip(spec: dict) -> dict:
        s = json.loads(json.dumps(spec))
        for key in ("containers", "initContainers"):
            for c in s.get(key) or []:
                if isinstance(c, dict):
                    c.pop("image", None)
        for key in ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"):
            s.pop(key, None)
        # The scheduler's binding sets nodeName on an unbound pod.
        if not ospec.get("nodeName"):
            s.pop("nodeName", None)
        return s

    if strip(nspec) != strip(ospec):
        errors.append(forbidden("spec", POD_MUTABLE_MESSAGE))
    return errors


def prepare_for_update(obj: dict, old: dict, *, alloc: Allocator) -> list[FieldError]:
    """Carry over what the client may not change and list immutable-field violations."""
    kind = obj.get("kind")
    errors: list[FieldError] = []
    spec, old_spec = obj.get("spec") or {}, old.get("spec") or {}
    if kind in ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet"):
        errors += _selector_changed("spec.selector", spec.get("selector"), old_spec.get("selector"))
    if kind == "StatefulSet":
        allowed = {"replicas", "ordinals", "template", "updateStrategy",
                   "persistentVolumeClaimRetentionPolicy", "minReadySeconds"}
        a = {k: v for k, v in spec.items() if k not in allowed}
        b = {k: v for k, v in old_spec.items() if k not in allowed}
        if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
            errors.append(forbidden("spec", STATEFULSET_MUTABLE_MESSAGE))
    elif kind == "Job":
        if not spec.get("manualSelector"):
            # A client that re-sends its manifest omits the generated selector and labels.
            if spec.get("selector") is None:
                spec["selector"] = old_spec.get("selector")
            tlabels = ((spec.get("template") or {}).get("metadata") or {}).setdefault("labels", {}) \
                if isinstance(spec.get("template"), dict) else {}
            old_tlabels = ((old_spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
            for k, v in old_tlabels.items():
                if "controller-uid" in k or "job-name" in k:
                    tlabels.setdefault(k, v)
        errors += _selector_changed("spec.selector", spec.get("selector"), old_spec.get("selector"))
        errors += _selector_changed("spec.template", spec.get("template"), old_spec.get("template"))
        for f in ("completions",):
            if spec.get(f) != old_spec.get(f):
                errors.append(invalid(f"spec.{f}", spec.get(f), "field is immutable"))
    elif kind == "Pod":
        errors += _pod_update_errors(obj, old)
    elif kind == "Service":
        errors += _allocate_service(obj, alloc, old)
    elif kind in ("ConfigMap", "Secret"):
        if kind == "Secret":
            _fold_string_data(obj)
            if obj.get("type") != old.get("type"):
                errors.append(invalid("type", obj.get("type"), "field is immutable"))
        if old.get("immutable"):
            for f in ("data", "binaryData"):
                if obj.get(f) != old.get(f):
                    errors.append(forbidden(f, "field is immutable when `immutable` is set"))
            if not obj.get("immutable"):
                errors.append(forbidden("immutable", "field is immutable when `immutable` is set"))
    elif kind == "PersistentVolumeClaim":
        a = {k: v for k, v in spec.items() if k not in ("resources", "volumeName")}
        b = {k: v for k, v in old_spec.items() if k not in ("resources", "volumeName")}
        if json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True):
            errors.append(forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and "
                "volumeAttributesClassName for bound claims",
            ))
    return errors
