"""ServiceProxy: kube-proxy in the old userspace mode.

Every Service port gets a TCP listener on 127.0.0.1; each accepted connection is
forwarded to the next ready endpoint, round-robin (as IPVS' default `rr`
scheduler does). The endpoints come from the Endpoints objects the
EndpointsController keeps, read through the store. A Service still shows its
ClusterIP and NodePort: the proxy maps them (and the Service's DNS names) to its
loopback listeners for workloads that ask the runtime to resolve them.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import Hashable

from ..api.store import WatchEvent
from ..controllers.base import Context, Controller
from ..controllers.endpoints import ready_addresses
from .forwarder import Listener

CLUSTER_DOMAIN = "svc.cluster.local"


@dataclass
class ServicePort:
    namespace: str
    service: str
    port: int
    name: str
    cluster_ip: str
    node_port: int | None
    listener: Listener
    backends: list[tuple[str, int, str]] = field(default_factory=list)  # (pod ip, port, pod name)


class ServiceProxy(Controller):
    name = "kube-proxy"

    def __init__(self, ctx: Context, runtime=None, *, bind_host: str = "127.0.0.1"):
        super().__init__(ctx)
        self.runtime = runtime
        self.bind_host = bind_host
        self._lock = threading.Lock()
        self.ports: dict[tuple[str, str, int], ServicePort] = {}
        if runtime is not None and hasattr(runtime, "set_resolver"):
            runtime.set_resolver(self.resolve)

    @property
    def component(self) -> str:
        return "kube-proxy"

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind in ("Service", "Endpoints"):
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))

    def resync_all(self) -> None:
        for svc in self.store.list("Service", copy=False):
            self.queue.add((svc["metadata"]["namespace"], svc["metadata"]["name"]))

    # ---- reconcile ---------------------------------------------------------

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        svc = self.store.try_get("Service", name, ns, copy=False)
        wanted: dict[int, dict] = {}
        if svc is not None and (svc.get("spec") or {}).get("type") != "ExternalName":
            for p in (svc.get("spec") or {}).get("ports") or []:
                if p.get("protocol", "TCP") == "TCP" and isinstance(p.get("port"), int):
                    wanted[p["port"]] = p
        endpoints = self.store.try_get("Endpoints", name, ns, copy=False)
        with self._lock:
            for (pns, pname, port), sp in list(self.ports.items()):
                if (pns, pname) == (ns, name) and port not in wanted:
                    sp.listener.close()
                    del self.ports[(pns, pname, port)]
            for port, p in wanted.items():
                sp = self.ports.get((ns, name, port))
                if sp is None:
                    listener = Listener(self.bind_host, self._pick_backend, (ns, name, port))
                    sp = self.ports[(ns, name, port)] = ServicePort(
                        ns, name, port, p.get("name", ""), svc["spec"].get("clusterIP", ""),
                        p.get("nodePort"), listener,
                    )
                sp.cluster_ip = svc["spec"].get("clusterIP", "")
                sp.node_port = p.get("nodePort")
                sp.name = p.get("name", "")
                sp.backends = ready_addresses(endpoints, sp.name)

    def _pick_backend(self, key: tuple[str, str, int]) -> tuple[str, int] | None:
        """The next ready endpoint of a Service port, as a host-reachable address."""
        with self._lock:
            sp = self.ports.get(key)
            if sp is None or not sp.backends:
                return None
            sp.listener.next_index = (sp.listener.next_index + 1) % len(sp.backends)
            ip, port, _ = sp.backends[sp.listener.next_index]
        return self._pod_address(ip, port)

    def _pod_address(self, ip: str, port: int) -> tuple[str, int] | None:
        if self.runtime is not None and hasattr(self.runtime, "endpoint_address"):
            return self.runtime.endpoint_address(ip, port)
        return ip, port

    # ---- lookups -----------------------------------------------------------

    def address_of(self, service: str, namespace: str = "default", port: int | None = None) -> tuple[str, int] | None:
        """The loopback address where a Service port answers (first port if none given)."""
        with self._lock:
            for (ns, name, p), sp in sorted(self.ports.items()):
                if ns == namespace and name == service and (port is None or p == port):
                    return self.bind_host, sp.listener.port
        return None

    def backends_of(self, service: str, namespace: str = "default") -> list[tuple[str, int, str]]:
        with self._lock:
            out = []
            for (ns, name, _), sp in sorted(self.ports.items()):
                if ns == namespace and name == service:
                    out.extend(sp.backends)
            return out

    def resolve(self, host: str, port: int, namespace: str = "default") -> tuple[str, int] | None:
        """What a workload in `namespace` reaches at host:port: a Service by short
        name (its own namespace), `name.ns`, FQDN or ClusterIP, or a pod by its IP."""
        host = host.rstrip(".")
        with self._lock:
            for (ns, name, p), sp in self.ports.items():
                if p != port:
                    continue
                names = {f"{name}.{ns}", f"{name}.{ns}.svc", f"{name}.{ns}.{CLUSTER_DOMAIN}", sp.cluster_ip}
                if ns == namespace:
                    names.add(name)
                if host in names:
                    return self.bind_host, sp.listener.port
        return self._pod_address(host, port)

    def close(self) -> None:
        with self._lock:
            for sp in self.ports.values():
                sp.listener.close()
            self.ports.clear()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
