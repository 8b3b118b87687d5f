"""In-memory files for the sim runtime: volumes, container layers, and the view a
container's shell sees through its mounts.

A FileTree is one directory tree (a volume, or one container's own writable
layer). A ContainerFs puts the container's mounts over its layer, the way the
kernel does for a real container, so `cat /etc/config/app.conf` finds the file
a ConfigMap volume holds. Errors carry the strerror a busybox tool would print.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

# The directories the game images have (FROM scratch + busybox, see their
# Dockerfiles) plus Docker's /dev, /proc, /sys: anything else (say /data) must be
# mounted or mkdir'ed first, or `echo x > /data/f` fails as it does under Docker.
BASE_DIRS = ("bin", "dev", "etc", "etc/kubequest", "proc", "sys", "tmp", "usr", "usr/local",
             "usr/local/bin")


class FsError(Exception):
    """A failed file operation; str() is the strerror part (`No such file or directory`)."""


NOT_FOUND = "No such file or directory"
IS_DIR = "Is a directory"
NOT_DIR = "Not a directory"
READ_ONLY = "Read-only file system"


@dataclass
class FileTree:
    """A directory tree in memory. Paths are relative, '/'-separated, no leading slash."""

    files: dict[str, bytes] = field(default_factory=dict)
    dirs: set[str] = field(default_factory=set)  # explicit directories ("" is the root)

    def replace(self, files: dict[str, bytes]) -> None:
        """Swap the whole content (configMap and secret volumes are rewritten at once)."""
        self.files = {_clean(p): bytes(data) for p, data in files.items()}
        self.dirs = set()

    def kind(self, rel: str) -> str | None:
        if rel in self.files:
            return "file"
        if rel == "" or rel in self.dirs:
            return "dir"
        prefix = rel + "/"
        if any(p.startswith(prefix) for p in self.files) or any(
            d.startswith(prefix) for d in self.dirs
        ):
            return "dir"
        return None

    def children(self, rel: str) -> set[str]:
        prefix = rel + "/" if rel else ""
        names = set()
        for p in (*self.files, *self.dirs):
            if p and p.startswith(prefix) and p != rel:
                names.add(p[len(prefix):].split("/", 1)[0])
        return names


def _clean(path: str) -> str:
    return posixpath.normpath("/" + path).lstrip("/")


def absolute(path: str, cwd: str = "/") -> str:
    """Normalised absolute path (POSIX keeps a leading "//"; a container does not)."""
    return "/" + _clean(posixpath.join(cwd, path))


@dataclass
class MountPoint:
    container_path: str  # absolute, normalised
    tree: FileTree
    sub_path: str  # "" for the whole volume
    read_only: bool


class ContainerFs:
    """The file system a container sees: its own layer with mounts on top."""

    def __init__(self, layer: FileTree, mounts: list[MountPoint], cwd: str = "/"):
        self.layer = layer
        # Longest path first: a mount inside a mount wins, as in the kernel's mount table.
        self.mounts = sorted(mounts, key=lambda m: len(m.container_path), reverse=True)
        self.cwd = cwd
        for m in self.mounts:  # the runtime creates the mount points in the layer
            parent = posixpath.dirname(m.container_path)
            if parent != "/":
                layer.dirs.add(parent.lstrip("/"))

    def abspath(self, path: str) -> str:
        return absolute(path, self.cwd)

    def _resolve(self, path: str) -> tuple[FileTree, str, bool]:
        p = self.abspath(path)
        for m in self.mounts:
            if p == m.container_path or p.startswith(m.container_path.rstrip("/") + "/"):
                rest = p[len(m.container_path):].strip("/")
                rel = posixpath.join(m.sub_path, rest).strip("/") if m.sub_path else rest
                return m.tree, rel, m.read_only
        return self.layer, p.lstrip("/"), False

    def kind(self, path: str) -> str | None:
        if self.abspath(path) == "/dev/null":
            return "file"
        tree, rel, _ = self._resolve(path)
        return tree.kind(rel)

    def read(self, path: str) -> bytes:
        if self.abspath(path) == "/dev/null":
            return b""
        tree, rel, _ = self._resolve(path)
        kind = tree.kind(rel)
        if kind is None:
            raise FsError(NOT_FOUND)
        if kind == "dir":
            raise FsError(IS_DIR)
        return tree.files[rel]

    def write(self, path: str, data: bytes, append: bool = False) -> None:
        if self.abspath(path) == "/dev/null":
            return
        tree, rel, read_only = self._resolve(path)
        if read_only:
            raise FsError(READ_ONLY)
        if tree.kind(rel) == "dir":
            raise FsError(IS_DIR)
        parent = self.kind(posixpath.dirname(self.abspath(path)))
        if parent != "dir":
            raise FsError("nonexistent directory" if parent is None else NOT_DIR)
        tree.files[rel] = (tree.files.get(rel, b"") if append else b"") + data

    def list(self, path: str) -> list[str]:
        kind = self.kind(path)
        if kind is None:
            raise FsError(NOT_FOUND)
        if kind == "file":
            return [posixpath.basename(self.abspath(path))]
        tree, rel, _ = self._resolve(path)
        names = tree.children(rel)
        here = self.abspath(path).rstrip("/") + "/"
        for m in self.mounts:  # mount points show up in their parent directory
            if m.container_path.startswith(here):
                names.add(m.container_path[len(here):].split("/", 1)[0])
        return sorted(names)

    def mkdir(self, path: str, parents: bool = False) -> None:
        tree, rel, read_only = self._resolve(path)
        kind = tree.kind(rel)
        if kind is not None:
            if parents and kind == "dir":
                return
            raise FsError("File exists")
        if read_only:
            raise FsError(READ_ONLY)
        parent = posixpath.dirname(self.abspath(path))
        if self.kind(parent) != "dir":
            if not parents:
                raise FsError(NOT_FOUND)
            self.mkdir(parent, parents=True)
        tree.dirs.add(rel)

    def remove(self, path: str, recursive: bool = False) -> None:
        tree, rel, read_only = self._resolve(path)
        kind = tree.kind(rel)
        if kind is None:
            raise FsError(NOT_FOUND)
        if read_only:
            raise FsError(READ_ONLY)
        if kind == "dir":
            if not recursive:
                raise FsError(IS_DIR)
            prefix = rel + "/"
            tree.files = {p: d for p, d in tree.files.items() if not p.startswith(prefix)}
            tree.dirs = {d for d in tree.dirs if d != rel and not d.startswith(prefix)}
        else:
            del tree.files[rel]


def new_layer(hostname: str, pod_ip: str, working_dir: str | None) -> FileTree:
    """A fresh container layer: the image's directories, /etc/hostname and the
    /etc/hosts the kubelet writes."""
    hosts = f"127.0.0.1\tlocalhost\n{pod_ip}\t{hostname}\n"
    layer = FileTree(files={"etc/hostname": f"{hostname}\n".encode(), "etc/hosts": hosts.encode()},
                     dirs=set(BASE_DIRS))
    if working_dir:  # the runtime creates a missing working directory, as Docker does
        parts = _clean(working_dir).split("/")
        layer.dirs.update("/".join(parts[: i + 1]) for i in range(len(parts)) if parts[0])
    return layer
