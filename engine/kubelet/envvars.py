"""A container's environment: env, envFrom, and the downward API.

Source: pkg/kubelet/kubelet_pods.go (`makeEnvironmentVariables`,
`podFieldSelectorRuntimeValue`), third_party/forked/golang/expansion
(`$(VAR)` references). Errors carry the kubelet's exact words — they become the
waiting message of a CreateContainerConfigError:

- `configmap "x" not found` / `secret "x" not found` (the kubelet's object
  managers report the resource in the singular);
- `couldn't find key K in ConfigMap ns/x` / `couldn't find key K in Secret ns/x`.

`optional: true` turns a missing object or key into "no variable". envFrom
comes first, then env in order; a later definition wins; env values may refer
to earlier variables as `$(NAME)`.
"""

from __future__ import annotations

import base64
import re

from ..api.quantity import to_float as parse_quantity
from ..api.store import Store


class ContainerConfigError(Exception):
    """The container's configuration cannot be built (CreateContainerConfigError)."""


_VALID_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_LABEL_PATH = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")


def _configmap(store: Store, ns: str, name: str, optional: bool) -> dict | None:
    obj = store.try_get("ConfigMap", name, ns, copy=False)
    if obj is None and not optional:
        raise ContainerConfigError(f'configmap "{name}" not found')
    return obj


def _secret(store: Store, ns: str, name: str, optional: bool) -> dict | None:
    obj = store.try_get("Secret", name, ns, copy=False)
    if obj is None and not optional:
        raise ContainerConfigError(f'secret "{name}" not found')
    return obj


def secret_data(secret: dict) -> dict[str, bytes]:
    """A Secret's data, base64-decoded (what the kubelet receives as []byte)."""
    out = {}
    for k, v in (secret.get("data") or {}).items():
        try:
            out[k] = base64.b64decode(str(v), validate=False)
        except (ValueError, TypeError):
            out[k] = str(v).encode()
    for k, v in (secret.get("stringData") or {}).items():
        out[k] = str(v).encode()
    return out


def configmap_data(cm: dict) -> dict[str, bytes]:
    out = {k: str(v).encode() for k, v in (cm.get("data") or {}).items()}
    for k, v in (cm.get("binaryData") or {}).items():
        out[k] = base64.b64decode(str(v))
    return out


def pod_field_value(pod: dict, path: str, pod_ip: str, host_ip: str) -> str:
    """The downward API's fieldRef values (podFieldSelectorRuntimeValue)."""
    md = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    m = _LABEL_PATH.match(path)
    if m:
        return str((md.get(m.group(1)) or {}).get(m.group(2), ""))
    simple = {
        "metadata.name": md.get("name", ""),
        "metadata.namespace": md.get("namespace", ""),
        "metadata.uid": md.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
    }
    if path in simple:
        return str(simple[path])
    if path in ("metadata.labels", "metadata.annotations"):
        items = md.get(path.split(".")[1]) or {}
        return "\n".join(f'{k}="{v}"' for k, v in sorted(items.items()))
    raise ContainerConfigError(f'unsupported fieldPath "{path}"')


