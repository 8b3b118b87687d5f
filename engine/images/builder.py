"""Builds the workload images from their sources, only when they changed.

An image's build context is its source folder, Debian's static busybox and a
generated `image.env` (the catalog's settings). The SHA-256 of that context
is the image's content hash, stored as the label `io.kubequest.content-hash`:
an image whose label matches is current and is not rebuilt.

Docker itself is reached only through `ImageStore` (DockerRuntime in
production): this module never imports the Docker SDK.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.api.errors import KubeQuestError

from .catalog import CATALOG, IMAGE_SOURCES, WorkloadImage

CONTENT_HASH_LABEL = "io.kubequest.content-hash"
IMAGE_LABEL = "io.kubequest.image"

# Bump when the way contexts are assembled changes: every image then rebuilds.
RECIPE_VERSION = "1"

# Where busybox-static puts its binary (Debian, Ubuntu); KUBEQUEST_BUSYBOX wins.
BUSYBOX_PATHS = ("/bin/busybox", "/usr/bin/busybox")
BUSYBOX_HINT = "install it with `sudo apt-get install busybox-static`, or set KUBEQUEST_BUSYBOX to a static busybox binary"

Progress = Callable[[int, int, str], None]  # (step, total, message)


class BusyboxMissing(KubeQuestError):
    """No static busybox to put in the images."""


class ImageSourcesMissing(KubeQuestError):
    """The assets/images folder is not where the catalog says."""


class ImageStore(Protocol):
    """What the builder needs from Docker (engine.runtime.docker.DockerRuntime)."""

    def image_labels(self, ref: str) -> dict[str, str] | None:
        """The image's labels, or None when there is no such image."""

    def build_image(self, context_dir: Path, tag: str, labels: dict[str, str],
                    progress: Callable[[str], None] | None = None) -> str:
        """Build the context into `tag`; returns the image id."""


@dataclass(frozen=True)
class ContextFile:
    data: bytes
    executable: bool


@dataclass(frozen=True)
class ImageStatus:
    image: WorkloadImage
    content_hash: str
    built_hash: str | None  # the label on the image Docker has; None: no image

    @property
    def state(self) -> str:
        """"current", "stale" (sources changed) or "missing"."""
        if self.built_hash is None:
            return "missing"
        return "current" if self.built_hash == self.content_hash else "stale"


