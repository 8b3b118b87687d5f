"""The Deployment controller's arithmetic and bookkeeping, ported from
kubernetes/kubernetes pkg/controller/deployment/util/deployment_util.go
(`ResolveFenceposts`, `MaxSurge`, `MaxUnavailable`, `NewRSNewReplicas`,
`IsSaturated`, `GetProportion`, the revision and replicas annotations,
`FindNewReplicaSet`/`FindOldReplicaSets`, `EqualIgnoreHash`), with
`GetScaledValueFromIntOrPercent` from apimachinery/pkg/util/intstr.
Conditions and progress checks are in conditions.py, the pod-template-hash in
template_hash.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from ...api.objects import clone
from ..podutil import creation_key, filter_active_replica_sets, replicas_of

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
POD_TEMPLATE_HASH = "pod-template-hash"  # apps.DefaultDeploymentUniqueLabelKey

# Condition reasons
REPLICA_SET_UPDATED = "ReplicaSetUpdated"
FAILED_RS_CREATE = "ReplicaSetCreateError"
NEW_REPLICA_SET = "NewReplicaSetCreated"
FOUND_NEW_RS = "FoundNewReplicaSet"
NEW_RS_AVAILABLE = "NewReplicaSetAvailable"
TIMED_OUT = "ProgressDeadlineExceeded"
PAUSED = "DeploymentPaused"
RESUMED = "DeploymentResumed"
MINIMUM_REPLICAS_AVAILABLE = "MinimumReplicasAvailable"
MINIMUM_REPLICAS_UNAVAILABLE = "MinimumReplicasUnavailable"
# Rollback event reasons
ROLLBACK_REVISION_NOT_FOUND = "DeploymentRollbackRevisionNotFound"
ROLLBACK_TEMPLATE_UNCHANGED = "DeploymentRollbackTemplateUnchanged"
ROLLBACK_DONE = "DeploymentRollback"

MAX_INT32 = 2**31 - 1
MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000  # sync.go maxRevHistoryLengthInChars

ANNOTATIONS_TO_SKIP = frozenset(
    {
        LAST_APPLIED,
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        DEPRECATED_ROLLBACK_TO,
    }
)

# ---- intstr and the fenceposts ------------------------------------------------


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """GetScaledValueFromIntOrPercent; an unreadable value counts as 0 (validation rejects it)."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    s = str(value)
    if not s.endswith("%"):
        return 0
    try:
        pct = int(s[:-1])
    except ValueError:
        return 0
    return -(-pct * total // 100) if round_up else pct * total // 100


def _rolling(d: dict) -> dict:
    return ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}


def is_rolling_update(d: dict) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get(
        "type", "RollingUpdate"
    ) == "RollingUpdate"


def resolve_fenceposts(max_surge, max_unavailable, desired: int) -> tuple[int, int]:
    """Surge rounds up, unavailable rounds down; both 0 makes unavailable 1."""
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: dict) -> int:
    if not is_rolling_update(d):
        return 0
    ru = _rolling(d)
    return resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas_of(d))[0]


def max_unavailable(d: dict) -> int:
    replicas = replicas_of(d)
    if not is_rolling_update(d) or replicas == 0:
        return 0
    ru = _rolling(d)
    return min(
        resolve_fenceposts(ru.get("maxSurge"), ru.get("maxUnavailable"), replicas)[1], replicas
    )


def min_available(d: dict) -> int:
    return replicas_of(d) - max_unavailable(d) if is_rolling_update(d) else 0


def new_rs_new_replicas(d: dict, all_rss: Iterable[dict], new_rs: dict) -> int:
    """NewRSNewReplicas: how big the new ReplicaSet may grow now."""
    replicas = replicas_of(d)
    if not is_rolling_update(d):
        return replicas  # Recreate
    surge = scaled_value(_rolling(d).get("maxSurge"), replicas, True)
    current = replica_count(all_rss)
    max_total = replicas + surge
    if current >= max_total:
        return replicas_of(new_rs)
    return replicas_of(new_rs) + min(max_total - current, replicas - replicas_of(new_rs))


