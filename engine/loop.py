"""The control loop that drives every component on one clock.

Components (controllers, the scheduler, kubelets, the proxy) each own a work
queue. One pass runs the due timers, hands runtime events to their kubelet
(PLEG), then lets every component drain its queue. On a VirtualClock, when no
work is left the loop jumps the clock straight to the next timer or runtime
event — a five-minute back-off costs no wall time.

A component may also work in threads of its own (the kubelet's pod workers,
on a wall clock only). It then has `busy()`, and wakes the loop when a piece of
that work ends: the loop is not idle while any component is busy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from .api.store import Store, WatchEvent
from .clock import Clock
from .config import DEFAULT_TIMING, Timing
from .controllers.base import Context, Timers

log = logging.getLogger("engine.loop")


class Component(Protocol):
    def handle(self, ev: WatchEvent) -> None: ...
    def process(self, budget: int = ...) -> int: ...
    def resync_all(self) -> None: ...


class ControlLoop:
    def __init__(self, store: Store, clock: Clock, timing: Timing = DEFAULT_TIMING, runtime=None):
        self.store = store
        self.clock = clock
        self.runtime = runtime
        self._wake = threading.Event()
        self.ctx = Context(store=store, clock=clock, timers=Timers(), timing=timing, wake=self._wake.set)
        self.components: list[Component] = []
        # Runtime events are routed by sandbox id to whoever registered it (a kubelet).
        self.sandbox_owners: dict[str, Callable[[object], None]] = {}
        store.subscribe(self._dispatch)
        self.passes = 0
        # A runtime that can say when an event arrives (Docker) wakes the loop at
        # once; otherwise its events are picked up on the next pass.
        if runtime is not None and hasattr(runtime, "set_event_callback"):
            runtime.set_event_callback(self.wake)

    def add(self, component: Component) -> Component:
        self.components.append(component)
        component.resync_all()
        return component

    def remove(self, component: Component) -> None:
        if component in self.components:
            self.components.remove(component)

    def _dispatch(self, ev: WatchEvent) -> None:
        for c in self.components:
            c.handle(ev)

    def wake(self) -> None:
        self._wake.set()

    # ---- one pass --------------------------------------------------------

    def step(self) -> int:
        """Run due timers, runtime events and every queue once. Returns work done."""
        work = 0
        if self.runtime is not None:
            for rev in self._guard("runtime events", self.runtime.drain_events) or []:
                owner = self.sandbox_owners.get(rev.sandbox_id)
                if owner is not None:
                    self._guard("runtime event", owner, rev)
                    work += 1
        for fn in self.ctx.timers.pop_due(self.clock.now()):
            self._guard("timer", fn)
            work += 1
        for c in list(self.components):
            work += self._guard(type(c).__name__, c.process) or 0
        self.passes += 1
        return work

    def _guard(self, what: str, fn: Callable, *args):
        """Run one piece of the loop; a failure is logged, never the end of the
        control plane (a dead Docker daemon must not crash the game)."""
        try:
            return fn(*args)
        except Exception:
            log.exception("control loop: %s failed", what)
            return None

    def settle(self, max_passes: int = 100_000) -> int:
        """Step until nothing is left to do now, and no component is busy in its threads."""
        total = 0
        for _ in range(max_passes):
            # Asked before the pass: a worker that ends during it may have queued
            # work (its status write) that only the next pass sees.
            busy = self.busy()
            n = self.step()
            total += n
            if n == 0:
                if not busy:
                    break
                if self.busy():
                    self._wait_for_components()
        return total

    def busy(self) -> bool:
        """True while a component has work under way in its own threads."""
        for c in self.components:
            busy = getattr(c, "busy", None)
            if busy is not None and busy():
                return True
        return False

    def _wait_for_components(self) -> None:
        """Sleep until a busy component wakes the loop (a worker finished), at most 50 ms.

        The wake-up is cleared only after a component reported busy; a pass
        always follows, so nothing woken for is missed.
        """
        self._wake.wait(0.05)
        self._wake.clear()

    def next_wakeup(self) -> float | None:
        times = [t for t in (self.ctx.timers.next_time(),
                             self.runtime.next_event_time() if self.runtime is not None else None)
                 if t is not None]
        return min(times) if times else None

    # ---- running ---------------------------------------------------------

    def run_until(
        self,
        predicate: Callable[[], bool] | None = None,
        timeout: float = 60.0,
        *,
        max_wall: float | None = None,
    ) -> bool:
        """Run until `predicate()` holds (True) or `timeout` clock seconds pass (False).

        With predicate None, runs exactly `timeout` clock seconds. On a wall
        clock, waits for timers and wake-ups in between passes.
        """
        deadline = self.clock.now() + timeout
        wall_deadline = time.monotonic() + max_wall if max_wall else None
        while True:
            # Cleared before the pass, not after: a wake-up that comes during it
            # (a runtime event, a probe result) is not lost until the next poll.
            self._wake.clear()
            self.settle()
            if predicate is not None and predicate():
                return True
            now = self.clock.now()
            if now >= deadline:
                return False
            if wall_deadline is not None and time.monotonic() > wall_deadline:
                return False
            nxt = self.next_wakeup()
            target = deadline if nxt is None else min(max(nxt, now), deadline)
            if self.clock.virtual:
                self.clock.advance_to(target)  # type: ignore[attr-defined]
            else:
                self._wake.wait(max(0.0, min(target - now, 0.05)))

    def advance(self, seconds: float) -> None:
        """Let `seconds` of clock time pass with the cluster running."""
        self.run_until(None, seconds)


def run_components(loop: ControlLoop, components: Iterable[Component]) -> None:
    for c in components:
        loop.add(c)
