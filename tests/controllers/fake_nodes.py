"""A fake scheduler + kubelet for controller tests (no runtime, no real sleeps).

FakeNodes is a loop component, like the real ones: it watches pods and

- binds a pod without spec.nodeName to the first node that fits (nodeSelector,
  required node affinity incl. DaemonSet-style `matchFields metadata.name`,
  untolerated NoSchedule/NoExecute taints, cordoned nodes);
- `ready_delay` clock seconds after binding, marks it Running and Ready;
- finishes graceful deletions (delete with grace 0) after `terminate_delay`;
- plays `kubequest/worker` pods as the catalog documents them: exit 0 after
  WORK_SECONDS (default 3), exit 1 with FAIL=1; with restartPolicy OnFailure a
  failed container restarts in place (restartCount + 1);
- lets a test finish any pod by hand with `finish(name, exit_code)`.
"""

from __future__ import annotations

from collections.abc import Hashable

from engine.api.objects import clone
from engine.api.store import Store, WatchEvent
from engine.clock import VirtualClock
from engine.controllers.base import Context, Controller
from engine.loop import ControlLoop


def make_loop(seed: int = 1) -> tuple[Store, ControlLoop]:
    """A store on a VirtualClock (no validator: validation is written elsewhere) and its loop."""
    clock = VirtualClock()
    store = Store(clock, seed=seed)
    return store, ControlLoop(store, clock)


def add_node(
    store: Store,
    name: str,
    *,
    labels: dict | None = None,
    taints: list | None = None,
    unschedulable: bool = False,
) -> dict:
    spec: dict = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return store.create(
        {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/hostname": name, **(labels or {})},
            },
            "spec": spec,
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
    )


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists":
            if not t.get("key") or t.get("key") == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def _term_matches(term: dict, node: dict) -> bool:
    labels = node["metadata"].get("labels") or {}
    for req in term.get("matchExpressions") or []:
        v, op, vals = labels.get(req["key"]), req["operator"], req.get("values") or []
        ok = {
            "In": v in vals,
            "NotIn": v not in vals,
            "Exists": req["key"] in labels,
            "DoesNotExist": req["key"] not in labels,
        }.get(op, False)
        if not ok:
            return False
    for req in term.get("matchFields") or []:
        if req["key"] == "metadata.name":
            inside = node["metadata"]["name"] in (req.get("values") or [])
            if inside != (req["operator"] == "In"):
                return False
    return True


