"""The order of the packs: the built-in ones in teaching order (the guided tour first), then
every `--packs` folder in the order given — the same on the level map and in `kubequest levels`."""

from __future__ import annotations

import pytest

from kubequest.cli import main
from kubequest.levels.loader import BUILTIN_ORDER, load_packs

from .conftest import make_pack


def test_the_builtin_packs_come_in_teaching_order():
    names = [p.name for p in load_packs([])]
    assert names[:6] == ["first-steps", "basics", "services", "self-healing", "rollouts", "scheduling"]
    assert names[0] == BUILTIN_ORDER[0]


def test_an_unlisted_builtin_pack_comes_after_the_listed_ones_and_extra_packs_last(tmp_path):
    builtin = tmp_path / "builtin"
    for name in ("zeta", "alpha", "basics", "first-steps"):
        make_pack(builtin / name, name=name)
    extra_b, extra_a = make_pack(tmp_path / "b", name="extra-b"), make_pack(tmp_path / "a", name="extra-a")
    packs = load_packs([extra_b, extra_a], builtin_dir=builtin)
    assert [p.name for p in packs] == ["first-steps", "basics", "alpha", "zeta", "extra-b", "extra-a"]
    assert [p.builtin for p in packs] == [True] * 4 + [False] * 2


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_kubequest_levels_lists_the_packs_in_the_same_order(capsys, data_dir, tmp_path):
    extra = make_pack(tmp_path / "mine", name="mine")
    assert main(["--packs", str(extra), "levels"]) == 0
    out = capsys.readouterr().out
    headers = [line.split(" — ", 1)[0] for line in out.splitlines() if not line.startswith(" ")]
    assert headers[:6] == list(BUILTIN_ORDER)
    assert headers[-1] == "mine"
