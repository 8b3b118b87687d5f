"""SimRuntime: the ContainerRuntime port played in memory, on the engine's clock.

Each container's main process is a generator from sim_workloads (the image's
documented behaviour) or sim_shell (a command override). Files live in
sim_fs trees; listening ports are real loopback sockets (sim_net).

Time. The runtime never sleeps and never moves the clock. A process that waits
(`sleep 5`, the worker's WORK_SECONDS, SIGKILL at the end of a grace period)
records *when* it will next change; that moment is applied lazily, at its exact
time, by the first call that finds `clock.now()` at or past it (every public
method and every HTTP request starts with `_advance()`). So on a VirtualClock
the cluster loop asks `next_event_time()`, jumps the clock there, and
`drain_events()` reports a "died" event stamped with the exact virtual time.
On the WallClock the same code runs in real time. Log lines a program dates
ahead (the worker's progress) stay hidden until the clock reaches them.

Exit codes. Exit by itself: the program's code (web:2.1 without DATABASE_URL 1,
worker 0, or 1 with FAIL=1, `sh -c 'exit 3'` 3). stop_container, as the images'
scripts trap SIGTERM: web 0, worker 143, memhog 0, toolbox (default command) 0,
each at once and with the image's log line. A command override (`sh -c …`,
`sleep 3600`) is PID 1 without a trap, so SIGTERM is ignored and SIGKILL comes
when the grace period ends: 137 at stop time + timeout (stop_container returns
at once; the container shows "running" until then and next_event_time()
reports that moment). kill_container: 137, not OOM. Memory over the limit
(memhog): 137 with oom_killed. remove_container / remove_pod_sandbox on a
running container force it like `docker rm -f`: 137.

exec. Runs the sim shell in the container at once: `sleep N` takes no time but
counts against timeout_seconds (over it: exit 124, output so far). On a
container that is not running: ExecResult(126, why) rather than an exception —
a failed exec probe is data. Unknown container ids raise NoSuchContainer
(a KeyError) everywhere.

Threads. One RLock guards all state. HTTP server threads take it to answer and
log. Network I/O of the sim shell (wget, nc) and the resolver hook run with the
lock fully released (`_outside_lock`), so a pod can wget another pod — or a
Service proxy that calls address() — without deadlock.

Volumes: remove_volume on a volume still mounted only forgets it (running
containers keep the files they see); the kubelet removes containers first.
"""

from __future__ import annotations

import functools
import heapq
import math
import random
import threading
from collections.abc import Callable, Mapping

from engine.clock import Clock
from engine.runtime.base import (
    ContainerCreateError,
    ContainerSpec,
    ContainerState,
    ExecResult,
    ImagePullError,
    RuntimeEvent,
    RuntimeUnavailable,
    Sandbox,
)
from engine.runtime.sim_fs import ContainerFs, FileTree, MountPoint, absolute, new_layer
from engine.runtime.sim_net import LoopbackPort, NetError
from engine.runtime.sim_objects import (
    Container,
    ContainerHost,
    NoSuchContainer,
    NoSuchSandbox,
    PodSandbox,
    Volume,
)
from engine.runtime.sim_shell import Sleep, run_argv
from engine.runtime.sim_workloads import (
    MIB,
    Allocate,
    Listen,
    SimImage,
    WebApp,
    build_catalog,
    canonical_image,
    main_process,
    pull_error,
)

# (host, port, the asking pod's namespace) -> where to connect; Service short names
# resolve in the pod's own namespace, as its DNS search path does.
Resolver = Callable[[str, int, str], "tuple[str, int] | None"]
BASE_ENV = {"PATH": "/usr/local/bin:/bin", "HOME": "/root"}  # the images' ENV, Docker's HOME
MAIN_NET_TIMEOUT = 2.0  # seconds of real time a main process's wget may wait


