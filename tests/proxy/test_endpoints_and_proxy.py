"""EndpointsController and ServiceProxy on a virtual clock, with real loopback
HTTP servers standing in for pods."""

from __future__ import annotations

import http.server
import socket
import threading
import urllib.request

import pytest

from engine.api.store import Store
from engine.clock import VirtualClock
from engine.config import DEFAULT_TIMING
from engine.controllers.endpoints import EndpointsController
from engine.loop import ControlLoop
from engine.proxy import ServiceProxy


class PodServer:
    """A real HTTP server answering with its pod's name."""

    def __init__(self, name: str):
        body = name.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeRuntime:
    """Maps pod IPs to the loopback servers (what a real runtime's address lookup does)."""

    def __init__(self):
        self.by_ip: dict[str, PodServer] = {}

    def endpoint_address(self, ip, port):
        server = self.by_ip.get(ip)
        return ("127.0.0.1", server.port) if server else None


@pytest.fixture
def env():
    clock = VirtualClock()
    store = Store(clock)
    runtime = FakeRuntime()
    loop = ControlLoop(store, clock, DEFAULT_TIMING)
    loop.add(EndpointsController(loop.ctx))
    proxy = loop.add(ServiceProxy(loop.ctx, runtime))
    servers = []
    yield store, loop, proxy, runtime, servers
    proxy.close()
    for s in servers:
        s.close()


def add_pod(store, runtime, servers, name, ip, labels, ready=True, port_name=None):
    server = PodServer(name)
    servers.append(server)
    runtime.by_ip[ip] = server
    ports = [{"containerPort": 8080, **({"name": port_name} if port_name else {})}]
    store.create({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {"nodeName": "node-1", "containers": [{"name": "web", "image": "kubequest/web:1.0", "ports": ports}]},
    })
    set_ready(store, name, ip, ready)


def set_ready(store, name, ip, ready):
    def edit(p):
        p["status"] = {"phase": "Running", "podIP": ip,
                       "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    store.mutate("Pod", name, "default", edit, subresource="status")


def service(store, selector, target_port=8080, name="web"):
    store.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
                  "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": target_port}]}})


def get(addr):
    with urllib.request.urlopen(f"http://{addr[0]}:{addr[1]}/", timeout=5) as r:
        return r.read().decode()


def test_endpoints_list_ready_pods_and_not_ready_apart(env):
    store, loop, proxy, runtime, servers = env
    add_pod(store, runtime, servers, "a", "10.244.0.1", {"app": "web"})
    add_pod(store, runtime, servers, "b", "10.244.0.2", {"app": "web"}, ready=False)
    add_pod(store, runtime, servers, "c", "10.244.0.3", {"app": "db"})
    service(store, {"app": "web"})
    loop.settle()
    ep = store.get("Endpoints", "web")
    [subset] = ep["subsets"]
    assert [a["ip"] for a in subset["addresses"]] == ["10.244.0.1"]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == ["10.244.0.2"]
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
    set_ready(store, "b", "10.244.0.2", True)
    loop.settle()
    assert [a["ip"] for a in store.get("Endpoints", "web")["subsets"][0]["addresses"]] == ["10.244.0.1", "10.244.0.2"]


def test_selector_matching_nothing_gives_empty_endpoints(env):
    store, loop, proxy, runtime, servers = env
    add_pod(store, runtime, servers, "a", "10.244.0.1", {"app": "web"})
    service(store, {"app": "wbe"})
    loop.settle()
    assert store.get("Endpoints", "web")["subsets"] == []
    assert proxy.backends_of("web") == []


def test_named_target_port_is_looked_up_per_pod(env):
    store, loop, proxy, runtime, servers = env
    add_pod(store, runtime, servers, "a", "10.244.0.1", {"app": "web"}, port_name="http")
    add_pod(store, runtime, servers, "b", "10.244.0.2", {"app": "web"})
    service(store, {"app": "web"}, target_port="http")
    loop.settle()
    ep = store.get("Endpoints", "web")
    assert [a["ip"] for s in ep["subsets"] for a in s.get("addresses", [])] == ["10.244.0.1"]


def test_proxy_round_robins_over_ready_endpoints(env):
    store, loop, proxy, runtime, servers = env
    for i, name in enumerate(["a", "b", "c"]):
        add_pod(store, runtime, servers, name, f"10.244.0.{i + 1}", {"app": "web"})
    service(store, {"app": "web"})
    loop.settle()
    addr = proxy.address_of("web", port=80)
    answers = [get(addr) for _ in range(6)]
    assert sorted(set(answers)) == ["a", "b", "c"]
    assert answers[:3] == answers[3:]  # strict rotation
    # A pod that stops being ready leaves the rotation.
    set_ready(store, "b", "10.244.0.2", False)
    loop.settle()
    assert {get(addr) for _ in range(4)} == {"a", "c"}


def test_service_without_endpoints_refuses_and_resolves_names(env):
    store, loop, proxy, runtime, servers = env
    service(store, {"app": "none"})
    loop.settle()
    addr = proxy.address_of("web")
    with socket.create_connection(addr, timeout=2) as s:
        try:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            answer = s.recv(100)
        except ConnectionResetError:
            answer = b""
        assert answer == b""  # closed: no endpoint to take it
    ip = store.get("Service", "web")["spec"]["clusterIP"]
    for host in ("web", "web.default", "web.default.svc.cluster.local", ip):
        assert proxy.resolve(host, 80) == addr
    assert proxy.resolve("web", 81) is None


def test_deleting_the_service_closes_its_listener(env):
    store, loop, proxy, runtime, servers = env
    service(store, {"app": "web"})
    loop.settle()
    addr = proxy.address_of("web")
    store.delete("Service", "web")
    loop.settle()
    assert proxy.address_of("web") is None
    assert store.try_get("Endpoints", "web") is None
    with pytest.raises(OSError):
        socket.create_connection(addr, timeout=1).close()
