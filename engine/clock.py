"""One clock for the whole engine.

Tests and headless runs of the sim runtime use a VirtualClock: the cluster loop
jumps it straight to the next timer whenever nothing else is left to do, so a
five-minute back-off costs no wall time. The game uses the WallClock.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    virtual: bool

    def now(self) -> float:
        """Seconds since the epoch (float)."""
        ...


class WallClock:
    virtual = False

    def now(self) -> float:
        return time.time()


class VirtualClock:
    """A clock that only moves when told to."""

    virtual = True

    def __init__(self, start: float = 1_767_225_600.0):  # 2026-01-01T00:00:00Z
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go backwards")
        with self._lock:
            self._now += seconds

    def advance_to(self, t: float) -> None:
        with self._lock:
            if t > self._now:
                self._now = t


def rfc3339(t: float) -> str:
    """Kubernetes' timestamp format: 2026-01-01T00:00:00Z (second precision)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_rfc3339(s: str) -> float:
    import calendar

    return float(calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")))
