"""The volume manager: a runtime volume for each of the pod's volumes, before
any container starts.

Sources: pkg/kubelet/volumemanager/ (WaitForAttachAndMount and its FailedMount
event), pkg/volume/emptydir, pkg/volume/configmap and pkg/volume/secret
(`MakePayload`: one file per key, or only `items` at their `path`s),
pkg/volume/util/operationexecutor (the `MountVolume.SetUp failed for volume
"v" : …` event).

- emptyDir: a volume per pod, removed with the pod.
- configMap / secret: files = keys (secret data decoded), read-only; rewritten
  when the object's content changes (the kubelet's periodic remount).
- persistentVolumeClaim: the claim must exist; the volume is named after the
  claim's bound volume (`spec.volumeName`) or `pvc-<claim uid>` — the name a
  dynamic provisioner gives it — and outlives the pod.
- downwardAPI: files from fieldRefs. Anything else (hostPath…) becomes an
  empty scratch volume: the game forbids host paths.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from ..api.store import Store
from ..runtime.base import ContainerRuntime
from .envvars import configmap_data, pod_field_value, secret_data
from .pod_state import PodRecord, gone_ok

POD_UID_LABEL = "io.kubernetes.pod.uid"
MANAGED_LABEL = "app.kubernetes.io/managed-by"


@dataclass
class MountResult:
    """Failed volumes and one FailedMount message each."""

    errors: dict[str, str] = field(default_factory=dict)
    claim_errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.claim_errors


def _project(data: dict[str, bytes], items: list | None, kind: str, optional: bool) -> dict[str, bytes]:
    if not items:
        return dict(data)
    out = {}
    for item in items:
        key = item.get("key", "")
        if key not in data:
            if optional:
                continue
            raise KeyError(f"{kind} references non-existent config key: {key}")
        out[item.get("path") or key] = data[key]
    return out


class VolumeManager:
    def __init__(self, store: Store, runtime: ContainerRuntime, host_ip: str = ""):
        self.store = store
        self.runtime = runtime
        self.host_ip = host_ip

    def mount_pod_volumes(self, pod: dict, rec: PodRecord) -> MountResult:
        """Make every volume of the pod present (idempotent; cheap when nothing changed)."""
        md = pod.get("metadata") or {}
        ns = md.get("namespace") or "default"
        result = MountResult()
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            name = vol.get("name", "")
            try:
                if vol.get("persistentVolumeClaim"):
                    self._mount_claim(rec, ns, name, vol["persistentVolumeClaim"], result)
                elif vol.get("configMap"):
                    src = vol["configMap"]
                    cm = self.store.try_get("ConfigMap", src.get("name", ""), ns, copy=False)
                    if cm is None and not src.get("optional"):
                        raise KeyError(f'configmap "{src.get("name", "")}" not found')
                    data = configmap_data(cm) if cm else {}
                    self._write(rec, name, _project(data, src.get("items"), "configmap",
                                                    bool(src.get("optional"))))
                elif vol.get("secret"):
                    src = vol["secret"]
                    secret = self.store.try_get("Secret", src.get("secretName", ""), ns, copy=False)
                    if secret is None and not src.get("optional"):
                        raise KeyError(f'secret "{src.get("secretName", "")}" not found')
                    data = secret_data(secret) if secret else {}
                    self._write(rec, name, _project(data, src.get("items"), "secret",
                                                    bool(src.get("optional"))))
                elif vol.get("downwardAPI"):
                    files = {}
                    for item in vol["downwardAPI"].get("items") or []:
                        path = (item.get("fieldRef") or {}).get("fieldPath", "")
                        files[item.get("path", "")] = pod_field_value(
                            pod, path, rec.pod_ip, self.host_ip).encode()
                    self._write(rec, name, files)
                else:  # emptyDir, and anything else as scratch space
                    self._ensure(rec, name)
            except KeyError as exc:
                result.errors[name] = f'MountVolume.SetUp failed for volume "{name}" : {exc.args[0]}'
        return result

    def _ensure(self, rec: PodRecord, name: str) -> str:
        vid = rec.volumes.get(name)
        if vid is None:
            vid = self.runtime.ensure_volume(
                f"{rec.uid}_{name}", {POD_UID_LABEL: rec.uid, MANAGED_LABEL: "kubequest"})
            rec.volumes[name] = vid
        return vid

    def _write(self, rec: PodRecord, name: str, files: dict[str, bytes]) -> None:
        digest = hashlib.sha256(
            b"\0".join(k.encode() + b"=" + v for k, v in sorted(files.items()))).hexdigest()
        vid = self._ensure(rec, name)
        if rec.volume_digests.get(name) != digest:
            self.runtime.write_volume_files(vid, files)
            rec.volume_digests[name] = digest

    def _mount_claim(self, rec: PodRecord, ns: str, name: str, src: dict, result: MountResult) -> None:
        claim_name = src.get("claimName", "")
        claim = self.store.try_get("PersistentVolumeClaim", claim_name, ns, copy=False)
        if claim is None:
            result.claim_errors[name] = (
                f"error processing PVC {ns}/{claim_name}: failed to fetch PVC from API server: "
                f'persistentvolumeclaims "{claim_name}" not found')
            return
        if name in rec.volumes:
            return
        volume_name = (claim.get("spec") or {}).get("volumeName") or \
            f"pvc-{(claim.get('metadata') or {}).get('uid', '')}"
        rec.volumes[name] = self.runtime.ensure_volume(
            volume_name, {MANAGED_LABEL: "kubequest", "kubequest.io/claim": f"{ns}.{claim_name}"})
        rec.claim_volumes.add(name)

    def unmount_pod_volumes(self, rec: PodRecord) -> None:
        """Remove the pod's own volumes; a claim's volume keeps its data."""
        for name, vid in list(rec.volumes.items()):
            if name not in rec.claim_volumes:
                with gone_ok():  # already gone
                    self.runtime.remove_volume(vid)
        rec.volumes.clear()
        rec.claim_volumes.clear()
        rec.volume_digests.clear()


def failed_mount_message(result: MountResult) -> str:
    """The FailedMount event of WaitForAttachAndMount when a claim cannot be processed."""
    names = sorted(result.claim_errors)
    listed = "[" + " ".join(names) + "]"
    detail = "; ".join(result.claim_errors[n] for n in names)
    return (f"Unable to attach or mount volumes: unmounted volumes={listed}, "
            f"unattached volumes={listed}, failed to process volumes={listed}: {detail}")
