"""`kubequest images build [--force]` and `kubequest images list`: the workload images.

Builds the images of PRODUCT.md §3 from assets/images/ with the local Docker
daemon (no registry needed); an image whose sources did not change is kept.
Exit status: 0 done, 2 Docker or busybox-static missing, or a build failed.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from engine.api.errors import KubeQuestError
from engine.runtime.base import RuntimeUnavailable

if TYPE_CHECKING:  # imported for real when used: the CLI starts without the Docker SDK
    from engine.images.builder import ImageBuilder
    from engine.runtime.docker import DockerRuntime

EXIT_OK, EXIT_ERROR = 0, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "images", help="build or list the game's workload images",
        description="Build or list KubeQuest's workload images (kubequest/web, worker, "
                    "memhog, toolbox, pause), built locally from busybox-static.")
    actions = parser.add_subparsers(dest="images_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="build the missing or changed images",
                               description="Build every image that is missing or whose sources "
                                           "changed (content hash label).")
    build.add_argument("--force", action="store_true", help="rebuild every image")
    build.add_argument("-v", "--verbose", action="store_true", help="show every line of docker build")
    build.set_defaults(run=run_build)
    listing = actions.add_parser("list", help="show each image: current, stale or missing")
    listing.set_defaults(run=run_list)


def _builder() -> tuple[DockerRuntime, ImageBuilder]:
    from engine.images.builder import ImageBuilder
    from engine.runtime.docker import DockerRuntime

    runtime = DockerRuntime()
    runtime.ping()
    return runtime, ImageBuilder(runtime)


def run_build(args: argparse.Namespace) -> int:
    def progress(step: int, total: int, message: str) -> None:
        # docker build's own lines come indented; keep the "Step n/m" ones unless -v.
        if message.startswith("  ") and not args.verbose and not message.lstrip().startswith("Step "):
            return
        print(f"[{step}/{total}] {message}", flush=True)

    try:
        runtime, builder = _builder()
        try:
            statuses = builder.build(force=args.force, progress=progress)
        finally:
            runtime.close()
    except (RuntimeUnavailable, KubeQuestError) as exc:
        print(f"kubequest images build: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"{len(statuses)} images ready")
    return EXIT_OK


def run_list(args: argparse.Namespace) -> int:
    try:
        runtime, builder = _builder()
        try:
            for status in builder.status():
                size = runtime.image_size(status.image.ref)
                shown = f"{size / 1e6:.1f} MB" if size else "-"
                print(f"{status.image.ref:<24} {status.state:<8} {shown}")
        finally:
            runtime.close()
    except (RuntimeUnavailable, KubeQuestError) as exc:
        print(f"kubequest images list: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK
