"""The image manager: pull per imagePullPolicy, with a pull back-off.

Source: pkg/kubelet/images/image_manager.go (`EnsureImageExists`,
`shouldPullImage`, `applyDefaultImageTag`) and pkg/kubelet/images/types.go
(the error names that become waiting reasons). Events, in the kubelet's words:

- Normal `Pulled` `Container image "x" already present on machine`
- Normal `Pulling` `Pulling image "x"`, then Normal `Pulled`
  `Successfully pulled image "x" in 1.2s (1.2s including waiting)` or Warning
  `Failed` `Failed to pull image "x": <why>`
- Normal `BackOff` `Back-off pulling image "x"` while the back-off (10 s doubling
  to 300 s, per pod and image) has not passed
- Warning `ErrImageNeverPull` `Container image "x" is not present with pull policy of Never`

The caller (start_container) then records Warning `Failed` `Error: <reason>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..api.events import EventRecorder
from ..clock import Clock
from ..runtime.base import ContainerRuntime, ImagePullError
from .backoff import Backoff, go_duration

ERR_IMAGE_PULL = "ErrImagePull"
IMAGE_PULL_BACKOFF = "ImagePullBackOff"
ERR_IMAGE_NEVER_PULL = "ErrImageNeverPull"
INVALID_IMAGE_NAME = "InvalidImageName"

# distribution/reference: lowercase path components, optional registry, tag, digest.
_REFERENCE = re.compile(
    r"^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$"
)


@dataclass
class PullFailure:
    reason: str  # the waiting reason
    message: str  # the waiting message


class ImageManager:
    def __init__(self, runtime: ContainerRuntime, clock: Clock, backoff: Backoff):
        self.runtime = runtime
        self.clock = clock
        self.backoff = backoff

    def ensure_image_exists(
        self, pod: dict, container: dict, recorder: EventRecorder
    ) -> PullFailure | None:
        image = container.get("image") or ""
        if not _REFERENCE.match(image):
            msg = (f'Failed to apply default image tag "{image}": couldn\'t parse image reference '
                   f'"{image}": invalid reference format')
            recorder.warning(pod, "InspectFailed", msg)
            return PullFailure(INVALID_IMAGE_NAME, msg)
        policy = container.get("imagePullPolicy") or "IfNotPresent"
        present = self.runtime.image_present(image)
        if policy == "Never" or (policy == "IfNotPresent" and present):
            if present:
                recorder.normal(pod, "Pulled", f'Container image "{image}" already present on machine')
                return None
            msg = f'Container image "{image}" is not present with pull policy of Never'
            recorder.warning(pod, ERR_IMAGE_NEVER_PULL, msg)
            return PullFailure(ERR_IMAGE_NEVER_PULL, msg)

        key = self.backoff_key(pod, image)
        now = self.clock.now()
        if self.backoff.is_in_backoff_since_update(key, now):
            msg = f'Back-off pulling image "{image}"'
            recorder.normal(pod, "BackOff", msg)
            return PullFailure(IMAGE_PULL_BACKOFF, msg)
        recorder.normal(pod, "Pulling", f'Pulling image "{image}"')
        try:
            self.runtime.pull_image(image)
        except ImagePullError as exc:
            recorder.warning(pod, "Failed", f'Failed to pull image "{image}": {exc}')
            self.backoff.next(key, self.clock.now())
            return PullFailure(ERR_IMAGE_PULL, str(exc))
        took = go_duration(self.clock.now() - now)
        recorder.normal(pod, "Pulled",
                        f'Successfully pulled image "{image}" in {took} ({took} including waiting)')
        return None

    @staticmethod
    def backoff_key(pod: dict, image: str) -> tuple[str, str]:
        return ((pod.get("metadata") or {}).get("uid", ""), image)
