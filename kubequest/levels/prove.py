"""`pack test`: prove each level of a pack on a real cluster.

For every level:
1. the setup alone must NOT meet the objectives — it runs for a short while
   (up to min(timeLimitSeconds, 30) cluster seconds) and fails if every
   objective holds, since then the learner has nothing to do;
2. the reference solution, and every alternative, applied after the setup,
   must meet every objective within the level's timeLimitSeconds.

Each run is a fresh cluster. On the sim runtime the cluster runs on a
virtual clock, so proving a pack takes seconds whatever its time limits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from engine.api.errors import KubeQuestError

from ..runtime_select import RuntimeChoice
from .loader import Level
from .session import LevelSession, SessionState

SETUP_WINDOW = 30.0


@dataclass
class LevelProof:
    level: str
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _unmet(state: SessionState, level: Level) -> str:
    where = ""
    if state.step is not None:
        where = f" in step {state.step + 1} ({level.steps[state.step].title})"
    parts = []
    for o in state.objectives:
        if not o.ok:
            why = f" — why: {' '.join(o.explanation)}" if o.explanation else ""
            parts.append(f'objective "{o.id}"{where} not met: {o.detail}{why}')
    return "; ".join(parts) or "the objectives held, but not all at once"


def _files(paths: list[Path], level: Level) -> str:
    return ", ".join(str(p.relative_to(level.dir)) for p in paths)


def prove_level(level: Level, runtime: RuntimeChoice, say: Callable[[str], None] = print,
                *, max_wall: float | None = None) -> LevelProof:
    proof = LevelProof(level.id)
    say(f"{level.id}: {level.title}")

    def fail(text: str) -> None:
        proof.failures.append(text)
        say(f"  FAIL {text}")

    window = min(level.time_limit, SETUP_WINDOW)
    try:
        with LevelSession(level, runtime=runtime) as session:
            state = session.run(window, max_wall=max_wall)
            if state.won:
                fail(f"the setup alone already meets every objective (after {state.elapsed:g}s): "
                     "the learner would have nothing to do")
            else:
                say(f"  ok   setup alone: objectives not met after {window:g}s, as it should be")
    except KubeQuestError as exc:
        fail(f"the setup cannot be played: {exc}")
        return proof
    runs = [("solution", level.solution)]
    runs += [(f"alternative {i + 1}", alt) for i, alt in enumerate(level.alternatives)]
    for name, files in runs:
        try:
            with LevelSession(level, runtime=runtime) as session:
                session.apply_files(files)
                state = session.run(level.time_limit, max_wall=max_wall)
        except KubeQuestError as exc:
            fail(f"{name} ({_files(files, level)}): {exc}")
            continue
        if state.won:
            say(f"  ok   {name} meets every objective after {state.elapsed:g}s")
        else:
            fail(f"{name} ({_files(files, level)}) does not meet the objectives within "
                 f"{level.time_limit:g}s: {_unmet(state, level)}")
    return proof
