"""Levels won only by their lesson. self-healing/warming-up is won by a readiness probe that asks the app whether it is
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


def test_wrong_port_is_not_won_by_moving_the_service_port(tmp_path):
    """Clients connect to web:80: a Service moved to port 8080 answers nobody of theirs."""
    level = next(lv for pack in load_packs([]) for lv in pack.levels if lv.id == "services/wrong-port")
    moved = tmp_path / "service.yaml"
    text = (level.dir / "workspace" / "service.yaml").read_text()
    moved.write_text(text.replace("- port: 80", "- port: 8080"))
    assert moved.read_text() != text
    with LevelSession(level, runtime="sim") as session:
        session.apply_files([moved])
        state = session.run(level.time_limit)
    assert not state.won
    assert state.objectives[0].detail == "Service web has no port 80 (its ports: 8080)"
