"""The scheduling queue: active pods, pods waiting out a back-off, and
unschedulable pods parked until a cluster event may help them.

After pkg/scheduler/backend/queue/scheduling_queue.go: a failed pod goes to
the unschedulable pods with the plugins that rejected it;
MoveAllToActiveOrBackoffQueue moves those a cluster event may help (to the
back-off queue while their back-off, 1 s doubling to 10 s, still runs); a pod
left unschedulable for long is retried anyway (flushUnschedulablePodsLeftover,
here after timing.unschedulable_retry).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from ..controllers.base import Context, WorkQueue

POD_INITIAL_BACKOFF = 1.0  # podInitialBackoffDuration
POD_MAX_BACKOFF = 10.0  # podMaxBackoffDuration


@dataclass
class _Unschedulable:
    plugins: set[str]
    epoch: int
    backing_off: bool = False  # moved by an event, waiting for its back-off to end


class SchedulingQueue:
    def __init__(self, ctx: Context, active: WorkQueue):
        self.ctx = ctx
        self.active = active
        self.unschedulable: dict[Hashable, _Unschedulable] = {}
        self.attempts: dict[Hashable, int] = {}
        self.backoff_until: dict[Hashable, float] = {}
        # Timers cannot be cancelled: each parked pod carries an epoch and a stale timer is ignored.
        self._epoch = 0

    def add(self, key: Hashable) -> None:
        """A new or updated pending pod: straight to the active queue."""
        self.unschedulable.pop(key, None)
        self.active.add(key)

    def forget(self, key: Hashable) -> None:
        """The pod was bound or is gone."""
        self.unschedulable.pop(key, None)
        self.attempts.pop(key, None)
        self.backoff_until.pop(key, None)

    def add_unschedulable(self, key: Hashable, plugins: set[str]) -> None:
        """Park a pod that failed a cycle (AddUnschedulableIfNotPresent)."""
        n = self.attempts[key] = self.attempts.get(key, 0) + 1
        now = self.ctx.clock.now()
        self.backoff_until[key] = now + min(POD_INITIAL_BACKOFF * 2 ** (n - 1), POD_MAX_BACKOFF)
        self._epoch += 1
        epoch = self._epoch
        self.unschedulable[key] = _Unschedulable(set(plugins), epoch)
        self.ctx.after(self.ctx.timing.unschedulable_retry, self._flush(key, epoch))

    def _flush(self, key: Hashable, epoch: int) -> Callable[[], None]:
        def run() -> None:
            entry = self.unschedulable.get(key)
            if entry is not None and entry.epoch == epoch:
                self._activate(key)
        return run

    def move_all(self, plugins: set[str] | None) -> int:
        """MoveAllToActiveOrBackoffQueue for a cluster event that may help `plugins` (None: any)."""
        moved = 0
        for key, entry in list(self.unschedulable.items()):
            if entry.backing_off:
                continue
            if plugins is None or not entry.plugins or entry.plugins & plugins:
                self._activate(key)
                moved += 1
        return moved

    def _activate(self, key: Hashable) -> None:
        entry = self.unschedulable.pop(key, None)
        if entry is None:
            return
        wait = self.backoff_until.get(key, 0.0) - self.ctx.clock.now()
        if wait <= 0:
            self.active.add(key)
            return
        # Still backing off: it becomes active when the back-off ends (the backoffQ).
        self._epoch += 1
        epoch = self._epoch
        self.unschedulable[key] = _Unschedulable(set(), epoch, backing_off=True)

        def done() -> None:
            current = self.unschedulable.get(key)
            if current is not None and current.epoch == epoch:
                del self.unschedulable[key]
                self.active.add(key)
        self.ctx.after(wait, done)