def is_saturated(d: dict, rs: dict | None) -> bool:
    if rs is None:
        return False
    try:
        desired = int(annotations(rs).get(DESIRED_REPLICAS, ""))
    except ValueError:
        return False
    replicas = replicas_of(d)
    return (
        replicas_of(rs) == replicas
        and desired == replicas
        and int((rs.get("status") or {}).get("availableReplicas") or 0) == replicas
    )


# ---- counting ReplicaSets ----------------------------------------------------------


def _status(rs: dict | None, field: str) -> int:
    return int(((rs or {}).get("status") or {}).get(field) or 0)


def replica_count(rss: Iterable[dict | None]) -> int:
    """GetReplicaCountForReplicaSets: the sum of spec.replicas."""
    return sum(replicas_of(rs) for rs in rss if rs is not None)


def actual_replica_count(rss: Iterable[dict | None]) -> int:
    return sum(_status(rs, "replicas") for rs in rss if rs is not None)


def ready_replica_count(rss: Iterable[dict | None]) -> int:
    return sum(_status(rs, "readyReplicas") for rs in rss if rs is not None)


def available_replica_count(rss: Iterable[dict | None]) -> int:
    return sum(_status(rs, "availableReplicas") for rs in rss if rs is not None)


# ---- revisions and annotations -----------------------------------------------------


def annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def revision(obj: dict | None) -> int | None:
    """The revision annotation; 0 when absent, None when unreadable (skipped, as in Go)."""
    if obj is None:
        return None
    raw = annotations(obj).get(REVISION)
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        return None


def max_revision(rss: Iterable[dict]) -> int:
    return max((v for v in (revision(rs) for rs in rss) if v is not None), default=0)


def last_revision(rss: Iterable[dict]) -> int:
    """The second highest revision (LastRevision)."""
    top = second = 0
    for v in (revision(rs) for rs in rss):
        if v is None:
            continue
        if v >= top:
            top, second = v, top
        elif v > second:
            second = v
    return second


def revision_sort_key(rs: dict) -> tuple:
    """ReplicaSetsByRevision (unreadable revisions fall back to creation order)."""
    v = revision(rs)
    return (0 if v is None else 1, v or 0, *creation_key(rs))


def set_new_replica_set_annotations(d: dict, rs: dict, new_revision: str, exists: bool) -> bool:
    """SetNewReplicaSetAnnotations: copy the Deployment's annotations, raise the revision
    (keeping the old one in revision-history when an old set is brought back), and on
    creation record desired-replicas and max-replicas. True when something changed."""
    changed = copy_deployment_annotations(d, rs)
    ann = rs["metadata"].setdefault("annotations", {})
    old_revision = ann.get(REVISION)
    try:
        old_int = int(old_revision) if old_revision else 0
    except ValueError:
        return False
    new_int = int(new_revision)
    if old_int < new_int:
        ann[REVISION] = new_revision
        changed = True
        if old_revision is not None:
            history = ann.get(REVISION_HISTORY, "")
            olds = history.split(",") if history else []
            total = len(history) + len(old_revision) + 1
            start = 0
            while history and total > MAX_REV_HISTORY_LENGTH_IN_CHARS and start < len(olds):
                total -= len(olds[start]) + 1
                start += 1
            if not history:
                ann[REVISION_HISTORY] = old_revision
            elif total <= MAX_REV_HISTORY_LENGTH_IN_CHARS:
                ann[REVISION_HISTORY] = ",".join(olds[start:] + [old_revision])
    if not exists and set_replicas_annotations(rs, replicas_of(d), replicas_of(d) + max_surge(d)):
        changed = True
    return changed


def copy_deployment_annotations(d: dict, rs: dict) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for k, v in annotations(d).items():
        if k in ANNOTATIONS_TO_SKIP or ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    return changed


