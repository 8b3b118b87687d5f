"""A store, a control loop on a VirtualClock and only the scheduler."""

from __future__ import annotations

import pytest

from engine.api.store import Store
from engine.clock import VirtualClock
from engine.cluster import NodeConfig, node_object
from engine.config import DEFAULT_TIMING
from engine.loop import ControlLoop
from engine.scheduler import Scheduler


class Env:
    def __init__(self) -> None:
        self.clock = VirtualClock()
        self.store = Store(self.clock, seed=7)
        self.loop = ControlLoop(self.store, self.clock, DEFAULT_TIMING)
        self.scheduler = self.loop.add(Scheduler(self.loop.ctx))

    def node(self, name: str, cpu: str = "4", memory: str = "4Gi", pods: int = 110,
             labels: dict | None = None, taints: list | None = None, unschedulable: bool = False) -> dict:
        obj = node_object(NodeConfig(name, cpu, memory, pods, labels or {}, taints or []), "172.18.0.10")
        if unschedulable:
            obj["spec"]["unschedulable"] = True
        return self.store.create(obj)

    def pod(self, name: str, cpu: str | None = None, memory: str | None = None, labels: dict | None = None,
            namespace: str = "default", owner: dict | None = None, **spec) -> dict:
        requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
        container = {"name": "c", "image": "kubequest/web:1.0"}
        if requests:
            container["resources"] = {"requests": requests}
        md: dict = {"name": name, "namespace": namespace, "labels": labels or {}}
        if owner is not None:
            md["ownerReferences"] = [owner]
        return self.store.create({"apiVersion": "v1", "kind": "Pod", "metadata": md,
                                  "spec": {"containers": [container], **spec}})

    def node_of(self, name: str, namespace: str = "default") -> str | None:
        return self.store.get("Pod", name, namespace)["spec"].get("nodeName")

    def condition(self, name: str, namespace: str = "default") -> dict | None:
        pod = self.store.get("Pod", name, namespace)
        return next((c for c in pod["status"].get("conditions", []) if c["type"] == "PodScheduled"), None)

    def events(self, reason: str, name: str | None = None) -> list[dict]:
        return [e for e in self.store.list("Event")
                if e["reason"] == reason and (name is None or e["involvedObject"]["name"] == name)]

    def failed_message(self, name: str) -> str:
        events = self.events("FailedScheduling", name)
        assert events, f"no FailedScheduling event for {name}"
        return events[-1]["message"]


def owner(name: str = "web-abc", uid: str = "rs-uid-1") -> dict:
    return {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": name, "uid": uid,
            "controller": True, "blockOwnerDeletion": True}


@pytest.fixture
def env() -> Env:
    return Env()
