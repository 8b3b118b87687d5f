"""`kubequest play LEVEL`: open the game straight into a level (bare `kubequest` opens the map)."""

from __future__ import annotations

import argparse

from ..levels.loader import find_level, load_packs


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "play", help="open the game straight into a level",
        description="Open the KubeQuest TUI on a level, e.g. `kubequest play basics/crashloop`. "
                    "Without a sub-command, `kubequest` opens the level map.")
    parser.add_argument("level", metavar="LEVEL", help="a level id, pack/level (see `kubequest levels`)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    find_level(args.level, load_packs(args.packs))  # an unknown level: one clear line, no TUI
    return run_tui(args, start_level=args.level)


def run_tui(args: argparse.Namespace, *, start_level: str | None = None) -> int:
    from ..runtime_select import choose_runtime
    from ..tui import create_app

    runtime = args.runtime
    if runtime == "docker":
        runtime = choose_runtime("docker")  # asked for and not there: say so before the screen opens
    app = create_app(runtime=runtime, packs=args.packs, start_level=start_level)
    app.run()
    return int(app.return_code or 0)
