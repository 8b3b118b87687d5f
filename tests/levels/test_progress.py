"""Progress: where it is saved, stars, atomic writes, a corrupt file kept aside."""

from __future__ import annotations

import json
import os

import pytest

from kubequest.levels import progress as progress_mod
from kubequest.levels.progress import FILENAME, Progress, data_dir


def test_the_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "kq"))
    assert data_dir() == tmp_path / "kq"
    monkeypatch.delenv("KUBEQUEST_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "kubequest"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "kubequest"


def test_stars_are_kept_once_earned_and_the_best_time_wins():
    p = Progress.load()
    assert p.level("basics/a").stars == 0
    entry = p.record_solve("basics/a", seconds=400, hints_used=2, par_seconds=300)
    assert (entry.solved, entry.solved_without_hints, entry.under_par, entry.stars) == (True, False, False, 1)
    entry = p.record_solve("basics/a", seconds=200, hints_used=0, par_seconds=300)
    assert entry.stars == 3 and entry.best_seconds == 200 and entry.hints_used == 0
    entry = p.record_solve("basics/a", seconds=900, hints_used=3, par_seconds=300)
    assert entry.stars == 3 and entry.best_seconds == 200 and entry.hints_used == 0
    assert p.record_solve("basics/b", seconds=None, hints_used=0, par_seconds=10).stars == 2


def test_save_and_load_round_trip(tmp_path):
    p = Progress.load()
    p.record_attempt("basics/a")
    p.record_solve("basics/a", seconds=12.34, hints_used=1, par_seconds=None)
    p.save()
    assert p.path == tmp_path / "data" / FILENAME
    raw = json.loads(p.path.read_text())
    assert raw["version"] == 1 and raw["levels"]["basics/a"]["best_seconds"] == 12.3
    again = Progress.load()
    assert again.level("basics/a") == p.level("basics/a") and again.warning is None
    assert [f.name for f in p.path.parent.iterdir()] == [FILENAME]  # no temp file left


def test_a_failed_write_leaves_the_old_file_whole(monkeypatch):
    p = Progress.load()
    p.record_solve("basics/a", seconds=1, hints_used=0, par_seconds=None)
    p.save()
    before = p.path.read_text()

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(progress_mod.os, "replace", boom)
    p.record_solve("basics/b", seconds=1, hints_used=0, par_seconds=None)
    with pytest.raises(OSError):
        p.save()
    assert p.path.read_text() == before
    assert sorted(f.name for f in p.path.parent.iterdir()) == [FILENAME]


@pytest.mark.parametrize("content", [
    "{not json", '{"version": 1, "levels": []}', '{"version": 9, "levels": {}}',
    '{"version": 1, "levels": {"a/b": {"solved": "yes"}}}', '{"version": 1, "levels": {"a/b": 3}}',
    "\udcff",
])
def test_a_corrupt_file_is_kept_aside_and_play_goes_on(tmp_path, content):
    path = tmp_path / "data" / FILENAME
    path.parent.mkdir(parents=True)
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    p = Progress.load()
    assert p.levels == {}
    assert p.warning and "could not be read" in p.warning and "progress starts clean" in p.warning
    backups = [f for f in path.parent.iterdir() if f.name.startswith(f"{FILENAME}.bak-")]
    assert len(backups) == 1 and backups[0].read_bytes() == content.encode("utf-8", "surrogateescape")
    assert not path.exists()
    p.record_solve("a/b", seconds=None, hints_used=0, par_seconds=None)
    p.save()
    assert Progress.load().level("a/b").solved


def test_two_corrupt_files_in_one_second_keep_both(tmp_path):
    path = tmp_path / "data" / FILENAME
    path.parent.mkdir(parents=True)
    for text in ("{bad", "{worse"):
        path.write_text(text)
        Progress.load()
    assert len([f for f in os.listdir(path.parent) if ".bak-" in f]) == 2
