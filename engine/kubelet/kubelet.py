"""The kubelet: the node agent that makes the pods bound to its node run.

Source: pkg/kubelet/kubelet.go (`SyncPod`, `SyncTerminatingPod`,
`SyncTerminatedPod`), pkg/kubelet/pod_workers.go (one sync at a time per pod,
a failed sync retried after `backOffPeriod`), pkg/kubelet/pleg/ (runtime
changes wake the pod's worker), pkg/kubelet/status/status_manager.go (status
written only when it changed; the pod deleted with grace 0 once its containers
are gone).

One Kubelet per node. It watches Pods whose spec.nodeName is its node and
queues their (namespace, name); `sync(key)` then does what SyncPod does:

1. read the runtime state of the pod's containers (PLEG relist, per pod);
2. mount its volumes (a missing PVC/ConfigMap keeps it ContainerCreating);
3. compute_pod_actions → create the sandbox, start init containers in order,
   start/restart/kill app containers (back-off, probes, restart policy);
4. write the status, if it changed, and schedule a re-sync for when a back-off
   ends.

Runtime events come through `loop.sandbox_owners[sandbox_id]` (the PLEG);
ConfigMaps, Secrets and PVCs a pod uses re-sync it when they appear or change.
Everything is O(1) per event and O(containers of the pod) per sync.

Pod workers (pod_workers.py). On a wall clock the loop's thread only pops
keys and hands each to a small pool of threads, so pods start side by side
while one pod's syncs stay strictly in order; on a VirtualClock `sync` runs
inline, one pod after the other, as before. What the workers share is kept
safe: the pod table (`pods`, `_sandboxes`, `_deps`) behind `_lock`, which is
never held across a call to the store or the runtime (the store calls
`handle` under its own lock); the probe manager and the back-offs lock their
own tables; everything else a sync touches belongs to its one pod, or is the
thread-safe store, queue and timers.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import defaultdict
from typing import Any

from ..api.errors import Conflict, NotFound
from ..api.store import MODIFIED, WatchEvent
from ..controllers.base import Context, WorkQueue
from ..runtime.base import ContainerRuntime, RuntimeEvent, RuntimeUnavailable
from .actions import compute_pod_actions, should_container_be_restarted
from .backoff import Backoff
from .envvars import referenced_objects
from .images import ERR_IMAGE_PULL, IMAGE_PULL_BACKOFF, ImageManager
from .kuberuntime import CRASH_LOOP_BACK_OFF, RuntimeManager
from .node_status import node_internal_ip, post_node_status
from .pod_state import PodRecord, gone_ok, refresh
from .pod_workers import DEFAULT_POD_WORKERS, PodWorkers
from .prober import ProbeManager
from .status import TERMINAL, generate_api_pod_status
from .volumes import VolumeManager, failed_mount_message

log = logging.getLogger("engine.kubelet")

Key = tuple[str, str]
DEPENDENCY_KINDS = ("ConfigMap", "Secret", "PersistentVolumeClaim")
POD_WORKERS_ENV = "KUBEQUEST_POD_WORKERS"
STOP_WAIT_SECONDS = 60.0  # how long fail/shutdown wait for the syncs under way


def default_pod_workers(clock: Any) -> int:
    """How many pods sync at once: none in parallel on a VirtualClock (deterministic
    simulation); else KUBEQUEST_POD_WORKERS, by default 4 (0 or 1: one at a time)."""
    if getattr(clock, "virtual", False):
        return 0
    try:
        return max(0, int(os.environ.get(POD_WORKERS_ENV, DEFAULT_POD_WORKERS)))
    except ValueError:
        return DEFAULT_POD_WORKERS


def _node_of(pod: dict | None) -> str:
    return ((pod or {}).get("spec") or {}).get("nodeName") or ""


def _pod_changed(old: dict, new: dict) -> bool:
    """podsDifferSemantically: status-only updates (ours included) do not re-sync."""
    if old.get("spec") != new.get("spec"):
        return True
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    return any(om.get(f) != nm.get(f) for f in (
        "uid", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations"))


class Kubelet:
    name = "kubelet"

    def __init__(self, ctx: Context, node_name: str, runtime: ContainerRuntime, loop: Any = None,
                 *, pod_workers: int | None = None):
        self.ctx = ctx
        self.store = ctx.store
        self.clock = ctx.clock
        self.timing = ctx.timing
        self.node_name = node_name
        self.runtime = runtime
        self.loop = loop
        self.queue = WorkQueue(on_add=ctx.wake)
        self.recorder = ctx.recorder("kubelet", host=node_name)
        self.pods: dict[Key, PodRecord] = {}
        self._sandboxes: dict[str, Key] = {}
        self._deps: dict[tuple[str, str, str], set[Key]] = defaultdict(set)
        self._host_ip = ""
        self._lock = threading.Lock()  # pods, _sandboxes, _deps: never held across store/runtime calls
        self.backoff = Backoff(self.clock, self.timing.backoff_initial, self.timing.backoff_max,
                               self.timing.backoff_reset)
        self.images = ImageManager(runtime, self.clock, Backoff(
            self.clock, self.timing.image_backoff_initial, self.timing.image_backoff_max))
        self.volumes = VolumeManager(self.store, runtime)
        self.manager = RuntimeManager(self.store, runtime, self.clock, self.recorder, self.images,
                                      self.backoff, self.host_ip, self._register_sandbox)
        self.probes = ProbeManager(ctx, runtime, self.recorder, self._lookup, self.queue.add,
                                   self._syncing)
        self.running = True
        self.runtime_error: str | None = None  # why the runtime does not answer, if it does not
        self._heartbeat_generation = 0
        if pod_workers is None:
            pod_workers = default_pod_workers(self.clock)
        if self.clock.virtual and pod_workers > 1:
            raise ValueError("pod workers need a wall clock: a VirtualClock run stays sequential")
        # None: every sync inline on the loop's thread (the VirtualClock, or one worker asked for).
        self.workers: PodWorkers | None = PodWorkers(
            self._sync_guarded, pod_workers, wake=ctx.wake,
            name=f"kq-pod-worker-{node_name}") if pod_workers > 1 else None
        self._start_heartbeat()

    # ---- the Controller shape the ControlLoop drives ------------------------

    def handle(self, ev: WatchEvent) -> None:
        """Enqueue the pod keys an event concerns (inside the store's write: quick)."""
        kind = ev.kind
        if kind == "Pod":
            if _node_of(ev.object) != self.node_name and _node_of(ev.old) != self.node_name:
                return
            if ev.type == MODIFIED and ev.old is not None and not _pod_changed(ev.old, ev.object):
                return
            md = ev.object.get("metadata") or {}
            self.queue.add((md.get("namespace", ""), md.get("name", "")))
        elif kind in DEPENDENCY_KINDS:
            md = ev.object.get("metadata") or {}
            with self._lock:
                keys = list(self._deps.get((kind, md.get("namespace", ""), md.get("name", "")), ()))
            for key in keys:
                self.queue.add(key)

    def resync_all(self) -> None:
        for pod in self.store.pods_on_node(self.node_name):
            md = pod["metadata"]
            self.queue.add((md.get("namespace", ""), md["name"]))

    def process(self, budget: int = 10_000) -> int:
        """Sync the queued pods: inline, or handed to the pod workers (the loop only dispatches)."""
        done = 0
        while done < budget:
            key = self.queue.pop()
            if key is None:
                break
            done += 1
            if not self.running or self.runtime_error is not None:
                continue  # a dead node or runtime does nothing; recovery re-lists the pods
            if self.workers is not None:
                self.workers.dispatch(key)
            else:
                self._sync_guarded(key)  # type: ignore[arg-type]
        return done

    def _syncing(self, key: Key) -> bool:
        return self.workers is not None and self.workers.active(key)

    def busy(self) -> bool:
        """True while a pod worker has a sync queued or running (the loop is not idle)."""
        return self.workers is not None and self.workers.busy()

    def _sync_guarded(self, key: Key) -> None:
        """One sync; a failure is retried later, a runtime that stopped answering is waited for."""
        if not self.running or self.runtime_error is not None:
            return  # stopped meanwhile (a worker's pod synced again after fail/shutdown)
        try:
            self.sync(key)
        except RuntimeUnavailable as exc:
            self._runtime_down(str(exc))
        except Exception:
            log.exception("kubelet %s: sync of pod %s/%s failed; retrying", self.node_name, *key)
            self._requeue_key_after(key, 1.0)

    def _wait_for_workers(self) -> None:
        """Let the syncs under way end (the node is stopping): none may start a
        container after the kubelet has killed or removed the pod's others."""
        if self.workers is not None and not self.workers.shutdown(STOP_WAIT_SECONDS):
            log.warning("kubelet %s: pod workers still busy after %.0fs; stopping anyway",
                        self.node_name, STOP_WAIT_SECONDS)

    # ---- the container runtime's health -----------------------------------------

    def _runtime_down(self, reason: str) -> None:
        """The runtime stopped answering: say so on the Node (Ready=False) and wait
        for it; the store and the pods' last known status are kept."""
        if self.runtime_error is None:
            log.warning("kubelet %s: container runtime is down: %s", self.node_name, reason)
        self.runtime_error = reason
        post_node_status(self.store, self.node_name, self.clock.now(), reason)

    def _check_runtime(self) -> None:
        try:
            self.runtime.ping()
        except RuntimeUnavailable as exc:
            self._runtime_down(str(exc))
            return
        if self.runtime_error is not None:
            log.warning("kubelet %s: container runtime is back", self.node_name)
            self.runtime_error = None
            self.resync_all()
            for key in self._pod_keys():
                self.queue.add(key)

    def _requeue_key_after(self, key: Key, seconds: float) -> None:
        self.ctx.after(seconds, lambda: self.queue.add(key))

    # ---- the node -----------------------------------------------------------

    def host_ip(self) -> str:
        if not self._host_ip:
            self._host_ip = node_internal_ip(self.store, self.node_name)
            self.volumes.host_ip = self._host_ip
        return self._host_ip

    def _start_heartbeat(self) -> None:
        self._heartbeat_generation += 1
        generation = self._heartbeat_generation

        def beat() -> None:
            if generation != self._heartbeat_generation or not self.running:
                return  # stopped (node failed or shut down)
            self._check_runtime()
            post_node_status(self.store, self.node_name, self.clock.now(), self.runtime_error)
            self.ctx.after(self.timing.node_status_update, beat)

        self.ctx.after(0, beat)

    def fail(self) -> None:
        """The node dies: no heartbeats, no syncs, its containers are killed, and
        nothing is reported (a dead node cannot say what happened)."""
        if not self.running:
            return
        self.running = False
        self._heartbeat_generation += 1
        self._wait_for_workers()
        self.probes.remove_all()
        for rec in self._records():
            for c in list(rec.containers.values()):
                with gone_ok():  # already gone
                    self.runtime.kill_container(c.id)
            rec.stopping.clear()

    def recover(self) -> None:
        """The node is back: heartbeats resume and every pod is synced again —
        deletions that waited finish, dead containers restart per policy."""
        if self.running:
            return
        self.running = True
        self._start_heartbeat()
        self.resync_all()
        for key in self._pod_keys():
            self.queue.add(key)

    def shutdown(self) -> None:
        """Cluster teardown: remove every container, sandbox and pod volume of this node."""
        self.running = False
        self._heartbeat_generation += 1
        self._wait_for_workers()
        self.probes.remove_all()
        for rec in self._records():
            self._remove_pod(rec)

    def _records(self) -> list[PodRecord]:
        with self._lock:
            return list(self.pods.values())

    def _pod_keys(self) -> list[Key]:
        with self._lock:
            return list(self.pods)

    # ---- PLEG -------------------------------------------------------------------

    def _register_sandbox(self, sandbox_id: str, rec: PodRecord) -> None:
        with self._lock:
            self._sandboxes[sandbox_id] = rec.key
        if self.loop is not None:
            self.loop.sandbox_owners[sandbox_id] = self._on_runtime_event

    def _on_runtime_event(self, ev: RuntimeEvent) -> None:
        if not self.running:
            return
        key = self._sandboxes.get(ev.sandbox_id)
        if key is not None:
            self.queue.add(key)

    def _lookup(self, key: Key) -> tuple[dict, PodRecord] | None:
        if not self.running:
            return None
        rec = self.pods.get(key)
        pod = self.store.try_get("Pod", key[1], key[0], copy=False)
        if rec is None or pod is None:
            return None
        return pod, rec

    # ---- SyncPod ------------------------------------------------------------------

    def sync(self, key: Key) -> None:
        ns, name = key
        pod = self.store.try_get("Pod", name, ns, copy=False)
        if pod is not None and _node_of(pod) != self.node_name:
            pod = None
        rec = self.pods.get(key)
        if rec is not None and (pod is None or pod["metadata"].get("uid") != rec.uid):
            self._remove_pod(rec)  # force-deleted, or replaced by a new pod of that name
            rec = None
        if pod is None:
            return
        if pod["metadata"].get("deletionTimestamp"):
            self.sync_terminating_pod(pod, rec)
            return
        if rec is None:
            rec = self._new_record(pod)
        if (pod.get("status") or {}).get("phase") in TERMINAL:
            self.probes.remove_pod(rec.uid)  # done: its status stays as it is
            return
        refresh(self.runtime, rec)
        mounted = self.volumes.mount_pod_volumes(pod, rec)
        if not mounted.ok:
            for message in mounted.errors.values():
                self.recorder.warning(pod, "FailedMount", message)
            if mounted.claim_errors:
                self.recorder.warning(pod, "FailedMount", failed_mount_message(mounted))
            self._write_status(pod, rec)
            self._requeue_at(rec, self.clock.now() + self.timing.backoff_initial)
            return
        self._enforce_grace_periods(rec)
        actions = compute_pod_actions(pod, rec, self.probes.failed)
        actions.containers_to_kill = {cid: info for cid, info in actions.containers_to_kill.items()
                                      if cid not in rec.stopping}
        if actions.create_sandbox and self._will_pull(pod):
            self._write_status(pod, rec)  # Pending, ContainerCreating: visible during the pull
        self.manager.sync_pod(pod, rec, actions)
        self.probes.add_pod(pod, key)
        refresh(self.runtime, rec)
        phase = self._write_status(pod, rec)
        if phase in TERMINAL:
            self.probes.remove_pod(rec.uid)
            return
        self._schedule_resync(pod, rec)

    def sync_terminating_pod(self, pod: dict, rec: PodRecord | None) -> None:
        """Stop the containers (Killing, preStop, SIGTERM … SIGKILL at the grace
        period's end), then remove them and confirm the deletion (grace 0)."""
        if rec is not None:
            self.probes.remove_pod(rec.uid)
            refresh(self.runtime, rec)
            done = self.manager.kill_pod(pod, rec)
            refresh(self.runtime, rec)
            if not done or rec.running_containers():
                self._write_status(pod, rec)
                pending = [t for t in rec.stopping.values()]
                if pending:
                    self._requeue_at(rec, min(pending))
                return
            rec.sandbox_ready = False
            self._write_status(pod, rec, terminal=True)
            self._remove_pod(rec)
        md = pod["metadata"]
        try:
            self.store.delete("Pod", md["name"], md.get("namespace"), grace_period_seconds=0,
                              uid=md.get("uid"))
        except (NotFound, Conflict):
            pass  # already gone, or a new pod of that name

    # ---- helpers ------------------------------------------------------------------

    def _enforce_grace_periods(self, rec: PodRecord) -> None:
        """SIGKILL what outlived its grace period (a runtime that does not do it itself)."""
        now = self.clock.now()
        for cid, deadline in list(rec.stopping.items()):
            if deadline <= now:
                with gone_ok():  # gone already
                    self.runtime.kill_container(cid)
                del rec.stopping[cid]

    def _will_pull(self, pod: dict) -> bool:
        """Whether starting the pod pulls an image (the slow part of a start)."""
        spec = pod.get("spec") or {}
        for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
            policy = c.get("imagePullPolicy") or "IfNotPresent"
            if policy == "Always" or (policy == "IfNotPresent"
                                      and not self.runtime.image_present(c.get("image") or "")):
                return True
        return False

    def _new_record(self, pod: dict) -> PodRecord:
        md = pod["metadata"]
        rec = PodRecord(uid=md.get("uid", ""), namespace=md.get("namespace", ""), name=md["name"])
        rec.deps = referenced_objects(pod)
        with self._lock:
            for dep in rec.deps:
                self._deps[dep].add(rec.key)
            self.pods[rec.key] = rec
        return rec

    def _remove_pod(self, rec: PodRecord) -> None:
        """Forget a pod: containers, sandbox and own volumes gone (a PVC's data stays)."""
        self.probes.remove_pod(rec.uid)
        if rec.sandbox_id is not None:
            with self._lock:
                self._sandboxes.pop(rec.sandbox_id, None)
            if self.loop is not None:
                self.loop.sandbox_owners.pop(rec.sandbox_id, None)
        self.manager.remove_pod(rec)
        self.volumes.unmount_pod_volumes(rec)
        for key in list(rec.backoff_keys):
            self.backoff.delete(key)
            self.images.backoff.delete(key)
        with self._lock:
            for dep in rec.deps:
                keys = self._deps.get(dep)
                if keys is not None:
                    keys.discard(rec.key)
                    if not keys:
                        del self._deps[dep]
            if self.pods.get(rec.key) is rec:
                del self.pods[rec.key]

    def _write_status(self, pod: dict, rec: PodRecord, *, terminal: bool = False) -> str:
        """Write the pod's status if it changed; returns the phase."""
        status = generate_api_pod_status(
            pod, rec, now=self.clock.now(), host_ip=self.host_ip(),
            runtime_name=self.runtime.name, pod_is_terminal=terminal,
            started=lambda c: self.probes.started(rec.uid, c),
            ready=lambda c: self.probes.ready(rec.uid, c))
        if status != pod.get("status"):
            md = pod["metadata"]
            try:
                self.store.update_status({"apiVersion": "v1", "kind": "Pod", "status": status,
                                          "metadata": {"name": md["name"], "namespace": md.get("namespace")}})
            except NotFound:
                pass  # force-deleted while it synced: the DELETED event syncs it again, and it goes
        return status["phase"]

    def _schedule_resync(self, pod: dict, rec: PodRecord) -> None:
        """When to look at the pod again without an event: when a restart or pull
        back-off ends, when a dying container's grace period ends, and — after a
        failed start — the pod worker's retry period."""
        now = self.clock.now()
        retry = now + self.timing.backoff_initial
        times = [t for t in rec.stopping.values() if t > now]
        spec = pod.get("spec") or {}
        for container in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]:
            failure = rec.failures.get(container["name"])
            if failure is None or not should_container_be_restarted(container, pod, rec):
                continue
            times.append(retry)
            if failure.reason == CRASH_LOOP_BACK_OFF:
                expiry = self.manager.backoff_expiry(pod, rec, container)
            elif failure.reason in (ERR_IMAGE_PULL, IMAGE_PULL_BACKOFF):
                image_key = self.images.backoff_key(pod, container.get("image", ""))
                rec.backoff_keys.add(image_key)
                expiry = self.images.backoff.expires_at(image_key)
            else:
                expiry = None
            if expiry is not None and expiry > now:
                times.append(expiry)
        if times:
            self._requeue_at(rec, min(times))

    def _requeue_at(self, rec: PodRecord, when: float) -> None:
        now = self.clock.now()
        if rec.wake_at is not None and now < rec.wake_at <= when:
            return  # an earlier re-sync is already due; it will schedule the next one
        rec.wake_at = when
        key = rec.key

        def wake() -> None:
            if rec.wake_at == when:
                rec.wake_at = None
            if self.pods.get(key) is rec:
                self.queue.add(key)

        self.ctx.timers.at(when, wake)
