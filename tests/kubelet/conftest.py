"""A cluster made of the store, one ControlLoop and only kubelets, on SimRuntime and a
VirtualClock. Pods are 'bound' by creating them with spec.nodeName set."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.api.store import Store
from engine.clock import VirtualClock, parse_rfc3339
from engine.cluster import NodeConfig, node_object
from engine.kubelet import Kubelet
from engine.loop import ControlLoop
from engine.runtime.sim import SimRuntime


class Harness:
    def __init__(self, nodes: tuple[str, ...] = ("node-1",)):
        self.clock = VirtualClock()
        self.t0 = self.clock.now()
        self.store = Store(self.clock)
        self.runtime = SimRuntime(self.clock)
        self.loop = ControlLoop(self.store, self.clock, runtime=self.runtime)
        self.kubelets: dict[str, Kubelet] = {}
        self._order: dict[str, int] = {}  # event name -> creation sequence
        self.store.subscribe(lambda ev: ev.kind == "Event" and ev.type == "ADDED" and
                             self._order.setdefault(ev.object["metadata"]["name"], len(self._order)))
        for i, name in enumerate(nodes):
            self.store.create(node_object(NodeConfig(name), f"172.18.0.{10 + i}"), validate=False)
            self.kubelets[name] = self.loop.add(Kubelet(self.loop.ctx, name, self.runtime, self.loop))
        self.loop.settle()

    @property
    def kubelet(self) -> Kubelet:
        return next(iter(self.kubelets.values()))

    # ---- time ----------------------------------------------------------------

    def elapsed(self) -> float:
        return self.clock.now() - self.t0

    def run_until(self, predicate: Callable[[], bool], timeout: float = 120.0) -> bool:
        return self.loop.run_until(predicate, timeout)

    def advance(self, seconds: float) -> None:
        self.loop.advance(seconds)

    def advance_to(self, elapsed: float) -> None:
        """Run the cluster until `elapsed` seconds after the harness started."""
        self.loop.advance(self.t0 + elapsed - self.clock.now())

    def watch(self, sample: Callable[[], object], until: float) -> list[tuple[float, object]]:
        """Run until `until` (elapsed) and return (elapsed, value) each time `sample()` changed."""
        changes: list[tuple[float, object]] = []

        def check() -> bool:
            value = sample()
            if not changes or changes[-1][1] != value:
                changes.append((self.elapsed(), value))
            return False

        self.loop.run_until(check, self.t0 + until - self.clock.now())
        return changes

    # ---- objects -------------------------------------------------------------

    def create_pod(self, name: str, containers: list[dict], *, node: str = "node-1",
                   labels: dict | None = None, **spec) -> dict:
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "default", "labels": labels or {"app": name}},
               "spec": {"nodeName": node, "containers": containers, **spec}}
        return self.store.create(pod)

    def create(self, obj: dict) -> dict:
        obj.setdefault("metadata", {}).setdefault("namespace", "default")
        return self.store.create(obj)

    def pod(self, name: str) -> dict | None:
        return self.store.try_get("Pod", name, "default")

    def status(self, name: str) -> dict:
        return self.store.get("Pod", name, "default").get("status") or {}

    def container(self, pod: str, container: str | None = None, *, init: bool = False) -> dict:
        key = "initContainerStatuses" if init else "containerStatuses"
        statuses = self.status(pod).get(key) or []
        for s in statuses:
            if container is None or s["name"] == container:
                return s
        return {}

    def condition(self, pod: str, type_: str) -> dict:
        for c in self.status(pod).get("conditions") or []:
            if c["type"] == type_:
                return c
        return {}

    def phase(self, pod: str) -> str:
        return self.status(pod).get("phase", "")

    def waiting_reason(self, pod: str, container: str | None = None, *, init: bool = False) -> str:
        return (self.container(pod, container, init=init).get("state") or {}).get(
            "waiting", {}).get("reason", "")

    def running(self, pod: str, container: str | None = None) -> bool:
        return "running" in (self.container(pod, container).get("state") or {})

    def container_id(self, pod: str, container: str | None = None) -> str:
        return self.container(pod, container).get("containerID", "").split("://", 1)[-1]

    def events(self, reason: str | None = None, name: str | None = None) -> list[dict]:
        """Events in the order they were first recorded."""
        found = [e for e in self.store.list("Event")
                 if (reason is None or e["reason"] == reason)
                 and (name is None or e["involvedObject"]["name"] == name)]
        return sorted(found, key=lambda e: self._order.get(e["metadata"]["name"], 0))

    def messages(self, reason: str, name: str | None = None) -> list[str]:
        return [e["message"] for e in self.events(reason, name)]

    def node_condition(self, node: str, type_: str) -> dict:
        for c in (self.store.get("Node", node).get("status") or {}).get("conditions") or []:
            if c["type"] == type_:
                return c
        return {}

    def ts(self, value: str) -> float:
        """An RFC 3339 timestamp as seconds since the harness started."""
        return parse_rfc3339(value) - self.t0

    def exec(self, pod: str, command: list[str], container: str | None = None):
        return self.runtime.exec(self.container_id(pod, container), command, timeout_seconds=5)

    def close(self) -> None:
        for k in self.kubelets.values():
            k.shutdown()
        self.runtime.close()


@pytest.fixture
def h():
    harness = Harness()
    yield harness
    harness.close()


@pytest.fixture
def h2():
    harness = Harness(("node-1", "node-2"))
    yield harness
    harness.close()


def web(image: str = "kubequest/web:1.0", name: str = "web", env: dict | None = None,
        **extra) -> dict:
    c = {"name": name, "image": image, "ports": [{"name": "http", "containerPort": 8080}]}
    if env:
        c["env"] = [{"name": k, "value": v} for k, v in env.items()]
    c.update(extra)
    return c
