"""SVG snapshots at 120×40: the map, a level in progress, describe and logs, victory.

Deterministic by construction: the sim runtime on a VirtualClock that only the test moves,
seed 0 (pod names), a temporary save folder, the test packs only, toasts cleared; the
level's kubeconfig (its path is on screen, in the export line) in a fixed folder.
Update with `pytest tests/tui --snapshot-update` after checking the new pictures.
"""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import TextArea

from kubequest.tui.screens.victory import VictoryScreen

from .conftest import SIZE, advance, level_screen, synced, wait_until
from .conftest import make_app as _make_app

KUBECONFIGS = Path("/tmp/kubequest-tui-snapshots")  # the export line shows this path


def make_app(data_dir, **kw):
    return _make_app(data_dir, kubeconfig_dir=KUBECONFIGS, **kw)


def _seed_progress(data_dir) -> None:
    (data_dir / "progress.json").write_text(json.dumps({"version": 1, "levels": {
        "tour/first-steps": {"solved": True, "solved_without_hints": True, "under_par": True,
                             "best_seconds": 95.0, "hints_used": 0, "attempts": 1,
                             "last_played": "2026-01-01T00:00:00Z"},
        "tour/typo-service": {"solved": True, "solved_without_hints": False, "under_par": True,
                              "best_seconds": 190.0, "hints_used": 1, "attempts": 2,
                              "last_played": "2026-01-01T00:00:00Z"},
    }}))


async def _settle(pilot) -> None:
    pilot.app.clear_notifications()
    await pilot.pause()
    await pilot.pause()


def test_map(snap_compare, data_dir):
    _seed_progress(data_dir)
    app = make_app(data_dir)

    async def run_before(pilot) -> None:
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "MapScreen"
                         and pilot.app.levels_ready, what="the map with its levels")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


async def _crashing_level(pilot, *, why: bool = True):
    screen = await level_screen(pilot)
    await advance(pilot, screen, 40)  # long enough for restarts and CrashLoopBackOff
    if why:
        await pilot.press("w")
        await synced(pilot, screen)
    return screen


def test_level_in_progress(snap_compare, data_dir):
    app = make_app(data_dir, start_level="tour/bad-release")

    async def run_before(pilot) -> None:
        await _crashing_level(pilot)
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_describe_a_crashing_pod(snap_compare, data_dir):
    app = make_app(data_dir, start_level="tour/bad-release")

    async def run_before(pilot) -> None:
        await _crashing_level(pilot, why=False)
        await pilot.press("d")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "InspectScreen",
                         what="describe")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_logs_of_the_previous_container(snap_compare, data_dir):
    app = make_app(data_dir, start_level="tour/bad-release")

    async def run_before(pilot) -> None:
        await _crashing_level(pilot, why=False)
        await pilot.press("l")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "InspectScreen", what="logs")
        inspect = pilot.app.screen
        await pilot.press("f", "p")  # stop following, then kubectl logs --previous
        await wait_until(pilot, lambda: inspect._logs_text and "fatal" in inspect._logs_text,
                         what="the previous container's logs")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_victory(snap_compare, data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")

    async def run_before(pilot) -> None:
        screen = await level_screen(pilot)
        await advance(pilot, screen, 83)
        editor = screen.query_one("#editor-0", TextArea)
        level = pilot.app.find_level("tour/typo-service")
        editor.load_text(level.solution[0].read_text())
        await pilot.press("ctrl+s")
        await synced(pilot, screen)
        await advance(pilot, screen, 1)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, VictoryScreen), what="victory")
        await _settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
