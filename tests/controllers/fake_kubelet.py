"""A tiny fake kubelet for controller tests: no runtime, no real sleeps.

FakeKubelet is a loop component like the real ones. It

- binds every new pod to `node` (pods/binding, the scheduler's job) and records its start;
- `ready_delay` clock seconds later writes phase Running with the Ready
  condition True — or False for pods running one of `not_ready_images`;
- finishes a graceful deletion (delete with grace 0) `terminate_delay`
  seconds after the deletionTimestamp.

Harness wires a store, a ControlLoop on a VirtualClock, the workload
controllers and the fake kubelet, with helpers the tests share.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from engine.api.errors import NotFound
from engine.api.objects import clone
from engine.api.selectors import Selector, parse
from engine.api.store import DELETED, Store, WatchEvent
from engine.clock import VirtualClock, parse_rfc3339
from engine.controllers.base import Controller
from engine.controllers.deployment import DeploymentController
from engine.controllers.podutil import is_pod_active, is_pod_ready
from engine.controllers.replicaset import ReplicaSetController, ReplicationManager
from engine.loop import ControlLoop


class FakeKubelet(Controller):
    name = "fake-kubelet"

    def __init__(
        self,
        ctx,
        node: str = "node-1",
        *,
        ready_delay: float = 1.0,
        terminate_delay: float = 0.0,
        not_ready_images: Iterable[str] = (),
    ):
        super().__init__(ctx)
        self.node = node
        self.ready_delay = ready_delay
        self.terminate_delay = terminate_delay
        self.not_ready_images = set(not_ready_images)
        self._started: dict[str, float] = {}

    def resync_all(self) -> None:
        for p in self.store.list("Pod", copy=False):
            self.queue.add((p["metadata"]["namespace"], p["metadata"]["name"]))

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Pod" and ev.type != DELETED:
            self.queue.add((ev.object["metadata"]["namespace"], ev.object["metadata"]["name"]))

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        pod = self.store.try_get("Pod", name, ns, copy=False)
        if pod is None:
            return
        now = self.ctx.clock.now()
        md = pod["metadata"]
        if md.get("deletionTimestamp"):
            due = parse_rfc3339(md["deletionTimestamp"]) + self.terminate_delay
            if now >= due:
                try:
                    self.store.delete("Pod", name, ns, grace_period_seconds=0)
                except NotFound:
                    pass
            else:
                self.enqueue_after(key, due - now)
            return
        if not (pod.get("spec") or {}).get("nodeName"):
            self.store.bind(name, ns, self.node)  # pods/binding: the scheduler's job, done at once
            self._started[md["uid"]] = now
            self.enqueue_after(key, self.ready_delay)
            return
        if (pod.get("status") or {}).get("phase") != "Pending":
            return
        due = self._started.get(md["uid"], now) + self.ready_delay
        if now < due:
            self.enqueue_after(key, due - now)
            return
        containers = (pod.get("spec") or {}).get("containers") or []
        ready = not any(c.get("image") in self.not_ready_images for c in containers)
        ts = self.store.now()
        flag = "True" if ready else "False"

        def running(o: dict) -> None:
            st = o.setdefault("status", {})
            st["phase"] = "Running"
            st["conditions"] = [
                *[c for c in st.get("conditions") or [] if c.get("type") == "PodScheduled"],
                {"type": "Initialized", "status": "True", "lastTransitionTime": ts},
                {"type": "ContainersReady", "status": flag, "lastTransitionTime": ts},
                {"type": "Ready", "status": flag, "lastTransitionTime": ts},
            ]
            st["containerStatuses"] = [
                {
                    "name": c.get("name"),
                    "image": c.get("image"),
                    "ready": ready,
                    "restartCount": 0,
                    "started": True,
                    "state": {"running": {"startedAt": ts}},
                }
                for c in containers
            ]

        self.store.mutate("Pod", name, ns, running, subresource="status")


class Harness:
    """A store, a loop on a VirtualClock, the workload controllers and a fake kubelet."""

    def __init__(self, *, seed: int = 1, kubelet: bool = True, **kubelet_options):
        self.clock = VirtualClock()
        self.store = Store(self.clock, seed=seed)
        self.loop = ControlLoop(self.store, self.clock)
        ctx = self.loop.ctx
        self.deployments = self.loop.add(DeploymentController(ctx))
        self.replicasets = self.loop.add(ReplicaSetController(ctx))
        self.rcs = self.loop.add(ReplicationManager(ctx))
        self.kubelet = self.loop.add(FakeKubelet(ctx, **kubelet_options)) if kubelet else None
        self.event_log: list[tuple[str, str, str]] = []
        self.store.subscribe(self._record)

    # ---- driving -------------------------------------------------------------

    def settle(self) -> None:
        self.loop.settle()

    def run(self, seconds: float) -> None:
        self.loop.advance(seconds)

    def run_until(self, predicate, timeout: float = 600.0) -> bool:
        return self.loop.run_until(predicate, timeout)

    # ---- objects -------------------------------------------------------------

    def create(self, obj: dict) -> dict:
        return self.store.create(obj)

    def get(self, kind: str, name: str, namespace: str = "default") -> dict:
        return self.store.get(kind, name, namespace)

    def edit(self, kind: str, name: str, fn, namespace: str = "default") -> dict:
        return self.store.mutate(kind, name, namespace, fn)

    def pods(self, selector: str | Selector = "", *, active: bool = True) -> list[dict]:
        sel = parse(selector) if isinstance(selector, str) else selector
        pods = self.store.list("Pod", "default", sel)
        return [p for p in pods if is_pod_active(p)] if active else pods

    def ready_pods(self, selector: str = "") -> list[dict]:
        return [p for p in self.pods(selector) if is_pod_ready(p)]

    def replica_sets(self, owner: str | None = None) -> list[dict]:
        rss = self.store.list("ReplicaSet", "default")
        if owner is None:
            return rss
        return [
            rs
            for rs in rss
            if any(
                r.get("name") == owner and r.get("kind") == "Deployment"
                for r in rs["metadata"].get("ownerReferences") or []
            )
        ]

    def events(self, reason: str | None = None, *, name: str | None = None) -> list[dict]:
        evs = self.store.list("Event")
        evs.sort(key=lambda e: int(e["metadata"]["resourceVersion"]))
        return [
            e
            for e in evs
            if (reason is None or e["reason"] == reason)
            and (name is None or e["involvedObject"]["name"] == name)
        ]

    def messages(self, reason: str, *, name: str | None = None) -> list[str]:
        """Messages of the events with this reason, in order (repeats included)."""
        return [m for (r, n, m) in self.event_log if r == reason and (name is None or n == name)]

    def _record(self, ev: WatchEvent) -> None:
        if ev.kind != "Event" or ev.type == DELETED:
            return
        if ev.old is not None and ev.old.get("count") == ev.object.get("count"):
            return
        e = ev.object
        self.event_log.append((e["reason"], e["involvedObject"]["name"], e["message"]))


def deployment(
    name: str = "web",
    *,
    replicas: int | None = 3,
    image: str = "kubequest/web:1.0",
    labels: dict | None = None,
    strategy: dict | None = None,
    **spec_extra,
) -> dict:
    labels = labels or {"app": name}
    spec: dict = {
        "selector": {"matchLabels": dict(labels)},
        "template": {
            "metadata": {"labels": dict(labels)},
            "spec": {"containers": [{"name": "web", "image": image}]},
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    if strategy is not None:
        spec["strategy"] = strategy
    spec.update(spec_extra)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec}


def replica_set(
    name: str = "rs",
    *,
    replicas: int = 3,
    labels: dict | None = None,
    selector: dict | None = None,
    image: str = "kubequest/web:1.0",
    **spec_extra,
) -> dict:
    labels = labels or {"app": name}
    spec: dict = {
        "replicas": replicas,
        "selector": selector if selector is not None else {"matchLabels": dict(labels)},
        "template": {
            "metadata": {"labels": dict(labels)},
            "spec": {"containers": [{"name": "web", "image": image}]},
        },
    }
    spec.update(spec_extra)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": name, "labels": dict(labels)},
        "spec": spec,
    }


def bare_pod(
    name: str, labels: dict, *, node: str | None = None, owner: dict | None = None
) -> dict:
    md: dict = {"name": name, "labels": dict(labels)}
    if owner is not None:
        md["ownerReferences"] = [clone(owner)]
    spec: dict = {"containers": [{"name": "web", "image": "kubequest/web:1.0"}]}
    if node:
        spec["nodeName"] = node
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec}
