"""What the kubelet knows about a pod's runtime side: its sandbox, the latest
instance of each container (and the dead one before it), its volumes, and why
the last attempt to start each container failed.

Kubernetes rebuilds this on every sync from the runtime (`GetPodStatus` in
pkg/kubelet/kuberuntime/kuberuntime_manager.go, the PLEG's cache in
pkg/kubelet/pleg/) and keeps start failures in a reason cache
(pkg/kubelet/reason_cache.go). Here it is kept per pod in memory and refreshed
from `runtime.container_status` for the pod's own containers only, so a sync
costs O(containers of the pod), never O(pods on the node).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..runtime.base import ContainerRuntime, RuntimeUnavailable

RUNNING, EXITED, CREATED, UNKNOWN = "running", "exited", "created", "unknown"


@dataclass
class ContainerRecord:
    """One container instance (kubecontainer.Status)."""

    id: str
    name: str
    image: str
    restart_count: int
    spec_hash: str
    init: bool = False
    state: str = CREATED
    exit_code: int | None = None
    oom_killed: bool = False
    reason: str = ""  # set when the runtime lost the container (ContainerStatusUnknown)
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def running(self) -> bool:
        return self.state == RUNNING

    @property
    def exited(self) -> bool:
        return self.state == EXITED

    def terminated_reason(self) -> str:
        """What containerd reports for a dead container."""
        if self.reason:
            return self.reason
        if self.oom_killed:
            return "OOMKilled"
        return "Completed" if self.exit_code == 0 else "Error"


@dataclass
class StartFailure:
    """reason_cache.go: why the last start of a container failed."""

    reason: str  # CrashLoopBackOff, ErrImagePull, CreateContainerConfigError, ...
    message: str


@dataclass
class PodRecord:
    uid: str
    namespace: str
    name: str
    sandbox_id: str | None = None
    pod_ip: str = ""
    sandbox_ready: bool = False
    containers: dict[str, ContainerRecord] = field(default_factory=dict)  # latest, by name
    previous: dict[str, ContainerRecord] = field(default_factory=dict)  # the dead one before
    volumes: dict[str, str] = field(default_factory=dict)  # pod volume name -> runtime volume id
    claim_volumes: set[str] = field(default_factory=set)  # names of PVC-backed volumes: kept
    volume_digests: dict[str, str] = field(default_factory=dict)  # configMap/secret content
    failures: dict[str, StartFailure] = field(default_factory=dict)
    deps: set[tuple[str, str, str]] = field(default_factory=set)  # ConfigMaps/Secrets/PVCs used
    stopping: dict[str, float] = field(default_factory=dict)  # container id -> SIGKILL deadline
    backoff_keys: set = field(default_factory=set)  # restart/pull back-off entries to drop with it
    wake_at: float | None = None  # the earliest pending re-sync timer

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def all_instances(self) -> list[ContainerRecord]:
        return [*self.containers.values(), *self.previous.values()]

    def running_containers(self) -> list[ContainerRecord]:
        return [c for c in self.containers.values() if c.running]


def container_hash(container: dict) -> str:
    """kubecontainer.HashContainer: a change means 'definition changed', restart."""
    relevant = {k: v for k, v in container.items() if k not in ("resources",)}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


@contextlib.contextmanager
def gone_ok() -> Iterator[None]:
    """Ignore a runtime call failing because its object is already gone — but not
    a runtime that is down: that must reach the kubelet, which waits for it."""
    try:
        yield
    except RuntimeUnavailable:
        raise
    except Exception:  # noqa: BLE001
        pass


def refresh(runtime: ContainerRuntime, rec: PodRecord) -> None:
    """Read the current state of the pod's latest containers from the runtime (relist)."""
    for c in rec.all_instances():
        if c.state == EXITED:
            continue  # a dead container does not come back
        try:
            st = runtime.container_status(c.id)
        except RuntimeUnavailable:
            raise  # the runtime is down, not the container: nothing is known
        except Exception:  # noqa: BLE001 - gone from the runtime (removed behind our back)
            # convertToAPIContainerStatuses: a container that disappeared is reported
            # terminated with 137 and reason ContainerStatusUnknown.
            c.state, c.exit_code, c.reason = EXITED, 137, "ContainerStatusUnknown"
            c.finished_at = c.finished_at or c.started_at
            continue
        c.state = st.status if st.status in (RUNNING, EXITED, CREATED) else UNKNOWN
        c.exit_code = st.exit_code
        c.oom_killed = st.oom_killed
        c.started_at = st.started_at
        c.finished_at = st.finished_at
    if rec.stopping:  # a stopped container has nothing left to wait for
        running = {c.id for c in rec.all_instances() if c.state == RUNNING}
        rec.stopping = {cid: t for cid, t in rec.stopping.items() if cid in running}
