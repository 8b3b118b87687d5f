"""Which container runtime a game, a `run` or a `pack test` uses (`--runtime`).

`auto` asks the Docker daemon once (a ping) and falls back to the simulated
runtime, saying why, so the TUI and the CLI can tell the learner. The Docker
runtime is imported lazily: without the `docker` package, or without a
daemon, Docker is simply "not available".

A runtime belongs to one cluster (the sim runtime runs on the cluster's clock,
the Docker runtime labels everything with the cluster id), so a caller that
builds several clusters decides once with `choose_runtime` and then asks the
returned `RuntimeChoice` for a fresh runtime per cluster.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from engine.api.errors import KubeQuestError
from engine.clock import Clock, VirtualClock
from engine.runtime.base import RuntimeUnavailable

CHOICES = ("auto", "docker", "sim")


class RuntimeNotAvailable(KubeQuestError):
    """The runtime asked for with --runtime cannot be used."""


def new_cluster_id() -> str:
    """A short id for Docker labels and network names (`kq-<id>`)."""
    return secrets.token_hex(4)


def _docker_runtime(cluster_id: str | None) -> Any:
    """A DockerRuntime that answered a ping. Raises RuntimeUnavailable otherwise."""
    try:
        from engine.runtime.docker import DockerRuntime
    except ImportError as exc:  # the SDK is missing, or the module is broken
        raise RuntimeUnavailable(f"the Docker runtime cannot be loaded ({exc})") from None
    runtime = DockerRuntime(cluster_id)
    try:
        runtime.ping()
    except Exception:
        runtime.close()
        raise
    return runtime


def _sim_runtime(clock: Clock | None, seed: int) -> Any:
    from engine.runtime.sim import SimRuntime

    return SimRuntime(clock if clock is not None else VirtualClock(), seed=seed)


@dataclass(frozen=True)
class RuntimeChoice:
    """A decided runtime: its name ("docker" or "sim") and why it was chosen."""

    name: str
    reason: str

    def new(self, clock: Clock | None = None, *, cluster_id: str | None = None, seed: int = 0) -> Any:
        """A fresh runtime for one cluster. `clock` matters to the sim runtime only."""
        if self.name == "docker":
            try:
                return _docker_runtime(cluster_id or new_cluster_id())
            except RuntimeUnavailable as exc:
                raise RuntimeNotAvailable(str(exc)) from None
        return _sim_runtime(clock, seed)


def choose_runtime(choice: str = "auto") -> RuntimeChoice:
    """Decide which runtime `choice` means on this machine (pings Docker for auto/docker)."""
    if choice not in CHOICES:
        raise RuntimeNotAvailable(f'unknown runtime "{choice}" (choose one of {", ".join(CHOICES)})')
    if choice == "sim":
        return RuntimeChoice("sim", "the simulated runtime was asked for (--runtime sim)")
    try:
        _docker_runtime(None).close()
    except (RuntimeUnavailable, ImportError) as exc:
        if choice == "docker":
            raise RuntimeNotAvailable(f"--runtime docker: {exc}") from None
        return RuntimeChoice("sim", f"Docker is not available ({exc}); using the simulated runtime")
    why = "asked for with --runtime docker" if choice == "docker" else "a Docker daemon answered"
    return RuntimeChoice("docker", f"Docker: {why}")


def make_runtime(choice: str = "auto", *, clock: Clock | None = None,
                 cluster_id: str | None = None, seed: int = 0) -> tuple[Any, str]:
    """(runtime, reason): a runtime for one cluster, chosen as `--runtime` says.

    `auto` uses Docker when its daemon answers a ping, else the sim runtime,
    and the reason says which and why.
    """
    chosen = choose_runtime(choice)
    return chosen.new(clock, cluster_id=cluster_id, seed=seed), chosen.reason
