"""Pod workers: different pods sync at the same time, one pod's syncs never do.

Source: pkg/kubelet/pod_workers.go. The kubelet runs one goroutine per pod, so
a node starting thirty pods starts them side by side, while each pod's
updates are handled strictly one after the other. Here a small pool of threads
plays the goroutines (a Docker call blocks a thread, so the pool bounds how
many the daemon sees at once):

- `dispatch(key)` (the control loop's thread) hands a pod to a free worker;
  a pod whose sync is running is only marked to sync again when it ends —
  never two syncs of one pod at once, and no update lost (pod_workers.go's
  `pendingUpdate`);
- when a sync ends the loop is woken (`wake`), and `busy()` tells it work is
  still under way, so `settle` does not call the cluster idle too early;
- `wait_idle()` lets the kubelet stop (node failure, shutdown) only once no
  sync is half done.

Only on a wall clock: on a VirtualClock the kubelet syncs inline, one pod after
the other, so that simulated runs stay deterministic.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("engine.kubelet")

DEFAULT_POD_WORKERS = 4


class PodWorkers:
    def __init__(self, sync: Callable[[Hashable], None], size: int = DEFAULT_POD_WORKERS, *,
                 wake: Callable[[], None] = lambda: None, name: str = "kq-pod-worker"):
        if size < 1:
            raise ValueError("a pod worker pool needs at least one thread")
        self._sync = sync
        self.size = size
        self._wake = wake
        self._name = name
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._active: set[Hashable] = set()  # pods whose sync is queued or running
        self._pending: set[Hashable] = set()  # of those, the ones to sync once more
        self._executor: ThreadPoolExecutor | None = None

    def dispatch(self, key: Hashable) -> None:
        """Sync `key` on a worker: now if its pod is free, else right after its current sync."""
        with self._lock:
            if key in self._active:
                self._pending.add(key)
                return
            self._active.add(key)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.size, thread_name_prefix=self._name)
            self._executor.submit(self._run, key)

    def busy(self) -> bool:
        """True while a sync is queued or running."""
        with self._lock:
            return bool(self._active)

    def active(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._active

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no sync is queued or running (True), or `timeout` passed (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._active, timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Let the syncs under way finish, then stop the threads (a later dispatch starts new ones).

        Syncs marked to run again are dropped: whoever shuts the pool down has
        stopped the kubelet, whose syncs would do nothing.
        """
        with self._lock:
            self._pending.clear()
        idle = self.wait_idle(timeout)
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=idle)
        return idle

    def _run(self, key: Hashable) -> None:
        try:
            self._sync(key)
        except BaseException:  # the sync logs its own errors; a worker never dies
            log.exception("pod worker: sync of %s failed", key)
        finally:
            self._done(key)

    def _done(self, key: Hashable) -> None:
        with self._lock:
            if key in self._pending and self._executor is not None:
                # Updated while it synced: sync it again, behind the other pods waiting.
                self._pending.discard(key)
                self._executor.submit(self._run, key)
            else:
                self._pending.discard(key)
                self._active.discard(key)
                if not self._active:
                    self._idle.notify_all()
        self._wake()
