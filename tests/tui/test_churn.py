"""Fifty pods crash-looping on the wall clock, the cluster loop running flat out in its
thread: the app keeps answering keys. Pilot-driven, no timing asserts."""

from __future__ import annotations

from textual.widgets import TabbedContent

from kubequest.tui import create_app
from kubequest.tui.screens.level import LevelScreen
from kubequest.tui.widgets.resource_table import ResourceTable

from .conftest import LOAD, SIZE, wait_until


async def test_keys_are_handled_while_fifty_pods_churn(data_dir):
    app = create_app(runtime="sim", packs=[LOAD], builtin_dir=None, data_dir=data_dir,
                     start_level="load/churn", time_scale=0.02, seed=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LevelScreen), what="the level")
        screen = app.screen
        table = screen.query_one("#pods-table", ResourceTable)
        await wait_until(pilot, lambda: table.row_count == 50, what="fifty pods", tries=1000)
        await wait_until(pilot, lambda: any("CrashLoopBackOff" in r.cells[2] or "Error" in r.cells[2]
                                            for r in table._rows.values()), what="churn", tries=1000)
        first_serial = screen.shown_serial

        table.focus()
        await pilot.press(*["down"] * 10)
        assert table.cursor_row == 10
        await pilot.press("up", "up")
        assert table.cursor_row == 8

        tabs = screen.query_one("#cluster", TabbedContent)
        for key, tab in (("2", "workloads"), ("3", "nodes"), ("4", "tree"), ("5", "events"),
                         ("1", "pods")):
            await pilot.press(key)
            assert tabs.active == tab

        await pilot.press("slash", "z", "v", "v", "5")  # a name fragment no pod has
        await wait_until(pilot, lambda: table.row_count == 0, what="the filter")
        await pilot.press("escape")
        await wait_until(pilot, lambda: table.row_count == 50, what="the filter cleared")

        await pilot.press("d")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "InspectScreen", what="describe")
        await pilot.press("y", "l", "e", "escape")
        await wait_until(pilot, lambda: app.screen is screen, what="back to the level")

        # The cluster kept moving the whole time, and the screen kept up.
        await wait_until(pilot, lambda: screen.shown_serial > first_serial + 5, what="more snapshots")
        assert screen.driver is not None and screen.driver.running
