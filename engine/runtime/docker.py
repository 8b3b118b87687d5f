"""The Docker runtime: the ContainerRuntime port on real containers.

The only module of KubeQuest that imports the Docker SDK. It maps the CRI
shape of `base.py` onto Docker the way dockershim did:

- a pod sandbox is a `kubequest/pause` container on the cluster's network
  `kq-<cluster id>`; it owns the pod's network namespace, hostname and IPC
  namespace, and the pod's containers join it (`network_mode=container:<id>`),
  so they talk over localhost and share one pod IP;
- volumes are named Docker volumes; configMap/secret files are written into
  them by a short-lived helper container;
- container changes reach the kubelet as RuntimeEvents, read by one thread
  from Docker's event stream (filtered by the cluster label), never by polling;
  `set_event_callback` lets the control loop wake up the moment one arrives;
- a Service is reachable from pods by its DNS names: see "Services" below.

Services. kube-proxy and CoreDNS together give a Service a name and a virtual
IP on every node. Here the cluster network plays the node and Docker's embedded
DNS plays CoreDNS:

- `expose_service` runs one small "service" container (the pause image) per
  Service on the cluster network, with the network aliases
  `<svc>.<ns>.svc.cluster.local`, `<svc>.<ns>.svc` and `<svc>.<ns>`, so its
  address is the Service's address inside the network. For each Service port
  it runs busybox `nc -ll -p <port> -e nc <gateway> <proxy port>`: every
  connection is handed on to the Service proxy's listener on the network's
  gateway (the host's side of the bridge), which picks a ready endpoint
  round-robin. The choice of backend stays in one place, the ServiceProxy.
- a pod sandbox gets the DNS search path Kubernetes gives a pod,
  `<ns>.svc.cluster.local svc.cluster.local cluster.local`, so the short name
  `web` finds the Service `web` of the pod's own namespace only. `ndots:1`
  (Kubernetes has 5) makes a dotted name go to the aliases first: a Service
  name is answered on the first query, and only names that are not a
  Service's are passed on by Docker to the host's resolver.
- DNS follows the containers as they come and go: a Service made after a pod
  is found by that pod, and a deleted Service's name stops answering.

Every object carries `io.kubequest.cluster=<id>` (and namespace/pod/container
labels), so `cleanup` finds what a crashed game left behind.
"""

from __future__ import annotations

import collections
import functools
import io
import logging
import os
import secrets
import socket
import tarfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, ParamSpec, TypeVar

import docker
import docker.errors
import requests.exceptions
from docker.types import LogConfig
from docker.types import Mount as DockerMount

from engine.api.errors import KubeQuestError
from engine.images.catalog import PAUSE_IMAGE, is_game_image

from .base import (
    ContainerCreateError,
    ContainerSpec,
    ContainerState,
    ExecResult,
    ImagePullError,
    RuntimeEvent,
    RuntimeUnavailable,
    Sandbox,
)

log = logging.getLogger(__name__)

CLUSTER_LABEL = "io.kubequest.cluster"
NAMESPACE_LABEL = "io.kubequest.namespace"
POD_LABEL = "io.kubequest.pod"
POD_UID_LABEL = "io.kubequest.pod-uid"
CONTAINER_LABEL = "io.kubequest.container"
SANDBOX_LABEL = "io.kubequest.sandbox"
SERVICE_LABEL = "io.kubequest.service"
SERVICE_PORTS_LABEL = "io.kubequest.service-ports"  # "80:41234,443:41235": port -> proxy port
ROLE_LABEL = "io.kubequest.role"  # "sandbox" | "container" | "service" | "helper"
# "<host>:<pid>" of the process whose cluster made the object: a later start finds
# what a crashed game left (its process is gone) and removes it.
OWNER_LABEL = "io.kubequest.owner"
OWNER = f"{socket.gethostname()}:{os.getpid()}"
CLUSTER_DOMAIN = "cluster.local"

NETWORK_PREFIX = "kq-"
DAEMON_DOWN = (
    "the Docker daemon does not answer ({why}): start it (scripts/start-dockerd.sh, "
    "or `sudo systemctl start docker`) or play with --runtime sim"
)
# A wedged daemon must not hang the game: every call but builds, pulls and the
# event stream gives up after this long.
API_TIMEOUT_SECONDS = 60
EXEC_TIMED_OUT = 124  # the exit code of coreutils' `timeout`


class ImageBuildError(KubeQuestError):
    """`docker build` failed; str() says which image and why."""


# KeyErrors, as the sim runtime's errors of the same names: a kubelet catching
# KeyError handles both runtimes. (Both belong in base.py.)
class NoSuchContainer(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class NoSuchSandbox(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass
class CleanupReport:
    containers: int = 0
    networks: int = 0
    volumes: int = 0
    failures: list[str] = field(default_factory=list)  # what Docker refused to remove

    def __str__(self) -> str:
        return (f"removed {self.containers} container(s), {self.networks} network(s), "
                f"{self.volumes} volume(s)")


P = ParamSpec("P")
R = TypeVar("R")


def _daemon_errors(method: Callable[P, R]) -> Callable[P, R]:
    """A lost connection to the daemon surfaces as RuntimeUnavailable, one clear sentence.

    Docker's own refusals (APIError: a bad name, a conflict) are left to each
    method, which knows what they mean.
    """

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except docker.errors.APIError:
            raise
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise RuntimeUnavailable(DAEMON_DOWN.format(why=_why(exc))) from exc

    return wrapper


def _timestamp(value: str | None) -> float | None:
    """Docker's RFC 3339 nanosecond times; its zero time means "never"."""
    if not value or value.startswith("0001-01-01"):
        return None
    return datetime.fromisoformat(value).timestamp()


def _docker_status(state: dict[str, Any]) -> str:
    """Docker's seven states folded into the port's three."""
    status = state.get("Status", "")
    if status == "created":
        return "created"
    if status in ("running", "paused", "restarting"):
        return "running"
    return "exited"  # exited, dead, removing


def _safe_relative(path: str, what: str) -> str:
    """Kubernetes refuses absolute paths and `..` in subPath and volume keys; so do we."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ContainerCreateError(f"{what} {path!r} must be a relative path without '..'")
    return pure.as_posix()


class DockerRuntime:
    """ContainerRuntime on a Docker daemon, for one cluster.

    `cluster_id` may be None for the daemon-wide jobs (ping, images, cleanup);
    pod operations need it.
    """

    name = "docker"

    def __init__(self, cluster_id: str | None = None, *, base_url: str | None = None,
                 timeout: int = API_TIMEOUT_SECONDS):
        self.cluster_id = cluster_id
        self._base_url = base_url
        self._timeout = timeout
        self._client: docker.DockerClient | None = None
        self._client_lock = threading.Lock()
        self._lock = threading.Lock()  # the network and the event thread
        self._network_id: str | None = None
        self._gateway: str | None = None
        self._sandbox_ips: dict[str, str] = {}
        self._sandbox_labels: dict[str, dict[str, str]] = {}
        self._kill_timers: dict[str, threading.Timer] = {}
        self._events: collections.deque[RuntimeEvent] = collections.deque()
        self._on_event: Callable[[], None] | None = None
        self._event_stream: Any = None
        self._event_thread: threading.Thread | None = None
        self._closed = threading.Event()

    # --- connection -------------------------------------------------------

    @property
    def client(self) -> docker.DockerClient:
        """The SDK client, made on first use (that is when the daemon is first asked)."""
        with self._client_lock:
            if self._client is None:
                try:
                    # version="auto": this daemon may be older than the SDK's default API.
                    if self._base_url:
                        self._client = docker.DockerClient(
                            base_url=self._base_url, version="auto", timeout=self._timeout)
                    else:
                        self._client = docker.from_env(version="auto", timeout=self._timeout)
                except docker.errors.DockerException as exc:
                    raise RuntimeUnavailable(DAEMON_DOWN.format(why=_why(exc))) from exc
            return self._client

    @property
    def api(self) -> docker.APIClient:
        return self.client.api

    def ping(self) -> None:
        try:
            self.client.ping()
        except (docker.errors.DockerException, requests.exceptions.RequestException) as exc:
            raise RuntimeUnavailable(DAEMON_DOWN.format(why=_why(exc))) from exc

    @_daemon_errors
    def server_version(self) -> str:
        """The daemon's version, e.g. "20.10.24+dfsg1"."""
        return str(self.client.version().get("Version", "unknown"))

    def _cluster(self) -> str:
        if not self.cluster_id:
            raise ValueError("this DockerRuntime was made without a cluster id")
        return self.cluster_id

    def _labels(self, role: str, **extra: str) -> dict[str, str]:
        return {CLUSTER_LABEL: self._cluster(), OWNER_LABEL: OWNER, ROLE_LABEL: role, **extra}

    # --- images -----------------------------------------------------------

    @_daemon_errors
    def image_present(self, image: str) -> bool:
        try:
            self.api.inspect_image(image)
            return True
        except docker.errors.ImageNotFound:
            return False
        except docker.errors.APIError as exc:
            if exc.status_code in (400, 404):  # an invalid reference is not present either
                return False
            raise

    @_daemon_errors
    def image_labels(self, ref: str) -> dict[str, str] | None:
        """The image's labels, or None when Docker has no such image."""
        try:
            info = self.api.inspect_image(ref)
        except docker.errors.ImageNotFound:
            return None
        return dict((info.get("Config") or {}).get("Labels") or {})

    def _image_id(self, ref: str) -> str | None:
        try:
            return str(self.api.inspect_image(ref)["Id"])
        except docker.errors.ImageNotFound:
            return None

    @_daemon_errors
    def image_size(self, ref: str) -> int | None:
        try:
            return int(self.api.inspect_image(ref).get("Size", 0))
        except docker.errors.ImageNotFound:
            return None

    @_daemon_errors
    def pull_image(self, image: str) -> None:
        """Make the image present; ImagePullError's text is what the pod's events show."""
        if self.image_present(image):
            return
        if is_game_image(image):
            # Never from a registry: a "kubequest/..." there is somebody else's image.
            raise ImagePullError(
                f'Failed to pull image "{image}": it is a KubeQuest image that is not built '
                "yet; run `kubequest images build`"
            )
        try:
            for chunk in self.api.pull(image, stream=True, decode=True):
                if "error" in chunk:
                    raise ImagePullError(
                        f'Failed to pull image "{image}": {chunk["error"].strip()}')
        except docker.errors.APIError as exc:
            raise ImagePullError(
                f'Failed to pull image "{image}": Error response from daemon: '
                f"{exc.explanation or exc}") from exc
        except docker.errors.DockerException as exc:
            raise ImagePullError(f'Failed to pull image "{image}": {exc}') from exc
        if not self.image_present(image):
            raise ImagePullError(f'Failed to pull image "{image}": not found after the pull')

    @_daemon_errors
    def build_image(self, context_dir: Path, tag: str, labels: dict[str, str],
                    progress: Callable[[str], None] | None = None) -> str:
        """`docker build` of a context folder (legacy builder, no registry); returns the image id."""
        previous = self._image_id(tag)
        try:
            stream = self.api.build(
                path=str(context_dir), tag=tag, labels=labels, rm=True, forcerm=True,
                pull=False, decode=True,
                # RUN steps need no network: builds work even without a bridge.
                network_mode="none",
            )
            for chunk in stream:
                if "error" in chunk:
                    raise ImageBuildError(f"building {tag} failed: {chunk['error'].strip()}")
                line = str(chunk.get("stream", "")).strip()
                if line and progress:
                    progress(line)
            image_id = str(self.api.inspect_image(tag)["Id"])
        except docker.errors.APIError as exc:
            raise ImageBuildError(f"building {tag} failed: {exc.explanation or exc}") from exc
        if previous and previous != image_id:
            # The tag moved on: drop the old image rather than leave it dangling.
            try:
                self.api.remove_image(previous)
            except docker.errors.APIError:
                pass  # still used by a container; `docker image prune` gets it later
        return image_id

    # --- pod sandboxes ----------------------------------------------------

    @property
    def network_name(self) -> str:
        return NETWORK_PREFIX + self._cluster()

    def _ensure_network(self) -> str:
        """The cluster's bridge network, made once (a crashed game's one is reused)."""
        with self._lock:
            if not self._network_id:
                self._network_id = self._find_or_create_network()
            return self._network_id

    def _find_or_create_network(self) -> str:
        name = self.network_name
        existing = self.api.networks(names=[name], filters={"label": [f"{CLUSTER_LABEL}={self._cluster()}"]})
        match = [n for n in existing if n.get("Name") == name]
        if match:
            return str(match[0]["Id"])
        created = self.api.create_network(
            name, driver="bridge", labels={CLUSTER_LABEL: self._cluster(), OWNER_LABEL: OWNER},
            check_duplicate=True)
        return str(created["Id"])

    @_daemon_errors
    def run_pod_sandbox(self, pod_uid: str, name: str, namespace: str, hostname: str,
                        labels: dict[str, str], subdomain: str | None = None) -> Sandbox:
        self._ensure_events()
        self._ensure_network()
        all_labels = {
            **labels,
            **self._labels("sandbox", **{NAMESPACE_LABEL: namespace, POD_LABEL: name,
                                        POD_UID_LABEL: pod_uid}),
        }
        host_config = self.api.create_host_config(
            network_mode=self.network_name,
            ipc_mode="shareable",  # the pod's containers share its IPC namespace
            # A pod's resolv.conf, as the kubelet writes it (see "Services" above).
            dns_search=[f"{namespace}.svc.{CLUSTER_DOMAIN}", f"svc.{CLUSTER_DOMAIN}", CLUSTER_DOMAIN],
            dns_opt=["ndots:1"],
            log_config=LogConfig(type="json-file", config={"max-size": "1m"}),
        )
        # A pod with a subdomain (a StatefulSet's, under its headless Service) has a DNS
        # name of its own: the pod's search path finds `db-0.db` as `db-0.db.<ns>.svc…`.
        networking = None
        if subdomain:
            base = f"{hostname[:63]}.{subdomain}.{namespace}"
            networking = self.api.create_networking_config({self.network_name: self.api.create_endpoint_config(
                aliases=[f"{base}.svc.{CLUSTER_DOMAIN}", f"{base}.svc", base])})
        # Low-level calls: create, start, inspect — the SDK's models add two inspects.
        try:
            sandbox_id = str(self.api.create_container(
                PAUSE_IMAGE,
                name=f"kq_POD_{name}_{namespace}_{self._cluster()}_{secrets.token_hex(3)}",
                hostname=hostname[:63],
                labels=all_labels,
                host_config=host_config,
                networking_config=networking,
            )["Id"])
        except docker.errors.ImageNotFound as exc:
            raise ContainerCreateError(
                f"the pod sandbox image {PAUSE_IMAGE} is not built: run `kubequest images build`") from exc
        except docker.errors.APIError as exc:
            raise ContainerCreateError(f"creating the pod sandbox failed: {exc.explanation or exc}") from exc
        try:
            self.api.start(sandbox_id)
            info = self.api.inspect_container(sandbox_id)
        except docker.errors.APIError as exc:
            self._remove(sandbox_id)
            raise ContainerCreateError(f"starting the pod sandbox failed: {exc.explanation or exc}") from exc
        ip = info["NetworkSettings"]["Networks"][self.network_name]["IPAddress"]
        self._sandbox_ips[sandbox_id] = ip
        self._sandbox_labels[sandbox_id] = all_labels
        return Sandbox(id=sandbox_id, ip=ip)

    @_daemon_errors
    def remove_pod_sandbox(self, sandbox_id: str) -> None:
        for member in self.api.containers(all=True, filters={"label": [f"{SANDBOX_LABEL}={sandbox_id}"]}):
            self._remove(member["Id"])
        self._remove(sandbox_id)
        self._sandbox_ips.pop(sandbox_id, None)
        self._sandbox_labels.pop(sandbox_id, None)

    @_daemon_errors
    def address(self, sandbox_id: str, port: int) -> tuple[str, int]:
        """The sandbox's IP on the cluster network: the host reaches it directly."""
        ip = self._sandbox_ips.get(sandbox_id)
        if ip is None:
            try:
                info = self.api.inspect_container(sandbox_id)
            except docker.errors.NotFound as exc:
                raise NoSuchSandbox(f"no such pod sandbox: {sandbox_id}") from exc
            ip = info["NetworkSettings"]["Networks"][self.network_name]["IPAddress"]
            self._sandbox_ips[sandbox_id] = ip
        return ip, port

    @_daemon_errors
    def endpoint_address(self, pod_ip: str, port: int) -> tuple[str, int] | None:
        """On Docker the host reaches a pod IP as it is; None when no sandbox of ours has it."""
        if pod_ip not in self._sandbox_ips.values():
            # A sandbox this process did not start (a game restarted over its cluster).
            filters = {"label": [f"{CLUSTER_LABEL}={self._cluster()}", f"{ROLE_LABEL}=sandbox"]}
            for summary in self.api.containers(filters=filters):
                network = (summary.get("NetworkSettings") or {}).get("Networks", {}).get(self.network_name)
                if network and network.get("IPAddress"):
                    self._sandbox_ips[summary["Id"]] = network["IPAddress"]
            if pod_ip not in self._sandbox_ips.values():
                return None
        return pod_ip, port

    # --- Services (see the module docstring) ------------------------------

    @_daemon_errors
    def service_bind_host(self) -> str | None:
        """The cluster network's gateway, the host's own address on the bridge: the
        Service proxy listens there for connections from containers (None: no gateway)."""
        network_id = self._ensure_network()
        if self._gateway is None:
            info = self.api.inspect_network(network_id)
            gateways = [c.get("Gateway") for c in (info.get("IPAM") or {}).get("Config") or []]
            self._gateway = next((g.split("/")[0] for g in gateways if g and ":" not in g), "")
        return self._gateway or None

    def _service_containers(self, namespace: str, name: str) -> list[dict[str, Any]]:
        filters = {"label": [f"{CLUSTER_LABEL}={self._cluster()}", f"{ROLE_LABEL}=service",
                             f"{NAMESPACE_LABEL}={namespace}", f"{SERVICE_LABEL}={name}"]}
        return list(self.api.containers(all=True, filters=filters))

    @_daemon_errors
    def expose_service(self, namespace: str, name: str, ports: dict[int, int]) -> None:
        """Give the Service `namespace/name` its DNS names on the cluster network, each of
        its `ports` forwarded to the proxy's port on `service_bind_host()` (port -> proxy port).

        Idempotent: a service container already forwarding these ports is kept; one
        forwarding others (or left by an earlier game) is replaced.
        """
        gateway = self.service_bind_host()
        if gateway is None:
            raise ContainerCreateError(f"the network {self.network_name} has no gateway address")
        wanted = ",".join(f"{port}:{ports[port]}" for port in sorted(ports))
        keep = None
        for summary in self._service_containers(namespace, name):
            labels = summary.get("Labels") or {}
            current = labels.get(SERVICE_PORTS_LABEL) == wanted and summary.get("State") == "running"
            if keep is None and current:
                keep = summary["Id"]
            else:
                self._remove(summary["Id"])
        if keep is not None or not ports:
            return
        # PID 1 traps SIGTERM (as pause does); each port's `nc -ll` forks one
        # `nc <gateway> <proxy port>` per connection and pipes the two together.
        script = "trap 'exit 0' TERM INT\n" + "".join(
            f"nc -ll -p {port} -e nc {gateway} {ports[port]} &\n" for port in sorted(ports)) + "wait\n"
        fqdn = f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}"
        endpoint = self.api.create_endpoint_config(
            aliases=[fqdn, f"{name}.{namespace}.svc", f"{name}.{namespace}"])
        try:
            container_id = str(self.api.create_container(
                PAUSE_IMAGE,
                command=["/bin/sh", "-c", script],
                name=f"kq_SVC_{name}_{namespace}_{self._cluster()}_{secrets.token_hex(3)}",
                labels=self._labels("service", **{NAMESPACE_LABEL: namespace, SERVICE_LABEL: name,
                                                  SERVICE_PORTS_LABEL: wanted}),
                host_config=self.api.create_host_config(
                    network_mode=self.network_name,
                    log_config=LogConfig(type="json-file", config={"max-size": "1m"})),
                networking_config=self.api.create_networking_config({self.network_name: endpoint}),
            )["Id"])
        except docker.errors.ImageNotFound as exc:
            raise ContainerCreateError(
                f"the image {PAUSE_IMAGE} is not built: run `kubequest images build`") from exc
        except docker.errors.APIError as exc:
            raise ContainerCreateError(f"creating the Service {namespace}/{name} failed: "
                                       f"{exc.explanation or exc}") from exc
        try:
            self.api.start(container_id)
        except docker.errors.APIError as exc:
            self._remove(container_id)
            raise ContainerCreateError(f"starting the Service {namespace}/{name} failed: "
                                       f"{exc.explanation or exc}") from exc

    @_daemon_errors
    def unexpose_service(self, namespace: str, name: str) -> None:
        """Remove the Service's container: its names stop answering at once."""
        for summary in self._service_containers(namespace, name):
            self._remove(summary["Id"])

    # --- volumes ----------------------------------------------------------

    @_daemon_errors
    def ensure_volume(self, name: str, labels: dict[str, str]) -> str:
        full = name if name.startswith(f"kq-{self._cluster()}-") else f"kq-{self._cluster()}-{name}"
        try:
            return str(self.api.inspect_volume(full)["Name"])
        except docker.errors.NotFound:
            pass
        volume = self.api.create_volume(full, labels={**labels, CLUSTER_LABEL: self._cluster(),
                                                      OWNER_LABEL: OWNER})
        return str(volume["Name"])

    @_daemon_errors
    def write_volume_files(self, volume_id: str, files: dict[str, bytes]) -> None:
        """Replace the volume's files: a helper container empties it and copies the new set in."""
        archive = io.BytesIO()
        with tarfile.open(fileobj=archive, mode="w") as tar:
            folders: set[str] = set()
            for key in sorted(files):
                rel = PurePosixPath("incoming") / _safe_relative(key, "volume file")
                for parent in reversed(rel.parents[:-1]):
                    if str(parent) not in folders:
                        folders.add(str(parent))
                        info = tarfile.TarInfo(str(parent))
                        info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                        tar.addfile(info)
                info = tarfile.TarInfo(str(rel))
                info.size, info.mode, info.mtime = len(files[key]), 0o644, int(time.time())
                tar.addfile(info, io.BytesIO(files[key]))
        script = ("rm -rf /volume/* /volume/.[!.]* /volume/..?* && "
                  "if [ -d /incoming ]; then cp -a /incoming/. /volume/; fi")
        helper = self.api.create_container(
            PAUSE_IMAGE, command=["/bin/sh", "-c", script],
            labels=self._labels("helper"), network_disabled=True,
            host_config=self.api.create_host_config(
                mounts=[DockerMount("/volume", volume_id, type="volume")]),
        )["Id"]
        try:
            if files:
                self.api.put_archive(helper, "/", archive.getvalue())
            self.api.start(helper)
            result = self.api.wait(helper, timeout=30)
            if result.get("StatusCode") != 0:
                output = self.api.logs(helper).decode(errors="replace").strip()
                raise ContainerCreateError(f"writing files into volume {volume_id} failed: {output}")
        finally:
            self._remove(helper)

    @_daemon_errors
    def remove_volume(self, volume_id: str) -> None:
        try:
            self.api.remove_volume(volume_id, force=True)
        except docker.errors.NotFound:
            pass

    # --- containers -------------------------------------------------------

    def _mounts(self, spec: ContainerSpec) -> tuple[list[Any], list[str]]:
        """Kubernetes volumeMounts as Docker mounts; subPath needs binds before API 1.45."""
        mounts: list[Any] = []
        binds: list[str] = []
        for m in spec.mounts:
            if not m.sub_path:
                mounts.append(DockerMount(m.container_path, m.volume, type="volume", read_only=m.read_only))
                continue
            sub = _safe_relative(m.sub_path, "subPath")
            if docker.utils.version_gte(self.api.api_version, "1.45"):
                mount = DockerMount(m.container_path, m.volume, type="volume", read_only=m.read_only)
                mount["VolumeOptions"] = {"Subpath": sub}
                mounts.append(mount)
            else:
                # Older daemons: bind the folder inside the volume (the daemon
                # creates it when missing, as the kubelet does for subPath).
                where = self.api.inspect_volume(m.volume)["Mountpoint"]
                binds.append(f"{where}/{sub}:{m.container_path}:{'ro' if m.read_only else 'rw'}")
        return mounts, binds

    @_daemon_errors
    def create_container(self, sandbox_id: str, spec: ContainerSpec) -> str:
        self._ensure_events()
        pod_labels = self._sandbox_labels.get(sandbox_id)
        if pod_labels is None:  # a sandbox this process did not start
            try:
                pod_labels = self.api.inspect_container(sandbox_id)["Config"]["Labels"] or {}
            except docker.errors.NotFound as exc:
                raise ContainerCreateError(f"pod sandbox {sandbox_id[:12]} not found") from exc
        labels = {
            **spec.labels,
            **self._labels("container", **{
                NAMESPACE_LABEL: pod_labels.get(NAMESPACE_LABEL, ""),
                POD_LABEL: pod_labels.get(POD_LABEL, ""),
                POD_UID_LABEL: pod_labels.get(POD_UID_LABEL, ""),
                CONTAINER_LABEL: spec.name,
                SANDBOX_LABEL: sandbox_id,
            }),
        }
        mounts, binds = self._mounts(spec)
        host_config = self.api.create_host_config(
            network_mode=f"container:{sandbox_id}",
            ipc_mode=f"container:{sandbox_id}",
            mem_limit=spec.memory_limit,
            # No swap beyond the limit, as the kubelet sets it: memhog must be OOM-killed.
            memswap_limit=spec.memory_limit,
            nano_cpus=int(spec.cpu_limit * 1e9) if spec.cpu_limit else None,
            mounts=mounts or None,
            binds=binds or None,
            log_config=LogConfig(type="json-file", config={"max-size": "5m"}),
        )
        try:
            created = self.api.create_container(
                spec.image,
                # Kubernetes' command replaces the ENTRYPOINT (and drops the image's
                # CMD); args replace the CMD. Docker does the same with these two.
                entrypoint=spec.command,
                command=spec.args,
                environment=[f"{k}={v}" for k, v in spec.env.items()],
                working_dir=spec.working_dir,
                labels=labels,
                host_config=host_config,
                name=f"kq_{spec.name}_{labels[POD_LABEL]}_{labels[NAMESPACE_LABEL]}_"
                     f"{self._cluster()}_{secrets.token_hex(3)}",
            )
        except docker.errors.ImageNotFound as exc:
            raise ContainerCreateError(f'image "{spec.image}" is not present: pull it first') from exc
        except docker.errors.APIError as exc:
            raise ContainerCreateError(str(exc.explanation or exc)) from exc
        return str(created["Id"])

    @_daemon_errors
    def start_container(self, container_id: str) -> None:
        try:
            self.api.start(container_id)
        except docker.errors.NotFound as exc:
            raise NoSuchContainer(f"no such container: {container_id}") from exc
        except docker.errors.APIError as exc:
            # e.g. `exec: "nope": executable file not found in $PATH` (RunContainerError)
            raise ContainerCreateError(str(exc.explanation or exc)) from exc

    @_daemon_errors
    def stop_container(self, container_id: str, timeout_seconds: float) -> None:
        """SIGTERM now and SIGKILL when the grace period ends; returns at once.

        Not `docker stop`, which blocks for the whole grace period: the kubelet
        must not hang 30 s on a PID 1 that ignores SIGTERM. The "died" event
        tells when the container is gone.
        """
        if timeout_seconds <= 0:
            self.kill_container(container_id)
            return
        if not self._signal(container_id, "SIGTERM"):
            return
        timer = threading.Timer(timeout_seconds, self._kill_after_grace, args=(container_id,))
        timer.daemon = True
        with self._lock:
            previous = self._kill_timers.pop(container_id, None)
            self._kill_timers[container_id] = timer
        if previous is not None:
            previous.cancel()
        timer.start()

    def _kill_after_grace(self, container_id: str) -> None:
        with self._lock:
            self._kill_timers.pop(container_id, None)
        try:
            self._signal(container_id, "SIGKILL")
        except (docker.errors.DockerException, OSError, KeyError):
            pass  # gone meanwhile, or the daemon with it: nothing left to kill

    @_daemon_errors
    def kill_container(self, container_id: str) -> None:
        """SIGKILL now: the process dies with exit 137."""
        self._signal(container_id, "SIGKILL")

    def _signal(self, container_id: str, signal: str) -> bool:
        """Send a signal; False when the container is not running (nothing to signal)."""
        try:
            self.api.kill(container_id, signal=signal)
            return True
        except docker.errors.NotFound as exc:
            raise NoSuchContainer(f"no such container: {container_id}") from exc
        except docker.errors.APIError as exc:
            if exc.status_code == 409:  # not running
                return False
            raise

    @_daemon_errors
    def remove_container(self, container_id: str) -> None:
        """`docker rm -f`; removing a container that is gone already is no error."""
        with self._lock:
            timer = self._kill_timers.pop(container_id, None)
        if timer is not None:
            timer.cancel()
        self._remove(container_id)

    def _remove(self, container_id: str) -> None:
        try:
            self.api.remove_container(container_id, force=True, v=False)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409 or "already in progress" not in str(exc):
                raise

    @staticmethod
    def _state(info: dict[str, Any]) -> ContainerState:
        state = info.get("State") or {}
        labels = (info.get("Config") or {}).get("Labels") or {}
        status = _docker_status(state)
        started = _timestamp(state.get("StartedAt"))
        finished = _timestamp(state.get("FinishedAt")) if status == "exited" else None
        if started is not None and finished is not None and finished < started:
            # Docker stamps the two on different paths: a process that exits at
            # once can show a finish a fraction of a millisecond before its start.
            finished = started
        return ContainerState(
            id=info["Id"],
            name=labels.get(CONTAINER_LABEL, ""),
            sandbox_id=labels.get(SANDBOX_LABEL, ""),
            image=(info.get("Config") or {}).get("Image", ""),
            status=status,
            exit_code=state.get("ExitCode") if status == "exited" else None,
            oom_killed=bool(state.get("OOMKilled")),
            started_at=started,
            finished_at=finished,
            labels=dict(labels),
        )

    @_daemon_errors
    def container_status(self, container_id: str) -> ContainerState:
        try:
            return self._state(self.api.inspect_container(container_id))
        except docker.errors.NotFound as exc:
            raise NoSuchContainer(f"no such container: {container_id}") from exc

    @_daemon_errors
    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerState]:
        """The cluster's pod containers (not sandboxes nor helpers), matching all labels."""
        wanted = {**(labels or {}), CLUSTER_LABEL: self._cluster(), ROLE_LABEL: "container"}
        found = self.api.containers(all=True, filters={"label": [f"{k}={v}" for k, v in wanted.items()]})
        states = []
        for summary in found:
            try:
                states.append(self._state(self.api.inspect_container(summary["Id"])))
            except docker.errors.NotFound:
                continue  # removed between the list and the inspect
        return states

    @_daemon_errors
    def logs(self, container_id: str, tail: int | None = None) -> str:
        try:
            data = self.api.logs(container_id, stdout=True, stderr=True,
                                 tail="all" if tail is None else max(0, tail))
        except docker.errors.NotFound as exc:
            raise NoSuchContainer(f"no such container: {container_id}") from exc
        return data.decode("utf-8", errors="replace")

    @_daemon_errors
    def exec(self, container_id: str, command: list[str], timeout_seconds: float = 1.0) -> ExecResult:
        """Run a command in the container; exit code 124 when it outlives the timeout."""
        try:
            exec_id = self.api.exec_create(container_id, command, stdout=True, stderr=True)["Id"]
        except docker.errors.NotFound as exc:
            raise NoSuchContainer(f"no such container: {container_id}") from exc
        except docker.errors.APIError as exc:  # 409: the container is not running
            return ExecResult(exit_code=126, output=str(exc.explanation or exc))
        outcome: list[bytes | Exception] = []

        def run() -> None:
            try:
                outcome.append(self.api.exec_start(exec_id))
            except (docker.errors.DockerException, OSError) as exc:
                outcome.append(exc)

        # Docker's exec has no timeout of its own: wait for it on a thread.
        runner = threading.Thread(target=run, daemon=True, name="kq-docker-exec")
        runner.start()
        runner.join(timeout_seconds)
        if runner.is_alive():
            return ExecResult(EXEC_TIMED_OUT, f"command timed out after {timeout_seconds:g}s")
        result = outcome[0]
        if isinstance(result, Exception):
            return ExecResult(exit_code=126, output=str(result))
        code = self.api.exec_inspect(exec_id).get("ExitCode")
        return ExecResult(exit_code=126 if code is None else int(code),
                          output=result.decode("utf-8", errors="replace"))

    # --- events (PLEG) ----------------------------------------------------

    def _subscribe(self, since: float | None) -> Any:
        """Open the event stream; it is live once this returns, so nothing is missed after."""
        filters = {
            "type": ["container"],
            "event": ["start", "die"],
            "label": [f"{CLUSTER_LABEL}={self._cluster()}", f"{ROLE_LABEL}=container"],
        }
        return self.api.events(decode=True, filters=filters,
                               since=None if since is None else int(since))

    def _ensure_events(self) -> None:
        with self._lock:
            if self._event_thread is not None or self._closed.is_set():
                return
            self._event_stream = self._subscribe(since=None)
            self._event_thread = threading.Thread(
                target=self._pump_events, daemon=True, name=f"kq-docker-events-{self._cluster()}")
            self._event_thread.start()

    def _pump_events(self) -> None:
        """Turn Docker's start/die events into RuntimeEvents; resubscribe if the stream breaks."""
        last_nano = 0
        while not self._closed.is_set():
            try:
                for event in self._event_stream:
                    nano = int(event.get("timeNano") or event.get("time", 0) * 1_000_000_000)
                    if nano <= last_nano:  # a replay after resubscribing
                        continue
                    last_nano = nano
                    action = event.get("Action") or event.get("status")
                    attributes = (event.get("Actor") or {}).get("Attributes") or {}
                    self._events.append(RuntimeEvent(
                        type="started" if action == "start" else "died",
                        container_id=(event.get("Actor") or {}).get("ID") or event.get("id", ""),
                        sandbox_id=attributes.get(SANDBOX_LABEL, ""),
                        time=nano / 1e9,
                    ))
                    on_event = self._on_event
                    if on_event is not None:
                        on_event()
            except Exception:  # whatever broke the stream, resubscribe below
                log.debug("Docker event stream ended", exc_info=True)
            if self._closed.wait(0.5):
                return
            try:  # the daemon restarted or the connection broke: pick up where we were
                self._event_stream = self._subscribe(since=last_nano / 1e9 if last_nano else None)
            except Exception:  # still down; try again
                log.debug("resubscribing to Docker events failed", exc_info=True)

    def set_event_callback(self, fn: Callable[[], None] | None) -> None:
        """Call fn() (from the event thread) whenever a RuntimeEvent arrives: the
        control loop's wake-up, so a container change is handled at once."""
        self._on_event = fn

    @_daemon_errors
    def drain_events(self) -> list[RuntimeEvent]:
        self._ensure_events()
        drained = []
        while self._events:
            drained.append(self._events.popleft())
        return drained

    def next_event_time(self) -> float | None:
        return None  # real containers change on their own time

    # --- housekeeping -----------------------------------------------------

    @_daemon_errors
    def cleanup(self, cluster_id: str | None = None) -> CleanupReport:
        """Remove KubeQuest's containers, networks and volumes: one cluster's, or all (None).

        Goes on past an object Docker refuses to remove, and lists it in the report.
        """
        label = CLUSTER_LABEL if cluster_id is None else f"{CLUSTER_LABEL}={cluster_id}"
        report = CleanupReport()

        def attempt(what: str, remove: Callable[[], None]) -> bool:
            try:
                remove()
                return True
            except docker.errors.NotFound:
                return False  # gone meanwhile
            except docker.errors.APIError as exc:
                report.failures.append(f"{what}: {exc.explanation or exc}")
                return False

        for summary in self.api.containers(all=True, filters={"label": [label]}):
            name = (summary.get("Names") or [summary["Id"][:12]])[0].lstrip("/")
            if attempt(f"container {name}", functools.partial(
                    self.api.remove_container, summary["Id"], force=True)):
                report.containers += 1
        for network in self.api.networks(filters={"label": [label]}):
            if attempt(f"network {network['Name']}", functools.partial(
                    self.api.remove_network, network["Id"])):
                report.networks += 1
        for volume in self.api.volumes(filters={"label": label}).get("Volumes") or []:
            if attempt(f"volume {volume['Name']}", functools.partial(
                    self.api.remove_volume, volume["Name"], force=True)):
                report.volumes += 1
        if cluster_id is None or cluster_id == self.cluster_id:
            with self._lock:
                self._network_id = None
                self._gateway = None
            self._sandbox_ips.clear()
            self._sandbox_labels.clear()
        return report

    @_daemon_errors
    def reap_orphans(self) -> list[str]:
        """Remove the clusters whose game crashed: objects labelled by a process of
        this host that no longer runs. Returns the cluster ids removed."""
        host = socket.gethostname()
        owners: dict[str, str] = {}
        for summary in self.api.containers(all=True, filters={"label": [OWNER_LABEL]}):
            labels = summary.get("Labels") or {}
            owners[labels.get(CLUSTER_LABEL, "")] = labels.get(OWNER_LABEL, "")
        for network in self.api.networks(filters={"label": [OWNER_LABEL]}):
            labels = network.get("Labels") or {}
            owners.setdefault(labels.get(CLUSTER_LABEL, ""), labels.get(OWNER_LABEL, ""))
        reaped = []
        for cluster_id, owner in sorted(owners.items()):
            owner_host, _, pid = owner.rpartition(":")
            if not cluster_id or owner_host != host or not pid.isdigit() or _alive(int(pid)):
                continue
            log.warning("removing cluster %s, left behind by process %s", cluster_id, pid)
            self.cleanup(cluster_id)
            reaped.append(cluster_id)
        return reaped

    def close(self) -> None:
        """Stop the event thread and the connection; containers are left to the kubelet/cleanup."""
        self._closed.set()
        with self._lock:
            timers, self._kill_timers = list(self._kill_timers.values()), {}
        for timer in timers:  # a pending SIGKILL must not fire into a closed client
            timer.cancel()
        stream, self._event_stream = self._event_stream, None
        if stream is not None:
            try:
                stream.close()
            except Exception:  # closing a stream the daemon already dropped
                log.debug("closing the Docker event stream failed", exc_info=True)
        if self._event_thread is not None:
            self._event_thread.join(timeout=2)
        if self._client is not None:
            self._client.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def _why(exc: BaseException) -> str:
    """A short reason from the SDK's long exception text."""
    text = str(exc)
    for marker in ("No such file or directory", "Connection refused", "Permission denied",
                   "Read timed out", "Connection aborted"):
        if marker in text:
            return marker.lower()
    return text.splitlines()[0][:120] if text else type(exc).__name__
