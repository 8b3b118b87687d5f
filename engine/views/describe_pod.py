"""`kubectl describe pod`: containers, probes, environment, mounts, volumes, QoS.

Ported from kubectl pkg/describe/describe.go at v0.36.3: `describePod`,
`describeContainers` (`describeContainerBasicInfo`, `describeContainerState`,
`describeStatus`, `describeContainerProbe`, `describeContainerEnvVars`,
`describeContainerEnvFrom`, `describeContainerVolumes`), `DescribeProbe`,
`describeVolumes` (the common volume sources), and qos.GetPodQOS from
k8s.io/kubernetes pkg/apis/core/helper/qos. Topology spread constraints,
seccomp profiles, ephemeral containers and pod-level resources are left out.
"""

from __future__ import annotations

import re
from typing import Any

from engine.api.quantity import canonical, parse
from engine.views._format import as_int, dig
from engine.views.age import format_rfc1123z, translate_timestamp_since
from engine.views.describe import (
    PrefixWriter,
    describe_events,
    print_annotations_multiline,
    print_controller,
    print_labels_multiline,
    print_tolerations_multiline,
)

# --- containers --------------------------------------------------------------

PROBE_DEFAULTS = {"initialDelaySeconds": 0, "timeoutSeconds": 1, "periodSeconds": 10,
                  "successThreshold": 1, "failureThreshold": 3}


def describe_probe(probe: dict) -> str:
    """DescribeProbe: `http-get http://:8080/healthz delay=0s timeout=1s period=10s ...`."""
    p = {k: as_int(probe.get(k), d) for k, d in PROBE_DEFAULTS.items()}  # API defaults
    attrs = (f"delay={p['initialDelaySeconds']}s timeout={p['timeoutSeconds']}s "
             f"period={p['periodSeconds']}s #success={p['successThreshold']} "
             f"#failure={p['failureThreshold']}")
    if probe.get("exec") is not None:
        command = " ".join(str(c) for c in dig(probe, "exec", "command", default=[]))
        return f"exec [{command}] {attrs}"
    if probe.get("httpGet") is not None:
        http = probe["httpGet"]
        scheme = (http.get("scheme") or "HTTP").lower()
        host, port = http.get("host", ""), str(http.get("port", ""))
        hostport = (f"[{host}]:{port}" if ":" in host else f"{host}:{port}") if port else host
        path = http.get("path", "")
        if path and not path.startswith("/"):
            path = "/" + path  # url.URL.String inserts the slash
        return f"http-get {scheme}://{hostport}{path} {attrs}"
    if probe.get("tcpSocket") is not None:
        tcp = probe["tcpSocket"]
        return f"tcp-socket {tcp.get('host', '')}:{tcp.get('port', '')} {attrs}"
    if probe.get("grpc") is not None:
        grpc = probe["grpc"]
        return f"grpc <pod>:{grpc.get('port', '')} {grpc.get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def _ports(ports: list[dict], field: str) -> str:
    out = []
    for p in ports:
        text = f"{as_int(p.get(field))}/{p.get('protocol') or 'TCP'}"
        out.append(f"{text} ({p['name']})" if p.get("name") else text)
    return ", ".join(out)


def _describe_status(w: PrefixWriter, state_name: str, state: dict | None) -> None:
    state = state or {}
    if state.get("running") is not None:
        w.write(2, f"{state_name}:\tRunning\n")
        w.write(3, f"Started:\t{format_rfc1123z(state['running'].get('startedAt'))}\n")
    elif state.get("waiting") is not None:
        w.write(2, f"{state_name}:\tWaiting\n")
        if state["waiting"].get("reason"):
            w.write(3, f"Reason:\t{state['waiting']['reason']}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{state_name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{as_int(t.get('exitCode'))}\n")
        if as_int(t.get("signal")) > 0:
            w.write(3, f"Signal:\t{as_int(t['signal'])}\n")
        w.write(3, f"Started:\t{format_rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{format_rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{state_name}:\tWaiting\n")


def _describe_resources(w: PrefixWriter, resources: dict | None, level: int) -> None:
    for title in ("limits", "requests"):
        values = (resources or {}).get(title) or {}
        if values:
            w.write(level, f"{title.capitalize()}:\n")
        for name in sorted(values):
            w.write(level + 1, f"{name}:\t{canonical(values[name])}\n")


_FIELD_PATH = re.compile(r"^metadata\.(labels|annotations)\['(.+)'\]$")


