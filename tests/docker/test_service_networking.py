"""Services on real Docker: a pod reaches a Service by its DNS names, on ready endpoints only.

First, without Docker: the ServiceProxy's runtime hooks (`service_bind_host`,
`expose_service`, `unexpose_service`) with a fake runtime. Then one real
cluster for the module (pods take seconds to start): a web Deployment of
three replicas behind the Service `web`, one more `app: web` pod that never
turns ready, and toolbox pods that reach the Service from inside the cluster
network (`wget`, as `kubectl exec` would run it). Services made after the
toolbox pods must be found too: Docker's DNS follows the service containers.
"""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from engine.api.store import Store
from engine.clock import VirtualClock
from engine.cluster import Cluster, NodeConfig
from engine.config import DEFAULT_TIMING
from engine.controllers.endpoints import EndpointsController
from engine.images.builder import ImageBuilder
from engine.loop import ControlLoop
from engine.proxy import ServiceProxy
from engine.runtime.docker import CLUSTER_LABEL, ROLE_LABEL, SERVICE_LABEL, DockerRuntime
from tests.proxy.test_pod_dns import STATEFUL_DB  # the same StatefulSet under its headless Service

from .conftest import http_get, session_cluster_id

docker_test = pytest.mark.docker

START_TIMEOUT = 60.0  # wall seconds for pods to become Ready (normally a few)
ANSWER = re.compile(r"^web 1\.0 hello from (\S+)\n$")

WEB = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: kubequest/web:1.0
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: web-unready, labels: {app: web}}
spec:
  containers:
  - name: web
    image: kubequest/web:1.0
    env: [{name: READY_DELAY_SECONDS, value: "3600"}]
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
"""

SERVICE = """
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  selector: {{app: web}}
  ports: [{{port: {port}, targetPort: 8080}}]
"""

TOOLBOX = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  containers:
  - {{name: tools, image: kubequest/toolbox:1.0}}
"""


# --- helpers -------------------------------------------------------------------


def pod(cluster: Cluster, name: str, namespace: str = "default") -> dict[str, Any] | None:
    return cluster.store.try_get("Pod", name, namespace)


