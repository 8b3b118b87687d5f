"""Carrying out PodActions on the container runtime: sandbox, start, kill.

Sources: pkg/kubelet/kuberuntime/kuberuntime_manager.go (`SyncPod`,
`doBackOff`, `killPodWithSyncResult`) and kuberuntime_container.go
(`startContainer`, `generateContainerConfig`, `killContainer`). Events, in the
words of Kubernetes 1.33:

- Normal `Created` "Created container: c", Normal `Started` "Started container c";
- Warning `Failed` "Error: <why>" when a start fails (ErrImagePull,
  ImagePullBackOff, a CreateContainerConfigError message …);
- Warning `BackOff` "Back-off restarting failed container c in pod p_ns(uid)"
  while the restart back-off holds, with the waiting message
  `back-off 40s restarting failed container=c pod=p_ns(uid)`;
- Normal `Killing` "Stopping container c" (or the reason it is killed), after
  which the preStop hook runs and the container gets the rest of the grace
  period (at least 2 s) between SIGTERM and SIGKILL.
"""

from __future__ import annotations

from collections.abc import Callable

from ..api.events import EventRecorder
from ..api.quantity import to_float as parse_quantity
from ..api.store import Store
from ..clock import Clock
from ..runtime.base import ContainerCreateError, ContainerRuntime, ContainerSpec, Mount
from .actions import PodActions
from .backoff import Backoff, go_duration
from .envvars import ContainerConfigError, expand, make_environment_variables
from .images import ImageManager
from .lifecycle import format_pod, run_handler
from .pod_state import EXITED, ContainerRecord, PodRecord, StartFailure, container_hash, gone_ok
from .volumes import POD_UID_LABEL

MINIMUM_GRACE_PERIOD = 2.0  # minimumGracePeriodInSeconds
CRASH_LOOP_BACK_OFF = "CrashLoopBackOff"
CREATE_CONTAINER_CONFIG_ERROR = "CreateContainerConfigError"
CREATE_CONTAINER_ERROR = "CreateContainerError"
RUN_CONTAINER_ERROR = "RunContainerError"
POST_START_HOOK_ERROR = "PostStartHookError"
HOOK_TIMEOUT = 30.0


