"""What `kubectl rollout …`, `kubectl set image` and `kubectl scale` do, client side,
as functions over the store. Each returns kubectl's success line
(`deployment.apps/web rolled back`) or raises RolloutError with kubectl's
words; the command line prints that as `error: <message>`.

Sources (kubernetes/kubectl):
- pkg/polymorphichelpers/rollback.go: `DeploymentRollbacker.Rollback` — pick the
  revision's ReplicaSet (the second highest revision without --to-revision),
  refuse a paused Deployment, skip when the template already matches, else
  replace `spec.template` (minus pod-template-hash) and the annotations;
- pkg/polymorphichelpers/history.go: `DeploymentHistoryViewer` (REVISION,
  CHANGE-CAUSE from `kubernetes.io/change-cause`);
- pkg/polymorphichelpers/rollout_status.go: `DeploymentStatusViewer.Status`;
- pkg/polymorphichelpers/objectpauser.go, objectresumer.go, objectrestarter.go;
- pkg/cmd/set/set_image.go, pkg/cmd/scale/scale.go;
- pkg/util/deployment/deployment.go: `GetAllReplicaSets` (sets selected by the
  Deployment's selector and controlled by it; the new one is the oldest whose
  template equals the Deployment's).
"""

from __future__ import annotations

from ..api.errors import KubeQuestError
from ..api.kinds import KINDS
from ..api.objects import clone, controller_of
from ..api.selectors import from_label_selector
from ..api.store import Store
from .deployment import conditions, util

CHANGE_CAUSE = "kubernetes.io/change-cause"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
SCALABLE = ("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet")


class RolloutError(KubeQuestError):
    """A refusal worded as kubectl words it (without its `error: ` prefix)."""


def _resource(kind: str) -> str:
    """`deployments.apps`: how kubectl names the resource in errors."""
    info = KINDS[kind]
    return f"{info.plural}.{info.group}" if info.group else info.plural


def _object_name(kind: str, name: str) -> str:
    """`deployment.apps/web`: how kubectl prints the object in success lines."""
    info = KINDS[kind]
    return f"{info.singular}.{info.group}/{name}" if info.group else f"{info.singular}/{name}"


def _replica_sets(store: Store, d: dict) -> tuple[list[dict], dict | None]:
    """GetAllReplicaSets: (every old set, the new set or None)."""
    selector = from_label_selector((d.get("spec") or {}).get("selector"))
    uid = d["metadata"]["uid"]
    rss = [
        rs
        for rs in store.list("ReplicaSet", d["metadata"]["namespace"], selector)
        if (controller_of(rs) or {}).get("uid") == uid
    ]
    new_rs = util.find_new_replica_set(d, rss)
    _, old = util.find_old_replica_sets(d, rss, new_rs)
    return old, new_rs


