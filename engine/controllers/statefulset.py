"""StatefulSetController: pods with a stable identity and stable storage
(pkg/controller/statefulset: stateful_set.go, stateful_set_control.go,
stateful_pod_control.go, stateful_set_utils.go).

`StatefulSetControl.update_stateful_set` follows `defaultStatefulSetControl.updateStatefulSet`:

- pods are named `<set>-<ordinal>` for ordinals [0, replicas); each carries the
  labels `statefulset.kubernetes.io/pod-name`, `apps.kubernetes.io/pod-index`
  and `controller-revision-hash`, hostname = its name and subdomain =
  `spec.serviceName`; a missing pod is recreated with the same name;
- each volumeClaimTemplate gives a PVC `<template>-<set>-<ordinal>`, created
  before the pod and kept when the pod goes (retention Retain; with
  `whenDeleted: Delete` the claim gets an ownerReference to the set so the
  garbage collector removes it with the set);
- OrderedReady ("monotonic"): create one pod at a time, each only after all its
  predecessors are Running and Ready; scale down from the highest ordinal, one
  at a time, only when every remaining replica is healthy. Parallel: all at once;
- failed (or succeeded) pods are deleted and recreated;
- RollingUpdate deletes, from the highest ordinal down to `partition`, the pods
  whose revision is not the update revision, one at a time, waiting for each
  replacement to be healthy; OnDelete leaves them;
- events as StatefulPodControl words them: `SuccessfulCreate` "create Pod web-0
  in StatefulSet web successful", "create Claim www-web-0 Pod web-0 in
  StatefulSet web success", `SuccessfulDelete` "delete Pod web-2 in StatefulSet
  web successful".

Revisions: no ControllerRevision kind is served. A revision is named
`<set>-<hash of the pod template>` (FNV-32a, safe-encoded as
`controller.ComputeHash` does) and kept in status.currentRevision /
status.updateRevision; the templates of past revisions are remembered by this
controller in memory, so pods below a partition are recreated at their
revision while the process lives (afterwards: at the update revision).
Not modelled: spec.ordinals.start, maxUnavailable (alpha), whenScaled: Delete.
"""

from __future__ import annotations

import json
import re
from collections.abc import Hashable

from ..api.errors import AlreadyExists, APIStatusError
from ..api.objects import clone, owner_reference
from ..api.selectors import from_label_selector
from ..api.store import WatchEvent
from .base import Controller, owner_keys
from .podutil import available_at, is_pod_available, is_pod_ready

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
REVISION_LABEL = "controller-revision-hash"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_ORDINAL = re.compile(r"(.*)-([0-9]+)$")