def resource_field_value(container: dict, ref: dict) -> str:
    """resourceFieldRef: limits.cpu / requests.memory … in units of `divisor`."""
    res = container.get("resources") or {}
    kind, _, resource = str(ref.get("resource", "")).partition(".")
    value = (res.get(kind) or {}).get(resource)
    if value is None:
        return "0"
    try:
        amount = parse_quantity(value) / parse_quantity(ref.get("divisor") or "1")
    except (ValueError, ZeroDivisionError):
        return str(value)
    whole = -(-amount // 1)  # the kubelet rounds up to whole divisors
    return str(int(whole))


def expand(text: str, env: dict[str, str]) -> str:
    """expansion.Expand: `$(NAME)` -> value when defined, `$$` -> `$`, else kept."""
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "$" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "$":
                out.append("$")
                i += 2
                continue
            if nxt == "(":
                end = text.find(")", i + 2)
                if end != -1:
                    name = text[i + 2:end]
                    out.append(env[name] if name in env else text[i:end + 1])
                    i = end + 1
                    continue
        out.append(ch)
        i += 1
    return "".join(out)


def make_environment_variables(
    store: Store, pod: dict, container: dict, pod_ip: str, host_ip: str
) -> dict[str, str]:
    """The container's variables, in definition order. Raises ContainerConfigError."""
    ns = (pod.get("metadata") or {}).get("namespace") or "default"
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        if source.get("configMapRef"):
            ref = source["configMapRef"]
            cm = _configmap(store, ns, ref.get("name", ""), bool(ref.get("optional")))
            if cm is None:
                continue
            for k, v in (cm.get("data") or {}).items():
                if _VALID_ENV_NAME.match(prefix + k):
                    env[prefix + k] = str(v)
        elif source.get("secretRef"):
            ref = source["secretRef"]
            secret = _secret(store, ns, ref.get("name", ""), bool(ref.get("optional")))
            if secret is None:
                continue
            for k, v in secret_data(secret).items():
                if _VALID_ENV_NAME.match(prefix + k):
                    env[prefix + k] = v.decode("utf-8", "replace")
    for var in container.get("env") or []:
        name = var.get("name", "")
        value_from = var.get("valueFrom")
        if not value_from:
            env[name] = expand(str(var.get("value") or ""), env)
            continue
        if value_from.get("fieldRef"):
            env[name] = pod_field_value(pod, value_from["fieldRef"].get("fieldPath", ""),
                                        pod_ip, host_ip)
        elif value_from.get("resourceFieldRef"):
            env[name] = resource_field_value(container, value_from["resourceFieldRef"])
        elif value_from.get("configMapKeyRef"):
            ref = value_from["configMapKeyRef"]
            optional = bool(ref.get("optional"))
            cm = _configmap(store, ns, ref.get("name", ""), optional)
            if cm is None:
                continue
            key = ref.get("key", "")
            data = cm.get("data") or {}
            if key not in data:
                if optional:
                    continue
                raise ContainerConfigError(
                    f"couldn't find key {key} in ConfigMap {ns}/{ref.get('name', '')}")
            env[name] = str(data[key])
        elif value_from.get("secretKeyRef"):
            ref = value_from["secretKeyRef"]
            optional = bool(ref.get("optional"))
            secret = _secret(store, ns, ref.get("name", ""), optional)
            if secret is None:
                continue
            key = ref.get("key", "")
            data = secret_data(secret)
            if key not in data:
                if optional:
                    continue
                raise ContainerConfigError(
                    f"couldn't find key {key} in Secret {ns}/{ref.get('name', '')}")
            env[name] = data[key].decode("utf-8", "replace")
    return env


def referenced_objects(pod: dict) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every ConfigMap, Secret and PVC the pod uses —
    the kubelet re-syncs the pod when one of them appears or changes."""
    ns = (pod.get("metadata") or {}).get("namespace") or "default"
    spec = pod.get("spec") or {}
    out: set[tuple[str, str, str]] = set()
    for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
        for source in c.get("envFrom") or []:
            if source.get("configMapRef"):
                out.add(("ConfigMap", ns, source["configMapRef"].get("name", "")))
            if source.get("secretRef"):
                out.add(("Secret", ns, source["secretRef"].get("name", "")))
        for var in c.get("env") or []:
            vf = var.get("valueFrom") or {}
            if vf.get("configMapKeyRef"):
                out.add(("ConfigMap", ns, vf["configMapKeyRef"].get("name", "")))
            if vf.get("secretKeyRef"):
                out.add(("Secret", ns, vf["secretKeyRef"].get("name", "")))
    for v in spec.get("volumes") or []:
        if v.get("configMap"):
            out.add(("ConfigMap", ns, v["configMap"].get("name", "")))
        if v.get("secret"):
            out.add(("Secret", ns, v["secret"].get("secretName", "")))
        if v.get("persistentVolumeClaim"):
            out.add(("PersistentVolumeClaim", ns, v["persistentVolumeClaim"].get("claimName", "")))
        for src in (v.get("projected") or {}).get("sources") or []:
            if src.get("configMap"):
                out.add(("ConfigMap", ns, src["configMap"].get("name", "")))
            if src.get("secret"):
                out.add(("Secret", ns, src["secret"].get("name", "")))
    return out
