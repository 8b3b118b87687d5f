"""`kubequest run LEVEL --apply FILE... [--json] [--timeout S]`: play a level headless.

Builds the level's cluster, applies its setup and then the given files, and
runs until every objective holds or the timeout passes (the level's time
limit by default). Prints each objective ✓/✗ with, for the unmet ones, why.
Exit status: 0 every objective met, 1 not met, 2 an error (unknown level,
a file that does not apply, no runtime).
"""

from __future__ import annotations

import argparse
import json
import sys

from ..levels.loader import find_level, load_packs
from ..levels.progress import Progress
from ..levels.session import LevelSession, SessionState
from ..runtime_select import choose_runtime

EXIT_MET, EXIT_NOT_MET = 0, 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="play a level headless with your files",
        description="Build the level's cluster, apply its setup then FILE..., run until every "
                    "objective holds or the timeout passes, and print each objective. "
                    "Exit 0 all met, 1 not met, 2 error.")
    parser.add_argument("level", metavar="LEVEL", help="a level id, pack/level (see `kubequest levels`)")
    parser.add_argument("--apply", nargs="+", default=[], metavar="FILE", dest="files",
                        help="manifest files to apply after the setup, in order")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="cluster seconds to wait (default: the level's timeLimitSeconds)")
    parser.set_defaults(run=run)


def print_text(state: SessionState, session: LevelSession, reason: str, applied: list[str]) -> None:
    level = session.level
    print(f"{level.id}: {level.title}  [runtime {session.choice.name}: {reason}]")
    for line in applied:
        print(f"  {line}")
    for line in session.log:
        print(f"  {line}")
    if state.step is not None:
        print(f"step {state.step + 1} of {len(level.steps)}: {level.steps[state.step].title}")
    for o in state.objectives:
        mark = "✓" if o.ok else "✗"
        print(f"{mark} {o.id}: {o.description}")
        print(f"    {o.detail}")
        for sentence in o.explanation:
            print(f"    why: {sentence}")
    if state.won:
        print(f"every objective met after {state.elapsed:g}s of cluster time")
    else:
        print(f"not met after {state.elapsed:g}s of cluster time")


def run(args: argparse.Namespace) -> int:
    if args.timeout is not None and args.timeout <= 0:
        print("kubequest run: --timeout must be a positive number of seconds", file=sys.stderr)
        return 2
    level = find_level(args.level, load_packs(args.packs))
    choice = choose_runtime(args.runtime)
    with LevelSession(level, runtime=choice) as session:
        applied = session.apply_files(args.files)
        state = session.run(args.timeout)
        if args.json:
            print(json.dumps({
                "level": level.id, "runtime": choice.name, "runtimeReason": choice.reason,
                "met": state.won, "elapsedSeconds": round(state.elapsed, 3),
                "step": None if state.step is None else state.step + 1,
                "applied": applied, "events": list(session.log),
                "objectives": [o.as_dict() for o in state.objectives],
            }, indent=2))
        else:
            print_text(state, session, choice.reason, applied)
    _record(level.id, state, level.par_seconds)
    return EXIT_MET if state.won else EXIT_NOT_MET


def _record(level_id: str, state: SessionState, par: float | None) -> None:
    """A headless solve counts as solved; its cluster time is not the learner's, so no time star."""
    progress = Progress.load()
    if progress.warning:
        print(f"kubequest: warning: {progress.warning}", file=sys.stderr)
    progress.record_attempt(level_id)
    if state.won:
        progress.record_solve(level_id, seconds=None, hints_used=0, par_seconds=par)
    try:
        progress.save()
    except OSError as exc:
        print(f"kubequest: warning: progress not saved: {exc.strerror or exc}", file=sys.stderr)