def is_ready(p: dict[str, Any] | None) -> bool:
    conditions = ((p or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def is_running(p: dict[str, Any] | None) -> bool:
    statuses = ((p or {}).get("status") or {}).get("containerStatuses") or []
    return bool(statuses) and all("running" in (s.get("state") or {}) for s in statuses)


def web_pods(cluster: Cluster) -> list[dict[str, Any]]:
    return [p for p in cluster.store.list("Pod", namespace="default")
            if (p["metadata"].get("labels") or {}).get("app") == "web"]


def container_id(cluster: Cluster, name: str, namespace: str = "default") -> str:
    status = (pod(cluster, name, namespace) or {}).get("status") or {}
    return status["containerStatuses"][0]["containerID"].removeprefix("docker://")


def wget(cluster: Cluster, tools: str, url: str, timeout: int = 5) -> tuple[int, str]:
    """`kubectl exec <tools> -- wget -qO- <url>`: (exit code, output)."""
    result = cluster.runtime.exec(tools, ["wget", "-qO-", "-T", str(timeout), url],
                                  timeout_seconds=timeout + 2)
    return result.exit_code, result.output


def answered_by(cluster: Cluster, tools: str, url: str) -> str:
    """The pod hostname in the web answer to a GET of `url` from the toolbox."""
    code, output = wget(cluster, tools, url)
    match = ANSWER.match(output)
    assert code == 0 and match, f"wget {url} -> exit {code}: {output!r}"
    return match.group(1)


def service_containers(runtime: DockerRuntime, name: str | None = None) -> list[dict[str, Any]]:
    labels = [f"{CLUSTER_LABEL}={runtime.cluster_id}", f"{ROLE_LABEL}=service"]
    if name is not None:
        labels.append(f"{SERVICE_LABEL}={name}")
    return runtime.api.containers(all=True, filters={"label": labels})


def apply_and_run(cluster: Cluster, text: str) -> None:
    cluster.apply_text(text)
    cluster.run_until(lambda: False, timeout=0.2)  # let the controllers and kube-proxy act


# --- the proxy's runtime hooks, without Docker ---------------------------------------


class NamedServer:
    """An HTTP server on loopback answering with its name (a pod, for the proxy)."""

    def __init__(self, name: str):
        body = name.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class HookRuntime:
    """A runtime with the Service hooks whose "cluster network" is loopback too."""

    def __init__(self) -> None:
        self.servers: dict[str, NamedServer] = {}  # pod IP -> its server
        self.calls: list[tuple] = []

    def endpoint_address(self, ip: str, port: int) -> tuple[str, int] | None:
        server = self.servers.get(ip)
        return ("127.0.0.1", server.httpd.server_address[1]) if server else None

    def service_bind_host(self) -> str:
        return "127.0.0.1"

    def expose_service(self, namespace: str, name: str, ports: dict[int, int]) -> None:
        self.calls.append(("expose", namespace, name, dict(ports)))

    def unexpose_service(self, namespace: str, name: str) -> None:
        self.calls.append(("unexpose", namespace, name))


def fetch(address: tuple[str, int]) -> str:
    return http_get(*address)[1]


def test_the_proxy_exposes_each_service_once_on_the_runtime_network() -> None:
    clock = VirtualClock()
    store = Store(clock)
    runtime = HookRuntime()
    loop = ControlLoop(store, clock, DEFAULT_TIMING)
    loop.add(EndpointsController(loop.ctx))
    proxy = loop.add(ServiceProxy(loop.ctx, runtime))
    try:
        for name, ip in (("web-a", "10.244.0.5"), ("web-b", "10.244.0.6")):
            runtime.servers[ip] = NamedServer(name)
            store.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "web"}},
                          "spec": {"nodeName": "node-1", "containers": [
                              {"name": "web", "image": "kubequest/web:1.0", "ports": [{"containerPort": 8080}]}]}})
            store.mutate("Pod", name, "default", lambda p, ip=ip: p.update(status={
                "phase": "Running", "podIP": ip, "conditions": [{"type": "Ready", "status": "True"}]}),
                subresource="status")
        store.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
                      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})
        loop.settle()

        [(call, ns, name, ports)] = runtime.calls
        assert (call, ns, name, list(ports)) == ("expose", "default", "web", [80])
        loopback = proxy.address_of("web")
        network = ("127.0.0.1", ports[80])
        assert network != loopback
        # One round-robin behind both listeners.
        assert [fetch(network), fetch(loopback), fetch(network), fetch(loopback)] in (
            ["web-a", "web-b", "web-a", "web-b"], ["web-b", "web-a", "web-b", "web-a"])

        store.mutate("Pod", "web-b", "default", lambda p: p["status"].update(
            conditions=[{"type": "Ready", "status": "False"}]), subresource="status")
        loop.settle()
        assert len(runtime.calls) == 1  # endpoints changed, the forwarding did not
        assert {fetch(network) for _ in range(3)} == {"web-a"}

        store.mutate("Service", "web", "default", lambda s: s["spec"]["ports"].append(
            {"name": "alt", "port": 81, "targetPort": 8080}))
        loop.settle()
        assert runtime.calls[-1][:3] == ("expose", "default", "web")
        assert sorted(runtime.calls[-1][3]) == [80, 81] and runtime.calls[-1][3][80] == ports[80]

        store.delete("Service", "web", "default")
        loop.settle()
        assert runtime.calls[-1] == ("unexpose", "default", "web")
        assert proxy.exposed == {}

        store.create({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api"},
                      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
        loop.settle()
    finally:
        proxy.close()
        for server in runtime.servers.values():
            server.close()
    assert runtime.calls[-2][:3] == ("expose", "default", "api")
    assert runtime.calls[-1] == ("unexpose", "default", "api")  # closing the proxy takes it away


# --- the cluster ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(built_images: ImageBuilder) -> Iterator[Cluster]:
    runtime = DockerRuntime(session_cluster_id())
    c = Cluster(runtime, nodes=[NodeConfig("node-1")])
    try:
        c.apply_text(SERVICE.format(name="web", namespace="default", port=80))
        c.apply_text(WEB)
        c.apply_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n")
        c.apply_text(TOOLBOX.format(name="tools", namespace="default"))
        c.apply_text(TOOLBOX.format(name="tools", namespace="other"))

        def started() -> bool:
            ready = [p for p in web_pods(c) if p["metadata"]["name"] != "web-unready" and is_ready(p)]
            return (len(ready) == 3 and is_running(pod(c, "web-unready"))
                    and is_running(pod(c, "tools")) and is_running(pod(c, "tools", "other")))

        assert c.run_until(started, timeout=START_TIMEOUT), "the pods did not start"
        yield c
    finally:
        c.close()
        runtime.cleanup(runtime.cluster_id)
        runtime.close()


@pytest.fixture(scope="module")
def tools(cluster: Cluster) -> str:
    return container_id(cluster, "tools")


# --- the tests ----------------------------------------------------------------------


@docker_test
def test_a_pod_reaches_a_service_made_before_it_by_each_name(cluster: Cluster, tools: str) -> None:
    for host in ("web", "web.default", "web.default.svc", "web.default.svc.cluster.local"):
        assert answered_by(cluster, tools, f"http://{host}/").startswith("web-"), host


@docker_test
def test_a_service_made_after_the_pod_is_found_too(cluster: Cluster, tools: str) -> None:
    apply_and_run(cluster, SERVICE.format(name="late", namespace="default", port=8080))
    assert answered_by(cluster, tools, "http://late:8080/").startswith("web-")
    assert answered_by(cluster, tools, "http://late.default.svc.cluster.local:8080/").startswith("web-")


@docker_test
def test_traffic_reaches_every_ready_endpoint_and_never_an_unready_one(
        cluster: Cluster, tools: str) -> None:
    unready = pod(cluster, "web-unready")
    assert is_running(unready) and not is_ready(unready)
    # The unready pod does serve: only the Service keeps traffic away from it.
    assert http_get(unready["status"]["podIP"], 8080, "/") == (200, "web 1.0 hello from web-unready\n")

    ready = {p["metadata"]["name"] for p in web_pods(cluster) if is_ready(p)}
    assert len(ready) == 3 and "web-unready" not in ready
    seen = [answered_by(cluster, tools, "http://web/") for _ in range(9)]
    assert set(seen) == ready, seen  # round-robin: all three, and only they




@docker_test
def test_a_statefulset_pod_answers_to_its_own_name(cluster: Cluster, tools: str) -> None:
    """`db-1.db`: the pod's hostname under its headless Service, in every namespace form."""
    cluster.apply_text(STATEFUL_DB)
    assert cluster.run_until(lambda: is_ready(pod(cluster, "db-0")) and is_ready(pod(cluster, "db-1")),
                             timeout=START_TIMEOUT), "the StatefulSet's pods did not start"
    for host in ("db-1.db", "db-1.db.default", "db-1.db.default.svc.cluster.local"):
        assert answered_by_any(cluster, tools, f"http://{host}:8080/") == "db-1", host


def answered_by_any(cluster: Cluster, tools: str, url: str) -> str:
    code, output = wget(cluster, tools, url)
    match = re.match(r"^web 1\.0 \S* ?from (\S+)\n$", output)
    assert code == 0 and match, f"wget {url} -> exit {code}: {output!r}"
    return match.group(1)


@docker_test
def test_the_short_name_is_the_pods_own_namespace_only(cluster: Cluster) -> None:
    other = container_id(cluster, "tools", "other")
    code, output = wget(cluster, other, "http://web/", timeout=3)
    assert code != 0 and not ANSWER.match(output)
    assert answered_by(cluster, other, "http://web.default/").startswith("web-")
    assert answered_by(cluster, other, "http://web.default.svc.cluster.local/").startswith("web-")


@docker_test
def test_the_service_answers_on_loopback_from_the_host(cluster: Cluster) -> None:
    host, port = cluster.proxy.address_of("web", port=80)
    assert host == "127.0.0.1"
    seen = set()
    for _ in range(6):
        status, body = http_get(host, port, "/")
        match = ANSWER.match(body)
        assert status == 200 and match, body
        seen.add(match.group(1))
    assert len(seen) == 3 and "web-unready" not in seen


@docker_test
def test_deleting_a_service_removes_its_container_and_its_name(cluster: Cluster, tools: str) -> None:
    apply_and_run(cluster, SERVICE.format(name="gone", namespace="default", port=80))
    assert len(service_containers(cluster.runtime, "gone")) == 1
    assert answered_by(cluster, tools, "http://gone/").startswith("web-")

    cluster.store.delete("Service", "gone", "default")
    cluster.run_until(lambda: not service_containers(cluster.runtime, "gone"), timeout=10)
    assert service_containers(cluster.runtime, "gone") == []
    assert cluster.proxy.address_of("gone") is None
    code, _ = wget(cluster, tools, "http://gone/", timeout=2)
    assert code != 0
    assert answered_by(cluster, tools, "http://web/").startswith("web-")  # the others stay


@docker_test
def test_close_and_cleanup_leave_nothing_behind(built_images: ImageBuilder) -> None:
    runtime = DockerRuntime(session_cluster_id())
    cluster = Cluster(runtime, nodes=[NodeConfig("node-1")])
    try:
        cluster.apply_text(SERVICE.format(name="web", namespace="default", port=80))
        cluster.apply_text(TOOLBOX.format(name="tools", namespace="default"))
        assert cluster.run_until(lambda: is_running(pod(cluster, "tools")), timeout=START_TIMEOUT)
        assert len(service_containers(runtime)) == 1
    finally:
        cluster.close()
    assert service_containers(runtime) == []  # the proxy took the Service's container away
    runtime.cleanup(runtime.cluster_id)
    label = {"label": [f"{CLUSTER_LABEL}={runtime.cluster_id}"]}
    try:
        assert runtime.api.containers(all=True, filters=label) == []
        assert runtime.api.networks(filters=label) == []
    finally:
        runtime.close()