def _field_ref_value(pod: dict | None, field_path: str) -> str:
    """fieldpath.ExtractFieldPathAsString for the paths pods may reference."""
    if pod is None:
        return ""  # a pod template has nothing to resolve yet
    m = _FIELD_PATH.match(field_path)
    if m:
        return str(dig(pod, "metadata", m.group(1), m.group(2), default=""))
    simple = {
        "metadata.name": ("metadata", "name"), "metadata.namespace": ("metadata", "namespace"),
        "metadata.uid": ("metadata", "uid"), "spec.nodeName": ("spec", "nodeName"),
        "spec.serviceAccountName": ("spec", "serviceAccountName"),
        "status.podIP": ("status", "podIP"), "status.hostIP": ("status", "hostIP"),
    }
    path = simple.get(field_path)
    return str(dig(pod, *path, default="")) if path else ""


def _resource_field_value(container: dict, ref: dict) -> str:
    resource = ref.get("resource", "")
    kind, _, name = resource.partition(".")
    value = dig(container, "resources", kind, name)
    if value is None:
        return "0"
    try:
        divisor = parse(ref.get("divisor") or "1").value or 1
        amount = parse(value).value / divisor
    except ValueError:
        return ""
    return str(-(-amount.numerator // amount.denominator))  # ceiling, as the kubelet rounds


def _describe_env(w: PrefixWriter, container: dict, pod: dict | None) -> None:
    env_from = container.get("envFrom") or []
    if env_from:
        w.write(2, "Environment Variables from:\n")
        for e in env_from:
            src, kind = (e.get("configMapRef"), "ConfigMap") if e.get("configMapRef") else (
                e.get("secretRef") or {}, "Secret")
            optional = "true" if src.get("optional") else "false"
            prefix = f" with prefix '{e['prefix']}'" if e.get("prefix") else ""
            w.write(3, f"{src.get('name', '')}\t{kind}{prefix}\tOptional: {optional}\n")
    env = container.get("env") or []
    w.write(2, "Environment:" + ("" if env else "\t<none>") + "\n")
    for e in env:
        vf = e.get("valueFrom")
        if not vf:
            for i, line in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{e.get('name', '')}:\t{line}\n" if i == 0 else f"\t{line}\n")
        elif vf.get("fieldRef"):
            ref = vf["fieldRef"]
            value = _field_ref_value(pod, ref.get("fieldPath", ""))
            w.write(3, f"{e.get('name', '')}:\t{value} "
                       f"({ref.get('apiVersion') or 'v1'}:{ref.get('fieldPath', '')})\n")
        elif vf.get("resourceFieldRef"):
            ref = vf["resourceFieldRef"]
            value = _resource_field_value(container, ref)
            if value == "0" and ref.get("resource") in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{e.get('name', '')}:\t{value} ({ref.get('resource', '')})\n")
        elif vf.get("secretKeyRef") or vf.get("configMapKeyRef"):
            is_secret = bool(vf.get("secretKeyRef"))
            ref = vf["secretKeyRef"] if is_secret else vf["configMapKeyRef"]
            where = "in secret" if is_secret else "of config map"
            optional = "true" if ref.get("optional") else "false"
            w.write(3, f"{e.get('name', '')}:\t<set to the key '{ref.get('key', '')}' {where} "
                       f"'{ref.get('name', '')}'>\tOptional: {optional}\n")


def describe_containers(w: PrefixWriter, label: str, containers: list[dict] | None,
                        statuses: list[dict] | None, pod: dict | None, space: str = "") -> None:
    containers = containers or []
    by_name = {s.get("name"): s for s in statuses or []}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    name_indent = " " if space else ""
    for c in containers:
        st = by_name.get(c.get("name"))
        w.write(1, f"{name_indent}{c.get('name', '')}:\n")
        if st is not None:
            w.write(2, f"Container ID:\t{st.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if st is not None:
            w.write(2, f"Image ID:\t{st.get('imageID', '')}\n")
        ports = c.get("ports") or []
        port_text, host_text = _ports(ports, "containerPort"), _ports(ports, "hostPort")
        if "," in port_text:
            w.write(2, f"Ports:\t{port_text}\n")
        else:
            w.write(2, f"Port:\t{port_text or '<none>'}\n")
        if "," in host_text:
            w.write(2, f"Host Ports:\t{host_text}\n")
        else:
            w.write(2, f"Host Port:\t{host_text or '<none>'}\n")
        for title, items in (("Command", c.get("command")), ("Args", c.get("args"))):
            if items:
                w.write(2, f"{title}:\n")
                for item in items:
                    for line in str(item).split("\n"):
                        w.write(3, line + "\n")
        if st is not None:
            _describe_status(w, "State", st.get("state"))
            if dig(st, "lastState", "terminated") is not None:
                _describe_status(w, "Last State", st["lastState"])
            w.write(2, f"Ready:\t{'True' if st.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{as_int(st.get('restartCount'))}\n")
        _describe_resources(w, c.get("resources"), 2)
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                           ("Startup", "startupProbe")):
            if c.get(key) is not None:
                w.write(2, f"{title}:\t{describe_probe(c[key])}\n")
        _describe_env(w, c, pod)
        mounts = sorted(c.get("volumeMounts") or [], key=lambda m: m.get("mountPath", ""))
        w.write(2, "Mounts:" + ("" if mounts else "\t<none>") + "\n")
        for m in mounts:
            flags = ["ro" if m.get("readOnly") else "rw"]
            if m.get("subPath"):
                flags.append(f'path="{m["subPath"]}"')
            w.write(3, f"{m.get('mountPath', '')} from {m.get('name', '')} ({','.join(flags)})\n")


def _volume_lines(vol: dict) -> list[str]:
    """The text describeVolumes prints for the common volume sources.

    describe.go writes each source with one LEVEL_2 call whose later lines carry
    a literal four-space indent; those literal indents are kept here.
    """
    def b(value: Any) -> str:
        return "true" if value else "false"

    pad = "    "
    if "emptyDir" in vol:
        ed = vol["emptyDir"] or {}
        size = canonical(ed["sizeLimit"]) if ed.get("sizeLimit") not in (None, "0", 0) else "<unset>"
        return [f"{pad}Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)",
                f"{pad}Medium:\t{ed.get('medium', '')}", f"{pad}SizeLimit:\t{size}"]
    if "hostPath" in vol:
        hp = vol["hostPath"] or {}
        return [f"{pad}Type:\tHostPath (bare host directory volume)",
                f"{pad}Path:\t{hp.get('path', '')}",
                f"{pad}HostPathType:\t{hp.get('type') or '<none>'}"]
    if "configMap" in vol:
        cm = vol["configMap"] or {}
        return [f"{pad}Type:\tConfigMap (a volume populated by a ConfigMap)",
                f"{pad}Name:\t{cm.get('name', '')}", f"{pad}Optional:\t{b(cm.get('optional'))}"]
    if "secret" in vol:
        s = vol["secret"] or {}
        return [f"{pad}Type:\tSecret (a volume populated by a Secret)",
                f"{pad}SecretName:\t{s.get('secretName', '')}",
                f"{pad}Optional:\t{b(s.get('optional'))}"]
    if "persistentVolumeClaim" in vol:
        pvc = vol["persistentVolumeClaim"] or {}
        return [(f"{pad}Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim "
                 "in the same namespace)"), f"{pad}ClaimName:\t{pvc.get('claimName', '')}",
                f"{pad}ReadOnly:\t{b(pvc.get('readOnly'))}"]
    if "downwardAPI" in vol:
        lines = [f"{pad}Type:\tDownwardAPI (a volume populated by information about the pod)",
                 f"{pad}Items:"]
        for item in dig(vol, "downwardAPI", "items", default=[]):
            src = dig(item, "fieldRef", "fieldPath") or dig(item, "resourceFieldRef", "resource")
            lines.append(f"      {src} -> {item.get('path', '')}")
        return lines
    if "projected" in vol:
        lines = [(f"{pad}Type:\tProjected (a volume that contains injected data from "
                  "multiple sources)")]
        for src in dig(vol, "projected", "sources", default=[]):
            if src.get("secret") is not None:
                lines += [f"{pad}SecretName:\t{src['secret'].get('name', '')}",
                          f"{pad}Optional:\t{b(src['secret'].get('optional'))}"]
            elif src.get("downwardAPI") is not None:
                lines.append(f"{pad}DownwardAPI:\ttrue")
            elif src.get("configMap") is not None:
                lines += [f"{pad}ConfigMapName:\t{src['configMap'].get('name', '')}",
                          f"{pad}Optional:\t{b(src['configMap'].get('optional'))}"]
            elif src.get("serviceAccountToken") is not None:
                seconds = as_int(src["serviceAccountToken"].get("expirationSeconds"), 3600)
                lines.append(f"{pad}TokenExpirationSeconds:\t{seconds}")
        return lines
    return []


def describe_volumes(w: PrefixWriter, volumes: list[dict] | None, space: str = "") -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for vol in volumes:
        w.write(1, f"{' ' if space else ''}{vol.get('name', '')}:\n")
        lines = _volume_lines(vol)
        if not lines:
            w.write(1, "<unknown>\n")
        for line in lines:
            w.write(0, line + "\n")


# --- Pod ---------------------------------------------------------------------


def pod_qos_class(pod: dict) -> str:
    """qos.GetPodQOS (status.qosClass when the kubelet/API server already set it)."""
    if dig(pod, "status", "qosClass"):
        return pod["status"]["qosClass"]
    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = c.get("resources") or {}
        lim = {k: parse(v).value for k, v in (res.get("limits") or {}).items()
               if k in ("cpu", "memory")}
        # The API server defaults a missing request to the limit.
        req = {**lim, **{k: parse(v).value for k, v in (res.get("requests") or {}).items()
                         if k in ("cpu", "memory")}}
        for k, v in req.items():
            if v > 0:
                requests[k] = requests.get(k, 0) + v
        found = set()
        for k, v in lim.items():
            if v > 0:
                found.add(k)
                limits[k] = limits.get(k, 0) + v
        if found != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and all(limits.get(k) == v for k, v in requests.items()) and (
            len(requests) == len(limits)):
        return "Guaranteed"
    return "Burstable"


def describe_pod(pod: dict, events: list[dict] | None, now: float) -> str:
    w = PrefixWriter()
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{as_int(spec['priority'])}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("runtimeClassName"):
        w.write(0, f"Runtime Class Name:\t{spec['runtimeClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("nodeName"):
        w.write(0, f"Node:\t{spec['nodeName']}/{status.get('hostIP', '')}\n")
    else:
        w.write(0, "Node:\t<none>\n")
    if status.get("startTime"):
        w.write(0, f"Start Time:\t{format_rfc1123z(status['startTime'])}\n")
    print_labels_multiline(w, "Labels", meta.get("labels"))
    print_annotations_multiline(w, "Annotations", meta.get("annotations"))
    phase = status.get("phase", "")
    if meta.get("deletionTimestamp") and phase not in ("Failed", "Succeeded"):
        # deletionTimestamp lies in the future, so kubectl famously prints "<invalid>" here.
        w.write(0, "Status:\tTerminating (lasts "
                   f"{translate_timestamp_since(meta['deletionTimestamp'], now)})\n")
        grace = as_int(meta.get("deletionGracePeriodSeconds"), 30)
        w.write(0, f"Termination Grace Period:\t{grace}s\n")
    else:
        w.write(0, f"Status:\t{phase}\n")
    if status.get("reason"):
        w.write(0, f"Reason:\t{status['reason']}\n")
    if status.get("message"):
        w.write(0, f"Message:\t{status['message']}\n")
    w.write(0, f"IP:\t{status.get('podIP', '')}\n")
    pod_ips = status.get("podIPs") or ([{"ip": status["podIP"]}] if status.get("podIP") else [])
    if pod_ips:
        w.write(0, "IPs:\n")
        for ip in pod_ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    else:
        w.write(0, "IPs:\t<none>\n")
    if controlled_by := print_controller(pod):
        w.write(0, f"Controlled By:\t{controlled_by}\n")
    if status.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{status['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        describe_containers(w, "Init Containers", spec["initContainers"],
                            status.get("initContainerStatuses"), pod)
    describe_containers(w, "Containers", spec.get("containers"), status.get("containerStatuses"),
                        pod)
    if spec.get("readinessGates"):
        w.write(0, "Readiness Gates:\n  Type\tStatus\n")
        for gate in spec["readinessGates"]:
            value = next((c.get("status", "") for c in status.get("conditions") or []
                          if c.get("type") == gate.get("conditionType")), "<none>")
            w.write(1, f"{gate.get('conditionType', '')} \t{value} \n")
    if status.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in status["conditions"]:
            w.write(1, f"{c.get('type', '')} \t{c.get('status', '')} \n")
    describe_volumes(w, spec.get("volumes"))
    w.write(0, f"QoS Class:\t{pod_qos_class(pod)}\n")
    print_labels_multiline(w, "Node-Selectors", spec.get("nodeSelector"))
    print_tolerations_multiline(w, "Tolerations", spec.get("tolerations"))
    if events is not None:
        describe_events(events, w, now)
    return w.text()