def compute_hash(template: dict, collision_count: int = 0) -> str:
    """FNV-32a of the template, encoded like k8s.io/apimachinery/pkg/util/rand.SafeEncodeString."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in str(h))


def parent_and_ordinal(name: str) -> tuple[str, int]:
    m = _ORDINAL.match(name)
    return (m.group(1), int(m.group(2))) if m else ("", -1)


# ---- pod helpers ------------------------------------------------------------------


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase", "")


def _terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def _running_and_ready(pod: dict) -> bool:
    return _phase(pod) == "Running" and is_pod_ready(pod)


def _available_in(pod: dict, min_ready: int, now: float) -> float:
    """0 when the pod is available (podutil.IsPodAvailable), else the seconds until
    it will be (inf while it is not running and ready)."""
    if not _running_and_ready(pod):
        return float("inf")
    if is_pod_available(pod, min_ready, now):
        return 0.0
    at = available_at(pod, min_ready)
    return max(0.0, at - now) if at is not None else 0.0


def _healthy(pod: dict) -> bool:
    return _running_and_ready(pod) and not _terminating(pod)


class StatefulSetController(Controller):
    name = "statefulset"

    def __init__(self, ctx):
        super().__init__(ctx)
        self._revisions: dict[str, dict] = {}  # revision name -> pod template

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "StatefulSet":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))
        elif ev.kind == "Pod":
            for key in owner_keys(ev, "StatefulSet"):
                self.queue.add(key)
            if ev.type == "ADDED" and not ev.object["metadata"].get("ownerReferences"):
                parent, _ = parent_and_ordinal(ev.object["metadata"]["name"])
                if parent:  # an orphan that a set may adopt
                    self.queue.add((ev.object["metadata"]["namespace"], parent))

    def resync_all(self) -> None:
        for s in self.store.list("StatefulSet", copy=False):
            self.queue.add((s["metadata"]["namespace"], s["metadata"]["name"]))

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        try:
            self.sync_stateful_set(ns, name)
        except APIStatusError:
            self.enqueue_after(key, 1.0)  # retry, as the rate-limited work queue would

    # ---- sync ---------------------------------------------------------------------

    def sync_stateful_set(self, ns: str, name: str) -> None:
        sts = self.store.try_get("StatefulSet", name, ns)
        if sts is None:
            return
        pods = self._claim_pods(sts)
        status = self.update_stateful_set(sts, pods)
        self._update_status(sts, status)

    def _claim_pods(self, sts: dict) -> list[dict]:
        """Pods the set controls; orphans that match its selector and name are adopted."""
        md = sts["metadata"]
        selector = from_label_selector(sts["spec"].get("selector"))
        out = []
        for pod in self.store.list("Pod", md["namespace"], selector, copy=False):
            refs = pod["metadata"].get("ownerReferences") or []
            ctrl = next((r for r in refs if r.get("controller")), None)
            if ctrl is not None:
                if ctrl.get("uid") == md["uid"]:
                    out.append(pod)
                continue
            if (
                parent_and_ordinal(pod["metadata"]["name"])[0] != md["name"]
                or md.get("deletionTimestamp")
                or _terminating(pod)
            ):
                continue
            ref = owner_reference(sts)
            adopted = self.store.mutate(
                "Pod",
                pod["metadata"]["name"],
                md["namespace"],
                lambda p, ref=ref: p["metadata"].__setitem__(
                    "ownerReferences", (p["metadata"].get("ownerReferences") or []) + [ref]
                ),
            )
            if adopted is not None:
                out.append(adopted)
        return out

    def update_stateful_set(self, sts: dict, pods: list[dict]) -> dict:
        """One pass of StatefulSetControl; returns the revisions for the status."""
        spec, md = sts["spec"], sts["metadata"]
        template = spec.get("template") or {}
        update_rev = f"{md['name']}-{compute_hash(template)}"
        self._revisions[update_rev] = clone(template)
        current_rev = (sts.get("status") or {}).get("currentRevision") or update_rev
        revs = {"current": current_rev, "update": update_rev}
        if md.get("deletionTimestamp"):
            return revs  # only the status while the set is being deleted
        n = int(spec.get("replicas", 1))
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.ctx.clock.now()
        replicas: dict[int, dict] = {}
        condemned: list[dict] = []
        for pod in pods:
            _, ordinal = parent_and_ordinal(pod["metadata"]["name"])
            if 0 <= ordinal < n:
                replicas[ordinal] = pod
            elif ordinal >= n:
                condemned.append(pod)
        condemned.sort(key=lambda p: parent_and_ordinal(p["metadata"]["name"])[1])
        unhealthy = [p for p in list(replicas.values()) + condemned if not _healthy(p)]
        first_unhealthy = (
            min(unhealthy, key=lambda p: parent_and_ordinal(p["metadata"]["name"])[1])
            if unhealthy
            else None
        )

        for ordinal in range(n):
            pod = replicas.get(ordinal)
            if pod is not None and _phase(pod) in ("Failed", "Succeeded"):
                if not _terminating(pod):
                    self._event(
                        sts,
                        "Warning",
                        "RecreatingFailedPod",
                        f"StatefulSet {md['namespace']}/{md['name']} is recreating "
                        f"{'failed' if _phase(pod) == 'Failed' else 'terminated'} Pod {pod['metadata']['name']}",
                    )
                    self._delete_pod(sts, pod)
                if monotonic:
                    return revs  # the new pod comes once the old one is gone
                continue
            if pod is None:
                self._create_pod(sts, self._new_versioned_pod(sts, ordinal, revs))
                if monotonic:
                    return revs
                continue
            if _terminating(pod) and monotonic:
                return revs
            if not _running_and_ready(pod) and monotonic:
                return revs
            wait = _available_in(pod, min_ready, now)
            if wait > 0 and monotonic:
                self.enqueue_after((md["namespace"], md["name"]), wait)
                return revs
            if not self._identity_matches(sts, pod):
                self._update_identity(sts, pod)

        for pod in reversed(condemned):
            if _terminating(pod):
                if monotonic:
                    return revs
                continue
            if monotonic and not _running_and_ready(pod) and pod is not first_unhealthy:
                return revs
            self._delete_pod(sts, pod)
            if monotonic:
                return revs

        strategy = spec.get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return revs
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        for ordinal in range(n - 1, partition - 1, -1):
            pod = replicas.get(ordinal)
            if pod is None:
                return revs
            if pod["metadata"].get("labels", {}).get(
                REVISION_LABEL
            ) != update_rev and not _terminating(pod):
                self._delete_pod(sts, pod)
                return revs
            if not _healthy(pod):
                return revs
        return revs

    # ---- pods and claims -----------------------------------------------------------

    def _new_versioned_pod(self, sts: dict, ordinal: int, revs: dict) -> dict:
        """newVersionedStatefulSetPod: below the partition, a pod at the current revision."""
        strategy = sts["spec"].get("updateStrategy") or {}
        partition = int((strategy.get("rollingUpdate") or {}).get("partition") or 0)
        revision, template = revs["update"], sts["spec"].get("template") or {}
        if (
            strategy.get("type", "RollingUpdate") == "RollingUpdate"
            and ordinal < partition
            and revs["current"] in self._revisions
        ):
            revision, template = revs["current"], self._revisions[revs["current"]]
        tmeta = template.get("metadata") or {}
        pod_name = f"{sts['metadata']['name']}-{ordinal}"
        labels = dict(tmeta.get("labels") or {})
        labels.update(
            {POD_NAME_LABEL: pod_name, POD_INDEX_LABEL: str(ordinal), REVISION_LABEL: revision}
        )
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": pod_name,
                "namespace": sts["metadata"]["namespace"],
                "labels": labels,
                "ownerReferences": [owner_reference(sts)],
            },
            "spec": clone(template.get("spec") or {}),
        }
        if tmeta.get("annotations"):
            pod["metadata"]["annotations"] = dict(tmeta["annotations"])
        self._set_identity(sts, pod)
        claims = self._claims_for(sts, ordinal)
        volumes = [
            {"name": tname, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
            for tname, claim in claims.items()
        ]
        volumes += [v for v in pod["spec"].get("volumes") or [] if v.get("name") not in claims]
        if volumes:
            pod["spec"]["volumes"] = volumes
        return pod

    def _set_identity(self, sts: dict, pod: dict) -> None:
        pod["spec"]["hostname"] = pod["metadata"]["name"]
        if sts["spec"].get("serviceName"):
            pod["spec"]["subdomain"] = sts["spec"]["serviceName"]

    def _identity_matches(self, sts: dict, pod: dict) -> bool:
        # hostname/subdomain are set at creation and immutable on a live pod, so
        # only the identity labels can drift (someone relabelled the pod).
        name = pod["metadata"]["name"]
        labels = pod["metadata"].get("labels") or {}
        return labels.get(POD_NAME_LABEL) == name and labels.get(POD_INDEX_LABEL) == str(
            parent_and_ordinal(name)[1]
        )

    def _update_identity(self, sts: dict, pod: dict) -> None:
        name = pod["metadata"]["name"]

        def fix(p: dict) -> None:
            labels = p["metadata"].setdefault("labels", {})
            labels[POD_NAME_LABEL] = name
            labels[POD_INDEX_LABEL] = str(parent_and_ordinal(name)[1])

        self.store.mutate("Pod", name, pod["metadata"]["namespace"], fix)
        self._event(
            sts,
            "Normal",
            "SuccessfulUpdate",
            f"update Pod {name} in StatefulSet {sts['metadata']['name']} successful",
        )

    def _claims_for(self, sts: dict, ordinal: int) -> dict[str, dict]:
        """getPersistentVolumeClaims: template name -> the claim this ordinal uses."""
        md = sts["metadata"]
        match = dict((sts["spec"].get("selector") or {}).get("matchLabels") or {})
        retention = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        out = {}
        for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
            claim = clone(tmpl)
            cmeta = claim.setdefault("metadata", {})
            tname = cmeta.get("name", "")
            cmeta["name"] = f"{tname}-{md['name']}-{ordinal}"
            cmeta["namespace"] = md["namespace"]
            cmeta["labels"] = {**(cmeta.get("labels") or {}), **match}
            if retention.get("whenDeleted") == "Delete":
                cmeta["ownerReferences"] = [owner_reference(sts, controller=False)]
            claim["apiVersion"], claim["kind"] = "v1", "PersistentVolumeClaim"
            claim.pop("status", None)
            out[tname] = claim
        return out

    def _create_pod(self, sts: dict, pod: dict) -> None:
        """CreateStatefulPod: the claims first, then the pod."""
        set_name, pod_name = sts["metadata"]["name"], pod["metadata"]["name"]
        ns = sts["metadata"]["namespace"]
        for claim in self._claims_for(sts, parent_and_ordinal(pod_name)[1]).values():
            cname = claim["metadata"]["name"]
            existing = self.store.try_get("PersistentVolumeClaim", cname, ns, copy=False)
            if existing is not None:
                if existing["metadata"].get("deletionTimestamp"):
                    raise AlreadyExists(f"pvc {cname} is being deleted")
                continue
            self.store.create(claim, validate=False)
            self._event(
                sts,
                "Normal",
                "SuccessfulCreate",
                f"create Claim {cname} Pod {pod_name} in StatefulSet {set_name} success",
            )
        try:
            self.store.create(pod, validate=False)
        except AlreadyExists:
            return
        self._event(
            sts,
            "Normal",
            "SuccessfulCreate",
            f"create Pod {pod_name} in StatefulSet {set_name} successful",
        )

    def _delete_pod(self, sts: dict, pod: dict) -> None:
        name = pod["metadata"]["name"]
        self.store.delete("Pod", name, pod["metadata"]["namespace"])
        self._event(
            sts,
            "Normal",
            "SuccessfulDelete",
            f"delete Pod {name} in StatefulSet {sts['metadata']['name']} successful",
        )

    # ---- status ------------------------------------------------------------------

    def _update_status(self, sts: dict, revs: dict) -> None:
        md, spec = sts["metadata"], sts["spec"]
        ns = md["namespace"]
        min_ready = int(spec.get("minReadySeconds") or 0)
        now = self.ctx.clock.now()
        pods = [
            p
            for p in self.store.list(
                "Pod", ns, from_label_selector(spec.get("selector")), copy=False
            )
            if any(
                r.get("uid") == md["uid"] and r.get("controller")
                for r in p["metadata"].get("ownerReferences") or []
            )
        ]
        status: dict = {
            "observedGeneration": md.get("generation", 1),
            "replicas": len(pods),
            "readyReplicas": 0,
            "availableReplicas": 0,
            "currentReplicas": 0,
            "updatedReplicas": 0,
            "currentRevision": revs["current"],
            "updateRevision": revs["update"],
            "collisionCount": 0,
        }
        soonest = None
        for p in pods:
            if _running_and_ready(p):
                status["readyReplicas"] += 1
                wait = _available_in(p, min_ready, now)
                if wait == 0:
                    status["availableReplicas"] += 1
                else:
                    soonest = wait if soonest is None else min(soonest, wait)
            if not _terminating(p):
                rev = (p["metadata"].get("labels") or {}).get(REVISION_LABEL)
                status["currentReplicas"] += rev == revs["current"]
                status["updatedReplicas"] += rev == revs["update"]
        if soonest is not None:
            self.enqueue_after((ns, md["name"]), soonest)
        # completeRollingUpdate
        if (
            (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"
            and status["updatedReplicas"] == status["replicas"]
            and status["readyReplicas"] == status["replicas"]
        ):
            status["currentReplicas"] = status["updatedReplicas"]
            status["currentRevision"] = status["updateRevision"]
        for f in ("readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"):
            if not status[f] and f != "availableReplicas":
                status.pop(f)  # omitempty
        if status != (sts.get("status") or {}):
            self.store.mutate(
                "StatefulSet",
                md["name"],
                ns,
                lambda s: s.__setitem__("status", status),
                subresource="status",
            )

    def _event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        try:
            self.recorder.event(obj, type_, reason, message)
        except APIStatusError:
            pass  # client-go's recorder drops events it cannot write
