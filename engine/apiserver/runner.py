"""Run a cluster's control loop in a background thread on a wall clock.

kubectl waits in real time (`rollout status`, `wait`, `logs -f`), so a cluster
served to it runs on a WallClock (for the sim runtime: `SimRuntime(WallClock())`).
The game runs its loop itself; `kubequest serve`, the tests and the bench use this.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Self


class LoopThread:
    """cluster.run_until(...) in a daemon thread until stop(). `on_pass` runs after
    every pass of the loop (on the loop's thread), e.g. to evaluate objectives."""

    def __init__(self, cluster: Any, on_pass: Callable[[], None] | None = None):
        if getattr(cluster.clock, "virtual", False):
            raise ValueError("a served cluster needs a wall clock: kubectl waits in real time")
        self.cluster = cluster
        self.on_pass = on_pass
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def _until(self) -> bool:
        if self.on_pass is not None:
            self.on_pass()
        return self._stop.is_set()

    def _run(self) -> None:
        try:
            self.cluster.run_until(self._until, timeout=float("inf"))
        except BaseException as exc:  # noqa: BLE001 - reported by stop()/error
            self.error = exc

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="kubequest-loop", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.cluster.loop.wake()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