def _is_static_elf(path: Path) -> bool:
    """True when the ELF file asks for no program interpreter (ld.so).

    A dynamically linked busybox (Debian's plain `busybox` package) would not
    run in a FROM-scratch image: there is no libc in it.
    """
    with path.open("rb") as f:
        head = f.read(64)
        if len(head) < 52 or head[:4] != b"\x7fELF":
            return False
        wide = head[4] == 2  # ELFCLASS64
        endian = "<" if head[5] == 1 else ">"
        if wide:
            phoff, = struct.unpack_from(endian + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(endian + "HH", head, 54)
        else:
            phoff, = struct.unpack_from(endian + "I", head, 28)
            phentsize, phnum = struct.unpack_from(endian + "HH", head, 42)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    pt_interp = 3
    return all(
        struct.unpack_from(endian + "I", table, i * phentsize)[0] != pt_interp
        for i in range(phnum)
    )


def find_busybox(candidates: Iterable[str] | None = None) -> Path:
    """The static busybox binary to copy into the images, or a clear error."""
    override = os.environ.get("KUBEQUEST_BUSYBOX")
    paths = [override] if override else list(candidates or BUSYBOX_PATHS)
    dynamic: Path | None = None
    for candidate in paths:
        path = Path(candidate)
        if not path.is_file():
            continue
        if _is_static_elf(path):
            return path
        dynamic = path
    if dynamic is not None:
        raise BusyboxMissing(
            f"{dynamic} is not statically linked, so it cannot run in KubeQuest's "
            f"FROM-scratch images: {BUSYBOX_HINT}."
        )
    raise BusyboxMissing(f"busybox-static is not installed (KubeQuest builds its images from it): {BUSYBOX_HINT}.")


def image_env(image: WorkloadImage) -> bytes:
    """/etc/kubequest/image.env: the settings that tell this tag from its siblings."""
    lines = [f"IMAGE={image.ref}"] + [f"{k}={v}" for k, v in sorted(image.settings.items())]
    return ("\n".join(lines) + "\n").encode()


class AppletNotFound(KubeQuestError):
    """An applet to shadow is not in this busybox."""


def shadow_applets(busybox: bytes, names: Iterable[str]) -> bytes:
    """Hide applets from busybox's own lookup by renaming them in its applet table.

    The table is one NUL-separated, sorted string searched by bisection; the last
    letter of each name is upper-cased, which keeps the table sorted (checked) and
    every other applet where it was. `busybox wget` then says "applet not found",
    and the shell runs the `wget` it finds on PATH.
    """
    for name in names:
        needle = b"\0" + name.encode() + b"\0"
        at = busybox.find(needle)
        if at < 0 or busybox.find(needle, at + 1) >= 0:
            raise AppletNotFound(f"cannot shadow busybox applet {name!r}: not found once in the applet table")
        hidden = name[:-1] + name[-1].upper()
        before = busybox.rfind(b"\0", 0, at)
        after = busybox.find(b"\0", at + len(needle))
        prev_name = busybox[before + 1:at]
        next_name = busybox[at + len(needle):after]
        if not prev_name < hidden.encode() < next_name:
            raise AppletNotFound(f"cannot shadow busybox applet {name!r}: the renamed table would not stay sorted")
        busybox = busybox[:at + 1] + hidden.encode() + busybox[at + 1 + len(name):]
    return busybox


def context_files(image: WorkloadImage, busybox: bytes,
                  sources: Path = IMAGE_SOURCES) -> dict[str, ContextFile]:
    """Every file of the image's build context, by relative path (POSIX separators)."""
    folder = sources / image.source
    if not (folder / "Dockerfile").is_file():
        raise ImageSourcesMissing(
            f"the sources of {image.ref} are missing: no Dockerfile in {folder}."
        )
    files: dict[str, ContextFile] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_dir() or "__pycache__" in path.parts:
            continue
        data = path.read_bytes()
        # Scripts are executable because they say so, not because of the
        # checkout's file modes: the hash must not depend on a umask.
        files[path.relative_to(folder).as_posix()] = ContextFile(data, data.startswith(b"#!"))
    files["busybox"] = ContextFile(shadow_applets(busybox, image.shadowed_applets), True)
    files["image.env"] = ContextFile(image_env(image), False)
    return files


def content_hash(files: dict[str, ContextFile]) -> str:
    """SHA-256 over paths, modes and contents; the same files give the same hash."""
    digest = hashlib.sha256(f"kubequest-image-recipe:{RECIPE_VERSION}\0".encode())
    for name in sorted(files):
        entry = files[name]
        digest.update(f"{name}\0{'x' if entry.executable else '-'}\0{len(entry.data)}\0".encode())
        digest.update(entry.data)
    return "sha256:" + digest.hexdigest()


def write_context(files: dict[str, ContextFile], dest: Path) -> None:
    """Lay the context out in `dest`, with the modes the hash was computed for."""
    for name, entry in files.items():
        path = dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(entry.data)
        path.chmod(0o755 if entry.executable else 0o644)


class ImageBuilder:
    """Decides which catalog images need building and builds them."""

    def __init__(self, store: ImageStore, catalog: Iterable[WorkloadImage] = CATALOG,
                 sources: Path = IMAGE_SOURCES, busybox: Path | None = None):
        self.store = store
        self.catalog = tuple(catalog)
        self.sources = sources
        self._busybox_path = busybox
        self._busybox: bytes | None = None

    def _busybox_bytes(self) -> bytes:
        if self._busybox is None:
            self._busybox = (self._busybox_path or find_busybox()).read_bytes()
        return self._busybox

    def files(self, image: WorkloadImage) -> dict[str, ContextFile]:
        return context_files(image, self._busybox_bytes(), self.sources)

    def status(self) -> list[ImageStatus]:
        """Each image's content hash against the label of the image Docker has."""
        result = []
        for image in self.catalog:
            labels = self.store.image_labels(image.ref)
            built = None if labels is None else labels.get(CONTENT_HASH_LABEL, "")
            result.append(ImageStatus(image, content_hash(self.files(image)), built))
        return result

    def build(self, force: bool = False, progress: Progress | None = None) -> list[ImageStatus]:
        """Build every image that is missing or stale (all with force); returns the new states."""
        report = progress or (lambda step, total, message: None)
        statuses = self.status()
        total = len(statuses)
        done = []
        for step, status in enumerate(statuses, start=1):
            image = status.image
            if status.state == "current" and not force:
                report(step, total, f"{image.ref} is up to date")
                done.append(status)
                continue
            report(step, total, f"building {image.ref} ({status.state})")
            labels = {CONTENT_HASH_LABEL: status.content_hash, IMAGE_LABEL: image.ref}
            with tempfile.TemporaryDirectory(prefix="kubequest-image-") as tmp:
                write_context(self.files(image), Path(tmp))
                self.store.build_image(
                    Path(tmp), image.ref, labels,
                    lambda line, step=step: report(step, total, f"  {line}"),
                )
            report(step, total, f"built {image.ref}")
            done.append(ImageStatus(image, status.content_hash, status.content_hash))
        return done

    def missing(self) -> list[WorkloadImage]:
        """Images that need a build before a level can use them."""
        return [s.image for s in self.status() if s.state != "current"]
