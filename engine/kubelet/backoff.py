"""Per-key exponential back-off, as client-go's flowcontrol.Backoff does it.

Source: staging/src/k8s.io/client-go/util/flowcontrol/backoff.go. The kubelet
keeps two: one for container restarts (pkg/kubelet/kubelet.go: `backOffPeriod`
10 s, `MaxContainerBackOff` 300 s) and one for image pulls
(pkg/kubelet/images/image_manager.go). Semantics that shape what a learner sees:

- no entry yet: not in back-off, so the *first* restart of a crashed container
  is immediate; `next()` then arms 10 s, and each later `next()` doubles it up
  to the cap: 10 s, 20 s, 40 s … 300 s;
- an entry whose last update is more than `reset_after` (2 × max: 10 minutes)
  before the event is stale: the back-off starts again at 10 s. For restarts the
  event is the container's finish time, so a container that ran for 10 minutes
  before crashing is restarted at once.

Thread-safe: pod workers of different pods share one Backoff (their keys differ).

`go_duration` prints seconds the way Go prints a time.Duration, because the
kubelet's messages embed one: `back-off 5m0s restarting failed container=…`.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass

from ..clock import Clock


@dataclass
class _Entry:
    backoff: float
    last_update: float


class Backoff:
    def __init__(self, clock: Clock, initial: float, max_duration: float,
                 reset_after: float | None = None):
        self.clock = clock
        self.initial = initial
        self.max_duration = max_duration
        # hasExpired: "consider stable if it's ok for twice the maxDuration"
        self.reset_after = 2 * max_duration if reset_after is None else reset_after
        self._entries: dict[Hashable, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> float:
        """The current back-off window (0 when there is none)."""
        with self._lock:
            entry = self._entries.get(key)
            return entry.backoff if entry else 0.0

    def next(self, key: Hashable, event_time: float) -> None:
        """Move to the next window (doubling, capped), stamped now."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry):
                entry = self._entries[key] = _Entry(self.initial, 0.0)
            else:
                entry.backoff = min(entry.backoff * 2, self.max_duration)
            entry.last_update = self.clock.now()

    def is_in_backoff_since(self, key: Hashable, event_time: float) -> bool:
        """True while less than the window has passed since `event_time` (restarts:
        the container's finishedAt)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry):
                return False
            return self.clock.now() - event_time < entry.backoff

    def is_in_backoff_since_update(self, key: Hashable, event_time: float) -> bool:
        """True while less than the window has passed since the last `next()` (pulls)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or self._expired(event_time, entry):
                return False
            return event_time - entry.last_update < entry.backoff

    def expires_at(self, key: Hashable, since: float | None = None) -> float | None:
        """When the window that started at `since` (default: the last update) ends."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            return (entry.last_update if since is None else since) + entry.backoff

    def delete(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def _expired(self, event_time: float, entry: _Entry) -> bool:
        return event_time - entry.last_update > self.reset_after


def go_duration(seconds: float) -> str:
    """time.Duration.String(): 0s, 500ms, 10s, 1m20s, 5m0s, 1h0m0s."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 1:
        ms = round(s * 1000, 6)
        if ms >= 1:
            return f"{sign}{_trim(ms)}ms"
        return f"{sign}{_trim(round(s * 1_000_000, 3))}µs"
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    secs = round(secs, 9)
    out = f"{_trim(secs)}s"
    if hours:
        return f"{sign}{int(hours)}h{int(minutes)}m{out}"
    if minutes:
        return f"{sign}{int(minutes)}m{out}"
    return f"{sign}{out}"


def _trim(x: float) -> str:
    text = f"{x:.9f}".rstrip("0").rstrip(".")
    return text or "0"