def pod_fits_node(pod: dict, node: dict) -> bool:
    spec = pod.get("spec") or {}
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required and not any(
        _term_matches(t, node) for t in required.get("nodeSelectorTerms") or []
    ):
        return False
    tolerations = spec.get("tolerations") or []
    taints = list((node.get("spec") or {}).get("taints") or [])
    if (node.get("spec") or {}).get("unschedulable"):
        taints.append({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"})
    return all(
        _tolerates(tolerations, t) for t in taints if t.get("effect") in ("NoSchedule", "NoExecute")
    )


class FakeNodes(Controller):
    name = "fake-kubelet"

    def __init__(
        self,
        ctx: Context,
        *,
        ready_delay: float = 1.0,
        terminate_delay: float = 1.0,
        bind: bool = True,
        auto_ready: bool = True,
    ):
        super().__init__(ctx)
        self.ready_delay = ready_delay
        self.terminate_delay = terminate_delay
        self.bind = bind
        self.auto_ready = auto_ready
        self._started: set[str] = set()  # pod uids whose "containers" were started
        self._terminating: set[str] = set()
        self.max_active_seen: dict[str, int] = {}  # label value of job-name -> peak running pods

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "Pod" and ev.type != "DELETED":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))
        elif ev.kind == "Node":
            for pod in self.store.list("Pod", copy=False):
                if not (pod.get("spec") or {}).get("nodeName"):
                    self.queue.add((pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def resync_all(self) -> None:
        for pod in self.store.list("Pod", copy=False):
            self.queue.add((pod["metadata"]["namespace"], pod["metadata"]["name"]))

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        pod = self.store.try_get("Pod", name, ns, copy=False)
        if pod is None:
            return
        md, spec = pod["metadata"], pod.get("spec") or {}
        uid = md["uid"]
        if md.get("deletionTimestamp"):
            if (
                spec.get("nodeName")
                and (md.get("deletionGracePeriodSeconds") or 0) > 0
                and uid not in self._terminating
            ):
                self._terminating.add(uid)
                self.ctx.after(self.terminate_delay, lambda: self._finish_delete(ns, name, uid))
            return
        if not spec.get("nodeName"):
            if self.bind:
                self._schedule(pod)
            return
        if (
            uid not in self._started
            and (pod.get("status") or {}).get("phase", "Pending") == "Pending"
        ):
            self._started.add(uid)
            if self.auto_ready:
                self.ctx.after(self.ready_delay, lambda: self.start(ns, name, uid))

    def _schedule(self, pod: dict) -> None:
        for node in self.store.list("Node", copy=False):
            if pod_fits_node(pod, node):
                node_name = node["metadata"]["name"]
                self.store.mutate(
                    "Pod",
                    pod["metadata"]["name"],
                    pod["metadata"]["namespace"],
                    lambda p, n=node_name: p["spec"].__setitem__("nodeName", n),
                )
                return

    def _finish_delete(self, ns: str, name: str, uid: str) -> None:
        pod = self.store.try_get("Pod", name, ns, copy=False)
        if pod is not None and pod["metadata"]["uid"] == uid:
            self.store.delete("Pod", name, ns, grace_period_seconds=0)

    # ---- what the containers do ------------------------------------------------

    def start(self, ns: str, name: str, uid: str | None = None) -> None:
        """Containers started: Running and Ready."""
        now = self.store.now()

        def run(p: dict) -> bool | None:
            if (uid and p["metadata"]["uid"] != uid) or p["metadata"].get("deletionTimestamp"):
                return False
            st = p.setdefault("status", {})
            if st.get("phase") in ("Succeeded", "Failed"):
                return False
            st["phase"] = "Running"
            st["startTime"] = st.get("startTime") or now
            st["conditions"] = [{"type": "Ready", "status": "True", "lastTransitionTime": now}]
            st["containerStatuses"] = [
                {
                    "name": c["name"],
                    "ready": True,
                    "restartCount": self._restarts(p, c["name"]),
                    "state": {"running": {"startedAt": now}},
                }
                for c in p["spec"].get("containers") or []
            ]
            return None

        if self.store.mutate("Pod", name, ns, run, subresource="status") is not None:
            pod = self.store.get("Pod", name, ns)
            if pod["status"].get("phase") == "Running":
                self._maybe_work(pod)

    @staticmethod
    def _restarts(pod: dict, container: str) -> int:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            if cs.get("name") == container:
                return int(cs.get("restartCount") or 0)
        return 0

    def _maybe_work(self, pod: dict) -> None:
        c = ((pod.get("spec") or {}).get("containers") or [{}])[0]
        if not str(c.get("image", "")).startswith("kubequest/worker"):
            return
        env = {e.get("name"): e.get("value") for e in c.get("env") or []}
        seconds = float(env.get("WORK_SECONDS") or 3)
        code = 1 if env.get("FAIL") == "1" else 0
        ns, name, uid = (
            pod["metadata"]["namespace"],
            pod["metadata"]["name"],
            pod["metadata"]["uid"],
        )
        self.ctx.after(seconds, lambda: self.finish(name, code, ns, uid=uid))

    def finish(
        self, name: str, exit_code: int = 0, namespace: str = "default", *, uid: str | None = None
    ) -> None:
        """The pod's containers exit with `exit_code` (Succeeded / Failed, or a restart with OnFailure)."""
        pod = self.store.try_get("Pod", name, namespace)
        if (
            pod is None
            or (uid and pod["metadata"]["uid"] != uid)
            or pod["metadata"].get("deletionTimestamp")
        ):
            return
        policy = pod["spec"].get("restartPolicy", "Always")
        if (policy == "Always") or (policy == "OnFailure" and exit_code != 0):

            def restart(p: dict) -> None:
                for cs in p["status"].get("containerStatuses") or []:
                    cs["restartCount"] = int(cs.get("restartCount") or 0) + 1

            self.store.mutate("Pod", name, namespace, restart, subresource="status")
            self._maybe_work(self.store.get("Pod", name, namespace))
            return
        now = self.store.now()

        def done(p: dict) -> None:
            st = p.setdefault("status", {})
            st["phase"] = "Succeeded" if exit_code == 0 else "Failed"
            st["conditions"] = [
                {
                    "type": "Ready",
                    "status": "False",
                    "lastTransitionTime": now,
                    "reason": "PodCompleted",
                }
            ]
            st["containerStatuses"] = [
                {
                    "name": c["name"],
                    "ready": False,
                    "restartCount": self._restarts(p, c["name"]),
                    "state": {
                        "terminated": {
                            "exitCode": exit_code,
                            "reason": "Completed" if exit_code == 0 else "Error",
                            "finishedAt": now,
                        }
                    },
                }
                for c in p["spec"].get("containers") or []
            ]

        self.store.mutate("Pod", name, namespace, done, subresource="status")

    def set_ready(self, name: str, ready: bool, namespace: str = "default") -> None:
        now = self.store.now()

        def flip(p: dict) -> None:
            p.setdefault("status", {})["conditions"] = [
                {"type": "Ready", "status": "True" if ready else "False", "lastTransitionTime": now}
            ]

        self.store.mutate("Pod", name, namespace, flip, subresource="status")


def snapshot(store: Store, kind: str, namespace: str | None = None) -> list[dict]:
    return [clone(o) for o in store.list(kind, namespace, copy=False)]