def _deployment_revision(store: Store, d: dict, to_revision: int) -> dict:
    old, new_rs = _replica_sets(store, d)
    all_rss = old + ([new_rs] if new_rs is not None else [])
    latest, latest_rev = None, -1
    previous, previous_rev = None, -1
    for rs in all_rss:
        v = util.revision(rs)
        if v is None:
            continue
        if to_revision == 0:
            if latest_rev < v:
                previous, previous_rev = latest, latest_rev
                latest, latest_rev = rs, v
            elif previous_rev < v:
                previous, previous_rev = rs, v
        elif v == to_revision:
            return rs
    if to_revision > 0:
        raise RolloutError(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        raise RolloutError(f'no rollout history found for deployment "{d["metadata"]["name"]}"')
    return previous


# ---- rollout undo / history / status ----------------------------------------------


def rollout_undo(store: Store, name: str, namespace: str = "default", to_revision: int = 0) -> str:
    """`kubectl rollout undo deployment/<name> [--to-revision=N]`."""
    if to_revision < 0:
        raise RolloutError(f"unable to find specified revision {to_revision} in history")
    d = store.get("Deployment", name, namespace)
    rs = _deployment_revision(store, d, to_revision)
    if d["spec"].get("paused"):
        raise RolloutError(
            "you cannot rollback a paused deployment; resume it first with "
            "'kubectl rollout resume' and try again"
        )
    if util.equal_ignore_hash(rs["spec"].get("template"), d["spec"].get("template")):
        return (
            f"{_object_name('Deployment', name)} skipped rollback "
            f"(current template already matches revision {to_revision})"
        )
    ann = {k: v for k, v in util.annotations(d).items() if k in util.ANNOTATIONS_TO_SKIP}
    ann.update({k: v for k, v in util.annotations(rs).items() if k not in util.ANNOTATIONS_TO_SKIP})
    template = util.template_without_hash(rs["spec"]["template"])

    def patch(o: dict) -> None:  # the JSON patch: replace /spec/template and /metadata/annotations
        o["spec"]["template"] = template
        o["metadata"]["annotations"] = ann

    store.mutate("Deployment", name, namespace, patch)
    return f"{_object_name('Deployment', name)} rolled back"


def rollout_history(store: Store, name: str, namespace: str = "default") -> list[tuple[int, str]]:
    """`kubectl rollout history deployment/<name>`: (revision, change-cause or "<none>")."""
    d = store.get("Deployment", name, namespace)
    old, new_rs = _replica_sets(store, d)
    history: dict[int, str] = {}
    for rs in old + ([new_rs] if new_rs is not None else []):
        v = util.revision(rs)
        if v is None:
            continue
        history[v] = util.annotations(rs).get(CHANGE_CAUSE) or "<none>"
    return sorted(history.items())


def rollout_status(store: Store, name: str, namespace: str = "default") -> tuple[bool, str]:
    """`kubectl rollout status deployment/<name>`, one look: (done, kubectl's line).

    A rollout past its progress deadline is (False, 'deployment "x" exceeded its
    progress deadline') — kubectl prints that as an error and exits 1.
    """
    d = store.get("Deployment", name, namespace)
    st = d.get("status") or {}
    if int(d["metadata"].get("generation") or 0) > int(st.get("observedGeneration") or 0):
        return False, "Waiting for deployment spec update to be observed..."
    cond = conditions.get_condition(st, "Progressing")
    if cond is not None and cond.get("reason") == util.TIMED_OUT:
        return False, f'deployment "{name}" exceeded its progress deadline'
    replicas = d["spec"].get("replicas")
    updated = int(st.get("updatedReplicas") or 0)
    total = int(st.get("replicas") or 0)
    available = int(st.get("availableReplicas") or 0)
    waiting = f'Waiting for deployment "{name}" rollout to finish: '
    if replicas is not None and updated < replicas:
        return False, f"{waiting}{updated} out of {replicas} new replicas have been updated..."
    if total > updated:
        return False, f"{waiting}{total - updated} old replicas are pending termination..."
    if available < updated:
        return False, f"{waiting}{available} of {updated} updated replicas are available..."
    return True, f'deployment "{name}" successfully rolled out'


# ---- pause / resume / restart ---------------------------------------------------------


def _get_deployment(store: Store, name: str, namespace: str) -> dict:
    return store.get("Deployment", name, namespace)


def pause(store: Store, name: str, namespace: str = "default") -> str:
    """`kubectl rollout pause`: set spec.paused."""
    d = _get_deployment(store, name, namespace)
    if d["spec"].get("paused"):
        raise RolloutError(f'{_resource("Deployment")} "{name}" is already paused')
    store.mutate("Deployment", name, namespace, lambda o: o["spec"].__setitem__("paused", True))
    return f"{_object_name('Deployment', name)} paused"


def resume(store: Store, name: str, namespace: str = "default") -> str:
    """`kubectl rollout resume`: clear spec.paused."""
    d = _get_deployment(store, name, namespace)
    if not d["spec"].get("paused"):
        raise RolloutError(f'{_resource("Deployment")} "{name}" is not paused')
    store.mutate("Deployment", name, namespace, lambda o: o["spec"].__setitem__("paused", False))
    return f"{_object_name('Deployment', name)} resumed"


def restart(store: Store, name: str, namespace: str = "default") -> str:
    """`kubectl rollout restart`: stamp the template with kubectl.kubernetes.io/restartedAt."""
    d = _get_deployment(store, name, namespace)
    if d["spec"].get("paused"):
        raise RolloutError(
            f'{_resource("Deployment")} "{name}" '
            "can't restart paused deployment (run rollout resume first)"
        )
    stamp = store.now()
    tmeta = (d["spec"].get("template") or {}).get("metadata") or {}
    if (tmeta.get("annotations") or {}).get(RESTARTED_AT) == stamp:
        raise RolloutError(
            f"failed to create patch for {name}: if restart has already been triggered "
            "within the past second, please wait before attempting to trigger another"
        )

    def stamp_template(o: dict) -> None:
        meta = o["spec"]["template"].setdefault("metadata", {})
        meta.setdefault("annotations", {})[RESTARTED_AT] = stamp

    store.mutate("Deployment", name, namespace, stamp_template)
    return f"{_object_name('Deployment', name)} restarted"


# ---- set image / scale ------------------------------------------------------------------


def set_image(
    store: Store, name: str, namespace: str, container: str, image: str, kind: str = "Deployment"
) -> str:
    """`kubectl set image <kind>/<name> <container>=<image>` (`*` for every container).
    Returns "" when nothing changed (kubectl then prints nothing)."""
    obj = store.get(kind, name, namespace)
    spec = clone(_pod_spec(obj))
    found = False
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or []:
            if container == "*" or c.get("name") == container:
                c["image"] = image
                found = True
    if not found:
        raise RolloutError(f'unable to find container named "{container}"')
    if spec == _pod_spec(obj):
        return ""

    def write(o: dict) -> None:
        if o["kind"] == "Pod":
            o["spec"] = spec
        else:
            o["spec"]["template"]["spec"] = spec

    store.mutate(kind, name, namespace, write)
    return f"{_object_name(kind, name)} image updated"


def _pod_spec(obj: dict) -> dict:
    if obj["kind"] == "Pod":
        return obj.get("spec") or {}
    return ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}


def scale(store: Store, kind: str, name: str, namespace: str, replicas: int) -> str:
    """`kubectl scale <kind>/<name> --replicas=N`: writes spec.replicas (the scale subresource)."""
    if replicas < 0:
        raise RolloutError(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
        )
    if kind not in KINDS:
        raise RolloutError(f'the server doesn\'t have a resource type "{kind}"')
    if kind not in SCALABLE:  # no scale subresource: the API server answers 404
        raise RolloutError("the server could not find the requested resource")
    store.get(kind, name, namespace)  # NotFound in the API server's words
    store.mutate(kind, name, namespace, lambda o: o["spec"].__setitem__("replicas", int(replicas)))
    return f"{_object_name(kind, name)} scaled"