class RuntimeManager:
    """kubeGenericRuntimeManager: one per kubelet."""

    def __init__(
        self,
        store: Store,
        runtime: ContainerRuntime,
        clock: Clock,
        recorder: EventRecorder,
        images: ImageManager,
        backoff: Backoff,
        host_ip: Callable[[], str],
        register_sandbox: Callable[[str, PodRecord], None],
    ):
        self.store = store
        self.runtime = runtime
        self.clock = clock
        self.recorder = recorder
        self.images = images
        self.backoff = backoff
        self.host_ip = host_ip
        self.register_sandbox = register_sandbox

    # ---- SyncPod ----------------------------------------------------------

    def sync_pod(self, pod: dict, rec: PodRecord, actions: PodActions) -> None:
        spec = pod.get("spec") or {}
        if actions.kill_pod:
            self.kill_pod(pod, rec)
            if rec.sandbox_id is not None and not actions.create_sandbox:
                rec.sandbox_ready = False
            return
        for cid, info in actions.containers_to_kill.items():
            c = next((r for r in rec.containers.values() if r.id == cid), None)
            if c is not None:
                self.kill_container(pod, rec, c, info.container, info.message)
        if actions.create_sandbox and not self.create_sandbox(pod, rec):
            return
        if actions.next_init_container is not None:
            self.start(pod, rec, actions.next_init_container, init=True)
        containers = spec.get("containers") or []
        for idx in actions.containers_to_start:
            container = containers[idx]
            current = rec.containers.get(container["name"])
            if current is not None and current.id in rec.stopping:
                continue  # still dying after a kill: started again once it has exited
            self.start(pod, rec, container, init=False)

    def create_sandbox(self, pod: dict, rec: PodRecord) -> bool:
        md = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        try:
            sandbox = self.runtime.run_pod_sandbox(
                rec.uid, rec.name, rec.namespace, (spec.get("hostname") or rec.name)[:63],
                {**(md.get("labels") or {}), POD_UID_LABEL: rec.uid,
                 "io.kubernetes.pod.name": rec.name, "io.kubernetes.pod.namespace": rec.namespace},
                subdomain=spec.get("subdomain") or None,
            )
        except Exception as exc:  # noqa: BLE001 - the runtime said no: an event, retried
            self.recorder.warning(pod, "FailedCreatePodSandBox", f"Failed to create pod sandbox: {exc}")
            return False
        rec.sandbox_id, rec.pod_ip, rec.sandbox_ready = sandbox.id, sandbox.ip, True
        self.register_sandbox(sandbox.id, rec)
        return True

    def start(self, pod: dict, rec: PodRecord, container: dict, *, init: bool) -> None:
        """SyncPod's `start` helper: back-off check, then startContainer; the
        outcome goes to the reason cache."""
        name = container["name"]
        message = self.do_backoff(pod, rec, container)
        if message is not None:
            rec.failures[name] = StartFailure(CRASH_LOOP_BACK_OFF, message)
            return
        failure = self.start_container(pod, rec, container, init=init)
        if failure is None:
            rec.failures.pop(name, None)
        else:
            rec.failures[name] = failure

    # ---- back-off -------------------------------------------------------------

    @staticmethod
    def backoff_key(pod: dict, container: dict) -> tuple[str, str, str]:
        """GetStableKey: pod uid, container name and hash (a new image starts afresh)."""
        return ((pod.get("metadata") or {}).get("uid", ""), container["name"],
                container_hash(container))

    def last_exited(self, rec: PodRecord, name: str) -> ContainerRecord | None:
        """The newest dead instance of a container (the current one, or the one before)."""
        for c in (rec.containers.get(name), rec.previous.get(name)):
            if c is not None and c.state == EXITED:
                return c
        return None

    def do_backoff(self, pod: dict, rec: PodRecord, container: dict) -> str | None:
        """None to go ahead, else the CrashLoopBackOff message (doBackOff)."""
        dead = self.last_exited(rec, container["name"])
        if dead is None or dead.finished_at is None:
            return None
        key = self.backoff_key(pod, container)
        rec.backoff_keys.add(key)
        if self.backoff.is_in_backoff_since(key, dead.finished_at):
            name = container["name"]
            self.recorder.warning(
                pod, "BackOff", f"Back-off restarting failed container {name} in pod {format_pod(pod)}")
            return (f"back-off {go_duration(self.backoff.get(key))} restarting failed "
                    f"container={name} pod={format_pod(pod)}")
        self.backoff.next(key, dead.finished_at)
        return None

    def backoff_expiry(self, pod: dict, rec: PodRecord, container: dict) -> float | None:
        dead = self.last_exited(rec, container["name"])
        if dead is None or dead.finished_at is None:
            return None
        return self.backoff.expires_at(self.backoff_key(pod, container), since=dead.finished_at)

    # ---- startContainer ---------------------------------------------------------

    def start_container(self, pod: dict, rec: PodRecord, container: dict, *, init: bool
                        ) -> StartFailure | None:
        name = container["name"]
        pull = self.images.ensure_image_exists(pod, container, self.recorder)
        if pull is not None:
            self.recorder.warning(pod, "Failed", f"Error: {pull.reason}")
            return StartFailure(pull.reason, pull.message)
        previous = rec.containers.get(name)
        restart_count = previous.restart_count + 1 if previous is not None else 0
        try:
            spec = self.generate_container_spec(pod, rec, container, restart_count)
        except ContainerConfigError as exc:
            self.recorder.warning(pod, "Failed", f"Error: {exc}")
            return StartFailure(CREATE_CONTAINER_CONFIG_ERROR, str(exc))
        try:
            cid = self.runtime.create_container(rec.sandbox_id or "", spec)
        except ContainerCreateError as exc:
            self.recorder.warning(pod, "Failed", f"Error: {exc}")
            return StartFailure(CREATE_CONTAINER_ERROR, str(exc))
        self._replace_instance(rec, ContainerRecord(
            id=cid, name=name, image=container.get("image", ""), restart_count=restart_count,
            spec_hash=container_hash(container), init=init))
        self.recorder.normal(pod, "Created", f"Created container: {name}")
        try:
            self.runtime.start_container(cid)
        except ContainerCreateError as exc:
            self.recorder.warning(pod, "Failed", f"Error: {exc}")
            return StartFailure(RUN_CONTAINER_ERROR, str(exc))
        self.recorder.normal(pod, "Started", f"Started container {name}")
        post_start = (container.get("lifecycle") or {}).get("postStart")
        if post_start:
            error = run_handler(self.runtime, cid, rec.sandbox_id or "", pod, container,
                                post_start, HOOK_TIMEOUT)
            if error is not None:
                # The message is not put in the event, so that secrets do not leak.
                self.recorder.warning(pod, "FailedPostStartHook", "PostStartHook failed")
                self.kill_container(pod, rec, rec.containers[name], container, "FailedPostStartHook")
                return StartFailure(POST_START_HOOK_ERROR, error)
        return None

    def _replace_instance(self, rec: PodRecord, new: ContainerRecord) -> None:
        """Keep the latest instance and the dead one before it (for lastState and
        `logs --previous`); older ones go, as the container GC keeps one per name."""
        old = rec.containers.get(new.name)
        if old is not None:
            older = rec.previous.get(new.name)
            if older is not None:
                with gone_ok():  # already removed
                    self.runtime.remove_container(older.id)
            rec.previous[new.name] = old
        rec.containers[new.name] = new

    def generate_container_spec(self, pod: dict, rec: PodRecord, container: dict,
                                restart_count: int) -> ContainerSpec:
        """generateContainerConfig: env, command/args with $(VAR), mounts, limits."""
        host_ip = self.host_ip()
        env = make_environment_variables(self.store, pod, container, rec.pod_ip, host_ip)
        volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
        mounts = []
        for vm in container.get("volumeMounts") or []:
            vid = rec.volumes.get(vm.get("name", ""))
            if vid is None:
                raise ContainerConfigError(
                    f'cannot find volume "{vm.get("name", "")}" to mount into container '
                    f'"{container["name"]}"')
            vol = volumes.get(vm.get("name"), {})
            read_only = bool(vm.get("readOnly")) or any(
                k in vol for k in ("configMap", "secret", "downwardAPI", "projected"))
            mounts.append(Mount(volume=vid, container_path=vm.get("mountPath", ""),
                                read_only=read_only, sub_path=vm.get("subPath") or None))
        limits = (container.get("resources") or {}).get("limits") or {}
        command = container.get("command")
        args = container.get("args")
        return ContainerSpec(
            name=container["name"],
            image=container.get("image", ""),
            command=[expand(str(a), env) for a in command] if command else None,
            args=[expand(str(a), env) for a in args] if args else None,
            env=env,
            working_dir=container.get("workingDir") or None,
            ports=[int(p["containerPort"]) for p in container.get("ports") or []
                   if p.get("containerPort")],
            memory_limit=_quantity(limits.get("memory"), integer=True),
            cpu_limit=_quantity(limits.get("cpu")),
            mounts=mounts,
            labels={
                POD_UID_LABEL: rec.uid,
                "io.kubernetes.pod.name": rec.name,
                "io.kubernetes.pod.namespace": rec.namespace,
                "io.kubernetes.container.name": container["name"],
                "io.kubernetes.container.restartCount": str(restart_count),
            },
        )

    # ---- killContainer ----------------------------------------------------------

    def grace_period(self, pod: dict, container: dict, reason: str = "") -> float:
        """setTerminationGracePeriod: the deletion's grace, else the pod's; a
        probe may carry its own for the kills it causes."""
        md = pod.get("metadata") or {}
        if md.get("deletionTimestamp") and md.get("deletionGracePeriodSeconds") is not None:
            return float(md["deletionGracePeriodSeconds"])
        probe = {"LivenessProbe": "livenessProbe", "StartupProbe": "startupProbe"}.get(reason)
        if probe and (container.get(probe) or {}).get("terminationGracePeriodSeconds") is not None:
            return float(container[probe]["terminationGracePeriodSeconds"])
        return float((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))

    def kill_container(self, pod: dict, rec: PodRecord, c: ContainerRecord, container: dict,
                       message: str = "", reason: str = "") -> bool:
        """Killing event, preStop, SIGTERM with the grace period. True once it has exited;
        else the container is in rec.stopping with its SIGKILL deadline."""
        grace = self.grace_period(pod, container, reason)
        self.recorder.normal(pod, "Killing", message or f"Stopping container {c.name}")
        pre_stop = (container.get("lifecycle") or {}).get("preStop")
        if pre_stop and grace > 0:
            started = self.clock.now()
            error = run_handler(self.runtime, c.id, rec.sandbox_id or "", pod, container,
                                pre_stop, grace)
            if error is not None:
                self.recorder.warning(pod, "FailedPreStopHook", "PreStopHook failed")
            grace -= self.clock.now() - started
        grace = max(grace, MINIMUM_GRACE_PERIOD)
        try:
            self.runtime.stop_container(c.id, grace)
            st = self.runtime.container_status(c.id)
        except Exception:  # noqa: BLE001 - gone already
            rec.stopping.pop(c.id, None)
            return True
        if st.status == EXITED:
            rec.stopping.pop(c.id, None)
            return True
        rec.stopping[c.id] = self.clock.now() + grace
        return False

    def kill_pod(self, pod: dict, rec: PodRecord) -> bool:
        """Stop every running container of the pod. True when all have exited."""
        containers = {c["name"]: c for c in [*((pod.get("spec") or {}).get("initContainers") or []),
                                             *((pod.get("spec") or {}).get("containers") or [])]}
        done = True
        for c in rec.running_containers():
            if c.id in rec.stopping:
                if self.clock.now() >= rec.stopping[c.id]:
                    self._force_kill(rec, c)
                else:
                    done = False
                continue
            if not self.kill_container(pod, rec, c, containers.get(c.name, {"name": c.name})):
                done = False
        return done

    def _force_kill(self, rec: PodRecord, c: ContainerRecord) -> None:
        with gone_ok():  # gone already
            self.runtime.kill_container(c.id)
        rec.stopping.pop(c.id, None)

    def remove_pod(self, rec: PodRecord) -> None:
        """Remove the pod's containers and sandbox from the runtime (SIGKILL if needed)."""
        for c in rec.all_instances():
            with gone_ok():  # already removed
                self.runtime.remove_container(c.id)
        if rec.sandbox_id is not None:
            with gone_ok():  # already removed
                self.runtime.remove_pod_sandbox(rec.sandbox_id)
        rec.containers.clear()
        rec.previous.clear()
        rec.stopping.clear()


def _quantity(value: object, *, integer: bool = False) -> float | int | None:
    if value in (None, ""):
        return None
    try:
        amount = parse_quantity(value)  # type: ignore[arg-type]
    except ValueError:
        return None
    return int(amount) if integer else amount
