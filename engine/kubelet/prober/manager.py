"""The probe manager: one worker per container and probe, each on its own timer.

Sources: pkg/kubelet/prober/prober_manager.go (AddPod, RemovePod,
UpdatePodStatus: `started` and `ready`), pkg/kubelet/prober/worker.go
(`doProbe`), pkg/kubelet/prober/results/results_manager.go. The rules:

- a worker probes every `periodSeconds`, once the container has run for
  `initialDelaySeconds`; liveness and readiness wait until the startup probe
  (if any) has succeeded, and the startup probe stops once it has;
- a result only changes after `failureThreshold` failures or
  `successThreshold` successes in a row; every failed attempt records Warning
  `Unhealthy` "<Liveness|Readiness|Startup> probe failed: <output>";
- initial results: readiness Failure (a container is not ready until its
  probe passes), liveness Success, startup none (not started);
- after a liveness or startup failure the worker holds until the container is
  replaced; a container that stopped reads as not ready.

A changed result re-syncs the pod (the kubelet's probe-result channels):
liveness/startup failures kill the container, readiness drives `ready` and the
Ready condition. Each tick runs at most one probe, so probe work is bounded by
containers × 1/period.

Threads: pod workers add and remove pods while the probes tick on the control
loop's thread, so the three tables are changed under `_lock` (never held
while a probe runs or a callback is called). A probe never reads a pod's
record while a worker syncs that pod (a container half started reads as not
running, which would fail a liveness probe): it looks again a moment later.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from ...api.events import EventRecorder
from ...controllers.base import Context
from ...runtime.base import ContainerRuntime
from ..pod_state import ContainerRecord, PodRecord
from .prober import FAILURE, SUCCESS, run_probe

LIVENESS, READINESS, STARTUP = "liveness", "readiness", "startup"
SPEC_FIELDS = {LIVENESS: "livenessProbe", READINESS: "readinessProbe", STARTUP: "startupProbe"}
INITIAL = {LIVENESS: SUCCESS, READINESS: FAILURE, STARTUP: None}

Lookup = Callable[[tuple[str, str]], "tuple[dict, PodRecord] | None"]
BUSY_RETRY_SECONDS = 0.05  # a probe due while its pod syncs on a worker waits this long


@dataclass(eq=False)
class Worker:
    key: tuple[str, str]  # the pod's (namespace, name)
    uid: str
    container: dict
    probe_type: str
    spec: dict
    container_id: str = ""
    last_result: str | None = None
    result_run: int = 0
    on_hold: bool = False
    stopped: bool = False

    @property
    def period(self) -> float:
        return float(self.spec.get("periodSeconds") or 10)


class ProbeManager:
    def __init__(self, ctx: Context, runtime: ContainerRuntime, recorder: EventRecorder,
                 lookup: Lookup, on_change: Callable[[tuple[str, str]], None],
                 syncing: Callable[[tuple[str, str]], bool] = lambda key: False):
        self.ctx = ctx
        self.runtime = runtime
        self.recorder = recorder
        self.lookup = lookup
        self.on_change = on_change
        self.syncing = syncing  # whether a pod worker is syncing the pod (never on a VirtualClock)
        self._workers: dict[tuple[str, str, str], Worker] = {}  # (uid, container, type)
        self._by_pod: dict[str, list[Worker]] = {}
        self._results: dict[tuple[str, str], str] = {}  # (container id, type) -> result
        self._lock = threading.Lock()

    # ---- workers ----------------------------------------------------------

    def add_pod(self, pod: dict, key: tuple[str, str]) -> None:
        uid = (pod.get("metadata") or {}).get("uid", "")
        workers = []
        with self._lock:
            if uid in self._by_pod:
                return
            for container in (pod.get("spec") or {}).get("containers") or []:
                for probe_type, fieldname in SPEC_FIELDS.items():
                    spec = container.get(fieldname)
                    if not spec:
                        continue
                    w = Worker(key, uid, container, probe_type, spec)
                    self._workers[(uid, container["name"], probe_type)] = w
                    workers.append(w)
            self._by_pod[uid] = workers
        for w in workers:
            self.ctx.after(0, lambda w=w: self._tick(w))

    def remove_pod(self, uid: str) -> None:
        with self._lock:
            for w in self._by_pod.pop(uid, []):
                w.stopped = True
                self._workers.pop((uid, w.container["name"], w.probe_type), None)
                if w.container_id:
                    self._results.pop((w.container_id, w.probe_type), None)

    def remove_all(self) -> None:
        with self._lock:
            uids = list(self._by_pod)
        for uid in uids:
            self.remove_pod(uid)

    def _tick(self, w: Worker) -> None:
        if w.stopped:
            return
        if self.syncing(w.key):
            # Its record is being changed on a worker; the loop's thread is the only
            # one that starts a pod's sync, so once it is free here it stays so.
            self.ctx.after(BUSY_RETRY_SECONDS, lambda: self._tick(w))
            return
        if self._do_probe(w) and not w.stopped:
            self.ctx.after(w.period, lambda: self._tick(w))
        else:
            w.stopped = True

    # ---- results ------------------------------------------------------------

    def get(self, container_id: str, probe_type: str) -> str | None:
        return self._results.get((container_id, probe_type))

    def failed(self, container_id: str, probe_type: str) -> bool:
        return self._results.get((container_id, probe_type)) == FAILURE

    def started(self, uid: str, c: ContainerRecord) -> bool:
        """UpdatePodStatus: running, and the startup probe (if any) has succeeded."""
        if not c.running:
            return False
        if (uid, c.name, STARTUP) not in self._workers:
            return True
        return self._results.get((c.id, STARTUP)) == SUCCESS

    def ready(self, uid: str, c: ContainerRecord) -> bool:
        """Started, and the readiness probe (if any) has succeeded."""
        if not self.started(uid, c):
            return False
        if (uid, c.name, READINESS) not in self._workers:
            return True
        return self._results.get((c.id, READINESS)) == SUCCESS

    def _set(self, w: Worker, result: str | None) -> None:
        key = (w.container_id, w.probe_type)
        with self._lock:
            if w.stopped:
                return  # its pod was removed meanwhile: no result left behind
            old = self._results.get(key)
            if result is None:
                self._results.pop(key, None)
            else:
                self._results[key] = result
        if old != result:
            self.on_change(w.key)

    # ---- doProbe ---------------------------------------------------------------

    def _do_probe(self, w: Worker) -> bool:
        """One probe; False when the worker should stop."""
        found = self.lookup(w.key)
        if found is None or found[1].uid != w.uid:
            return False
        pod, rec = found
        c = rec.containers.get(w.container["name"])
        if c is None:
            return True  # not created yet
        if w.container_id != c.id:
            if w.container_id:
                with self._lock:
                    self._results.pop((w.container_id, w.probe_type), None)
            w.container_id, w.on_hold = c.id, False
            w.last_result, w.result_run = None, 0
            self._set(w, INITIAL[w.probe_type])
        if w.on_hold:
            return True
        if not c.running:
            self._set(w, FAILURE)
            policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
            return not (c.exited and policy == "Never")
        now = self.ctx.clock.now()
        if c.started_at is not None and now - c.started_at < float(
                w.spec.get("initialDelaySeconds") or 0):
            return True
        if self.started(w.uid, c):
            if w.probe_type == STARTUP:
                return True  # started: the startup probe has done its job
        elif w.probe_type != STARTUP:
            return True  # the others wait for the startup probe
        outcome = run_probe(self.runtime, w.spec, w.container, c.id, rec.sandbox_id or "",
                            rec.pod_ip)
        if outcome.result == FAILURE:
            self.recorder.warning(
                pod, "Unhealthy", f"{w.probe_type.capitalize()} probe failed: {outcome.output}")
        if outcome.result == w.last_result:
            w.result_run += 1
        else:
            w.last_result, w.result_run = outcome.result, 1
        failure_threshold = int(w.spec.get("failureThreshold") or 3)
        success_threshold = int(w.spec.get("successThreshold") or 1)
        if (outcome.result == FAILURE and w.result_run < failure_threshold) or (
                outcome.result == SUCCESS and w.result_run < success_threshold):
            return True
        self._set(w, outcome.result)
        if w.probe_type in (LIVENESS, STARTUP) and outcome.result == FAILURE:
            w.on_hold, w.result_run = True, 0  # until the container is replaced
        return True