def set_deployment_annotations_to(d: dict, rs: dict) -> None:
    """SetDeploymentAnnotationsTo: on rollback the Deployment takes the old set's annotations."""
    kept = {k: v for k, v in annotations(d).items() if k in ANNOTATIONS_TO_SKIP}
    kept.update({k: v for k, v in annotations(rs).items() if k not in ANNOTATIONS_TO_SKIP})
    d["metadata"]["annotations"] = kept


def set_replicas_annotations(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((DESIRED_REPLICAS, str(desired)), (MAX_REPLICAS, str(max_replicas))):
        if ann.get(key) != value:
            ann[key] = value
            changed = True
    return changed


def replicas_annotations_need_update(rs: dict, desired: int, max_replicas: int) -> bool:
    ann = annotations(rs)
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(max_replicas)


def int_annotation(rs: dict, key: str) -> int | None:
    try:
        return int(annotations(rs)[key])
    except (KeyError, ValueError):
        return None


def set_deployment_revision(d: dict, rev: str) -> bool:
    ann = d["metadata"].setdefault("annotations", {})
    if ann.get(REVISION) != rev:
        ann[REVISION] = rev
        return True
    return False


# ---- finding the new and old ReplicaSets ---------------------------------------------


def _prune(value):
    """Drop empty maps, lists and nulls: Semantic.DeepEqual treats nil and empty alike."""
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def template_without_hash(template: dict | None) -> dict:
    t = clone(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(POD_TEMPLATE_HASH, None)
    return t


def equal_ignore_hash(t1: dict | None, t2: dict | None) -> bool:
    """EqualIgnoreHash: the templates match once the pod-template-hash label is dropped."""
    return _prune(template_without_hash(t1)) == _prune(template_without_hash(t2))


def find_new_replica_set(d: dict, rss: list[dict]) -> dict | None:
    """The oldest ReplicaSet whose template matches the Deployment's."""
    template = (d.get("spec") or {}).get("template")
    for rs in sorted(rss, key=creation_key):
        if equal_ignore_hash((rs.get("spec") or {}).get("template"), template):
            return rs
    return None


def find_old_replica_sets(
    d: dict, rss: list[dict], new_rs: dict | None
) -> tuple[list[dict], list[dict]]:
    """(old sets that still have replicas, every old set)."""
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    all_old = [rs for rs in rss if rs["metadata"]["uid"] != new_uid]
    return [rs for rs in all_old if replicas_of(rs) != 0], all_old


def find_active_or_latest(new_rs: dict | None, old_rss: list[dict]) -> dict | None:
    """The only active set, or the newest when none is active; None when several are."""
    if new_rs is None and not old_rss:
        return None
    olds = sorted(old_rss, key=creation_key, reverse=True)
    active = filter_active_replica_sets(olds + [new_rs])
    if not active:
        return new_rs if new_rs is not None else olds[0]
    return active[0] if len(active) == 1 else None


def get_proportion(rs: dict | None, d: dict, to_add: int, added: int) -> int:
    """GetProportion: this set's share of a scaling event during a rollout."""
    if rs is None or replicas_of(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = _replica_set_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _round_half_away(a: float) -> int:
    return int(a - 0.5) if a < 0 else int(a + 0.5)  # integer.RoundToInt32


def _replica_set_fraction(rs: dict, d: dict) -> int:
    if replicas_of(d) == 0:
        return -replicas_of(rs)
    deployment_replicas = replicas_of(d) + max_surge(d)
    annotated = int_annotation(rs, MAX_REPLICAS)
    if annotated is None:
        annotated = _status(d, "replicas")
    if not annotated:
        return 0  # never proportionally scale up from zero (Go would divide by zero)
    return _round_half_away(replicas_of(rs) * deployment_replicas / annotated) - replicas_of(rs)


def set_from_replica_set_template(d: dict, template: dict) -> None:
    """SetFromReplicaSetTemplate: the Deployment takes the set's template, minus the hash label."""
    d["spec"]["template"] = template_without_hash(template)


def has_revision_history_limit(d: dict) -> bool:
    v = (d.get("spec") or {}).get("revisionHistoryLimit")
    return v is not None and v != MAX_INT32
