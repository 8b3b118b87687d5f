"""`kubequest cleanup`: remove every container, network and volume KubeQuest made.

Finds them by the `io.kubequest.cluster` label, so it also clears what a
crashed game left. Images are kept (`docker rmi` them by hand if wanted).
Exit status: 0 done, 1 Docker refused to remove something, 2 no Docker daemon.
"""

from __future__ import annotations

import argparse
import sys

from engine.runtime.base import RuntimeUnavailable


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cleanup", help="remove every container, network and volume KubeQuest created",
        description="Remove every Docker container, network and volume labelled by "
                    "KubeQuest, including those left by a crash. Images are kept.")
    parser.add_argument("--cluster", metavar="ID", help="only this cluster's objects")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from engine.runtime.docker import DockerRuntime

    runtime = DockerRuntime()
    try:
        runtime.ping()
        report = runtime.cleanup(args.cluster)
    except RuntimeUnavailable as exc:
        print(f"kubequest cleanup: {exc}", file=sys.stderr)
        return 2
    finally:
        runtime.close()
    print(f"kubequest cleanup: {report}")
    for failure in report.failures:
        print(f"kubequest cleanup: could not remove {failure}", file=sys.stderr)
    return 1 if report.failures else 0
