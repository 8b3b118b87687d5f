"""The level driver: one LevelSession, run on a thread of its own.

The cluster (store, controllers, kubelets, runtime calls) belongs to the
driver's thread: every change the UI asks for — apply the workspace, a hint, a
chaos action, advancing a virtual clock — is queued as a command and runs
there, between passes of the control loop. What the UI sees comes back as
typed updates (`Started`, `ClusterSnapshot`, `Applied`, `Won`…) handed to the
`emit` callback, which the TUI turns into Textual messages. Nothing here
imports Textual: the driver is driven the same way by a test without an app.

Two ways of running:

- on the wall clock (the game): the thread runs the control loop and
  publishes a snapshot at most ten times a second (and at least once a second,
  so ages move);
- `manual=True` on a VirtualClock (tests, snapshots): the cluster only moves
  when told, with `advance(seconds)`, so every frame is reproducible.

Stored objects are never mutated in place (engine.api.store), so a snapshot
can hand the UI the stored dicts themselves, without copies.

With `DriverConfig.kubeconfig` set (the game sets it), the level's cluster is
also served to the real kubectl: once the level runs, an engine.apiserver
APIServer on 127.0.0.1 (a free port) answers for the same store, a kubeconfig
for it is written to that path (mode 0600) and a `Serving` update says where.
The server's handler threads write the store directly (it is thread-safe and
wakes the loop), so what kubectl does shows in the next snapshot and the
objectives see it; `external_change()` publishes at once (a manual clock
otherwise only moves with `advance`). Leaving the level stops the server and
removes the kubeconfig; so does the interpreter exiting with a level still up.
"""

from __future__ import annotations

import atexit
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.api.errors import KubeQuestError
from engine.clock import Clock, VirtualClock, WallClock
from engine.config import DEFAULT_TIMING, Timing
from engine.runtime.base import RuntimeUnavailable

from ..levels.loader import Level
from ..levels.session import LevelSession, SessionState
from ..runtime_select import RuntimeChoice

# The kinds the UI shows, all namespaces.
KINDS = ("Node", "Pod", "Deployment", "ReplicaSet", "Service", "Endpoints", "Event",
         "Job", "DaemonSet", "StatefulSet", "ConfigMap", "Secret")
MIN_PUBLISH_INTERVAL = 0.2  # seconds of wall time between two snapshots
MAX_PUBLISH_INTERVAL = 1.0  # publish at least this often (ages and the timer move)
EXPLAIN_INTERVAL = 1.0
RETRY_SECONDS = 3.0  # after the runtime stopped answering


# ---- updates: what the driver tells the UI ---------------------------------------------


@dataclass(frozen=True)
class Started:
    workdir: Path
    runtime: str
    reason: str


@dataclass(frozen=True)
class ClusterSnapshot:
    serial: int
    now: float
    elapsed: float
    state: SessionState
    objects: dict[str, list[dict]]
    log: tuple[str, ...]
    hints_used: int
    won: bool

    def of(self, kind: str) -> list[dict]:
        return self.objects.get(kind, [])

    def find(self, kind: str, name: str, namespace: str | None = "default") -> dict | None:
        for obj in self.of(kind):
            md = obj.get("metadata") or {}
            if md.get("name") == name and (namespace is None or md.get("namespace", "") in
                                           (namespace, "")):
                return obj
        return None


@dataclass(frozen=True)
class Serving:
    """The level's API server for the real kubectl (or why there is none)."""
    kubeconfig: Path | None
    export_line: str = ""
    url: str = ""
    env: dict[str, str] = field(default_factory=dict)  # what kubectl runs with
    error: str | None = None


@dataclass(frozen=True)
class Applied:
    lines: tuple[str, ...]
    error: str | None = None


@dataclass(frozen=True)
class Won:
    elapsed: float
    hints_used: int


@dataclass(frozen=True)
class ActionDone:
    what: str
    ok: bool


@dataclass(frozen=True)
class Failed:
    message: str
    fatal: bool  # the level cannot go on (it did not start)


@dataclass(frozen=True)
class RuntimeLost:
    message: str


@dataclass(frozen=True)
class RuntimeBack:
    pass


@dataclass(frozen=True)
class Stopped:
    pass


Update = Any  # one of the dataclasses above
Emit = Callable[[Update], None]


@dataclass
class DriverConfig:
    choice: RuntimeChoice
    clock_factory: Callable[[], Clock] | None = None
    timing: Timing = DEFAULT_TIMING
    seed: int = 0
    manual: bool = False  # True: a VirtualClock moved only by advance()
    runtime_factory: Callable[[Clock], Any] | None = None
    kubeconfig: Path | None = None  # serve the level to kubectl, with a kubeconfig here
    extra: dict[str, Any] = field(default_factory=dict)


