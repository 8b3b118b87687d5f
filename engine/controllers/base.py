"""What every control loop shares: a de-duplicating work queue, timers, and
the Controller shape of kube-controller-manager.

Watch handlers only enqueue keys; `sync(key)` reads the desired and current
state from the store and acts on the difference (level-triggered). A key that
is queued twice before it is synced is synced once. Controllers never call each
other: what one writes, another sees through the store.
"""

from __future__ import annotations

import heapq
import logging
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Hashable, Iterable

from ..api.events import EventRecorder
from ..api.store import Store, WatchEvent
from ..clock import Clock
from ..config import Timing


log = logging.getLogger("engine.controllers")


class WorkQueue:
    """A thread-safe FIFO of keys in which a key waits at most once."""

    def __init__(self, on_add: Callable[[], None] | None = None):
        self._items: deque[Hashable] = deque()
        self._queued: set[Hashable] = set()
        self._lock = threading.Lock()
        self._on_add = on_add

    def add(self, key: Hashable) -> None:
        with self._lock:
            if key in self._queued:
                return
            self._queued.add(key)
            self._items.append(key)
        if self._on_add is not None:
            self._on_add()

    def pop(self) -> Hashable | None:
        with self._lock:
            if not self._items:
                return None
            key = self._items.popleft()
            self._queued.discard(key)
            return key

    def __len__(self) -> int:
        return len(self._items)


class Timers:
    """Callbacks due at a clock time; the cluster loop runs the due ones."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def at(self, when: float, fn: Callable[[], None]) -> None:
        with self._lock:
            heapq.heappush(self._heap, (when, next(self._seq), fn))

    def next_time(self) -> float | None:
        with self._lock:
            return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[Callable[[], None]]:
        due = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                due.append(heapq.heappop(self._heap)[2])
        return due

    def __len__(self) -> int:
        return len(self._heap)


@dataclass
class Context:
    """What the cluster hands each component."""

    store: Store
    clock: Clock
    timers: Timers
    timing: Timing
    wake: Callable[[], None] = lambda: None
    recorders: dict[str, EventRecorder] = field(default_factory=dict)

    def recorder(self, component: str, host: str | None = None) -> EventRecorder:
        key = f"{component}/{host or ''}"
        if key not in self.recorders:
            self.recorders[key] = EventRecorder(self.store, component, host)
        return self.recorders[key]

    def after(self, seconds: float, fn: Callable[[], None]) -> None:
        self.timers.at(self.clock.now() + max(0.0, seconds), fn)


class Controller:
    """Base of every control loop: `handle` turns watch events into keys, `sync` reconciles one key."""

    name = "controller"
    kinds: tuple[str, ...] = ()

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.store = ctx.store
        self.queue = WorkQueue(on_add=ctx.wake)
        self.recorder = ctx.recorder(self.component)
        self._failures: dict[Hashable, int] = {}

    @property
    def component(self) -> str:
        return f"{self.name}-controller"

    def handle(self, ev: WatchEvent) -> None:  # pragma: no cover - overridden
        """Enqueue the keys an event concerns. Runs inside the store's write: be quick."""

    def sync(self, key: Hashable) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def resync_all(self) -> None:
        """Enqueue every object this controller owns (at start, like an informer's initial list)."""

    def enqueue_after(self, key: Hashable, seconds: float) -> None:
        self.ctx.after(seconds, lambda: self.queue.add(key))

    def sync_failed(self, key: Hashable, exc: Exception) -> None:
        """A sync raised: log it and retry later, with a per-key exponential back-off
        (client-go's rate-limited work queue: 5 ms doubling, here capped at 60 s)."""
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        delay = min(0.005 * (2 ** failures), 60.0)
        log.warning("%s: sync of %s failed (%s: %s); retrying in %.3fs",
                    self.component, key, type(exc).__name__, exc, delay, exc_info=failures == 1)
        self.enqueue_after(key, delay)

    def process(self, budget: int = 10_000) -> int:
        """Sync queued keys until the queue is empty or the budget is spent."""
        done = 0
        while done < budget:
            key = self.queue.pop()
            if key is None:
                break
            try:
                self.sync(key)
                if self._failures:
                    self._failures.pop(key, None)
            except Exception as exc:  # noqa: BLE001 - one bad object must not stop the control plane
                self.sync_failed(key, exc)
            done += 1
        return done


def owner_keys(ev: WatchEvent, kind: str) -> Iterable[tuple[str, str]]:
    """(namespace, name) of the `kind` controllers of the event's object, old and new."""
    seen = set()
    for obj in (ev.object, ev.old):
        if not obj:
            continue
        md = obj.get("metadata") or {}
        for ref in md.get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == kind:
                k = (md.get("namespace", ""), ref.get("name", ""))
                if k not in seen:
                    seen.add(k)
                    yield k
