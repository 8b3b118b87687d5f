"""Helpers for the TUI tests: a deterministic app (sim runtime, VirtualClock moved only by
the test, a fixed seed, a temporary save folder) and ways to wait for it to catch up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kubequest.tui import create_app
from kubequest.tui.screens.level import LevelScreen

PACKS = Path(__file__).parent / "packs"
TOUR = PACKS / "tour"
LOAD = PACKS / "load"
SIZE = (120, 40)


def make_app(data_dir: Path, *, packs=(TOUR,), start_level: str | None = None, **kw):
    """The game on the sim runtime with a manual VirtualClock and only the test packs."""
    return create_app(runtime="sim", packs=list(packs), builtin_dir=None, data_dir=data_dir,
                      manual_clock=True, seed=0, start_level=start_level, **kw)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    return d


async def wait_until(pilot, predicate, *, what: str = "condition", tries: int = 400) -> None:
    """Let the app run (and the driver thread work) until predicate() holds."""
    for _ in range(tries):
        if predicate():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def level_screen(pilot) -> LevelScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, LevelScreen), what="the level screen")
    screen = pilot.app.screen
    assert isinstance(screen, LevelScreen)
    await wait_until(pilot, screen.is_synced, what="the level's first snapshot")
    return screen


async def synced(pilot, screen: LevelScreen) -> None:
    await wait_until(pilot, screen.is_synced, what="the driver's last snapshot on screen")


async def advance(pilot, screen: LevelScreen, seconds: float) -> None:
    """Let `seconds` of cluster time pass (VirtualClock), then wait for the screen."""
    assert screen.driver is not None
    await asyncio.wrap_future(screen.driver.advance(seconds))
    await synced(pilot, screen)


async def open_level(pilot, level_id: str) -> LevelScreen:
    """From the map: put the cursor on the level's row and press enter."""
    from textual.widgets import DataTable

    table = pilot.app.screen.query_one("#levels", DataTable)
    await wait_until(pilot, lambda: f"level:{level_id}" in table.rows, what="the level on the map")
    table.move_cursor(row=table.get_row_index(f"level:{level_id}"))
    await pilot.pause()
    await pilot.press("enter")
    return await level_screen(pilot)
