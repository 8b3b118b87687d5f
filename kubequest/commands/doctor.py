"""`kubequest doctor`: what this machine has for KubeQuest, one line per check.

Each line starts `OK` or `FIX` and says what to do. Exit status: 0 when every
check is OK, else 1. Nothing here changes the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.api.errors import KubeQuestError
from engine.runtime.base import RuntimeUnavailable

if TYPE_CHECKING:  # imported for real inside run(): the CLI starts without the Docker SDK
    from engine.runtime.docker import DockerRuntime


@dataclass(frozen=True)
class Check:
    ok: bool
    text: str

    def __str__(self) -> str:
        return f"{'OK ' if self.ok else 'FIX'} {self.text}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor", help="check Docker, the game images, kubectl and ports",
        description="Check what KubeQuest needs: the Docker daemon, the game images, "
                    "busybox-static, kubectl and loopback ports. Each line is OK or says "
                    "what to do; exit 1 when something needs fixing.")
    parser.set_defaults(run=run)


def check_docker(runtime: DockerRuntime) -> Check:
    try:
        runtime.ping()
        return Check(True, f"Docker daemon {runtime.server_version()} answers")
    except RuntimeUnavailable as exc:
        return Check(False, f"{str(exc)[0].upper()}{str(exc)[1:]}.")


def check_busybox() -> Check:
    from engine.images.builder import find_busybox

    try:
        return Check(True, f"static busybox at {find_busybox()} (the images are built from it)")
    except KubeQuestError as exc:
        return Check(False, str(exc))


def check_images(runtime: DockerRuntime, docker_ok: bool, busybox_ok: bool) -> Iterator[Check]:
    from engine.images.builder import CONTENT_HASH_LABEL, ImageBuilder
    from engine.images.catalog import CATALOG

    if not docker_ok:
        yield Check(False, "game images: cannot check without a Docker daemon (see above)")
        return
    if busybox_ok:
        states = {s.image.ref: s.state for s in ImageBuilder(runtime).status()}
    else:  # no sources hash without busybox: say only whether each image is there
        states = {i.ref: "current" if (runtime.image_labels(i.ref) or {}).get(CONTENT_HASH_LABEL)
                  else "missing" for i in CATALOG}
    for ref, state in states.items():
        if state == "current":
            yield Check(True, f"image {ref} is built")
        elif state == "stale":
            yield Check(False, f"image {ref} is out of date: run `kubequest images build`")
        else:
            yield Check(False, f"image {ref} is missing: run `kubequest images build`")


def check_kubectl(run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> Check:
    path = shutil.which("kubectl")
    if path is None:
        return Check(False, "kubectl is not on PATH: install it (https://kubernetes.io/docs/tasks/tools/) "
                            "to drive `kubequest serve` with the real kubectl")
    try:
        out = run([path, "version", "--client", "-o", "json"], capture_output=True, text=True, timeout=10)
        version = json.loads(out.stdout)["clientVersion"]["gitVersion"]
    except (OSError, subprocess.SubprocessError, ValueError, KeyError, TypeError):
        return Check(False, f"{path} does not tell its version: reinstall kubectl")
    return Check(True, f"kubectl {version} at {path}")


def check_loopback() -> Check:
    """The Service proxy and `serve` listen on 127.0.0.1: can we?"""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            sock.listen(1)
            port = sock.getsockname()[1]
    except OSError as exc:
        return Check(False, f"cannot listen on 127.0.0.1 ({exc.strerror}): the Service proxy needs loopback ports")
    return Check(True, f"loopback ports are free to listen on (tried 127.0.0.1:{port})")


def run(args: argparse.Namespace) -> int:
    from engine.runtime.docker import DockerRuntime

    runtime = DockerRuntime()
    try:
        docker = check_docker(runtime)
        busybox = check_busybox()
        checks = [docker, busybox, *check_images(runtime, docker.ok, busybox.ok),
                  check_kubectl(), check_loopback()]
    finally:
        runtime.close()
    for check in checks:
        print(check, flush=True)
    return 0 if all(c.ok for c in checks) else 1
