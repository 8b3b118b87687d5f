"""`kubectl describe` for Deployment, ReplicaSet, Service and Node.

Ported from kubectl pkg/describe/describe.go at v0.36.3: `describeDeployment`
(with `GetAllReplicaSets` / `findNewReplicaSet` / `findOldReplicaSets` from
kubectl pkg/util/deployment), `printReplicaSetsByLabels`, `DescribePodTemplate`,
`describeReplicaSet` (`getPodStatusForController`), `describeService`
(`formatEndpointSlices`), `describeNode` and `describeNodeResource`
(pod requests/limits as component-helpers resource.PodRequests computes them,
without pod overhead and pod-level resources). The node Lease section and
huge pages / extended resources are left out.
"""

from __future__ import annotations

import copy
from typing import Any

from engine.api.quantity import ZERO, Quantity, canonical, parse
from engine.views._format import (
    as_int,
    dig,
    format_label_selector,
    format_labels,
    is_controlled_by,
    selector_string,
)
from engine.views.age import format_rfc1123z, parse_timestamp, translate_timestamp_since
from engine.views.describe import (
    PrefixWriter,
    describe_events,
    print_annotations_multiline,
    print_controller,
    print_labels_multiline,
    print_taints_multiline,
    print_tolerations_multiline,
)
from engine.views.describe_pod import describe_containers, describe_volumes
from engine.views.printers_kinds import format_endpoints, node_roles

# --- Deployment / ReplicaSet -------------------------------------------------


def describe_pod_template(w: PrefixWriter, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    if template is None:
        w.write(1, "<unset>")
        return
    meta = template.get("metadata") or {}
    spec = template.get("spec") or {}
    print_labels_multiline(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        print_annotations_multiline(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"], None, None, "  ")
    describe_containers(w, "Containers", spec.get("containers"), None, None, "  ")
    describe_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    print_labels_multiline(w, "  Node-Selectors", spec.get("nodeSelector"))
    print_tolerations_multiline(w, "Tolerations", spec.get("tolerations"), initial_indent="  ")


def _without_hash(template: dict | None) -> dict:
    # deployment util EqualIgnoreHash: compare templates minus pod-template-hash.
    t = copy.deepcopy(template or {})
    labels = dig(t, "metadata", "labels")
    if isinstance(labels, dict):
        labels.pop("pod-template-hash", None)
    return t


def split_replicasets(deploy: dict, replicasets: list[dict]) -> tuple[list[dict], dict | None]:
    """(old RSs that still want pods, the new RS) as kubectl's GetAllReplicaSets finds them."""
    owned = [rs for rs in replicasets if is_controlled_by(rs, deploy)]
    owned.sort(key=lambda rs: (parse_timestamp(dig(rs, "metadata", "creationTimestamp")) or 0.0,
                               dig(rs, "metadata", "name", default="")))
    want = _without_hash(dig(deploy, "spec", "template"))
    new = next((rs for rs in owned if _without_hash(dig(rs, "spec", "template")) == want), None)
    if new is None:
        # Templates may differ only by defaulting; the revision annotation is then decisive.
        rev = dig(deploy, "metadata", "annotations", "deployment.kubernetes.io/revision")
        new = next((rs for rs in owned if rev and dig(
            rs, "metadata", "annotations", "deployment.kubernetes.io/revision") == rev), None)
    old = [rs for rs in owned if rs is not new and as_int(dig(rs, "spec", "replicas"), 1) != 0]
    return old, new


def _rs_list(replicasets: list[dict]) -> str:
    text = ", ".join(
        f"{dig(rs, 'metadata', 'name', default='')} ({as_int(dig(rs, 'status', 'replicas'))}/"
        f"{as_int(dig(rs, 'spec', 'replicas'), 1)} replicas created)" for rs in replicasets)
    return text or "<none>"


def _conditions_table(w: PrefixWriter, conditions: list[dict] | None) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')}\t{c.get('reason', '')}\n")


def describe_deployment(deploy: dict, events: list[dict] | None, replicasets: list[dict],
                        now: float) -> str:
    w = PrefixWriter()
    meta = deploy.get("metadata") or {}
    spec = deploy.get("spec") or {}
    status = deploy.get("status") or {}
    strategy = spec.get("strategy") or {}
    strategy_type = strategy.get("type") or "RollingUpdate"
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{format_rfc1123z(meta.get('creationTimestamp'))}\n")
    print_labels_multiline(w, "Labels", meta.get("labels"))
    print_annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{as_int(spec.get('replicas'), 1)} desired | "
               f"{as_int(status.get('updatedReplicas'))} updated | "
               f"{as_int(status.get('replicas'))} total | "
               f"{as_int(status.get('availableReplicas'))} available | "
               f"{as_int(status.get('unavailableReplicas'))} unavailable\n")
    w.write(0, f"StrategyType:\t{strategy_type}\n")
    w.write(0, f"MinReadySeconds:\t{as_int(spec.get('minReadySeconds'))}\n")
    if strategy_type == "RollingUpdate":
        # The API server defaults both knobs to 25% for a RollingUpdate strategy.
        ru = strategy.get("rollingUpdate") or {}
        w.write(0, f"RollingUpdateStrategy:\t{ru.get('maxUnavailable', '25%')} max unavailable, "
                   f"{ru.get('maxSurge', '25%')} max surge\n")
    describe_pod_template(w, spec.get("template"))
    _conditions_table(w, status.get("conditions"))
    old, new = split_replicasets(deploy, replicasets)
    if old or new is not None:
        w.write(0, f"OldReplicaSets:\t{_rs_list(old)}\n")
        w.write(0, f"NewReplicaSet:\t{_rs_list([new] if new else [])}\n")
    if events is not None:
        describe_events(events, w, now)
    return w.text()


def describe_replicaset(rs: dict, events: list[dict] | None, pods: list[dict],
                        now: float) -> str:
    w = PrefixWriter()
    meta = rs.get("metadata") or {}
    spec = rs.get("spec") or {}
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for pod in pods:
        if is_controlled_by(pod, rs):
            phase = dig(pod, "status", "phase", default="")
            if phase in counts:
                counts[phase] += 1
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{format_label_selector(spec.get('selector'))}\n")
    print_labels_multiline(w, "Labels", meta.get("labels"))
    print_annotations_multiline(w, "Annotations", meta.get("annotations"))
    if controlled_by := print_controller(rs):
        w.write(0, f"Controlled By:\t{controlled_by}\n")
    w.write(0, f"Replicas:\t{as_int(dig(rs, 'status', 'replicas'))} current / "
               f"{as_int(spec.get('replicas'), 1)} desired\n")
    w.write(0, f"Pods Status:\t{counts['Running']} Running / {counts['Pending']} Waiting / "
               f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed\n")
    describe_pod_template(w, spec.get("template"))
    _conditions_table(w, dig(rs, "status", "conditions"))
    if events is not None:
        describe_events(events, w, now)
    return w.text()


# --- Service -----------------------------------------------------------------


def format_endpoint_slices(slices: list[dict], port_names: set[str] | None) -> str:
    """describe.go formatEndpointSlices: ready endpoints only, 3 shown, then `+ N more...`."""
    if not slices:
        return "<none>"
    shown: list[str] = []
    limit, more, count = 3, False, 0
    for es in slices:
        endpoints = es.get("endpoints") or []
        ports = es.get("ports") or []

        def ready(ep: dict) -> bool:
            # A nil ready condition means "unknown", which consumers treat as ready.
            value = dig(ep, "conditions", "ready")
            return value is None or bool(value)

        if not ports:
            for ep in endpoints:
                if len(shown) == limit:
                    more = True
                if not ready(ep):
                    continue
                if not more:
                    shown.append((ep.get("addresses") or [""])[0])
                count += 1
            continue
        for port in ports:
            if port_names is not None and (port.get("name") or "") not in port_names:
                continue
            for ep in endpoints:
                if len(shown) == limit:
                    more = True
                if not ready(ep):
                    continue
                if not more:
                    addr = (ep.get("addresses") or [""])[0]
                    shown.append(f"[{addr}]:{port.get('port')}" if ":" in addr
                                 else f"{addr}:{port.get('port')}")
                count += 1
    text = ",".join(shown)
    return f"{text} + {count - limit} more..." if more else text


def describe_service(svc: dict, events: list[dict] | None, related: dict[str, Any],
                     now: float) -> str:
    w = PrefixWriter()
    meta = svc.get("metadata") or {}
    spec = svc.get("spec") or {}
    svc_type = spec.get("type") or "ClusterIP"
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    print_labels_multiline(w, "Labels", meta.get("labels"))
    print_annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{svc_type}\n")
    # The API server fills these in for every non-ExternalName Service.
    defaulted = svc_type != "ExternalName"
    policy = spec.get("ipFamilyPolicy") or ("SingleStack" if defaulted else None)
    if policy:
        w.write(0, f"IP Family Policy:\t{policy}\n")
    families = spec.get("ipFamilies") or (["IPv4"] if defaulted else [])
    w.write(0, f"IP Families:\t{','.join(families) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    w.write(0, f"IPs:\t{','.join(ips) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = dig(svc, "status", "loadBalancer", "ingress", default=[])
    if ingress:
        w.write(0, "LoadBalancer Ingress:\t"
                   + ", ".join(i.get("ip") or i.get("hostname", "") for i in ingress) + "\n")
    for sp in spec.get("ports") or []:
        name = sp.get("name") or "<unset>"
        proto = sp.get("protocol") or "TCP"
        w.write(0, f"Port:\t{name}\t{sp.get('port')}/{proto}\n")
        target = sp.get("targetPort", sp.get("port"))  # targetPort defaults to port
        w.write(0, f"TargetPort:\t{target}/{proto}\n")
        if as_int(sp.get("nodePort")):
            w.write(0, f"NodePort:\t{name}\t{sp['nodePort']}/{proto}\n")
        names = {sp.get("name") or ""}
        if related.get("endpointslices") is not None:
            eps = format_endpoint_slices(related["endpointslices"], names)
        elif related.get("endpoints") is not None:
            eps = format_endpoints(related["endpoints"], names)
        else:
            eps = "<none>"
        w.write(0, f"Endpoints:\t{eps}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity') or 'None'}\n")
    etp = spec.get("externalTrafficPolicy") or (
        "Cluster" if svc_type in ("NodePort", "LoadBalancer") else "")
    if etp:
        w.write(0, f"External Traffic Policy:\t{etp}\n")
    itp = spec.get("internalTrafficPolicy") or ("Cluster" if defaulted else "")
    if itp:
        w.write(0, f"Internal Traffic Policy:\t{itp}\n")
    if events is not None:
        describe_events(events, w, now)
    return w.text()


# --- Node --------------------------------------------------------------------


def _container_resources(c: dict, kind: str) -> dict[str, Quantity]:
    res = c.get("resources") or {}
    values = dict(res.get("limits") or {}) if kind == "requests" else {}
    values.update(res.get(kind) or {})  # a missing request defaults to the limit
    return {k: parse(v) for k, v in values.items()}


def _add(into: dict[str, Quantity], more: dict[str, Quantity]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, ZERO) + v


def pod_resources(pod: dict, kind: str) -> dict[str, Quantity]:
    """resource.PodRequests / PodLimits: containers summed, init containers as a floor."""
    spec = pod.get("spec") or {}
    total: dict[str, Quantity] = {}
    for c in spec.get("containers") or []:
        _add(total, _container_resources(c, kind))
    sidecars: dict[str, Quantity] = {}
    init_max: dict[str, Quantity] = {}
    for c in spec.get("initContainers") or []:
        res = _container_resources(c, kind)
        if c.get("restartPolicy") == "Always":  # sidecars keep running beside the app
            _add(total, res)
            _add(sidecars, res)
            peak = dict(sidecars)
        else:
            peak = dict(sidecars)
            _add(peak, res)
        for k, v in peak.items():
            if k not in init_max or v.value > init_max[k].value:
                init_max[k] = v
    for k, v in init_max.items():
        if k not in total or v.value > total[k].value:
            total[k] = v
    return total


def _pct(part: Quantity, whole: Quantity, milli: bool) -> int:
    denom = whole.milli_value() if milli else whole.int_value()
    if denom == 0:
        return 0
    num = part.milli_value() if milli else part.int_value()
    return int(num / denom * 100)  # int64(float) truncates


def describe_node(node: dict, events: list[dict] | None, pods: list[dict], now: float) -> str:
    w = PrefixWriter()
    meta = node.get("metadata") or {}
    spec = node.get("spec") or {}
    status = node.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    print_labels_multiline(w, "Labels", meta.get("labels"))
    print_annotations_multiline(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{format_rfc1123z(meta.get('creationTimestamp'))}\n")
    print_taints_multiline(w, "Taints", spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\t"
                   "Reason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \t"
                       f"{format_rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{format_rfc1123z(c.get('lastTransitionTime'))} \t"
                       f"{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for addr in status.get("addresses") or []:
        w.write(1, f"{addr.get('type', '')}:\t{addr.get('address', '')}\n")
    for title in ("capacity", "allocatable"):
        values = status.get(title) or {}
        if values:
            w.write(0, f"{title.capitalize()}:\n")
            for name in sorted(values):
                w.write(0, f"  {name}:\t{canonical(values[name])}\n")
    info = status.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for label, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"),
                       ("Boot ID", "bootID"), ("Kernel Version", "kernelVersion"),
                       ("OS Image", "osImage"), ("Operating System", "operatingSystem"),
                       ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion")):
        w.write(0, f"  {label}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _describe_node_resource(w, node, pods, now)
    if events is not None:
        describe_events(events, w, now)
    return w.text()


def _describe_node_resource(w: PrefixWriter, node: dict, pods: list[dict], now: float) -> None:
    name = dig(node, "metadata", "name")
    # NodeDescriber lists spec.nodeName=<node>,status.phase!=Failed,status.phase!=Succeeded.
    running = sorted(
        (p for p in pods if dig(p, "spec", "nodeName") == name
         and dig(p, "status", "phase") not in ("Failed", "Succeeded")),
        key=lambda p: (dig(p, "metadata", "namespace", default=""),
                       dig(p, "metadata", "name", default="")))
    allocatable_raw = dig(node, "status", "allocatable") or dig(node, "status", "capacity") or {}
    alloc = {k: parse(v) for k, v in allocatable_raw.items()}
    w.write(0, f"Non-terminated Pods:\t({len(running)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    reqs: dict[str, Quantity] = {}
    limits: dict[str, Quantity] = {}
    for pod in running:
        req, lim = pod_resources(pod, "requests"), pod_resources(pod, "limits")
        _add(reqs, req)
        _add(limits, lim)
        cells = []
        for source, res, milli in ((req, "cpu", True), (lim, "cpu", True),
                                   (req, "memory", False), (lim, "memory", False)):
            q = source.get(res, ZERO)
            cells.append(f"{q} ({_pct(q, alloc.get(res, ZERO), milli)}%)")
        age = translate_timestamp_since(dig(pod, "metadata", "creationTimestamp"), now)
        w.write(1, f"{dig(pod, 'metadata', 'namespace', default='')}\t"
                   f"{dig(pod, 'metadata', 'name', default='')}\t\t" + "\t".join(cells)
                   + f"\t{age}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., "
               "overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for res, milli in (("cpu", True), ("memory", False), ("ephemeral-storage", False)):
        r, lim = reqs.get(res, ZERO), limits.get(res, ZERO)
        whole = alloc.get(res, ZERO)
        w.write(1, f"{res}\t{r} ({_pct(r, whole, milli)}%)\t{lim} ({_pct(lim, whole, milli)}%)\n")
