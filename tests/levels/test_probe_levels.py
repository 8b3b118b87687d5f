"""self-healing/warming-up is won by a readiness probe that asks the app whether it is
warm — not by a probe on another path (play-testers won with /healthz: the check passed
on the old pods before the replacement existed)."""

from __future__ import annotations

import pytest

from kubequest.levels.loader import load_packs
from kubequest.levels.session import LevelSession

LEVEL = next(lv for pack in load_packs([]) for lv in pack.levels if lv.id == "self-healing/warming-up")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEQUEST_DATA_DIR", str(tmp_path / "data"))


@pytest.mark.parametrize("path, wins", [("/ready", True), ("/healthz", False)])
def test_only_a_probe_on_ready_wins(tmp_path, path, wins):
    manifest = tmp_path / "web.yaml"
    manifest.write_text((LEVEL.dir / "solution" / "web.yaml").read_text().replace("path: /ready", f"path: {path}"))
    with LevelSession(LEVEL, runtime="sim") as session:
        session.apply_files([manifest])
        state = session.run(LEVEL.time_limit)
    assert state.won is wins, [o.detail for o in state.objectives]
