"""What a new player saw at 120x40 in tmux: every column in view, the packs in teaching order,
objectives that scroll and explain one at a time, no pause for the TLS certificate."""

from __future__ import annotations

from textual import events

from kubequest.tui import create_app
from kubequest.tui.widgets.objectives import ObjectiveItem, ObjectivesPanel
from kubequest.tui.widgets.resource_table import FittingTable, ResourceTable, squeeze

from .conftest import SIZE, advance, level_screen, make_app, synced, wait_until


def _columns_fit(table: FittingTable) -> bool:
    width = sum(c.get_render_width(table) for c in table.columns.values())
    return width <= table.scrollable_content_region.width


def _rendered(table) -> str:
    """The table's visible text, row by row."""
    return "\n".join(table.render_line(y).text for y in range(table.size.height))


async def _map(pilot) -> FittingTable:
    await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "MapScreen"
                     and pilot.app.levels_ready, what="the map with its levels")
    await pilot.pause()
    await pilot.pause()
    return pilot.app.screen.query_one("#levels", FittingTable)


def _builtin_app(data_dir, **kw):
    return create_app(runtime="sim", data_dir=data_dir, manual_clock=True, seed=0, **kw)


async def test_the_map_fits_at_120_and_gives_way_at_100(data_dir):
    app = _builtin_app(data_dir, serve_kubectl=False)
    async with app.run_test(size=SIZE) as pilot:
        table = await _map(pilot)
        assert _columns_fit(table)
        title = table.columns["title"]
        assert title.auto_width, "at 120 columns every title is whole"
        text = _rendered(table)
        assert "☆☆☆" in text and "0/8" in text and "0/2" in text

        await pilot.resize_terminal(100, 40)
        await pilot.pause()
        await pilot.pause()
        assert _columns_fit(table)
        assert not title.auto_width and title.width < title.content_width
        text = _rendered(table)
        assert "☆☆☆" in text and "0/8" in text and "…" in text

        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        await pilot.pause()
        assert title.auto_width, "room again: the titles are whole again"


async def test_a_new_player_starts_with_the_guided_tour(data_dir):
    app = _builtin_app(data_dir, serve_kubectl=False)
    async with app.run_test(size=SIZE) as pilot:
        table = await _map(pilot)
        packs = [k.value for k in table.rows if k.value.startswith("pack:")]
        assert packs[:6] == ["pack:first-steps", "pack:basics", "pack:services", "pack:self-healing",
                             "pack:rollouts", "pack:scheduling"]
        assert app.recommended().id == "first-steps/run-a-pod"
        key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        assert key.value == "level:first-steps/run-a-pod"  # the cursor starts on it


def test_squeeze_keeps_the_end_of_a_pod_name():
    assert squeeze("web-544d7678db-fdc5l", 30) == "web-544d7678db-fdc5l"
    assert squeeze("web-544d7678db-fdc5l", 17) == "web-544d76…-fdc5l"
    assert all(len(squeeze("web-544d7678db-fdc5l", w)) == w for w in range(20))


async def _crashing(pilot):
    screen = await level_screen(pilot)
    await advance(pilot, screen, 40)  # restarts, CrashLoopBackOff and "5 (10s ago)"
    return screen


async def test_the_pod_table_keeps_node_in_view(data_dir):
    app = make_app(data_dir, start_level="tour/bad-release")
    async with app.run_test(size=SIZE) as pilot:
        screen = await _crashing(pilot)
        table = screen.query_one("#pods-table", ResourceTable)
        await pilot.pause()
        await pilot.pause()
        assert _columns_fit(table)
        text = _rendered(table)
        assert "ago)" in text and "node-1" in text
        # whole, or (NAME gave way) cut in the middle with the pod's suffix kept
        assert "web-544d7678db-" in text or "…-" in text


async def test_the_objectives_scroll_and_explain_one_at_a_time(data_dir):
    app = make_app(data_dir, start_level="tour/bad-release")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _crashing(pilot)
        panel = screen.query_one(ObjectivesPanel)
        first, second = [o.id for o in screen.snapshot.state.objectives]

        # w: every unmet objective explains itself, more than the panel can show: it scrolls.
        await pilot.press("w")
        await wait_until(pilot, lambda: all(o.explanation for o in screen.snapshot.state.objectives
                                            if not o.ok), what="the explanations")
        await synced(pilot, screen)
        await pilot.pause()
        assert screen.explaining and panel.explaining
        assert panel.max_scroll_y > 0
        await pilot.press("o")
        assert panel.has_focus and panel.selected == first
        await pilot.press("pagedown")
        await pilot.pause()
        assert panel.scroll_y > 0
        await pilot.press("pageup")
        await pilot.pause()
        assert panel.scroll_y == 0
        panel.post_message(events.MouseScrollDown(panel, 0, 0, 0, 0, 0, False, False, False))
        await wait_until(pilot, lambda: panel.scroll_y > 0, what="the mouse wheel scrolling")

        # enter on the second: only its explanation goes; the first keeps its own.
        await pilot.press("down")
        assert panel.selected == second
        await pilot.press("enter")
        await synced(pilot, screen)
        assert not panel.explaining and panel.expanded == {first}
        assert screen.driver.explaining  # the first one still needs explaining

        # w hides every explanation; enter on one shows just that one.
        await pilot.press("w")
        await synced(pilot, screen)
        assert not panel.wants_explanations
        await pilot.pause()
        assert not screen.driver.explaining
        await pilot.press("o", "enter")  # the selection stayed on the second
        await synced(pilot, screen)
        assert panel.expanded == {second}
        await wait_until(pilot, lambda: screen.driver.explaining, what="the driver explaining")

        # a click on an objective toggles it too; esc goes back to the cluster, not the map
        items = list(panel.query(ObjectiveItem))
        await pilot.click(items[0])
        await synced(pilot, screen)
        assert panel.expanded == {first, second} and panel.selected == first
        await pilot.press("escape")
        assert screen.query_one("#pods-table").has_focus and app.screen is screen


async def test_the_app_makes_the_tls_certificate_at_start(data_dir, monkeypatch):
    import engine.apiserver

    calls = []
    monkeypatch.setattr(engine.apiserver, "warm_up", lambda: calls.append(1))
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: calls, what="the certificate warm-up")
    assert calls == [1]
