"""The pod status the kubelet reports: phase, conditions, container statuses.

Sources: pkg/kubelet/kubelet_pods.go (`generateAPIPodStatus`, `getPhase`,
`convertToAPIContainerStatuses`), pkg/kubelet/status/generate.go (the
Initialized / ContainersReady / Ready / PodReadyToStartContainers conditions
and their reasons), pkg/kubelet/status/status_manager.go (lastTransitionTime
moves only when a condition's status changes; startTime is set once).

Container states come from the runtime; a container that should be (re)started
but is not running shows the reason its last start failed (CrashLoopBackOff,
ErrImagePull, CreateContainerConfigError …), else ContainerCreating — or
PodInitializing while init containers run. `restartCount` and `lastState`
come from the container's latest and previous instances.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..clock import rfc3339
from .actions import restart_policy, should_container_be_restarted
from .pod_state import EXITED, RUNNING, ContainerRecord, PodRecord

CONTAINER_CREATING, POD_INITIALIZING = "ContainerCreating", "PodInitializing"
KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady")
TERMINAL = ("Succeeded", "Failed")

ReadyFn = Callable[[ContainerRecord], bool]


def _ts(t: float | None) -> str | None:
    return rfc3339(t) if t is not None else None


def _state(c: ContainerRecord, runtime_name: str) -> dict:
    if c.state == RUNNING:
        return {"running": {"startedAt": _ts(c.started_at)}}
    if c.state == EXITED:
        term: dict = {"exitCode": c.exit_code if c.exit_code is not None else 137,
                      "reason": c.terminated_reason()}
        if c.reason == "ContainerStatusUnknown":
            term["message"] = "The container could not be located when the pod was terminated"
        term["startedAt"] = _ts(c.started_at)
        term["finishedAt"] = _ts(c.finished_at)
        term["containerID"] = f"{runtime_name}://{c.id}"
        return {"terminated": term}
    return {"waiting": {"reason": CONTAINER_CREATING}}


def image_id(image: str) -> str:
    """A stable digest-style imageID (the runtime reports the real digest under Docker)."""
    repo = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def container_statuses(pod: dict, rec: PodRecord, containers: list[dict], *, init: bool,
                       runtime_name: str, started: ReadyFn, ready: ReadyFn) -> list[dict]:
    has_init = bool((pod.get("spec") or {}).get("initContainers"))
    out = []
    for spec in containers:
        name = spec["name"]
        latest = rec.containers.get(name)
        previous = rec.previous.get(name)
        status: dict = {"name": name}
        if latest is None:
            state: dict = {"waiting": {"reason": POD_INITIALIZING if has_init else CONTAINER_CREATING}}
            last: dict = {}
        else:
            state = _state(latest, runtime_name)
            last = _state(previous, runtime_name) if previous is not None else {}
        # A container that will be (re)started shows why its last start failed.
        restarts = should_container_be_restarted(spec, pod, rec)
        if init and latest is not None and latest.state == EXITED and latest.exit_code == 0:
            restarts = False
        failure = rec.failures.get(name)
        if restarts and failure is not None:
            if "terminated" in state:
                last = state
            waiting = {"reason": failure.reason}
            if failure.message:
                waiting["message"] = failure.message
            state = {"waiting": waiting}
        status["state"] = state
        status["lastState"] = last
        if init:
            status["ready"] = bool(latest and latest.state == EXITED and latest.exit_code == 0)
        else:
            status["ready"] = bool(latest and ready(latest))
        status["restartCount"] = latest.restart_count if latest else 0
        status["image"] = spec.get("image", "")
        status["imageID"] = image_id(spec.get("image", "")) if latest else ""
        if latest is not None:
            status["containerID"] = f"{runtime_name}://{latest.id}"
        status["started"] = bool(latest and started(latest))
        out.append(status)
    if not init:
        out.sort(key=lambda s: s["name"])  # SortedContainerStatuses: by name
    return out


def get_phase(pod: dict, init_statuses: list[dict], statuses: list[dict],
              pod_is_terminal: bool = False) -> str:
    """getPhase (kubelet_pods.go). A terminal pod (deleted, containers stopped) is
    Succeeded when every container exited 0, else Failed, whatever its policy."""
    pending_init = failed_init = 0
    for s in init_statuses:
        st, last = s["state"], s.get("lastState") or {}
        if "running" in st:
            pending_init += 1
        elif "terminated" in st:
            if st["terminated"]["exitCode"] != 0:
                failed_init += 1
        elif "waiting" in st:
            if "terminated" in last:
                if last["terminated"]["exitCode"] != 0:
                    failed_init += 1
            else:
                pending_init += 1
    running = waiting = stopped = succeeded = 0
    for s in statuses:
        st, last = s["state"], s.get("lastState") or {}
        if "running" in st:
            running += 1
        elif "terminated" in st:
            stopped += 1
            if st["terminated"]["exitCode"] == 0:
                succeeded += 1
        elif "terminated" in last:
            stopped += 1
        else:
            waiting += 1
    policy = restart_policy(pod)
    if failed_init > 0 and policy == "Never":
        return "Failed"
    any_regular_started = any("waiting" not in s["state"] or s.get("lastState") for s in statuses)
    if (pending_init > 0 and not any_regular_started) or waiting > 0:
        return "Pending"
    if running > 0:
        return "Running"
    if stopped > 0:
        if pod_is_terminal:
            return "Succeeded" if stopped == succeeded else "Failed"
        if policy == "Always":
            return "Running"  # all restarting
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"  # OnFailure: restarting the failed ones
    return "Pending"


def _go_list(names: list[str]) -> str:
    return "[" + " ".join(names) + "]"


def pod_conditions(pod: dict, rec: PodRecord, phase: str, init_statuses: list[dict],
                   statuses: list[dict]) -> list[dict]:
    """PodReadyToStartContainers, Initialized, Ready, ContainersReady (generate.go)."""
    conditions = [{"type": "PodReadyToStartContainers",
                   "status": "True" if rec.sandbox_id and rec.sandbox_ready else "False"}]
    incomplete = [s["name"] for s in init_statuses if not s["ready"]]
    if phase == "Succeeded":
        initialized = {"status": "True", "reason": "PodCompleted"}
    elif any("waiting" not in s["state"] or s.get("lastState") for s in statuses):
        initialized = {"status": "True"}  # a regular container has started: initialised before
    elif incomplete:
        initialized = {"status": "False", "reason": "ContainersNotInitialized",
                       "message": f"containers with incomplete status: {_go_list(incomplete)}"}
    else:
        initialized = {"status": "True"}
    conditions.append({"type": "Initialized", **initialized})
    if phase in TERMINAL:
        ready = {"status": "False", "reason": "PodCompleted" if phase == "Succeeded" else "PodFailed"}
    else:
        by_name = {s["name"]: s for s in statuses}
        unready = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []
                   if not by_name.get(c["name"], {}).get("ready")]
        if unready:
            ready = {"status": "False", "reason": "ContainersNotReady",
                     "message": f"containers with unready status: {_go_list(unready)}"}
        else:
            ready = {"status": "True"}
    conditions.append({"type": "Ready", **ready})
    conditions.append({"type": "ContainersReady", **ready})
    return conditions


def generate_api_pod_status(pod: dict, rec: PodRecord, *, now: float, host_ip: str,
                            runtime_name: str, started: ReadyFn, ready: ReadyFn,
                            pod_is_terminal: bool = False) -> dict:
    """The whole status: the stored one, with every kubelet-owned field recomputed."""
    old = pod.get("status") or {}
    spec = pod.get("spec") or {}
    init_statuses = container_statuses(pod, rec, spec.get("initContainers") or [], init=True,
                                       runtime_name=runtime_name, started=started, ready=ready)
    statuses = container_statuses(pod, rec, spec.get("containers") or [], init=False,
                                  runtime_name=runtime_name, started=started, ready=ready)
    phase = get_phase(pod, init_statuses, statuses, pod_is_terminal)
    if old.get("phase") in TERMINAL:
        phase = old["phase"]  # the kubelet never moves a pod out of a terminal phase
    status = dict(old)
    status["phase"] = phase
    status["conditions"] = _merge_conditions(
        old.get("conditions") or [], pod_conditions(pod, rec, phase, init_statuses, statuses), now)
    if host_ip:
        status["hostIP"] = host_ip
        status["hostIPs"] = [{"ip": host_ip}]
    if rec.pod_ip:
        status["podIP"] = rec.pod_ip
        status["podIPs"] = [{"ip": rec.pod_ip}]
    status.setdefault("startTime", rfc3339(now))
    status["containerStatuses"] = statuses
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    else:
        status.pop("initContainerStatuses", None)
    return status


def _merge_conditions(old: list[dict], new: list[dict], now: float) -> list[dict]:
    """Kubelet conditions in Kubernetes' order, lastTransitionTime kept unless the
    status flips; other owners' conditions (PodScheduled, DisruptionTarget) kept."""
    by_type = {c.get("type"): c for c in old}
    out = []
    for cond in new:
        prev = by_type.get(cond["type"])
        keep = prev is not None and prev.get("status") == cond["status"] and prev.get("lastTransitionTime")
        out.append({"type": cond["type"], "status": cond["status"], "lastProbeTime": None,
                    "lastTransitionTime": prev["lastTransitionTime"] if keep else rfc3339(now),
                    **{k: cond[k] for k in ("reason", "message") if k in cond}})
    scheduled = by_type.get("PodScheduled") or {
        "type": "PodScheduled", "status": "True", "lastProbeTime": None,
        "lastTransitionTime": rfc3339(now)}
    out.append(scheduled)
    out.extend(c for c in old if c.get("type") not in (*KUBELET_CONDITIONS, "PodScheduled"))
    return out
