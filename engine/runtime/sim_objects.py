"""The sim runtime's objects: pod sandboxes, volumes, containers, and the
container as its main process and shell see it (ContainerHost).

Plain state, guarded by SimRuntime's lock; SimRuntime (sim.py) drives them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.runtime.base import ContainerSpec, ContainerState
from engine.runtime.sim_fs import ContainerFs, FileTree
from engine.runtime.sim_net import HttpAnswer, LoopbackPort, http_get, tcp_connect
from engine.runtime.sim_shell import Run
from engine.runtime.sim_workloads import SimImage

# dial(container, host, port, use): resolve host:port as the pod's network would,
# then call use(address) with the runtime lock released. Raises NetError.
Dial = Callable[["Container", str, int, Callable[[tuple[str, int]], object]], object]


class NoSuchContainer(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


class NoSuchSandbox(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(eq=False)
class PodSandbox:
    id: str
    ip: str
    hostname: str
    labels: dict[str, str]
    namespace: str = "default"
    containers: list[Container] = field(default_factory=list)
    ports: dict[int, LoopbackPort] = field(default_factory=dict)  # reserved pod ports
    listeners: dict[int, Container] = field(default_factory=dict)  # who listens where


@dataclass(eq=False)
class Volume:
    id: str
    name: str
    tree: FileTree


@dataclass(eq=False)
class Container:
    id: str
    sandbox: PodSandbox
    spec: ContainerSpec
    image: SimImage
    fs: ContainerFs
    env: dict[str, str]
    status: str = "created"
    exit_code: int | None = None
    oom_killed: bool = False
    started_at: float | None = None
    finished_at: float | None = None
    log: list[tuple[float, str]] = field(default_factory=list)  # (time, line)
    partial: str = ""  # stdout after the last newline
    process: Run | None = None
    sigterm: tuple[int, str | None] | None = None  # trapped: (exit code, log line)
    time: float = 0.0  # the process's own time: when its current step happens
    wake_at: float | None = None  # next step (None: waiting for ever, or not running)
    kill_at: float | None = None  # SIGKILL at the end of a grace period
    stepping: bool = False  # a thread is inside the generator right now
    ports: list[int] = field(default_factory=list)

    def write_log(self, line: str, at: float) -> None:
        if self.status == "exited" and self.finished_at is not None and at > self.finished_at:
            return  # a line dated after the process died was never written
        self.log.append((at, line))

    def state(self) -> ContainerState:
        return ContainerState(
            id=self.id, name=self.spec.name, sandbox_id=self.sandbox.id, image=self.spec.image,
            status=self.status, exit_code=self.exit_code, oom_killed=self.oom_killed,
            started_at=self.started_at, finished_at=self.finished_at,
            labels=dict(self.spec.labels),
        )


class ContainerHost:
    """A container as its shell and program see it (sim_workloads.ProcessHost)."""

    def __init__(self, c: Container, out: Callable[[str], None] | None, net_timeout: float,
                 dial: Dial):
        self._c, self._out, self._dial = c, out, dial
        self.hostname = c.sandbox.hostname
        self.env = c.env
        self.fs = ContainerFs(c.fs.layer, c.fs.mounts, c.fs.cwd)  # its own cwd
        self.net_timeout = net_timeout

    @property
    def time(self) -> float:
        return self._c.time

    def log(self, line: str, at: float | None = None) -> None:
        self._c.write_log(line, self._c.time if at is None else at)

    def trap_sigterm(self, exit_code: int, line: str | None = None) -> None:
        self._c.sigterm = (exit_code, line)

    def stdout(self, text: str) -> None:
        if self._out is not None:  # exec: collected for the ExecResult
            self._out(text)
            return
        c = self._c  # the main process: complete lines go to the container log
        c.partial += text
        *lines, c.partial = c.partial.split("\n")
        for line in lines:
            c.write_log(line, c.time)

    stderr = stdout  # one stream, as `kubectl logs` and exec output show it

    def http_get(self, host: str, port: int, path: str, timeout: float) -> HttpAnswer:
        return self._dial(  # type: ignore[return-value]
            self._c, host, port, lambda addr: http_get(addr, f"{host}:{port}", path, timeout))

    def tcp_connect(self, host: str, port: int, timeout: float) -> None:
        self._dial(self._c, host, port, lambda addr: tcp_connect(addr, timeout))
