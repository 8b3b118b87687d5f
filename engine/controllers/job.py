"""JobController: runs pods to completion (pkg/controller/job/job_controller.go).

`sync_job(key)` follows Kubernetes' `syncJob`:

- the Job's pods are the ones it controls (ownerReference with its uid); each
  carries the `batch.kubernetes.io/job-tracking` finalizer from creation, so a
  finished pod is counted exactly once: counted = finalizer removed
  (`trackJobStatusAndRemoveFinalizers`). Kubernetes first parks the pod UIDs in
  `status.uncountedTerminatedPods`; here removal and counting happen in one
  synchronous step, so that list stays empty;
- a pod counts as failed when its phase is Failed, or when it is being deleted
  before it succeeded (`isPodFailed`, the default podReplacementPolicy
  TerminatingOrFailed); with restartPolicy OnFailure the containers' restarts
  count against backoffLimit too (`pastBackoffLimitOnFailure`);
- `manage_job` keeps `min(parallelism, completions - succeeded)` pods active,
  creating `<job>-<5 chars>` pods (event SuccessfulCreate "Created pod: x"),
  but not before the failure back-off has passed: 10 s after one failure since
  the last success, doubling up to 6 minutes (`backoff_utils.go`,
  DefaultJobPodFailureBackOff / MaxJobPodFailureBackOff);
- terminal conditions are delayed as in Kubernetes 1.31+: first
  `SuccessCriteriaMet` (reason CompletionsReached) or `FailureTarget` (reason
  BackoffLimitExceeded / DeadlineExceeded), then — once no pod of the Job is
  still terminating — `Complete` with completionTime, or `Failed`, and the
  event `Completed` "Job completed" or the Warning named after the reason;
- `spec.suspend` deletes the active pods (Suspended condition, events
  Suspended/Resumed; resuming resets startTime); `activeDeadlineSeconds`
  fails the Job with DeadlineExceeded.

Not modelled: Indexed completion mode, podFailurePolicy, successPolicy,
backoffLimitPerIndex, managedBy, adoption of orphan pods matching the selector.
"""

from __future__ import annotations

from collections.abc import Hashable

from ..api.errors import APIStatusError
from ..api.objects import clone, get_condition, owner_reference
from ..api.selectors import from_label_selector, from_set
from ..api.store import WatchEvent
from ..clock import parse_rfc3339
from .base import Controller, owner_keys
from .podutil import is_pod_active as _is_active
from .podutil import is_pod_ready as _is_ready

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
DEFAULT_JOB_POD_FAILURE_BACKOFF = 10.0  # seconds
MAX_JOB_POD_FAILURE_BACKOFF = 360.0  # 6 minutes
BACKOFF_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"


# ---- pod helpers ------------------------------------------------------------------


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def _has_finalizer(pod: dict) -> bool:
    return JOB_TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or [])


def _is_pod_failed(pod: dict) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    if phase == "Failed":
        return True
    # A pod deleted before it succeeded never reaches Failed on its own: count it.
    return bool(pod["metadata"].get("deletionTimestamp")) and phase != "Succeeded"


