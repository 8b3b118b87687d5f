"""The ContainerRuntime port: what a kubelet needs from a container runtime.

Shaped after the CRI: a pod sandbox holds the pod's network namespace, and the
pod's containers join it. Runtimes report container changes as RuntimeEvents
(the kubelet's PLEG turns them into pod syncs) instead of being polled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class RuntimeUnavailable(Exception):
    """The runtime does not answer (e.g. the Docker daemon is down)."""


class ImagePullError(Exception):
    """An image could not be pulled; str() is the reason Kubernetes would show."""


class ContainerCreateError(Exception):
    """The runtime refused to create or start a container (RunContainerError)."""


@dataclass
class Mount:
    volume: str  # a volume id from ensure_volume()
    container_path: str
    read_only: bool = False
    sub_path: str | None = None


@dataclass
class ContainerSpec:
    name: str  # the Kubernetes container name
    image: str
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[str, str] = field(default_factory=dict)
    working_dir: str | None = None
    ports: list[int] = field(default_factory=list)
    memory_limit: int | None = None  # bytes
    cpu_limit: float | None = None  # cores
    mounts: list[Mount] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class Sandbox:
    id: str
    ip: str  # the pod IP shown in status.podIP


@dataclass
class ContainerState:
    id: str
    name: str  # the Kubernetes container name
    sandbox_id: str
    image: str
    status: str  # "created" | "running" | "exited"
    exit_code: int | None = None
    oom_killed: bool = False
    started_at: float | None = None
    finished_at: float | None = None
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class ExecResult:
    exit_code: int
    output: str


@dataclass
class RuntimeEvent:
    """A container changed state: "started" or "died" (PLEG's ContainerStarted/Died)."""

    type: str
    container_id: str
    sandbox_id: str
    time: float


@runtime_checkable
class ContainerRuntime(Protocol):
    name: str  # "sim" or "docker"

    def ping(self) -> None:
        """Raise RuntimeUnavailable when the runtime does not answer."""

    def pull_image(self, image: str) -> None:
        """Make the image present; raise ImagePullError when it cannot be had."""

    def image_present(self, image: str) -> bool: ...

    def run_pod_sandbox(self, pod_uid: str, name: str, namespace: str, hostname: str,
                        labels: dict[str, str], subdomain: str | None = None) -> Sandbox:
        """Start the pod's sandbox. With a subdomain (spec.subdomain), the pod answers to
        `<hostname>.<subdomain>.<namespace>.svc.cluster.local` on the cluster network."""
        ...

    def remove_pod_sandbox(self, sandbox_id: str) -> None: ...

    def ensure_volume(self, name: str, labels: dict[str, str]) -> str:
        """Create (or find) a named volume; returns its id. Data outlives containers."""

    def write_volume_files(self, volume_id: str, files: dict[str, bytes]) -> None:
        """Replace a volume's files (configMap and secret volumes)."""

    def remove_volume(self, volume_id: str) -> None: ...

    def create_container(self, sandbox_id: str, spec: ContainerSpec) -> str:
        """Create a container in the sandbox; returns its id. Raises ContainerCreateError."""

    def start_container(self, container_id: str) -> None: ...

    def stop_container(self, container_id: str, timeout_seconds: float) -> None:
        """SIGTERM, then SIGKILL after the timeout."""

    def kill_container(self, container_id: str) -> None:
        """SIGKILL now (chaos: the process dies, exit 137)."""

    def remove_container(self, container_id: str) -> None: ...

    def container_status(self, container_id: str) -> ContainerState: ...

    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerState]: ...

    def logs(self, container_id: str, tail: int | None = None) -> str: ...

    def exec(self, container_id: str, command: list[str], timeout_seconds: float = 1.0) -> ExecResult: ...

    def address(self, sandbox_id: str, port: int) -> tuple[str, int]:
        """Where the host reaches a pod's port (probes and the Service proxy connect here)."""

    def endpoint_address(self, pod_ip: str, port: int) -> tuple[str, int] | None:
        """Where the host reaches `port` of the pod with this IP (None: no such pod)."""

    def drain_events(self) -> list[RuntimeEvent]:
        """Container changes since the last call, oldest first."""

    def next_event_time(self) -> float | None:
        """On a virtual clock: when a container will next change by itself (None: never)."""

    def close(self) -> None: ...
