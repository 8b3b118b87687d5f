"""kube-scheduler: one scheduling cycle per pending pod — filter, score, bind.

After pkg/scheduler/schedule_one.go (`scheduleOne`, `schedulingCycle`,
`findNodesThatFitPod`, `prioritizeNodes`, `selectHost`, `handleSchedulingFailure`),
pkg/scheduler/eventhandlers.go (which pods are ours), and the preemption
summary of pkg/scheduler/framework/preemption/preemption.go and
plugins/defaultpreemption (`PostFilter`: "preemption: " + a FitError over the
nodes). KubeQuest does not preempt: it only reports why preemption would not help.

Strings are those of v1.33 (the version the nodes report), plus v1.34's
"request larger than the node" = unresolvable (PR #131345); the v1.34+
DynamicResourceAllocation clause "no new claims to deallocate" is absent, as on
a cluster without DRA.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Hashable

from ..api.errors import Conflict, NotFound
from ..api.objects import get_condition
from ..api.store import WatchEvent
from ..controllers.base import Context, Controller
from .cache import SchedulerCache
from .framework import (
    SKIP,
    UNRESOLVABLE,
    CycleState,
    FitError,
    NodeInfo,
    PodInfo,
    Status,
    is_terminal,
)
from .plugins import default_plugins
from .queue import SchedulingQueue

DEFAULT_SCHEDULER = "default-scheduler"
ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods"
PREEMPTION_NOT_HELPFUL = "Preemption is not helpful for scheduling"
NO_PREEMPTION_VICTIMS = "No preemption victims found for incoming pod"


class Scheduler(Controller):
    name = "scheduler"

    def __init__(self, ctx: Context, scheduler_name: str = DEFAULT_SCHEDULER):
        self.scheduler_name = scheduler_name  # the component name of its events
        super().__init__(ctx)
        self.cache = SchedulerCache()
        self.scheduling_queue = SchedulingQueue(ctx, self.queue)
        self.plugins = default_plugins(self)
        self.filter_plugins = [p for p in self.plugins if p.filters]
        self.score_plugins = [p for p in self.plugins if p.weight]
        # Ties between equally good nodes are broken at random, as selectHost does,
        # from a generator seeded off the store's so that runs are repeatable.
        self.rng = random.Random(ctx.store.rng.getrandbits(64))
        self._events: deque[WatchEvent] = deque()

    @property
    def component(self) -> str:
        return self.scheduler_name

    # ---- informers -----------------------------------------------------------

    def handle(self, ev: WatchEvent) -> None:
        # Runs inside the store's write: only remember the event; it is folded into
        # the cache before the next cycle (deque.append is thread-safe).
        if ev.kind in ("Pod", "Node"):
            self._events.append(ev)
            self.ctx.wake()

    def resync_all(self) -> None:
        for node in self.store.list("Node", copy=False):
            self.cache.set_node(node)
        for pod in self.store.list("Pod", copy=False):
            if (pod.get("spec") or {}).get("nodeName") and not is_terminal(pod):
                self.cache.add_pod(pod)
            elif self._responsible(pod):
                self.scheduling_queue.add(_key(pod))

    def _drain(self) -> None:
        while self._events:
            ev = self._events.popleft()
            helps, plugins = self.cache.apply(ev)
            if ev.kind == "Pod":
                self._pod_event(ev)
            if helps and self.scheduling_queue.unschedulable:
                self.scheduling_queue.move_all(plugins)

    def _pod_event(self, ev: WatchEvent) -> None:
        key = _key(ev.object)
        if ev.type == "DELETED" or not self._responsible(ev.object):
            self.scheduling_queue.forget(key)  # gone, bound, terminating or not ours
            return
        if ev.type == "ADDED" or ev.old is None or _spec_changed(ev.old, ev.object):
            # a new pending pod, or the user changed it (e.g. added a toleration): try now
            self.scheduling_queue.add(key)

    def _responsible(self, pod: dict) -> bool:
        """eventhandlers.go: unassigned, not terminating, not finished, and ours."""
        spec = pod.get("spec") or {}
        return (not spec.get("nodeName")
                and (spec.get("schedulerName") or DEFAULT_SCHEDULER) == self.scheduler_name
                and not (pod.get("metadata") or {}).get("deletionTimestamp")
                and not is_terminal(pod))

    def process(self, budget: int = 10_000) -> int:
        self._drain()
        return super().process(budget)

    # ---- one cycle -------------------------------------------------------------

    def sync(self, key: Hashable) -> None:
        self._drain()
        ns, name = key  # type: ignore[misc]
        pod = self.store.try_get("Pod", name, ns, copy=False)
        if pod is None or not self._responsible(pod):
            self.scheduling_queue.forget(key)
            return
        self.schedule_one(pod)

    def schedule_one(self, pod: dict) -> str | None:
        """Place one pod; returns the node's name, or None when it stays Pending."""
        pi = PodInfo.of(pod)
        nodes = self.cache.node_list()
        if not nodes:
            self._failure(pod, ERR_NO_NODES_AVAILABLE, set())
            return None
        state = CycleState()
        feasible, fit_error = self.find_nodes_that_fit(state, pi, nodes)
        if not feasible:
            fit_error.post_filter_msg = self.post_filter(pi, fit_error)
            self._failure(pod, fit_error.error(), fit_error.unschedulable_plugins)
            return None
        if len(feasible) == 1:
            host = feasible[0].name  # nothing to compare: scoring is skipped
        else:
            host = self.select_host(self.prioritize_nodes(state, pi, feasible))
        self.bind(pod, host)
        return host

    def find_nodes_that_fit(self, state: CycleState, pod: PodInfo,
                            nodes: list[NodeInfo]) -> tuple[list[NodeInfo], FitError]:
        active = []
        for plugin in self.filter_plugins:
            status = plugin.pre_filter(state, pod)
            if status is None or status.code != SKIP:
                active.append(plugin)
        statuses: dict[str, Status] = {}
        feasible = []
        for node in nodes:
            for plugin in active:
                status = plugin.filter(state, pod, node)
                if status is not None:
                    statuses[node.name] = status  # the first failing plugin names the reason
                    break
            else:
                feasible.append(node)
        return feasible, FitError(len(nodes), statuses)

    def prioritize_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> dict[str, int]:
        totals = {n.name: 0 for n in nodes}
        for plugin in self.score_plugins:
            status = plugin.pre_score(state, pod, nodes)
            if status is not None and status.code == SKIP:
                continue
            scores = {n.name: plugin.score(state, pod, n) for n in nodes}
            plugin.normalize(state, pod, scores)
            for name, s in scores.items():
                totals[name] += s * plugin.weight
        return totals

    def select_host(self, scores: dict[str, int]) -> str:
        """The highest score; among equals, reservoir sampling as selectHost does."""
        best, chosen, seen = None, "", 0
        for name in sorted(scores):
            s = scores[name]
            if best is None or s > best:
                best, chosen, seen = s, name, 1
            elif s == best:
                seen += 1
                if self.rng.randrange(seen) == 0:
                    chosen = name
        return chosen

    def post_filter(self, pod: PodInfo, fit_error: FitError) -> str:
        """DefaultPreemption's answer when no node fits. KubeQuest never evicts for a
        higher-priority pod, so a node whose failure preemption could resolve reports
        that no lower-priority victims exist (or its own reasons if some do)."""
        if (pod.pod.get("spec") or {}).get("preemptionPolicy") == "Never":
            return "preemption: not eligible due to preemptionPolicy=Never."
        statuses: dict[str, Status] = {}
        for name, status in fit_error.node_to_status.items():
            if status.code == UNRESOLVABLE:
                statuses[name] = Status(UNRESOLVABLE, (PREEMPTION_NOT_HELPFUL,))
                continue
            node = self.cache.nodes.get(name)
            victims = node is not None and any(p.priority < pod.priority for p in node.pods.values())
            statuses[name] = status if victims else Status(UNRESOLVABLE, (NO_PREEMPTION_VICTIMS,))
        return "preemption: " + FitError(fit_error.num_all_nodes, statuses).error()

    # ---- results ---------------------------------------------------------------

    def bind(self, pod: dict, node: str) -> None:
        """DefaultBinder: one pods/binding write sets spec.nodeName and PodScheduled=True
        (the store's bind is the Binding subresource)."""
        md = pod["metadata"]
        name, ns = md["name"], md.get("namespace", "default")
        try:
            bound = self.store.bind(name, ns, node, resource_version=md.get("resourceVersion"))
        except (Conflict, NotFound):
            self.scheduling_queue.add((ns, name))  # changed under us: the next cycle decides again
            return
        self.scheduling_queue.forget((ns, name))
        self.recorder.normal(bound, "Scheduled", f"Successfully assigned {ns}/{name} to {node}")

    def _failure(self, pod: dict, message: str, plugins: set[str]) -> None:
        """handleSchedulingFailure: an event, the PodScheduled condition, back to the queue."""
        md = pod["metadata"]
        name, ns = md["name"], md.get("namespace", "default")
        self.recorder.warning(pod, "FailedScheduling", message)
        now = self.store.now()
        self.store.mutate("Pod", name, ns, lambda p: _set_condition(p, {
            "type": "PodScheduled", "status": "False", "lastProbeTime": None, "lastTransitionTime": now,
            "reason": "Unschedulable", "message": message,
        }, now), subresource="status")
        self.scheduling_queue.add_unschedulable((ns, name), plugins)


def _key(pod: dict) -> tuple[str, str]:
    md = pod.get("metadata") or {}
    return md.get("namespace") or "default", md.get("name", "")


def _spec_changed(old: dict, new: dict) -> bool:
    """isPodUpdated: a change a user made, not a status write (ours included)."""
    return old.get("spec") != new.get("spec") or (old.get("metadata") or {}).get("labels") != (
        new.get("metadata") or {}).get("labels")


def _set_condition(pod: dict, cond: dict, now: str) -> bool:
    """podutil.UpdatePodCondition: keep lastTransitionTime when the status is unchanged;
    write nothing when nothing changed."""
    status = pod.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    old = get_condition(pod, cond["type"])
    if old is not None:
        if old.get("status") == cond["status"]:
            cond["lastTransitionTime"] = old.get("lastTransitionTime", now)
        if all(old.get(k) == v for k, v in cond.items()) and set(old) <= set(cond):
            return False
        conditions[conditions.index(old)] = cond
    else:
        conditions.append(cond)
    return True
