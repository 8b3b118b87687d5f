"""ServiceProxy: kube-proxy in the old userspace mode.

Every Service port gets a TCP listener on 127.0.0.1; each accepted connection is
forwarded to the next ready endpoint, round-robin (as IPVS' default `rr`
scheduler does). The endpoints come from the Endpoints objects the
EndpointsController keeps, read through the store. A Service still shows its
ClusterIP and NodePort: the proxy maps them (and the Service's DNS names) to its
loopback listeners for workloads that ask the runtime to resolve them (the sim
runtime's wget and nc).

A runtime whose containers live on a network of their own (Docker) offers three
optional hooks, and the proxy stays the one place that picks a backend:

- `service_bind_host()`: the host's address on that network (None: none). Each
  Service port then gets a second listener there, on the same backends and the
  same round-robin as its loopback one;
- `expose_service(namespace, name, {port: listener port})`: make the Service's
  names answer inside the network, forwarding each port to that listener;
- `unexpose_service(namespace, name)`: the Service is gone (or has no TCP port).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Hashable
from dataclasses import dataclass, field

from ..api.store import WatchEvent
from ..controllers.base import Context, Controller
from ..controllers.endpoints import ready_addresses
from .forwarder import Listener

CLUSTER_DOMAIN = "svc.cluster.local"

log = logging.getLogger(__name__)


@dataclass
class ServicePort:
    namespace: str
    service: str
    port: int
    name: str
    cluster_ip: str
    node_port: int | None
    listener: Listener  # on bind_host (loopback): the host and the sim runtime's workloads
    network_listener: Listener | None = None  # on the runtime's service_bind_host()
    backends: list[tuple[str, int, str]] = field(default_factory=list)  # (pod ip, port, pod name)
    next_index: int = -1  # round-robin position, shared by both listeners

    def close(self) -> None:
        self.listener.close()
        if self.network_listener is not None:
            self.network_listener.close()


class ServiceProxy(Controller):
    name = "kube-proxy"

    def __init__(self, ctx: Context, runtime=None, *, bind_host: str = "127.0.0.1"):
        super().__init__(ctx)
        self.runtime = runtime
        self.bind_host = bind_host
        self._lock = threading.Lock()
        self.ports: dict[tuple[str, str, int], ServicePort] = {}
        # What the runtime was last told per Service: {port: network listener port}.
        self.exposed: dict[tuple[str, str], dict[int, int]] = {}
        self._network_host: str | None = None
        self._network_host_known = False
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
        network_host = self.network_host() if wanted else None
        with self._lock:
            for (pns, pname, port), sp in list(self.ports.items()):
                if (pns, pname) == (ns, name) and port not in wanted:
                    sp.close()
                    del self.ports[(pns, pname, port)]
            for port, p in wanted.items():
                sp = self.ports.get((ns, name, port))
                if sp is None:
                    listener = Listener(self.bind_host, self._pick_backend, (ns, name, port))
                    sp = self.ports[(ns, name, port)] = ServicePort(
                        ns, name, port, p.get("name", ""), svc["spec"].get("clusterIP", ""),
                        p.get("nodePort"), listener,
                    )
                if network_host is not None and sp.network_listener is None:
                    sp.network_listener = Listener(network_host, self._pick_backend, (ns, name, port))
                sp.cluster_ip = svc["spec"].get("clusterIP", "")
                sp.node_port = p.get("nodePort")
                sp.name = p.get("name", "")
                sp.backends = ready_addresses(endpoints, sp.name)
            forwards = {port: sp.network_listener.port for (pns, pname, port), sp in self.ports.items()
                        if (pns, pname) == (ns, name) and sp.network_listener is not None}
        self._expose(ns, name, forwards)

    def network_host(self) -> str | None:
        """The runtime's address for listeners its containers reach (None: loopback only)."""
        if not self._network_host_known:
            hook = getattr(self.runtime, "service_bind_host", None)
            self._network_host = hook() if hook is not None else None
            self._network_host_known = True
        return self._network_host

    def _expose(self, ns: str, name: str, forwards: dict[int, int]) -> None:
        """Tell the runtime where the Service's ports now go (only when that changed).

        A runtime error propagates: the sync is retried with back-off.
        """
        if self.exposed.get((ns, name), {}) == forwards:
            return
        if forwards:
            self.runtime.expose_service(ns, name, forwards)
            self.exposed[(ns, name)] = forwards
        else:
            self.runtime.unexpose_service(ns, name)
            self.exposed.pop((ns, name), None)

    def _pick_backend(self, key: tuple[str, str, int]) -> tuple[str, int] | None:
        """The next ready endpoint of a Service port, as a host-reachable address."""
        with self._lock:
            sp = self.ports.get(key)
            if sp is None or not sp.backends:
                return None
            sp.next_index = (sp.next_index + 1) % len(sp.backends)
            ip, port, _ = sp.backends[sp.next_index]
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
        pod_ip = self._pod_by_dns_name(host, namespace)
        return self._pod_address(pod_ip or host, port)

    def _pod_by_dns_name(self, host: str, namespace: str) -> str | None:
        """A pod with spec.hostname and spec.subdomain is `<hostname>.<subdomain>` (as a
        StatefulSet's pods under its headless Service: db-0.db), in its namespace's forms."""
        parts = host.split(".")
        if len(parts) < 2:
            return None
        ns = parts[2] if len(parts) >= 3 else namespace
        if len(parts) >= 3 and ".".join(parts[3:]) not in ("", "svc", CLUSTER_DOMAIN):
            return None
        for pod in self.store.list("Pod", ns, copy=False):
            spec = pod.get("spec") or {}
            if spec.get("hostname") == parts[0] and spec.get("subdomain") == parts[1] \
                    and not pod["metadata"].get("deletionTimestamp"):
                ip = (pod.get("status") or {}).get("podIP")
                if ip:
                    return str(ip)
        return None

    def close(self) -> None:
        """Close every listener and take the Services' names off the runtime's network."""
        with self._lock:
            for sp in self.ports.values():
                sp.close()
            self.ports.clear()
        for ns, name in list(self.exposed):
            try:
                self.runtime.unexpose_service(ns, name)
            except Exception:  # the runtime is gone: its cleanup removes the rest
                log.warning("kube-proxy: could not remove Service %s/%s from the runtime", ns, name,
                            exc_info=True)
            self.exposed.pop((ns, name), None)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]
