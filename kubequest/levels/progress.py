"""The learner's progress: levels solved, stars, best time, hints used.

Saved as JSON in the user's data directory:

    $KUBEQUEST_DATA_DIR/progress.json                (when the variable is set)
    $XDG_DATA_HOME/kubequest/progress.json           (else, when that is set)
    ~/.local/share/kubequest/progress.json           (else)

Writes are atomic (a temp file in the same folder, then os.replace), so a
crash mid-write never leaves half a file. A file that cannot be read as
progress is moved aside to `progress.json.bak-<timestamp>` with a warning, and
play goes on from a clean slate: losing a save is bad, refusing to start the
game over it is worse.

Stars, each kept once earned: solved; solved without a hint; solved in under
the level's parSeconds.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FILENAME = "progress.json"
VERSION = 1


def data_dir() -> Path:
    override = os.environ.get("KUBEQUEST_DATA_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "kubequest"


@dataclass
class LevelProgress:
    solved: bool = False
    solved_without_hints: bool = False
    under_par: bool = False
    best_seconds: float | None = None
    hints_used: int = 0  # the fewest hints a solve needed (or used so far, unsolved)
    attempts: int = 0
    last_played: str = ""

    @property
    def stars(self) -> int:
        return int(self.solved) + int(self.solved_without_hints) + int(self.under_par)


@dataclass
class Progress:
    path: Path
    levels: dict[str, LevelProgress] = field(default_factory=dict)
    warning: str | None = None  # set when a corrupt file was moved aside

    @classmethod
    def load(cls, path: Path | None = None) -> Progress:
        path = path or data_dir() / FILENAME
        progress = cls(path)
        if not path.exists():
            return progress
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            progress.levels = _parse(raw)
        except (OSError, UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
            backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
            n = 1
            while backup.exists():
                backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}-{n}")
                n += 1
            try:
                os.replace(path, backup)
                kept = f"it was kept as {backup}"
            except OSError as move_exc:
                kept = f"it could not be moved aside ({move_exc.strerror})"
            progress.warning = (f"the save file {path} could not be read ({_why(exc)}); "
                                f"{kept}, and progress starts clean")
        return progress

    def level(self, level_id: str) -> LevelProgress:
        return self.levels.get(level_id) or LevelProgress()

    def record_attempt(self, level_id: str) -> None:
        entry = self.levels.setdefault(level_id, LevelProgress())
        entry.attempts += 1
        entry.last_played = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def record_solve(self, level_id: str, *, seconds: float | None, hints_used: int,
                     par_seconds: float | None) -> LevelProgress:
        """A win: the stars earned now are added to those already held; the best time kept."""
        entry = self.levels.setdefault(level_id, LevelProgress())
        first = not entry.solved
        entry.solved = True
        entry.solved_without_hints = entry.solved_without_hints or hints_used == 0
        if seconds is not None:
            if par_seconds is not None and seconds <= par_seconds:
                entry.under_par = True
            if entry.best_seconds is None or seconds < entry.best_seconds:
                entry.best_seconds = round(seconds, 1)
        entry.hints_used = hints_used if first else min(entry.hints_used, hints_used)
        entry.last_played = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return entry

    def save(self) -> None:
        """Write atomically: a temp file beside the save, fsync'd, then os.replace."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"version": VERSION,
                "levels": {k: asdict(v) for k, v in sorted(self.levels.items())}}
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=2, sort_keys=True)
                f.write("\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _parse(raw: Any) -> dict[str, LevelProgress]:
    if not isinstance(raw, dict) or raw.get("version") != VERSION or not isinstance(raw.get("levels"), dict):
        raise ValueError(f"not a version {VERSION} progress file")
    out = {}
    for level_id, entry in raw["levels"].items():
        if not isinstance(entry, dict):
            raise TypeError(f"entry {level_id!r} is not a mapping")
        known = {k: entry[k] for k in LevelProgress.__dataclass_fields__ if k in entry}
        for key, value in known.items():
            if not isinstance(value, _TYPES[key]) or (isinstance(value, bool) and bool not in _TYPES[key]):
                raise ValueError(f"{level_id}: {key} has the wrong type")
        out[str(level_id)] = LevelProgress(**known)
    return out


# What each saved field may hold (bool is an int in Python, so it is told apart above).
_TYPES: dict[str, tuple[type, ...]] = {
    "solved": (bool,), "solved_without_hints": (bool,), "under_par": (bool,),
    "best_seconds": (int, float, type(None)), "hints_used": (int,), "attempts": (int,),
    "last_played": (str,),
}


def _why(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON: {exc.msg} at line {exc.lineno}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
