"""`kubequest levels`: the packs and their levels, with the learner's progress.

    basics — Kubernetes basics (built-in), 1 of 3 solved
      ★★☆  basics/typo-service   Nobody answers           ●●○○○  best 1m05s
"""

from __future__ import annotations

import argparse
import sys

from ..levels.loader import Pack, load_packs
from ..levels.progress import LevelProgress, Progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "levels", help="list packs and levels with your progress",
        description="List the built-in packs, and those added with --packs, with the levels "
                    "you solved, their stars (solved, no hint, under par) and your best times.")
    parser.set_defaults(run=run)


def _time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(round(seconds), 60)
    return f"best {m}m{s:02d}s" if m else f"best {s}s"


def _stars(p: LevelProgress) -> str:
    return "★" * p.stars + "☆" * (3 - p.stars)


def print_pack(pack: Pack, progress: Progress) -> None:
    where = "built-in" if pack.builtin else f"from {pack.dir}"
    problems = pack.all_problems()
    solved = sum(progress.level(lv.id).solved for lv in pack.levels)
    print(f"{pack.name} — {pack.title} ({where}), {solved} of {len(pack.levels)} solved")
    if problems:
        print(f"  {len(problems)} problem(s): {problems[0]}  (`kubequest pack check {pack.dir}`)")
    width = max((len(lv.id) for lv in pack.levels), default=0)
    for lv in pack.levels:
        p = progress.level(lv.id)
        difficulty = "●" * lv.difficulty + "○" * (5 - lv.difficulty)
        broken = "  (cannot be played)" if lv.problems else ""
        print(f"  {_stars(p)}  {lv.id:<{width}}  {lv.title:<28}  {difficulty}  {_time(p.best_seconds)}"
              .rstrip() + broken)


def run(args: argparse.Namespace) -> int:
    packs = load_packs(args.packs)
    progress = Progress.load()
    if progress.warning:
        print(f"kubequest: warning: {progress.warning}", file=sys.stderr)
    if not packs:
        print("no level packs found (built-in levels/ is empty; add one with --packs DIR)")
        return 0
    for pack in packs:
        print_pack(pack, progress)
    return 0