def _finished_time(pod: dict) -> float:
    """getFinishedTime: containers' finishedAt, else Ready=False, else deletion."""
    latest: float | None = None
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for cs in statuses:
        finished = ((cs.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if not finished:
            latest = None
            break
        latest = max(latest or 0.0, parse_rfc3339(finished))
    if latest is not None:
        return latest
    ready = get_condition(pod, "Ready")
    if ready and ready.get("status") == "False" and ready.get("lastTransitionTime"):
        return parse_rfc3339(ready["lastTransitionTime"])
    md = pod["metadata"]
    if md.get("deletionTimestamp"):
        return parse_rfc3339(md["deletionTimestamp"]) - float(
            md.get("deletionGracePeriodSeconds") or 0
        )
    return parse_rfc3339(md["creationTimestamp"])


def _restarts(pod: dict) -> int:
    status = pod.get("status") or {}
    return sum(
        int(cs.get("restartCount") or 0)
        for key in ("initContainerStatuses", "containerStatuses")
        for cs in status.get(key) or []
    )


def _condition_true(job: dict, type_: str) -> dict | None:
    cond = get_condition(job, type_)
    return cond if cond and cond.get("status") == "True" else None


def is_job_finished(job: dict) -> bool:
    return bool(_condition_true(job, "Complete") or _condition_true(job, "Failed"))


class JobController(Controller):
    name = "job"

    def __init__(self, ctx):
        super().__init__(ctx)
        # podBackoffStore: job key -> (failures after the last success, last failure time).
        self._backoff: dict[tuple[str, str], tuple[int, float | None]] = {}

    # ---- informers ---------------------------------------------------------

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Job":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))
        elif ev.kind == "Pod":
            for key in owner_keys(ev, "Job"):
                self.queue.add(key)

    def resync_all(self) -> None:
        for job in self.store.list("Job", copy=False):
            self.queue.add((job["metadata"]["namespace"], job["metadata"]["name"]))

    # ---- syncJob -----------------------------------------------------------

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        try:
            self.sync_job(ns, name)
        except APIStatusError:
            # A write raced with someone else (or the namespace is terminating):
            # try again shortly, as the work queue's rate limiter would.
            self.enqueue_after(key, 1.0)

    def sync_job(self, ns: str, name: str) -> None:
        key = (ns, name)
        job = self.store.try_get("Job", name, ns)
        self._release_orphans(ns, name, job)
        if job is None:
            self._backoff.pop(key, None)
            return
        uid = job["metadata"]["uid"]
        pods = [
            p
            for p in self.store.list(
                "Pod", ns, from_label_selector(job["spec"].get("selector")), copy=False
            )
            if any(
                r.get("uid") == uid and r.get("controller")
                for r in p["metadata"].get("ownerReferences") or []
            )
        ]
        if is_job_finished(job):
            self._backoff.pop(key, None)
            self._remove_finalizers([p for p in pods if _has_finalizer(p)])
            return
        spec, status = job["spec"], clone(job.get("status") or {})
        now = self.ctx.clock.now()
        active_pods = [p for p in pods if _is_active(p)]
        active = len(active_pods)
        ready = sum(1 for p in active_pods if _is_ready(p))
        terminating = sum(
            1 for p in pods if p["metadata"].get("deletionTimestamp") and not _terminal(p)
        )
        new_succeeded = [
            p
            for p in pods
            if _has_finalizer(p) and (p.get("status") or {}).get("phase") == "Succeeded"
        ]
        new_failed = [p for p in pods if _has_finalizer(p) and _is_pod_failed(p)]
        succeeded = int(status.get("succeeded") or 0) + len(new_succeeded)
        failed = int(status.get("failed") or 0) + len(new_failed)
        suspended = bool(spec.get("suspend"))
        if not status.get("startTime") and not suspended:
            status["startTime"] = self.store.now()
        self._backoff[key] = self._new_backoff_record(key, new_succeeded, new_failed)

        finished = self._finished_condition(job, status, pods, failed, now, suspended)
        events: list[tuple[str, str, str]] = []
        if finished is not None and finished[0] == "FailureTarget":
            # The Job failed: stop its remaining pods; they count as failed below.
            deleted = self._delete_pods(ns, active_pods, remove_finalizer=False)
            active -= deleted
            terminating += deleted
            ready = 0
        else:
            if job["metadata"].get("deletionTimestamp") is None:
                active, terminating, ready = self.manage_job(
                    job, status, active_pods, succeeded, terminating, ready
                )
            completions = spec.get("completions")
            done = succeeded > 0 if completions is None else succeeded >= int(completions)
            if done and active == 0:
                finished = ("SuccessCriteriaMet", "CompletionsReached", COMPLETIONS_MESSAGE)
            else:
                events += self._suspend_condition(status, suspended)

        # Count the newly finished pods: once the finalizer is gone they are counted.
        to_count = new_succeeded + new_failed
        if finished is not None and finished[0] == "FailureTarget":
            # When the Job has failed, every pod not yet counted is a failure.
            counted = {id(p) for p in to_count}
            rest = [p for p in pods if _has_finalizer(p) and id(p) not in counted]
            failed += len(rest)
            to_count = to_count + rest
        self._remove_finalizers(to_count)
        status["succeeded"] = succeeded
        status["failed"] = failed
        status["active"] = active
        status["ready"] = ready
        status["terminating"] = terminating
        status.setdefault("uncountedTerminatedPods", {})

        if finished is not None:
            interim, reason, message = finished
            if _condition_true(job, interim) is None:
                self._set_condition(status, interim, "True", reason, message)
            if terminating == 0:
                final = "Complete" if interim == "SuccessCriteriaMet" else "Failed"
                self._set_condition(status, final, "True", reason, message)
                if final == "Complete":
                    status["completionTime"] = self.store.now()
                    events.append(("Normal", "Completed", "Job completed"))
                else:
                    events.append(("Warning", reason, message))
        for f in ("succeeded", "failed", "active"):
            if not status[f]:
                status.pop(f)  # omitempty, as kubectl shows them
        if status != (job.get("status") or {}):
            self.store.mutate(
                "Job", name, ns, lambda j: j.__setitem__("status", status), subresource="status"
            )
        for type_, reason, message in events:
            self._event(job, type_, reason, message)

    # ---- pieces of syncJob -----------------------------------------------------

    def _finished_condition(
        self, job: dict, status: dict, pods: list[dict], failed: int, now: float, suspended: bool
    ) -> tuple[str, str, str] | None:
        spec = job["spec"]
        target = _condition_true(job, "FailureTarget")
        if target is not None:
            return ("FailureTarget", target.get("reason", ""), target.get("message", ""))
        met = _condition_true(job, "SuccessCriteriaMet")
        if met is not None:
            return ("SuccessCriteriaMet", met.get("reason", ""), met.get("message", ""))
        limit = int(spec.get("backoffLimit", 6))
        if failed > limit or self._past_backoff_limit_on_failure(job, pods, limit):
            return ("FailureTarget", "BackoffLimitExceeded", BACKOFF_MESSAGE)
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None and status.get("startTime") and not suspended:
            remaining = parse_rfc3339(status["startTime"]) + float(deadline) - now
            if remaining <= 0:
                return ("FailureTarget", "DeadlineExceeded", DEADLINE_MESSAGE)
            self.enqueue_after((job["metadata"]["namespace"], job["metadata"]["name"]), remaining)
        return None

    @staticmethod
    def _past_backoff_limit_on_failure(job: dict, pods: list[dict], limit: int) -> bool:
        tmpl_spec = (job["spec"].get("template") or {}).get("spec") or {}
        if tmpl_spec.get("restartPolicy") != "OnFailure":
            return False
        restarts = sum(
            _restarts(p)
            for p in pods
            if (p.get("status") or {}).get("phase") in ("Running", "Pending")
        )
        return restarts > 0 if limit == 0 else restarts >= limit

    def manage_job(
        self,
        job: dict,
        status: dict,
        active_pods: list[dict],
        succeeded: int,
        terminating: int,
        ready: int,
    ) -> tuple[int, int, int]:
        """Create or delete pods so that the right number is active. Returns (active, terminating, ready)."""
        spec = job["spec"]
        ns, name = job["metadata"]["namespace"], job["metadata"]["name"]
        active = len(active_pods)
        if spec.get("suspend"):
            deleted = self._delete_pods(ns, active_pods, remove_finalizer=True)
            return active - deleted, terminating + deleted, 0
        parallelism = int(spec.get("parallelism", 1))
        completions = spec.get("completions")
        if completions is None:
            want = active if succeeded > 0 else parallelism
        else:
            want = max(0, min(int(completions) - succeeded, parallelism))
        if active > want:
            # Not-ready before ready, unscheduled before scheduled, pending before running.
            victims = sorted(active_pods, key=_removal_rank)[: active - want]
            deleted = self._delete_pods(ns, victims, remove_finalizer=True)
            ready -= sum(1 for p in victims if _is_ready(p))
            return active - deleted, terminating + deleted, ready
        diff = want - active
        if diff <= 0:
            return active, terminating, ready
        remaining = self._backoff_remaining((ns, name))
        if remaining > 0:
            self.enqueue_after((ns, name), remaining)
            return active, terminating, ready
        for _ in range(diff):
            pod = self._pod_from_template(job)
            created = self.store.create(pod, validate=False)
            self._event(
                job, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
            )
            active += 1
        return active, terminating, ready

    def _pod_from_template(self, job: dict) -> dict:
        """controller.GetPodFromTemplate plus the job-tracking finalizer."""
        tmpl = clone(job["spec"].get("template") or {})
        tmeta = tmpl.get("metadata") or {}
        md: dict = {
            "generateName": f"{job['metadata']['name']}-",
            "namespace": job["metadata"]["namespace"],
            "labels": dict(tmeta.get("labels") or {}),
            "ownerReferences": [owner_reference(job)],
            "finalizers": list(tmeta.get("finalizers") or []) + [JOB_TRACKING_FINALIZER],
        }
        if tmeta.get("annotations"):
            md["annotations"] = dict(tmeta["annotations"])
        return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": tmpl.get("spec") or {}}

    def _suspend_condition(self, status: dict, suspended: bool) -> list[tuple[str, str, str]]:
        conds = status.get("conditions") or []
        current = next((c for c in conds if c.get("type") == "Suspended"), None)
        if suspended and (current is None or current.get("status") != "True"):
            self._set_condition(status, "Suspended", "True", "JobSuspended", "Job suspended")
            return [("Normal", "Suspended", "Job suspended")]
        if not suspended and current is not None and current.get("status") == "True":
            self._set_condition(status, "Suspended", "False", "JobResumed", "Job resumed")
            # activeDeadlineSeconds counts the time the Job is continuously active.
            status["startTime"] = self.store.now()
            return [("Normal", "Resumed", "Job resumed")]
        return []

    def _set_condition(
        self, status: dict, type_: str, value: str, reason: str, message: str
    ) -> None:
        now = self.store.now()
        cond = {
            "type": type_,
            "status": value,
            "reason": reason,
            "message": message,
            "lastProbeTime": now,
            "lastTransitionTime": now,
        }
        conds = [c for c in status.get("conditions") or [] if c.get("type") != type_]
        for i, c in enumerate(status.get("conditions") or []):
            if c.get("type") == type_:
                conds.insert(i, cond)  # keep the condition's place in the list
                break
        else:
            conds.append(cond)
        status["conditions"] = conds

    # ---- failure back-off (backoff_utils.go) ----------------------------------------

    def _new_backoff_record(
        self, key: tuple[str, str], succeeded: list[dict], failed: list[dict]
    ) -> tuple[int, float | None]:
        count, last = self._backoff.get(key, (0, None))
        if not succeeded:
            if not failed:
                return count, last
            return count + len(failed), max(_finished_time(p) for p in failed)
        last_success = max(_finished_time(p) for p in succeeded)
        later = sorted(t for t in (_finished_time(p) for p in failed) if t > last_success)
        return len(later), (later[-1] if later else None)

    def _backoff_remaining(self, key: tuple[str, str]) -> float:
        count, last = self._backoff.get(key, (0, None))
        if count == 0 or last is None:
            return 0.0
        delay = DEFAULT_JOB_POD_FAILURE_BACKOFF
        for _ in range(1, count):
            delay *= 2
            if delay >= MAX_JOB_POD_FAILURE_BACKOFF:
                delay = MAX_JOB_POD_FAILURE_BACKOFF
                break
        return max(0.0, delay - (self.ctx.clock.now() - last))

    # ---- writes --------------------------------------------------------------

    def _delete_pods(self, ns: str, pods: list[dict], *, remove_finalizer: bool) -> int:
        deleted = 0
        for pod in pods:
            name = pod["metadata"]["name"]
            if remove_finalizer:
                # Pods the controller removes on purpose are not failures (deleteJobPods).
                self._remove_finalizers([pod])
            try:
                self.store.delete("Pod", name, ns)
            except APIStatusError:
                continue
            deleted += 1
        return deleted

    def _remove_finalizers(self, pods: list[dict]) -> None:
        def drop(p: dict) -> bool | None:
            fins = p["metadata"].get("finalizers") or []
            if JOB_TRACKING_FINALIZER not in fins:
                return False
            rest = [f for f in fins if f != JOB_TRACKING_FINALIZER]
            if rest:
                p["metadata"]["finalizers"] = rest
            else:
                p["metadata"].pop("finalizers", None)
            return None

        for pod in pods:
            self.store.mutate("Pod", pod["metadata"]["name"], pod["metadata"]["namespace"], drop)

    def _release_orphans(self, ns: str, name: str, job: dict | None) -> None:
        """syncOrphanPod: pods of a deleted Job (or of an older Job with this name)
        must not keep the tracking finalizer, or they could never go away."""
        uid = job["metadata"]["uid"] if job is not None else None
        orphans = []
        for pod in self.store.list(
            "Pod", ns, from_set({"batch.kubernetes.io/job-name": name}), copy=False
        ):
            if not _has_finalizer(pod):
                continue
            refs = [r for r in pod["metadata"].get("ownerReferences") or [] if r.get("controller")]
            if (
                any(
                    r.get("kind") == "Job" and r.get("name") == name and r.get("uid") != uid
                    for r in refs
                )
                or not refs
            ):
                orphans.append(pod)
        self._remove_finalizers(orphans)

    def _event(self, job: dict, type_: str, reason: str, message: str) -> None:
        try:
            self.recorder.event(job, type_, reason, message)
        except APIStatusError:
            pass  # client-go's recorder drops events it cannot write


def _removal_rank(pod: dict) -> tuple:
    phase = (pod.get("status") or {}).get("phase")
    return (
        bool((pod.get("spec") or {}).get("nodeName")),
        {"Pending": 0, "Unknown": 1, "Running": 2}.get(phase or "Pending", 0),
        _is_ready(pod),
        pod["metadata"].get("creationTimestamp", ""),
    )
