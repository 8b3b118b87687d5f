"""PersistentVolumeClaimBinder: dynamic provisioning and binding of claims
(pkg/controller/volume/persistentvolume/pv_controller.go: syncUnboundClaim,
provisionClaimOperation, bindClaimToVolume).

No PersistentVolume or StorageClass kind is served, so provisioner and binder
are one step and only the claim shows it:

- a Pending claim of the default class is provisioned at once (binding mode
  Immediate): the volume is named `pvc-<claim uid>` as Kubernetes names
  provisioned volumes; the claim gets `spec.volumeName`, the annotations
  `pv.kubernetes.io/bind-completed`, `pv.kubernetes.io/bound-by-controller`
  and `volume.kubernetes.io/storage-provisioner`, then status phase Bound with
  `accessModes` and `capacity.storage` = the requested storage; event
  ProvisioningSucceeded "Successfully provisioned volume pvc-… using
  kubequest.io/local-path";
- the cluster has one StorageClass, `standard`, marked default — as kind and
  minikube clusters do, so the manifests learners copy from tutorials work.
  A claim without storageClassName uses it (the DefaultStorageClass admission
  plugin would write the name into spec.storageClassName; this store's
  registry refuses that spec change after creation, so the field stays empty
  and the class is only implied);
- `storageClassName: ""` asks for static binding only: with no volumes to bind
  to, the claim stays Pending (event FailedBinding "no persistent volumes
  available for this claim and no storage class is set"); any other class name
  stays Pending with Warning ProvisioningFailed `storageclass.storage.k8s.io "x" not found`;
- a claim that names a volume (static binding) waits for it, here forever.
"""

from __future__ import annotations

from collections.abc import Hashable

from ..api.errors import APIStatusError
from ..api.store import WatchEvent
from .base import Controller

DEFAULT_STORAGE_CLASS = "standard"
STORAGE_CLASSES = {DEFAULT_STORAGE_CLASS}
PROVISIONER = "kubequest.io/local-path"


class PersistentVolumeClaimBinder(Controller):
    name = (
        "persistentvolume"  # component "persistentvolume-controller", as in kube-controller-manager
    )

    def handle(self, ev: WatchEvent) -> None:
        if ev.kind == "PersistentVolumeClaim" and ev.type != "DELETED":
            md = ev.object["metadata"]
            self.queue.add((md["namespace"], md["name"]))

    def resync_all(self) -> None:
        for pvc in self.store.list("PersistentVolumeClaim", copy=False):
            self.queue.add((pvc["metadata"]["namespace"], pvc["metadata"]["name"]))

    def sync(self, key: Hashable) -> None:
        ns, name = key  # type: ignore[misc]
        try:
            self.sync_claim(ns, name)
        except APIStatusError:
            self.enqueue_after(key, 1.0)  # retry, as the rate-limited work queue would

    def sync_claim(self, ns: str, name: str) -> None:
        claim = self.store.try_get("PersistentVolumeClaim", name, ns, copy=False)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            return
        spec, status = claim.get("spec") or {}, claim.get("status") or {}
        if status.get("phase") == "Bound":
            return
        volume = f"pvc-{claim['metadata']['uid']}"
        if spec.get("volumeName") and spec["volumeName"] != volume:
            return  # waits for a pre-provisioned volume of that name
        class_name = spec.get("storageClassName")
        if class_name == "":
            self._event(
                claim,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            )
            return
        class_name = class_name or DEFAULT_STORAGE_CLASS
        if class_name not in STORAGE_CLASSES:
            self._event(
                claim,
                "Warning",
                "ProvisioningFailed",
                f'storageclass.storage.k8s.io "{class_name}" not found',
            )
            return
        if not spec.get("volumeName"):
            self._event(
                claim,
                "Normal",
                "ProvisioningSucceeded",
                f"Successfully provisioned volume {volume} using {PROVISIONER}",
            )
        self.bind_claim_to_volume(claim, volume)

    def bind_claim_to_volume(self, claim: dict, volume: str) -> None:
        md = claim["metadata"]

        def bind(c: dict) -> None:
            c["spec"]["volumeName"] = volume
            ann = c["metadata"].setdefault("annotations", {})
            ann["pv.kubernetes.io/bind-completed"] = "yes"
            ann["pv.kubernetes.io/bound-by-controller"] = "yes"
            ann["volume.beta.kubernetes.io/storage-provisioner"] = PROVISIONER
            ann["volume.kubernetes.io/storage-provisioner"] = PROVISIONER

        self.store.mutate("PersistentVolumeClaim", md["name"], md["namespace"], bind)
        spec = claim.get("spec") or {}
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")

        def bound(c: dict) -> None:
            st = c.setdefault("status", {})
            st["phase"] = "Bound"
            st["accessModes"] = list(spec.get("accessModes") or [])
            if storage is not None:
                st["capacity"] = {"storage": storage}

        self.store.mutate(
            "PersistentVolumeClaim", md["name"], md["namespace"], bound, subresource="status"
        )

    def _event(self, obj: dict, type_: str, reason: str, message: str) -> None:
        try:
            self.recorder.event(obj, type_, reason, message)
        except APIStatusError:
            pass  # client-go's recorder drops events it cannot write
