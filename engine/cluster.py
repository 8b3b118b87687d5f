"""One cluster, wired together: the store, the controllers, the scheduler, a
kubelet per node and the Service proxy, on one clock and one runtime.

    cluster = Cluster.create(runtime="sim", nodes=[NodeConfig("node-1")])
    cluster.apply_file("deploy.yaml")
    cluster.run_until(lambda: ..., timeout=120)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .api.apply import ApplyResult, apply
from .api.errors import Invalid, KubeQuestError
from .api.source import Document, load_documents, load_file
from .api.store import Store
from .clock import Clock, VirtualClock, WallClock
from .config import DEFAULT_TIMING, Timing
from .loop import ControlLoop

KUBELET_VERSION = "v1.33.0-kubequest"
log = logging.getLogger("engine.cluster")


@dataclass
class NodeConfig:
    name: str = "node-1"
    cpu: str = "4"
    memory: str = "4Gi"
    pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: list[dict] = field(default_factory=list)


def node_object(cfg: NodeConfig, ip: str) -> dict:
    labels = {
        "kubernetes.io/hostname": cfg.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        **cfg.labels,
    }
    capacity = {"cpu": str(cfg.cpu), "memory": str(cfg.memory), "pods": str(cfg.pods)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": cfg.name, "labels": labels},
        "spec": {"taints": list(cfg.taints)} if cfg.taints else {},
        "status": {
            "capacity": dict(capacity),
            "allocatable": dict(capacity),
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": cfg.name}],
            "nodeInfo": {"kubeletVersion": KUBELET_VERSION, "containerRuntimeVersion": "kubequest://1",
                         "operatingSystem": "linux", "architecture": "amd64"},
            "conditions": [],
        },
    }


def _waiting_reason(status: dict, container: str) -> str:
    for cs in status.get("containerStatuses") or []:
        if cs.get("name") == container:
            return ((cs.get("state") or {}).get("waiting") or {}).get("reason", "")
    return ""


class Cluster:
    """The whole control plane plus the nodes, driven by a ControlLoop."""

    def __init__(
        self,
        runtime,
        *,
        clock: Clock | None = None,
        nodes: list[NodeConfig] | None = None,
        timing: Timing = DEFAULT_TIMING,
        seed: int = 0,
        validate: bool = True,
    ):
        from .api.validation import validate as validate_fn

        self.clock = clock or (VirtualClock() if getattr(runtime, "name", "") == "sim" else WallClock())
        self.runtime = runtime
        self.timing = timing
        self.store = Store(self.clock, seed=seed,
                           validator=(lambda obj, old: validate_fn(obj, old=old)) if validate else None)
        reap = getattr(runtime, "reap_orphans", None)
        if reap is not None:
            reap()  # what a crashed earlier game left behind goes first
        self.loop = ControlLoop(self.store, self.clock, timing, runtime)
        self.ctx = self.loop.ctx
        self.kubelets: dict[str, object] = {}
        # How many times someone outside the control plane (apply, kubectl through the
        # API server) changed the cluster: a level retries a failed `survives` on a change.
        self.user_changes = 0
        self._build_control_plane()
        for i, cfg in enumerate(nodes or [NodeConfig()]):
            self.add_node(cfg, index=i)
        self.initial_nodes = frozenset(self.kubelets)  # those that joined later are the rest

    # ---- wiring ------------------------------------------------------------

    def _build_control_plane(self) -> None:
        from .controllers.daemonset import DaemonSetController
        from .controllers.deployment import DeploymentController
        from .controllers.endpoints import EndpointsController
        from .controllers.garbagecollector import GarbageCollector
        from .controllers.job import JobController
        from .controllers.namespace import NamespaceController
        from .controllers.nodelifecycle import NodeLifecycleController
        from .controllers.pvc import PersistentVolumeClaimBinder
        from .controllers.replicaset import ReplicaSetController, ReplicationManager
        from .controllers.statefulset import StatefulSetController
        from .proxy import ServiceProxy
        from .scheduler import Scheduler

        for cls in (
            DeploymentController, ReplicaSetController, ReplicationManager, JobController,
            DaemonSetController, StatefulSetController, EndpointsController,
            NamespaceController, GarbageCollector, NodeLifecycleController,
            PersistentVolumeClaimBinder,
        ):
            self.loop.add(cls(self.ctx))
        self.scheduler = self.loop.add(Scheduler(self.ctx))
        self.proxy = self.loop.add(ServiceProxy(self.ctx, self.runtime))

    def add_node(self, cfg: NodeConfig, *, index: int | None = None) -> None:
        """Register a Node and start its kubelet (a node joining the cluster)."""
        from .kubelet import Kubelet

        if cfg.name in self.kubelets:
            raise KubeQuestError(f'node "{cfg.name}" already exists')
        i = len(self.kubelets) if index is None else index
        self.store.create(node_object(cfg, f"172.18.0.{10 + i}"), validate=False)
        self.kubelets[cfg.name] = self.loop.add(Kubelet(self.ctx, cfg.name, self.runtime, self.loop))

    # ---- chaos ---------------------------------------------------------------

    def fail_node(self, name: str) -> None:
        """The node dies: its kubelet stops and its containers are gone."""
        self._kubelet(name).fail()

    def recover_node(self, name: str) -> None:
        self._kubelet(name).recover()

    def _kubelet(self, name: str):
        k = self.kubelets.get(name)
        if k is None:
            raise KubeQuestError(f'node "{name}" not found (nodes: {", ".join(sorted(self.kubelets))})')
        return k

    # ---- the kubelet API: logs and exec, as `kubectl logs` / `kubectl exec` reach them --

    def container_id(self, namespace: str, pod: str, container: str | None = None,
                     *, previous: bool = False) -> str:
        """The runtime id of a pod's container (its previous instance with previous=True)."""
        obj = self.store.try_get("Pod", pod, namespace, copy=False)
        if obj is None:
            raise KubeQuestError(f'pods "{pod}" not found')
        spec_names = [c["name"] for c in (obj.get("spec") or {}).get("containers") or []]
        all_names = spec_names + [c["name"] for c in (obj.get("spec") or {}).get("initContainers") or []]
        if container is None:
            if len(spec_names) != 1:
                raise KubeQuestError(
                    f"a container name must be specified for pod {pod}, choose one of: [{' '.join(spec_names)}]"
                )
            container = spec_names[0]
        elif container not in all_names:
            raise KubeQuestError(f"container {container} is not valid for pod {pod}")
        status = obj.get("status") or {}
        for cs in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
            if cs.get("name") != container:
                continue
            if previous:
                term = (cs.get("lastState") or {}).get("terminated") or {}
                if not term.get("containerID"):
                    raise KubeQuestError(
                        f'previous terminated container "{container}" in pod "{pod}" not found'
                    )
                return term["containerID"].split("://", 1)[-1]
            cid = cs.get("containerID")
            if cid:
                return cid.split("://", 1)[-1]
        raise KubeQuestError(
            f'container "{container}" in pod "{pod}" is waiting to start: '
            + (_waiting_reason(status, container) or "ContainerCreating")
        )

    def logs(self, namespace: str, pod: str, container: str | None = None, *,
             previous: bool = False, tail: int | None = None) -> str:
        cid = self.container_id(namespace, pod, container, previous=previous)
        try:
            return self.runtime.logs(cid, tail=tail)
        except KeyError:
            raise KubeQuestError(f'the logs of pod "{pod}" are gone with its container') from None

    def exec(self, namespace: str, pod: str, command: list[str], container: str | None = None,
             *, timeout: float = 10.0):
        """Run a command in a running container (an ExecResult with exit_code and output)."""
        cid = self.container_id(namespace, pod, container)
        return self.runtime.exec(cid, command, timeout_seconds=timeout)

    # ---- applying manifests ------------------------------------------------

    def apply_documents(self, docs: list[Document]) -> list[ApplyResult]:
        results = []
        try:
            for doc in docs:
                try:
                    results.append(apply(self.store, doc.obj))
                except Invalid as exc:
                    for cause in exc.causes:
                        cause.line = doc.line_of(cause.field)
                    raise
        finally:
            if results:
                self.note_user_change()
        return results

    def note_user_change(self) -> None:
        """Someone outside the control plane changed the cluster (see user_changes)."""
        self.user_changes += 1

    def apply_text(self, text: str, filename: str = "<input>") -> list[ApplyResult]:
        return self.apply_documents(load_documents(text, filename))

    def apply_file(self, path: str | Path) -> list[ApplyResult]:
        return self.apply_documents(load_file(path))

    # ---- running -------------------------------------------------------------

    def run_until(self, predicate: Callable[[], bool] | None = None, timeout: float = 60.0, **kw) -> bool:
        return self.loop.run_until(predicate, timeout, **kw)

    def advance(self, seconds: float) -> None:
        self.loop.advance(seconds)

    def settle(self) -> None:
        self.loop.settle()

    def close(self) -> None:
        """Stop every container this cluster started, free its ports, and remove
        whatever else the runtime holds for it (its network, its volumes)."""
        for k in self.kubelets.values():
            k.shutdown()
        self.proxy.close()
        cleanup, cluster_id = getattr(self.runtime, "cleanup", None), getattr(self.runtime, "cluster_id", None)
        if cleanup is not None and cluster_id:
            try:
                cleanup(cluster_id)
            except Exception as exc:  # noqa: BLE001 - a dead daemon: `kubequest cleanup` later
                log.warning("could not remove the cluster's Docker objects: %s", exc)