# Kubeconfigs written by running levels, removed at exit if a level was not closed
# (the app crashed past its own clean-up). One lock: a restarted level writes the same
# path while the old one removes it, and only the owner of the token may remove it.
_KUBECONFIG_LOCK = threading.Lock()
_LIVE_KUBECONFIGS: dict[Path, str] = {}


def _remove_kubeconfig(path: Path, token: str) -> None:
    from engine.apiserver.kubeconfig import is_ours

    with _KUBECONFIG_LOCK:
        if _LIVE_KUBECONFIGS.get(path) == token:
            del _LIVE_KUBECONFIGS[path]
        if is_ours(path, token):
            try:
                path.unlink()
            except OSError:
                pass


@atexit.register
def remove_live_kubeconfigs() -> None:
    """Remove every kubeconfig a running level wrote (at exit, or on a signal)."""
    for path, token in list(_LIVE_KUBECONFIGS.items()):
        _remove_kubeconfig(path, token)


class LevelDriver:
    """Runs one LevelSession on its own thread; `emit` receives the updates (from that thread)."""

    def __init__(self, level: Level, config: DriverConfig, emit: Emit, *, hints_used: int = 0):
        self.level = level
        self.config = config
        self._emit = emit
        if config.clock_factory is not None:
            clock = config.clock_factory()
        else:
            clock = VirtualClock() if config.manual else WallClock()
        self.clock = clock
        self.manual = config.manual
        self.workdir = Path(tempfile.mkdtemp(prefix=f"kubequest-{level.name}-"))
        self.session = LevelSession(level, runtime=config.choice, clock=clock, timing=config.timing,
                                    workdir=self.workdir, seed=config.seed,
                                    runtime_factory=config.runtime_factory)
        self.session.hints_used = hints_used
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        self._started = False
        self._serial = 0
        self._last_publish = 0.0
        self._last_rv = -1
        self._last_key: tuple = ()
        self._state: SessionState | None = None
        self._won_reported = False
        self.explaining = False
        self._last_explain = 0.0
        self._explained: SessionState | None = None
        self._lost = False
        self.server: Any = None  # engine.apiserver.APIServer while the level is served
        self.kubeconfig: Path | None = None
        self._kubectl_cache: Path | None = None

    # ---- life cycle (any thread) ----------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name=f"kubequest-level-{self.level.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the loop and close the session (its containers are removed). Blocks until done."""
        self._stopping.set()
        self._commands.put(lambda: None)
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        elif self._thread is None:
            self._close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- commands (any thread) -------------------------------------------------------

    def _submit(self, fn: Callable[[], Any]) -> Future:
        fut: Future = Future()

        def run() -> None:
            if fut.set_running_or_notify_cancel():
                try:
                    fut.set_result(fn())
                except RuntimeUnavailable as exc:
                    self._runtime_lost(str(exc))
                    fut.set_exception(exc)
                except BaseException as exc:  # noqa: BLE001 - handed to the waiter
                    fut.set_exception(exc)

        if self._stopped.is_set():
            fut.set_exception(KubeQuestError("the level has stopped"))
            return fut
        self._commands.put(run)
        self._wake()
        return fut

    def _wake(self) -> None:
        cluster = self.session.cluster
        if cluster is not None:
            cluster.loop.wake()

    def apply(self, files: list[Path]) -> Future:
        """Apply every file, like `kubectl apply -f .`; emits Applied."""
        return self._submit(lambda: self._apply(files))

    def next_hint(self) -> Future:
        """The next hint (a str, or None when none is left)."""
        return self._submit(self._hint)

    def perform(self, action: dict) -> Future:
        """A chaos action (PRODUCT.md §2 action types); emits ActionDone."""
        return self._submit(lambda: self._perform(action))

    def set_explaining(self, on: bool) -> Future:
        """Include "why not yet?" explanations in the snapshots."""
        def run() -> None:
            self.explaining = on
            self._last_explain = 0.0
            self._publish(force=True)
        return self._submit(run)

    def advance(self, seconds: float) -> Future:
        """Manual mode: let `seconds` of cluster time pass; publishes a snapshot after."""
        return self._submit(lambda: self._advance(seconds))

    def refresh(self) -> Future:
        return self._submit(lambda: self._publish(force=True))

    def external_change(self) -> Future:
        """Something outside the driver (kubectl, through the API server) wrote the store:
        evaluate the objectives and publish now. On the wall clock the loop notices by
        itself; on a manual clock the cluster still only moves with advance()."""
        def run() -> None:
            self._evaluate()
            self._publish(force=True)
        return self._submit(run)

    def logs(self, namespace: str, pod: str, container: str | None = None, *,
             previous: bool = False, tail: int | None = 500) -> str:
        """A container's logs. Read-only, so it runs on the caller's (worker) thread."""
        cluster = self.session.cluster
        if cluster is None:
            raise KubeQuestError("the cluster is not running")
        return cluster.logs(namespace, pod, container, previous=previous, tail=tail)

    # ---- the driver's thread ---------------------------------------------------------

    def _main(self) -> None:
        try:
            try:
                self.session.start()
            except (KubeQuestError, RuntimeUnavailable, OSError) as exc:
                self._emit(Failed(f"the level could not start: {exc}", fatal=True))
                return
            except Exception as exc:  # noqa: BLE001 - a bug must not take the UI down
                self._emit(Failed(f"the level could not start: {type(exc).__name__}: {exc}",
                                  fatal=True))
                return
            self._started = True
            self._emit(Started(self.workdir, self.session.choice.name, self.session.choice.reason))
            self._evaluate()
            self._publish(force=True)
            if self.config.kubeconfig is not None:
                self._serve(self.config.kubeconfig)
            while not self._stopping.is_set():
                try:
                    if self.manual:
                        self._commands.get()()
                    else:
                        self._run_commands()
                        assert self.session.cluster is not None
                        self.session.cluster.run_until(self._tick, timeout=0.5)
                        self._publish()
                except RuntimeUnavailable as exc:  # the kubelets wait it out; say so meanwhile
                    self._runtime_lost(str(exc))
                    self._stopping.wait(RETRY_SECONDS)
                except Exception as exc:  # noqa: BLE001 - keep the level alive, say what broke
                    self._emit(Failed(f"{type(exc).__name__}: {exc}", fatal=False))
                    time.sleep(0.5)
        finally:
            self._close()

    def _close(self) -> None:
        if self._stopped.is_set():
            return
        self._stop_serving()  # first: kubectl never talks to a cluster being taken down
        self._stopped.set()
        try:
            self.session.close()
        except Exception as exc:  # noqa: BLE001 - cleanup reports, never raises into the UI
            self._emit(Failed(f"cleaning up the level: {exc}", fatal=False))
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            # Commands still queued will never run: fail their futures.
            while True:
                try:
                    self._commands.get_nowait()
                except queue.Empty:
                    break
            self._emit(Stopped())

    def _serve(self, path: Path) -> None:
        """Start the level's API server and write its kubeconfig; a failure leaves the level
        playable without kubectl, and says why."""
        from engine.apiserver import APIServer
        from engine.apiserver.kubeconfig import write_kubeconfig

        assert self.session.cluster is not None
        try:
            server = APIServer(self.session.cluster).start()
            self.server = server
            path = Path(path).expanduser().resolve()
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with _KUBECONFIG_LOCK:
                written = write_kubeconfig(path, server.url, server.token,
                                           ca_data=server.certificate.ca_data)
                _LIVE_KUBECONFIGS[written] = server.token
            self.kubeconfig = written
            # kubectl's discovery cache, per level: ~/.kube/cache would collect one folder
            # per port the game ever used.
            self._kubectl_cache = Path(tempfile.mkdtemp(prefix="kubequest-kubectl-cache-"))
        except Exception as exc:  # noqa: BLE001 - the level goes on without kubectl
            self._stop_serving()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self._emit(Serving(None, error=f"kubectl cannot reach this level: {reason}"))
            return
        self._emit(Serving(written, export_line=server.export_line(written), url=server.url,
                           env={"KUBECONFIG": str(written),
                                "KUBECACHEDIR": str(self._kubectl_cache)}))

    def _stop_serving(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            try:
                server.stop()
            except Exception as exc:  # noqa: BLE001 - cleanup goes on
                self._emit(Failed(f"stopping the level's API server: {exc}", fatal=False))
            if self.kubeconfig is not None:
                _remove_kubeconfig(self.kubeconfig, server.token)
        self.kubeconfig = None
        if self._kubectl_cache is not None:
            shutil.rmtree(self._kubectl_cache, ignore_errors=True)
            self._kubectl_cache = None

    def _run_commands(self) -> None:
        while not self._stopping.is_set():
            try:
                cmd = self._commands.get_nowait()
            except queue.Empty:
                return
            cmd()

    def _tick(self) -> bool:
        """Called after each pass of the control loop (wall clock)."""
        self._evaluate()
        self._publish()
        return self._stopping.is_set() or not self._commands.empty()

    def _runtime_lost(self, message: str) -> None:
        if not self._lost:
            self._lost = True
            self._emit(RuntimeLost(message))

    def _check_runtime(self) -> None:
        """The kubelets notice a runtime that stops answering (and its return); tell the UI."""
        cluster = self.session.cluster
        if cluster is None:
            return
        errors = [k.runtime_error for k in cluster.kubelets.values()
                  if getattr(k, "runtime_error", None)]
        if errors:
            self._runtime_lost(str(errors[0]))
        elif self._lost:
            self._lost = False
            self._emit(RuntimeBack())

    # ---- commands, on the driver's thread ---------------------------------------------

    def _apply(self, files: list[Path]) -> Applied:
        try:
            lines = self.session.apply_files(files)
            result = Applied(tuple(lines))
        except KubeQuestError as exc:
            result = Applied((), str(exc))
        self._emit(result)
        if self.session.cluster is not None:
            self.session.cluster.settle()
        self._evaluate()
        self._publish(force=True)
        return result

    def _hint(self) -> str | None:
        hint = self.session.next_hint()
        self._publish(force=True)
        return hint

    def node_failed(self, name: str) -> bool:
        """True while a node is down (failed by chaos or by the level). Read-only, any thread."""
        cluster = self.session.cluster
        kubelet = cluster.kubelets.get(name) if cluster is not None else None
        return kubelet is not None and not getattr(kubelet, "running", True)

    def _perform(self, action: dict) -> ActionDone:
        from ..levels import actions

        cluster = self.session.cluster
        assert cluster is not None
        try:
            if action.get("type") == "killPod":
                what = self._kill_pod(action["namespace"], action["pod"])
            elif action.get("type") == "deletePodNamed":
                cluster.store.delete("Pod", action["pod"], action["namespace"])
                what = f"deleted pod {action['pod']}"
            else:
                what = actions.perform(cluster, action)
            done = ActionDone(f"you {what}", True)
        except KubeQuestError as exc:
            done = ActionDone(str(exc), False)
        self.session.log.append(done.what if done.ok else f"chaos failed: {done.what}")
        self._emit(done)
        self.session.cluster.settle()
        self._evaluate()
        self._publish(force=True)
        return done

    def _kill_pod(self, namespace: str, pod: str) -> str:
        """SIGKILL the first running container of one pod, as a crash would."""
        cluster = self.session.cluster
        assert cluster is not None
        obj = cluster.store.try_get("Pod", pod, namespace, copy=False)
        if obj is None:
            raise KubeQuestError(f'pods "{pod}" not found')
        for cs in (obj.get("status") or {}).get("containerStatuses") or []:
            cid = str(cs.get("containerID") or "").split("://", 1)[-1]
            if "running" in (cs.get("state") or {}) and cid:
                cluster.runtime.kill_container(cid)
                return f"killed container {cs.get('name')} in pod {pod}"
        raise KubeQuestError(f"pod {pod} has no running container to kill")

    def _advance(self, seconds: float) -> None:
        assert self.session.cluster is not None
        self.session.cluster.run_until(lambda: self._evaluate() and False, seconds)
        self._evaluate()
        self._publish(force=True)

    def _evaluate(self) -> SessionState:
        self._check_runtime()
        state = self.session.evaluate()
        self._state = state
        if state.won and not self._won_reported:
            self._won_reported = True
            won_at = self.session.won_at if self.session.won_at is not None else self.clock.now()
            self._publish(force=True)
            self._emit(Won(won_at - self.session.started_at, self.session.hints_used))
        return state

    def _publish(self, force: bool = False) -> None:
        cluster = self.session.cluster
        if cluster is None or self._state is None:
            return
        wall = time.monotonic()
        since = wall - self._last_publish
        state = self._state
        if self.explaining and (force or wall - self._last_explain >= EXPLAIN_INTERVAL):
            self._last_explain = wall
            try:
                self._explained = self.session.explain(state)
            except Exception:  # noqa: BLE001 - an explanation is a bonus
                self._explained = None
        if self.explaining and self._explained is not None:
            why = {o.id: o.explanation for o in self._explained.objectives}
            for o in state.objectives:
                if not o.ok:
                    o.explanation = list(why.get(o.id, []))
        rv = cluster.store.resource_version
        key = (state.step, tuple((o.ok, o.detail) for o in state.objectives), state.won,
               self.session.hints_used, len(self.session.log))
        if not force:
            if since < MIN_PUBLISH_INTERVAL:
                return
            if rv == self._last_rv and key == self._last_key and since < MAX_PUBLISH_INTERVAL:
                return
        self._last_publish, self._last_rv, self._last_key = wall, rv, key
        self._serial += 1
        objects = {kind: cluster.store.list(kind, copy=False) for kind in KINDS}
        self._emit(ClusterSnapshot(
            serial=self._serial, now=self.clock.now(), elapsed=self.session.elapsed, state=state,
            objects=objects, log=tuple(self.session.log), hints_used=self.session.hints_used,
            won=state.won,
        ))

    # ---- for tests ---------------------------------------------------------------------

    @property
    def serial(self) -> int:
        return self._serial

    @property
    def started(self) -> bool:
        return self._started

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def idle(self) -> bool:
        """No command waiting (manual mode: the cluster does not move on its own)."""
        return self._commands.empty()
