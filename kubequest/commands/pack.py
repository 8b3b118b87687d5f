"""`kubequest pack new|check|test DIR`: write, lint and prove a level pack.

    pack new DIR                scaffold a pack with one example level (passes check and test)
    pack check DIR              every schema, file and manifest problem, as FILE:LINE: message; exit 1
    pack test DIR [--level ID]  setup alone must not win; solution and alternatives must; exit 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.api.errors import KubeQuestError

from ..levels.loader import check_pack, load_pack
from ..levels.prove import prove_level
from ..levels.scaffold import new_pack
from ..runtime_select import choose_runtime


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "pack", help="create, lint and prove level packs",
        description="Level packs for instructors: `pack new` scaffolds one, `pack check` lints it, "
                    "`pack test` proves every level on a real cluster.")
    sub = parser.add_subparsers(dest="pack_command", metavar="ACTION")
    sub.required = True
    p_new = sub.add_parser("new", help="scaffold a pack with one example level",
                           description="Write a new pack with one example level into DIR "
                                       "(which must not exist, or be empty).")
    p_new.add_argument("dir", metavar="DIR")
    p_new.set_defaults(run=run_new)
    p_check = sub.add_parser("check", help="lint a pack: schema, files, manifests",
                             description="List every problem of a pack as FILE:LINE: message. "
                                         "Exit 0 when there is none, 1 otherwise.")
    p_check.add_argument("dir", metavar="DIR")
    p_check.set_defaults(run=run_check)
    p_test = sub.add_parser(
        "test", help="prove each level: setup alone fails, the solution wins",
        description="For each level: the setup alone must not meet the objectives, and the "
                    "solution and every alternative must meet them within timeLimitSeconds. "
                    "Use the global --runtime sim to run on the virtual clock (seconds per pack).")
    p_test.add_argument("dir", metavar="DIR")
    p_test.add_argument("--level", metavar="ID", help="only this level (its folder name or pack/level)")
    p_test.set_defaults(run=run_test)


def _pack_dir(text: str) -> Path:
    path = Path(text)
    if not path.is_dir():
        raise KubeQuestError(f"{text}: no such folder")
    if not (path / "pack.yaml").is_file():
        raise KubeQuestError(f"{text}: no pack.yaml here: is this a level pack folder?")
    return path


def run_new(args: argparse.Namespace) -> int:
    files = new_pack(args.dir)
    pack = load_pack(args.dir)
    print(f"created pack {pack.name} in {args.dir} ({len(files)} files, level {pack.levels[0].name})")
    print(f"next: kubequest pack check {args.dir} && kubequest --runtime sim pack test {args.dir}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    pack, problems = check_pack(_pack_dir(args.dir))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{args.dir}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"{args.dir}: pack {pack.name} is valid ({len(pack.levels)} level(s))")
    return 0


def run_test(args: argparse.Namespace) -> int:
    pack, problems = check_pack(_pack_dir(args.dir))
    if problems:
        for problem in problems:
            print(problem)
        print(f"{args.dir}: fix these {len(problems)} problem(s) first (`kubequest pack check`)",
              file=sys.stderr)
        return 1
    levels = pack.levels
    if args.level:
        name = args.level.split("/", 1)[1] if args.level.startswith(f"{pack.name}/") else args.level
        levels = [lv for lv in levels if lv.name == name]
        if not levels:
            known = ", ".join(lv.name for lv in pack.levels)
            raise KubeQuestError(f'pack "{pack.name}" has no level "{args.level}" (levels: {known})')
    choice = choose_runtime(args.runtime)
    print(f"proving pack {pack.name} on the {choice.name} runtime ({choice.reason})")
    proofs = [prove_level(level, choice, say=lambda line: print(line, flush=True)) for level in levels]
    failed = [p.level for p in proofs if not p.ok]
    if failed:
        print(f"{len(failed)} of {len(proofs)} level(s) failed: {', '.join(failed)}")
        return 1
    print(f"all {len(proofs)} level(s) proven")
    return 0
