"""Taint, toleration and node-selector matching shared by the scheduler and the
node lifecycle controller.

Ported from k8s.io/api/core/v1/toleration.go (`ToleratesTaint`),
k8s.io/component-helpers/scheduling/corev1 (`FindMatchingUntoleratedTaint`,
`TolerationsTolerateTaint`, nodeaffinity `NodeSelectorRequirementsAsSelector`)
and pkg/apis/core/v1/helper (`GetMatchingTolerations`). The default
NoExecute tolerations mirror plugin/pkg/admission/defaulttolerationseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

# Well-known taint keys (k8s.io/api/core/v1/well_known_taints.go).
TAINT_NODE_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_NODE_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_NODE_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_NODE_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_NODE_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NODE_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "PreferNoSchedule", "NoExecute"


def tolerates_taint(toleration: Mapping, taint: Mapping) -> bool:
    """Toleration.ToleratesTaint: an empty effect matches every effect, an empty
    key with operator Exists matches every key."""
    effect = toleration.get("effect") or ""
    if effect and effect != taint.get("effect"):
        return False
    key = toleration.get("key") or ""
    if key and key != taint.get("key"):
        return False
    op = toleration.get("operator") or "Equal"
    if op == "Exists":
        return True
    if op == "Equal":
        return (toleration.get("value") or "") == (taint.get("value") or "")
    return False


def tolerations_tolerate_taint(tolerations: Iterable[Mapping], taint: Mapping) -> bool:
    return any(tolerates_taint(t, taint) for t in tolerations)


def does_not_schedule(taint: Mapping) -> bool:
    """helper.DoNotScheduleTaintsFilterFunc: the effects the Filter cares about."""
    return taint.get("effect") in (NO_SCHEDULE, NO_EXECUTE)


def find_matching_untolerated_taint(
    taints: Iterable[Mapping],
    tolerations: list[Mapping],
    inclusion: Callable[[Mapping], bool] | None = None,
) -> Mapping | None:
    """The first taint (in node order) that passes `inclusion` and no toleration tolerates."""
    for taint in taints:
        if inclusion is not None and not inclusion(taint):
            continue
        if not tolerations_tolerate_taint(tolerations, taint):
            return taint
    return None


def get_matching_tolerations(taints: list[Mapping], tolerations: list[Mapping]) -> tuple[bool, list[Mapping]]:
    """GetMatchingTolerations: whether every taint is tolerated, and the tolerations used."""
    if not taints:
        return True, []
    if not tolerations:
        return False, []
    used: list[Mapping] = []
    for taint in taints:
        match = next((t for t in tolerations if tolerates_taint(t, taint)), None)
        if match is None:
            return False, []
        used.append(match)
    return True, used


def taint_key(taint: Mapping) -> tuple[str, str, str]:
    """What makes two taints the same one (timeAdded aside): TaintSetDiff's MatchTaint."""
    return taint.get("key") or "", taint.get("value") or "", taint.get("effect") or ""


# ---- DefaultTolerationSeconds admission ------------------------------------------


def _tolerates_key_no_execute(tolerations: Iterable[Mapping], key: str) -> bool:
    # defaulttolerationseconds.toleratesNodeNotReady / toleratesNodeUnreachable
    for t in tolerations:
        if (t.get("key") in (key, "", None)) and (t.get("effect") in (NO_EXECUTE, "", None)):
            return True
    return False


def effective_tolerations(pod_spec: Mapping, default_seconds: float) -> list[Mapping]:
    """The pod's tolerations plus what the DefaultTolerationSeconds admission plugin
    would have added at creation: not-ready and unreachable NoExecute for
    `default_seconds`, unless the pod already tolerates them. The store does not
    run admission, so the engine applies the defaults where they matter."""
    tolerations = list(pod_spec.get("tolerations") or [])
    for key in (TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE):
        if not _tolerates_key_no_execute(tolerations, key):
            tolerations.append({"key": key, "operator": "Exists", "effect": NO_EXECUTE,
                                "tolerationSeconds": default_seconds})
    return tolerations


# ---- node selectors ----------------------------------------------------------------


def _requirement_matches(req: Mapping, values_of: Mapping[str, str]) -> bool:
    key, op = req.get("key", ""), req.get("operator", "")
    values = [str(v) for v in req.get("values") or []]
    present = key in values_of
    if op == "In":
        return present and values_of[key] in values
    if op == "NotIn":
        return not present or values_of[key] not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt"):
        # Gt/Lt compare the label as an integer; a missing or non-integer label never matches.
        if not present or len(values) != 1:
            return False
        try:
            have, want = int(values_of[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def node_selector_term_matches(term: Mapping, node_labels: Mapping[str, str], node_name: str) -> bool:
    """A NodeSelectorTerm: matchExpressions on labels AND matchFields (metadata.name).
    A term with neither matches nothing."""
    exprs = term.get("matchExpressions") or []
    fields = term.get("matchFields") or []
    if not exprs and not fields:
        return False
    if not all(_requirement_matches(r, node_labels) for r in exprs):
        return False
    return all(_requirement_matches(r, {"metadata.name": node_name}) for r in fields)


def node_selector_matches(terms: list[Mapping], node_labels: Mapping[str, str], node_name: str) -> bool:
    """NodeSelector: the terms are ORed."""
    return any(node_selector_term_matches(t, node_labels, node_name) for t in terms)
