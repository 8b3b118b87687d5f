"""The scheduling framework's types: Status codes, PodInfo, NodeInfo, FitError.

After pkg/scheduler/framework/types.go (NodeInfo, PodInfo, FitError.Error,
AffinityTerm), pkg/scheduler/framework/interface.go (status codes,
MaxNodeScore), pkg/api/v1/resource/helpers.go (`PodRequests`: max(init) vs
sum(app), sidecars, overhead, pod-level resources) and
pkg/scheduler/util/pod_resources.go (the non-zero defaults used for scoring).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..api.quantity import parse as parse_quantity
from ..api.selectors import Selector, from_label_selector

SUCCESS = "Success"
UNSCHEDULABLE = "Unschedulable"
UNRESOLVABLE = "UnschedulableAndUnresolvable"
SKIP = "Skip"

MAX_NODE_SCORE = 100
# util.DefaultMilliCPURequest / DefaultMemoryRequest: what scoring assumes for a
# container without requests, so that request-less pods still spread.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024

TERMINAL_PHASES = ("Succeeded", "Failed")


@dataclass(frozen=True)
class Status:
    code: str
    reasons: tuple[str, ...] = ()
    plugin: str = ""

    @property
    def rejected(self) -> bool:
        return self.code in (UNSCHEDULABLE, UNRESOLVABLE)


def unschedulable(plugin: str, *reasons: str, unresolvable: bool = False) -> Status:
    return Status(UNRESOLVABLE if unresolvable else UNSCHEDULABLE, tuple(reasons), plugin)


SKIPPED = Status(SKIP)


# ---- resources ----------------------------------------------------------------------


@lru_cache(maxsize=4096)
def milli_cpu(value: Any) -> int:
    """Quantity.MilliValue() of a cpu quantity (`500m` -> 500, `2` -> 2000)."""
    return parse_quantity(value).milli_value()


@lru_cache(maxsize=4096)
def int_value(value: Any) -> int:
    """Quantity.Value() (`128Mi` -> 134217728)."""
    return parse_quantity(value).int_value()


def _requests_of(container: Mapping) -> tuple[int | None, int | None]:
    req = ((container.get("resources") or {}).get("requests")) or {}
    cpu = milli_cpu(str(req["cpu"])) if "cpu" in req else None
    mem = int_value(str(req["memory"])) if "memory" in req else None
    return cpu, mem


def pod_requests(spec: Mapping, non_zero: bool = False) -> tuple[int, int]:
    """(milli cpu, memory bytes) the pod asks for: PodRequests.

    Regular containers run together (sum), init containers one after the other
    (max), sidecars (restartable init containers) keep running alongside both.
    With `non_zero`, a missing request counts as 100m / 200Mi (scoring only).
    """
    def req(c: Mapping) -> tuple[int, int]:
        cpu, mem = _requests_of(c)
        if non_zero:
            return (DEFAULT_MILLI_CPU_REQUEST if cpu is None else cpu,
                    DEFAULT_MEMORY_REQUEST if mem is None else mem)
        return cpu or 0, mem or 0

    app_cpu = app_mem = 0
    for c in spec.get("containers") or []:
        cpu, mem = req(c)
        app_cpu, app_mem = app_cpu + cpu, app_mem + mem
    init_cpu = init_mem = side_cpu = side_mem = 0
    for c in spec.get("initContainers") or []:
        cpu, mem = req(c)
        if c.get("restartPolicy") == "Always":
            side_cpu, side_mem = side_cpu + cpu, side_mem + mem
            # a sidecar starting also needs room next to the sidecars before it
            init_cpu, init_mem = max(init_cpu, side_cpu), max(init_mem, side_mem)
        else:
            init_cpu, init_mem = max(init_cpu, cpu + side_cpu), max(init_mem, mem + side_mem)
    cpu, mem = max(app_cpu + side_cpu, init_cpu), max(app_mem + side_mem, init_mem)
    pod_level = ((spec.get("resources") or {}).get("requests")) or {}
    if "cpu" in pod_level:
        cpu = milli_cpu(str(pod_level["cpu"]))
    if "memory" in pod_level:
        mem = int_value(str(pod_level["memory"]))
    overhead = spec.get("overhead") or {}
    if "cpu" in overhead:
        cpu += milli_cpu(str(overhead["cpu"]))
    if "memory" in overhead:
        mem += int_value(str(overhead["memory"]))
    return cpu, mem


@dataclass
class Allocatable:
    milli_cpu: int = 0
    memory: int = 0
    pods: int = 0

    @classmethod
    def of(cls, node: Mapping) -> Allocatable:
        status = node.get("status") or {}
        alloc = status.get("allocatable") or status.get("capacity") or {}
        return cls(
            milli_cpu(str(alloc["cpu"])) if "cpu" in alloc else 0,
            int_value(str(alloc["memory"])) if "memory" in alloc else 0,
            int_value(str(alloc["pods"])) if "pods" in alloc else 0,
        )


# ---- pods ---------------------------------------------------------------------------


@dataclass
class AffinityTerm:
    """A parsed PodAffinityTerm, relative to the pod that carries it."""

    selector: Selector
    namespaces: frozenset[str]
    namespace_selector: Selector
    topology_key: str
    has_namespace_selector: bool = False

    @classmethod
    def parse(cls, term: Mapping, owner_namespace: str) -> AffinityTerm:
        names = term.get("namespaces") or []
        ns_sel = term.get("namespaceSelector")
        # getNamespacesFromPodAffinityTerm: neither field set means "my namespace".
        namespaces = frozenset(names) if (names or ns_sel is not None) else frozenset({owner_namespace})
        return cls(from_label_selector(term.get("labelSelector")), namespaces,
                   from_label_selector(ns_sel), term.get("topologyKey", ""), ns_sel is not None)

    def matches(self, pod: PodInfo, ns_labels: Callable[[str], Mapping[str, str]]) -> bool:
        """AffinityTerm.Matches: the pod is in one of the term's namespaces (listed or
        selected by namespaceSelector; an empty selector selects all) and its labels match."""
        in_ns = pod.namespace in self.namespaces or (
            self.has_namespace_selector and self.namespace_selector.matches(ns_labels(pod.namespace)))
        return in_ns and self.selector.matches(pod.labels)


@dataclass
class PodInfo:
    """What the scheduler needs from a pod, computed once per pod version."""

    key: tuple[str, str]
    pod: dict
    namespace: str
    labels: Mapping[str, str]
    requests: tuple[int, int]
    non_zero: tuple[int, int]
    controller: tuple[str, str] | None  # (namespace, controller uid) for default spreading
    terminating: bool
    priority: int
    required_affinity: list[AffinityTerm] = field(default_factory=list)
    required_anti_affinity: list[AffinityTerm] = field(default_factory=list)

    @classmethod
    def of(cls, pod: dict) -> PodInfo:
        md = pod.get("metadata") or {}
        spec = pod.get("spec") or {}
        ns = md.get("namespace") or "default"
        controller = None
        for ref in md.get("ownerReferences") or []:
            if ref.get("controller"):
                controller = (ns, ref.get("uid", ""))
        affinity = spec.get("affinity") or {}
        aff = (affinity.get("podAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or []
        anti = ((affinity.get("podAntiAffinity") or {})
                .get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        return cls(
            key=(ns, md.get("name", "")),
            pod=pod,
            namespace=ns,
            labels=md.get("labels") or {},
            requests=pod_requests(spec),
            non_zero=pod_requests(spec, non_zero=True),
            controller=controller,
            terminating=bool(md.get("deletionTimestamp")),
            priority=int(spec.get("priority") or 0),
            required_affinity=[AffinityTerm.parse(t, ns) for t in aff],
            required_anti_affinity=[AffinityTerm.parse(t, ns) for t in anti],
        )


def is_terminal(pod: Mapping) -> bool:
    return (pod.get("status") or {}).get("phase") in TERMINAL_PHASES


# ---- nodes --------------------------------------------------------------------------


class NodeInfo:
    """A node plus the aggregates of the pods bound to it, kept up to date incrementally."""

    def __init__(self, name: str):
        self.name = name
        self.node: dict | None = None
        self.labels: Mapping[str, str] = {}
        self.taints: list[Mapping] = []
        self.unschedulable = False
        self.allocatable = Allocatable()
        self.pods: dict[tuple[str, str], PodInfo] = {}
        self.requested_cpu = self.requested_mem = 0
        self.non_zero_cpu = self.non_zero_mem = 0
        # pods per controller, for default spreading (terminating pods do not count)
        self.controller_counts: Counter[tuple[str, str]] = Counter()

    def set_node(self, node: dict | None) -> None:
        self.node = node
        spec = (node or {}).get("spec") or {}
        self.labels = ((node or {}).get("metadata") or {}).get("labels") or {}
        self.taints = list(spec.get("taints") or [])
        self.unschedulable = bool(spec.get("unschedulable"))
        self.allocatable = Allocatable.of(node) if node else Allocatable()

    def add_pod(self, pi: PodInfo) -> None:
        self.pods[pi.key] = pi
        self.requested_cpu += pi.requests[0]
        self.requested_mem += pi.requests[1]
        self.non_zero_cpu += pi.non_zero[0]
        self.non_zero_mem += pi.non_zero[1]
        if pi.controller is not None and not pi.terminating:
            self.controller_counts[pi.controller] += 1

    def remove_pod(self, key: tuple[str, str]) -> PodInfo | None:
        pi = self.pods.pop(key, None)
        if pi is None:
            return None
        self.requested_cpu -= pi.requests[0]
        self.requested_mem -= pi.requests[1]
        self.non_zero_cpu -= pi.non_zero[0]
        self.non_zero_mem -= pi.non_zero[1]
        if pi.controller is not None and not pi.terminating:
            self.controller_counts[pi.controller] -= 1
            if self.controller_counts[pi.controller] <= 0:
                del self.controller_counts[pi.controller]
        return pi


# ---- cycle state and failures -------------------------------------------------------


class CycleState(dict):
    """Data one plugin computes in PreFilter/PreScore and reads per node."""


@dataclass
class FitError:
    """Why no node fits: renders FitError.Error() word for word."""

    num_all_nodes: int
    node_to_status: dict[str, Status]
    pre_filter_msg: str = ""
    post_filter_msg: str = ""

    def error(self) -> str:
        msg = f"0/{self.num_all_nodes} nodes are available:"
        if self.pre_filter_msg:
            msg += f" {self.pre_filter_msg}."
        else:
            counts: Counter[str] = Counter()
            for status in self.node_to_status.values():
                counts.update(status.reasons)
            histogram = sorted(f"{n} {reason}" for reason, n in counts.items())
            if histogram:
                msg += f" {', '.join(histogram)}."
        if self.post_filter_msg:
            msg += f" {self.post_filter_msg}"
        return msg

    @property
    def unschedulable_plugins(self) -> set[str]:
        return {s.plugin for s in self.node_to_status.values() if s.rejected and s.plugin}


def default_normalize_score(scores: dict[str, int], reverse: bool) -> None:
    """helper.DefaultNormalizeScore: scale to 0..MaxNodeScore, optionally reversed."""
    max_count = max(scores.values(), default=0)
    for name, s in scores.items():
        if max_count == 0:
            scores[name] = MAX_NODE_SCORE if reverse else 0
            continue
        score = MAX_NODE_SCORE * s // max_count
        scores[name] = MAX_NODE_SCORE - score if reverse else score


def go_round(x: float) -> int:
    """math.Round: halves away from zero (Python's round() goes to even)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)
