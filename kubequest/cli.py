"""The `kubequest` command line (PRODUCT.md §1).

Each sub-command lives in `kubequest.commands.<name>` with `register(subparsers)`
and `run(args) -> int`. A user mistake ends in one clear line on stderr and a
non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from engine.api.errors import KubeQuestError

from . import __version__

# Sub-command modules, in the order `--help` lists them.
COMMANDS = ["play", "validate", "images", "doctor", "cleanup", "levels", "run", "pack", "serve"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubequest",
        description="A terminal game that teaches Kubernetes by doing, on real containers.",
    )
    parser.add_argument("--version", action="version", version=f"kubequest {__version__}")
    parser.add_argument(
        "--runtime",
        choices=["auto", "docker", "sim"],
        default="auto",
        help="container runtime: Docker when a daemon answers (auto), or force one",
    )
    parser.add_argument(
        "--packs",
        action="append",
        default=[],
        metavar="DIR",
        help="an extra level-pack folder (repeatable)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"kubequest.commands.{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        from .commands.play import run_tui

        args.run = run_tui  # bare `kubequest`: the game, on the level map
    try:
        return int(args.run(args) or 0)
    except KubeQuestError as exc:
        print(f"kubequest: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("kubequest: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `kubequest levels | head`: the reader left; stop quietly as Unix tools do.
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keeps the interpreter's flush quiet
        except OSError:
            pass
        return 141


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