def _daemon_call(method):
    """A call that needs the runtime to answer: refused during an outage."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if self.outage is not None:
            raise RuntimeUnavailable(self.outage)
        return method(self, *args, **kwargs)

    return call


class SimRuntime:
    """The ContainerRuntime protocol in memory (see the module docstring)."""

    name = "sim"

    def __init__(self, clock: Clock, *, seed: int = 0,
                 extra_images: Mapping[str, SimImage | str] | None = None):
        self._clock = clock
        self._rng = random.Random(seed)
        self._images = build_catalog(extra_images)
        self._lock = threading.RLock()
        self._io_done = threading.Condition(self._lock)
        self._sandboxes: dict[str, PodSandbox] = {}
        self._sandbox_by_ip: dict[str, PodSandbox] = {}
        self._containers: dict[str, Container] = {}  # creation order
        self._removed: set[str] = set()
        self._volumes: dict[str, Volume] = {}
        self._volume_ids: dict[str, str] = {}  # name -> id
        self._events: list[tuple[float, int, RuntimeEvent]] = []
        # Pending self-changes: (time, 0 step | 1 SIGKILL, seq, container). An entry
        # is stale once the container's wake_at / kill_at no longer equals its time.
        self._timers: list[tuple[float, int, int, Container]] = []
        self._seq = 0
        self._next_ip = 0
        self._resolver: Resolver | None = None
        self.outage: str | None = None
        self._closed = False

    # --- images, sandboxes, volumes ---------------------------------------------

    def ping(self) -> None:
        if self._closed:
            raise RuntimeUnavailable("the sim runtime has been closed")
        if self.outage is not None:
            raise RuntimeUnavailable(self.outage)

    def set_outage(self, reason: str | None) -> None:
        """Play a container runtime that stops answering (reason) or comes back (None),
        as a Docker daemon that dies mid-level. Containers keep their state meanwhile."""
        self.outage = reason

    @_daemon_call
    def pull_image(self, image: str) -> None:
        if not self.image_present(image):
            raise ImagePullError(pull_error(image))

    @_daemon_call
    def image_present(self, image: str) -> bool:
        return canonical_image(image) in self._images

    def set_resolver(self, fn: Resolver | None) -> None:
        """fn(host, port) -> (ip, port) | None: where a name or IP that is not the pod's
        own (a Service, another pod) is reached on loopback. Called without the lock."""
        with self._lock:
            self._resolver = fn

    @_daemon_call
    def run_pod_sandbox(self, pod_uid: str, name: str, namespace: str, hostname: str,
                        labels: dict[str, str], subdomain: str | None = None) -> Sandbox:
        # Names are the resolver's job here (ServiceProxy.resolve reads the pods' subdomains).
        with self._lock:
            self.ping()
            self._advance()
            n, self._next_ip = self._next_ip, self._next_ip + 1
            sb = PodSandbox(self._new_id(), f"10.244.{n // 254}.{n % 254 + 2}", hostname,
                            dict(labels), namespace)
            self._sandboxes[sb.id] = sb
            self._sandbox_by_ip[sb.ip] = sb
            return Sandbox(id=sb.id, ip=sb.ip)

    @_daemon_call
    def remove_pod_sandbox(self, sandbox_id: str) -> None:
        with self._lock:
            self._advance()
            sb = self._sandboxes.pop(sandbox_id, None)
            if sb is None:
                return  # already gone: removal is idempotent, as in the CRI
            del self._sandbox_by_ip[sb.ip]
            for c in list(sb.containers):
                self.remove_container(c.id)
            for port in sb.ports.values():
                port.close()

    @_daemon_call
    def ensure_volume(self, name: str, labels: dict[str, str]) -> str:
        with self._lock:
            if name not in self._volume_ids:
                volume = Volume(self._new_id(), name, FileTree())
                self._volumes[volume.id] = volume
                self._volume_ids[name] = volume.id
            return self._volume_ids[name]

    @_daemon_call
    def write_volume_files(self, volume_id: str, files: dict[str, bytes]) -> None:
        with self._lock:
            self._volume(volume_id).tree.replace(
                {p: d.encode() if isinstance(d, str) else d for p, d in files.items()})

    @_daemon_call
    def remove_volume(self, volume_id: str) -> None:
        with self._lock:
            volume = self._volumes.pop(volume_id, None)
            if volume is not None:
                del self._volume_ids[volume.name]

    # --- containers ---------------------------------------------------------------

    @_daemon_call
    def create_container(self, sandbox_id: str, spec: ContainerSpec) -> str:
        with self._lock:
            self.ping()
            self._advance()
            sb = self._sandboxes.get(sandbox_id)
            if sb is None:
                raise ContainerCreateError(f'pod sandbox "{sandbox_id}" not found')
            image = self._images.get(canonical_image(spec.image))
            if image is None:
                raise ContainerCreateError(f'no such image "{spec.image}" (pull it first)')
            mounts = []
            for m in spec.mounts:
                if m.volume not in self._volumes:
                    raise ContainerCreateError(f'volume "{m.volume}" not found')
                tree = self._volumes[m.volume].tree
                sub = absolute(m.sub_path or "").strip("/")
                if sub and tree.kind(sub) is None:
                    tree.dirs.add(sub)  # the kubelet creates a missing subPath directory
                mounts.append(MountPoint(absolute(m.container_path), tree, sub, m.read_only))
            cwd = absolute(spec.working_dir or "/")
            fs = ContainerFs(new_layer(sb.hostname, sb.ip, spec.working_dir), mounts, cwd)
            env = {**BASE_ENV, "HOSTNAME": sb.hostname, **spec.env}
            c = Container(self._new_id(), sb, spec, image, fs, env)
            self._containers[c.id] = c
            sb.containers.append(c)
            return c.id

    @_daemon_call
    def start_container(self, container_id: str) -> None:
        with self._lock:
            self.ping()
            self._advance()
            c = self._get(container_id)
            if c.status == "running":
                return
            if c.status == "exited":
                raise ContainerCreateError(
                    f'container "{c.spec.name}" has exited; create a new one to run it again')
            now = self._clock.now()
            c.status, c.started_at, c.time = "running", now, now
            self._emit("started", c, now)
            host = ContainerHost(c, None, MAIN_NET_TIMEOUT, self._dial)
            c.process = main_process(c.image, c.spec.command, c.spec.args, host)
            self._step(c, now)

    @_daemon_call
    def stop_container(self, container_id: str, timeout_seconds: float) -> None:
        with self._lock:
            self._advance()
            c = self._get(container_id)
            if c.status != "running":
                return
            now = self._clock.now()
            if c.sigterm is not None:
                exit_code, line = c.sigterm
                if line:
                    c.write_log(line, now)
                self._terminate(c, exit_code, now)
            elif timeout_seconds <= 0:
                self._terminate(c, 137, now)
            elif c.kill_at is None or now + timeout_seconds < c.kill_at:
                # PID 1 without a trap ignores SIGTERM: SIGKILL when the grace ends
                self._schedule(c, now + timeout_seconds, kill=True)

    @_daemon_call
    def kill_container(self, container_id: str) -> None:
        with self._lock:
            self._advance()
            c = self._get(container_id)
            self._terminate(c, 137, self._clock.now())

    @_daemon_call
    def remove_container(self, container_id: str) -> None:
        with self._lock:
            self._advance()
            c = self._get(container_id)
            self._terminate(c, 137, self._clock.now())  # `docker rm -f`
            del self._containers[container_id]
            c.sandbox.containers.remove(c)
            self._removed.add(container_id)

    @_daemon_call
    def container_status(self, container_id: str) -> ContainerState:
        with self._lock:
            self._advance()
            return self._get(container_id).state()

    @_daemon_call
    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerState]:
        with self._lock:
            self._advance()
            wanted = (labels or {}).items()
            return [c.state() for c in self._containers.values()
                    if all(c.spec.labels.get(k) == v for k, v in wanted)]

    @_daemon_call
    def logs(self, container_id: str, tail: int | None = None) -> str:
        with self._lock:
            self._advance()
            c = self._get(container_id)
            now = self._clock.now()
            lines = [line for at, line in sorted(c.log, key=lambda e: e[0]) if at <= now]
            if c.partial:
                lines.append(c.partial)
            if tail is not None and tail >= 0:
                lines = lines[len(lines) - tail:] if tail else []
            return "".join(f"{line}\n" for line in lines)

    @_daemon_call
    def exec(self, container_id: str, command: list[str],
             timeout_seconds: float = 1.0) -> ExecResult:
        with self._lock:
            self._advance()
            c = self._get(container_id)
            if c.status != "running":
                why = ("has not been started" if c.status == "created"
                       else f"has exited (exit code {c.exit_code})")
                return ExecResult(126, f'container "{c.spec.name}" is not running: it {why}\n')
            output: list[str] = []
            run = run_argv(command, ContainerHost(c, output.append, timeout_seconds, self._dial))
            slept = 0.0
            try:
                while True:
                    instruction = run.send(None)
                    slept += instruction.seconds if isinstance(instruction, Sleep) else 0
                    if slept > timeout_seconds:  # the command would outlive the exec
                        run.close()
                        return ExecResult(124, "".join(output))
            except StopIteration as done:
                return ExecResult(int(done.value or 0) & 0xFF, "".join(output))

    def address(self, sandbox_id: str, port: int) -> tuple[str, int]:
        """Stable for the sandbox's life: refused while nothing listens there."""
        with self._lock:
            self._advance()
            sb = self._sandboxes.get(sandbox_id)
            if sb is None:
                raise NoSuchSandbox(f"no such pod sandbox: {sandbox_id}")
            return "127.0.0.1", self._port(sb, port).port

    def endpoint_address(self, pod_ip: str, port: int) -> tuple[str, int] | None:
        """address() by pod IP (the Service proxy's endpoints); None: no such pod."""
        with self._lock:
            sb = self._sandbox_by_ip.get(pod_ip)
            return None if sb is None else self.address(sb.id, port)

    def drain_events(self) -> list[RuntimeEvent]:
        if self.outage is not None:
            return []  # the event stream is cut; events wait for the runtime's return
        with self._lock:
            self._advance()
            events = [e for _, _, e in sorted(self._events, key=lambda e: e[:2])]
            self._events.clear()
            return events

    def next_event_time(self) -> float | None:
        with self._lock:
            self._advance()
            due = self._next_due()
            return due[0] if due else None

    def close(self) -> None:
        with self._lock:
            now = self._clock.now()
            for c in self._containers.values():
                self._terminate(c, 137, now)
            for sb in self._sandboxes.values():
                for port in sb.ports.values():
                    port.close()
                sb.ports.clear()
            self._closed = True

    # --- time -------------------------------------------------------------------------

    def _schedule(self, c: Container, at: float, kill: bool = False) -> None:
        if kill:
            c.kill_at = at
        else:
            c.wake_at = at
        self._seq += 1
        heapq.heappush(self._timers, (at, int(kill), self._seq, c))

    def _next_due(self) -> tuple[float, int, int, Container] | None:
        """The earliest pending self-change, dropping stale entries on the way."""
        while self._timers:
            at, kill, _, c = entry = self._timers[0]
            if c.status == "running" and (c.kill_at if kill else c.wake_at) == at:
                return entry
            heapq.heappop(self._timers)
        return None

    def _advance(self) -> None:
        """Apply, in time order and at their own times, the changes now() has reached."""
        now = self._clock.now()
        busy = []  # a SIGKILL due while another thread is inside that process: later
        while (due := self._next_due()) is not None and due[0] <= now:
            heapq.heappop(self._timers)
            at, kill, _, c = due
            if c.stepping:
                busy.append(due)
            elif kill:
                self._terminate(c, 137, at)
            else:
                c.wake_at = None
                self._step(c, at)
        for entry in busy:
            heapq.heappush(self._timers, entry)

    def _step(self, c: Container, at: float) -> None:
        """Run the main process from its last yield up to its next wait or its exit."""
        process, value = c.process, None
        if process is None:
            return
        c.stepping, c.time = True, at
        try:
            while True:
                try:
                    instruction = process.send(value)
                except StopIteration as done:
                    self._terminate(c, int(done.value or 0) & 0xFF, at)
                    return
                if c.process is None:  # killed while this step waited on the network
                    process.close()
                    return
                value = None
                if isinstance(instruction, Sleep):
                    if math.isfinite(instruction.seconds):
                        self._schedule(c, at + max(0.0, instruction.seconds))
                    return
                if isinstance(instruction, Listen):
                    value = self._listen(c, instruction.port, instruction.app)
                elif isinstance(instruction, Allocate):
                    # The kernel's OOM killer: the cgroup's limit below what is asked.
                    limit = c.spec.memory_limit
                    c.oom_killed = limit is not None and instruction.megabytes * MIB > limit
                    value = not c.oom_killed
                else:
                    raise TypeError(f"unknown instruction from a sim process: {instruction!r}")
        finally:
            c.stepping = False

    def _terminate(self, c: Container, exit_code: int, at: float,
                   oom_killed: bool = False) -> None:
        """The main process ends (by itself or by a signal): its ports close at once."""
        if c.status != "running":
            return
        if c.partial:
            c.write_log(c.partial, at)
            c.partial = ""
        c.status, c.exit_code, c.finished_at = "exited", exit_code, at
        c.oom_killed = c.oom_killed or oom_killed
        c.log = [(t, line) for t, line in c.log if t <= at]  # lines dated after death never come
        c.wake_at = c.kill_at = None
        process, c.process = c.process, None
        if process is not None and not c.stepping:
            process.close()
        for port in c.ports:  # the server goes with its process: refused from now on
            c.sandbox.listeners.pop(port, None)
            c.sandbox.ports[port].stop()
        c.ports.clear()
        self._emit("died", c, at)

    # --- helpers -------------------------------------------------------------------

    def _emit(self, kind: str, c: Container, at: float) -> None:
        self._seq += 1
        self._events.append((at, self._seq, RuntimeEvent(kind, c.id, c.sandbox.id, at)))

    def _new_id(self) -> str:
        return f"{self._rng.getrandbits(256):064x}"

    def _get(self, container_id: str) -> Container:
        c = self._containers.get(container_id)
        if c is None:
            gone = "it was removed" if container_id in self._removed else "never created"
            raise NoSuchContainer(f"no such container: {container_id} ({gone})")
        return c

    def _volume(self, volume_id: str) -> Volume:
        if volume_id not in self._volumes:
            raise KeyError(f"no such volume: {volume_id}")
        return self._volumes[volume_id]

    def _port(self, sb: PodSandbox, port: int) -> LoopbackPort:
        if port not in sb.ports:
            sb.ports[port] = LoopbackPort(f"{sb.hostname}:{port}")
        return sb.ports[port]

    def _listen(self, c: Container, port: int, app: WebApp) -> bool:
        sb = c.sandbox
        if port in sb.listeners:  # the pod's containers share one port space
            return False
        sb.listeners[port] = c
        c.ports.append(port)

        def respond(method: str, target: str) -> tuple[int, bytes] | None:
            with self._lock:  # a server thread: state is read under the one lock
                self._advance()
                if c.status != "running":
                    return None
                now = self._clock.now()
                status, body, line = app.respond(method, target, now)
                if line:
                    c.write_log(line, now)
                return status, body.encode()

        self._port(sb, port).serve(respond)
        return True

    def _dial(self, c: Container, host: str, port: int,
              use: Callable[[tuple[str, int]], object]) -> object:
        """Resolve host:port the way the pod's network would, then connect (unlocked)."""
        sb = c.sandbox

        def work() -> object:
            if host in ("localhost", "127.0.0.1", sb.ip, sb.hostname):
                with self._lock:
                    if sb.id not in self._sandboxes:
                        raise NetError("refused", "Connection refused")
                    address: tuple[str, int] | None = ("127.0.0.1", self._port(sb, port).port)
            else:
                address = self._resolver(host, port, sb.namespace) if self._resolver else None
            if address is None:
                raise NetError("bad address")
            return use(address)

        return self._outside_lock(work)

    def _outside_lock(self, work: Callable[[], object]) -> object:
        """Run work in a helper thread while this thread fully releases the RLock
        (Condition.wait does, however deep it is held): the server threads, the
        resolver and a Service proxy calling address() all need the lock meanwhile."""
        box: dict[str, object] = {}

        def run() -> None:
            try:
                box["result"] = work()
            except BaseException as exc:  # noqa: BLE001 - re-raised in the waiting thread
                box["error"] = exc
            with self._io_done:
                box["done"] = True
                self._io_done.notify_all()

        with self._io_done:
            threading.Thread(target=run, daemon=True, name="kubequest-sim-io").start()
            self._io_done.wait_for(lambda: "done" in box)
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        return box.get("result")
