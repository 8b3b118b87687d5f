"""compute_pod_actions: diff the desired pod against what runs, return what to do.

Source: pkg/kubelet/kuberuntime/kuberuntime_manager.go (`computePodActions`,
`findNextInitContainerToRun`, `isInitContainerFailed`) and
pkg/kubelet/container/helpers.go (`ShouldContainerBeRestarted`). Pure
functions of the pod and the PodRecord, so they are tested without a runtime.

Init containers run one at a time, in order, each to a successful exit; only
then do the app containers start. A running container is killed when its
definition changed or its liveness or startup probe failed, and restarted when
the restart policy allows. When nothing runs and nothing is to start, the whole
pod is killed (its sandbox stopped): it is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .pod_state import CREATED, EXITED, RUNNING, UNKNOWN, ContainerRecord, PodRecord, container_hash

# containerKillReason
LIVENESS, STARTUP, UNKNOWN_REASON = "LivenessProbe", "StartupProbe", "Unknown"


@dataclass
class KillInfo:
    name: str
    container: dict
    message: str
    reason: str = ""


@dataclass
class PodActions:
    kill_pod: bool = False
    create_sandbox: bool = False
    next_init_container: dict | None = None
    containers_to_start: list[int] = field(default_factory=list)
    containers_to_kill: dict[str, KillInfo] = field(default_factory=dict)  # by container id


def restart_policy(pod: dict) -> str:
    return (pod.get("spec") or {}).get("restartPolicy") or "Always"


def should_restart_on_failure(pod: dict) -> bool:
    return restart_policy(pod) != "Never"


def should_container_be_restarted(container: dict, pod: dict, rec: PodRecord) -> bool:
    """ShouldContainerBeRestarted (pkg/kubelet/container/helpers.go)."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False  # once a pod is marked deleted it is not restarted
    status = rec.containers.get(container["name"])
    if status is None:
        return True  # never started
    if status.state == RUNNING:
        return False
    if status.state in (UNKNOWN, CREATED):
        return True
    policy = restart_policy(pod)
    if policy == "Never":
        return False
    # OnFailure: only a failed container comes back.
    return not (policy == "OnFailure" and status.exit_code == 0)


def is_init_container_failed(status: ContainerRecord) -> bool:
    if status.oom_killed:
        return True
    if status.state == EXITED and status.exit_code != 0:
        return True
    return status.state == UNKNOWN


def find_next_init_container_to_run(
    pod: dict, rec: PodRecord
) -> tuple[ContainerRecord | None, dict | None, bool]:
    """(status of the last failed init container, next init container, done)."""
    spec = pod.get("spec") or {}
    inits = spec.get("initContainers") or []
    if not inits:
        return None, None, True
    # A running app container means initialisation happened before.
    for c in spec.get("containers") or []:
        st = rec.containers.get(c["name"])
        if st is not None and st.state == RUNNING:
            return None, None, True
    for c in reversed(inits):
        st = rec.containers.get(c["name"])
        if st is not None and is_init_container_failed(st):
            return st, c, False
    for i in range(len(inits) - 1, -1, -1):
        st = rec.containers.get(inits[i]["name"])
        if st is None:
            continue
        if st.state == RUNNING:
            return None, None, False
        if st.state == EXITED:
            if i == len(inits) - 1:
                return None, None, True
            return None, inits[i + 1], False
    return None, inits[0], False


def containers_succeeded(container: dict, rec: PodRecord) -> bool:
    st = rec.containers.get(container["name"])
    return st is not None and st.state == EXITED and st.exit_code == 0


def compute_pod_actions(
    pod: dict,
    rec: PodRecord,
    probe_failed: Callable[[str, str], bool] = lambda container_id, probe: False,
) -> PodActions:
    """What SyncPod must do. `probe_failed(container_id, "liveness"|"startup")`."""
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    actions = PodActions()
    if rec.sandbox_id is None:
        # A new pod: create the sandbox, then the first init container or every
        # container (but not, for OnFailure, those that already succeeded).
        actions.create_sandbox = True
        to_start = [i for i, c in enumerate(containers)
                    if not (restart_policy(pod) == "OnFailure" and containers_succeeded(c, rec))]
        if spec.get("initContainers"):
            actions.next_init_container = spec["initContainers"][0]
            return actions
        actions.containers_to_start = to_start
        return actions
    if not rec.sandbox_ready:
        actions.kill_pod = True  # the pod was killed: it stays done
        return actions

    last_failed, nxt, done = find_next_init_container_to_run(pod, rec)
    if not done:
        if nxt is not None:
            if last_failed is not None and not should_restart_on_failure(pod):
                actions.kill_pod = True
            else:
                actions.next_init_container = nxt
        return actions  # initialisation failed or still running

    keep = 0
    for idx, container in enumerate(containers):
        st = rec.containers.get(container["name"])
        if st is None or st.state != RUNNING:
            if should_container_be_restarted(container, pod, rec):
                actions.containers_to_start.append(idx)
            continue
        restart = should_restart_on_failure(pod)
        if st.spec_hash != container_hash(container):
            message = f"Container {container['name']} definition changed"
            reason = UNKNOWN_REASON
            restart = True  # whatever the restart policy: the spec changed
        elif probe_failed(st.id, "liveness"):
            message, reason = f"Container {container['name']} failed liveness probe", LIVENESS
        elif probe_failed(st.id, "startup"):
            message, reason = f"Container {container['name']} failed startup probe", STARTUP
        else:
            keep += 1
            continue
        if restart:
            message += ", will be restarted"
            actions.containers_to_start.append(idx)
        actions.containers_to_kill[st.id] = KillInfo(container["name"], container, message, reason)

    if keep == 0 and not actions.containers_to_start:
        actions.kill_pod = True
    return actions
