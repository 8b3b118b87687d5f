"""Playing levels end to end on the sim runtime, driven like a player: keys and the editor."""

from __future__ import annotations

import json

from textual.widgets import TextArea

from kubequest.tui.screens.level import LevelScreen
from kubequest.tui.screens.victory import VictoryScreen
from kubequest.tui.widgets.objectives import ObjectivesPanel

from .conftest import SIZE, advance, make_app, open_level, synced, wait_until


async def test_fix_the_service_from_the_map_to_victory(data_dir):
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_level(pilot, "tour/typo-service")
        state = screen.snapshot.state
        assert [o.ok for o in state.objectives] == [False, False]

        # Fix the selector in the editor: select "wbe" on line 7 and type over it.
        await pilot.press("i")
        editor = screen.query_one("#editor-0", TextArea)
        assert editor.has_focus
        assert editor.document.get_line(6) == "    app: wbe"
        editor.cursor_location = (6, 9)
        await pilot.press("shift+end", "w", "e", "b")
        assert editor.document.get_line(6) == "    app: web"

        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.driver.idle() and screen.snapshot is not None
                         and screen.snapshot.log is not None and screen.is_synced(), what="apply")
        await advance(pilot, screen, 2)
        await wait_until(pilot, lambda: isinstance(app.screen, VictoryScreen), what="victory")
        assert all(o.ok for o in screen.snapshot.state.objectives)
        panel = screen.query_one(ObjectivesPanel)
        assert panel.has_class("-won")

        saved = json.loads((data_dir / "progress.json").read_text())
        entry = saved["levels"]["tour/typo-service"]
        assert entry["solved"] is True
        assert entry["solved_without_hints"] is True
        assert entry["hints_used"] == 0

        # Reveal the solution, then back to the map: the level shows three stars.
        await pilot.press("s")
        await pilot.pause()
        assert app.screen.query_one("#solution-text", TextArea).text.startswith("# ---- service.yaml")
        await pilot.press("m")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MapScreen", what="the map")
        assert app.progress.level("tour/typo-service").stars == 3
        from textual.widgets import DataTable

        row = app.screen.query_one("#levels", DataTable).get_row("level:tour/typo-service")
        assert row[4].plain == "★★★"
        assert row[0].plain == "✓"


async def test_a_refused_apply_points_at_the_line(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        from .conftest import level_screen

        screen = await level_screen(pilot)
        editor = screen.query_one("#editor-0", TextArea)
        editor.focus()
        editor.cursor_location = (9, 18)  # "      targetPort: 8080" -> a port name that is not one
        await pilot.press("shift+end", *"bad_port")
        await wait_until(pilot, lambda: any(p.line == 10 for p in
                                            screen.query_one("#editor").all_problems),
                         what="validation as you type")
        assert 9 in editor.error_lines
        await pilot.press("ctrl+s")
        await synced(pilot, screen)
        await wait_until(pilot, lambda: editor.has_focus and editor.cursor_location[0] == 9,
                         what="the cursor on the refused line")
        assert isinstance(app.screen, LevelScreen)
        # …the cursor only: a key typed next edits the line instead of replacing all of it.
        assert editor.selected_text == ""
        await pilot.press("end", "backspace")
        assert editor.document.get_line(9) == "      targetPort: bad_por"


async def test_esc_from_the_briefing_comes_back_to_the_cluster(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        from .conftest import level_screen

        screen = await level_screen(pilot)
        screen.query_one("#briefing-box").focus()
        await pilot.pause()
        assert app.focused is screen.query_one("#briefing-box")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, LevelScreen), "esc asked to leave the level"
        assert screen._in_cluster(app.focused)


async def test_a_guided_tutorial_unlocks_its_steps_one_at_a_time(data_dir):
    app = make_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_level(pilot, "tour/first-steps")  # the recommended level
        panel = screen.query_one(ObjectivesPanel)
        assert screen.snapshot.state.step == 0
        assert panel.border_title == "Step 1 of 3"

        # Step 1: apply web.yaml alone (F6 applies the file in front).
        await pilot.press("i", "f6")
        await synced(pilot, screen)
        await advance(pilot, screen, 5)
        assert screen.snapshot.state.step == 1
        assert panel.border_title == "Step 2 of 3"
        assert not isinstance(app.screen, VictoryScreen)

        # Step 2: three replicas.
        web = screen.query_one("#editor-0", TextArea)
        web.cursor_location = (5, 12)
        await pilot.press("shift+end", "3", "f6")
        await synced(pilot, screen)
        await advance(pilot, screen, 5)
        assert screen.snapshot.state.step == 2
        assert panel.border_title == "Step 3 of 3"

        # Step 3: the Service, from its own tab.
        from textual.widgets import TabbedContent

        screen.query_one("#files", TabbedContent).active = "file-1"
        await pilot.pause()
        screen.query_one("#editor-1", TextArea).focus()
        await pilot.press("f6")
        await synced(pilot, screen)
        await advance(pilot, screen, 5)
        await wait_until(pilot, lambda: isinstance(app.screen, VictoryScreen), what="victory")
        assert app.progress.level("tour/first-steps").solved


async def test_a_hint_asks_first_and_costs_the_no_hint_star(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        from kubequest.tui.screens.dialogs import ConfirmDialog

        from .conftest import level_screen

        screen = await level_screen(pilot)
        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
        await pilot.press("n")  # changed my mind: nothing spent
        await pilot.pause()
        assert screen.hints == [] and screen.driver.session.hints_used == 0

        await pilot.press("h")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog), what="the confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(screen.hints) == 1, what="the hint")
        assert screen.hints[0].startswith("Compare the Service's selector")
        assert "Hints 1/3" in str(screen.query_one("#hints").border_title)

        # Win with the reference solution: two stars, not three.
        editor = screen.query_one("#editor-0", TextArea)
        solution = (app.find_level("tour/typo-service").solution[0]).read_text()
        editor.load_text(solution)
        await pilot.press("ctrl+s")
        await synced(pilot, screen)
        await advance(pilot, screen, 2)
        await wait_until(pilot, lambda: isinstance(app.screen, VictoryScreen), what="victory")
        victory = app.screen
        assert victory.stats.hints_used == 1 and not victory.stats.no_hint
        progress = app.progress.level("tour/typo-service")
        assert progress.solved and not progress.solved_without_hints
        assert progress.stars == 2  # solved + under par, no no-hint star


async def test_the_mouse_applies_and_switches_views(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        from textual.widgets import TabbedContent

        from .conftest import level_screen

        screen = await level_screen(pilot)
        await pilot.click("#cluster Tab#--content-tab-tree")
        assert screen.query_one("#cluster", TabbedContent).active == "tree"

        editor = screen.query_one("#editor-0", TextArea)
        editor.load_text(app.find_level("tour/typo-service").solution[0].read_text())
        await pilot.click("#apply")
        await wait_until(pilot, lambda: isinstance(app.screen, VictoryScreen), what="victory")


async def test_function_keys_work_in_the_editor_and_outside_it(data_dir):
    """F3 (why not yet?) while typing — the footer offers it there — and in the cluster."""
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        from .conftest import level_screen

        screen = await level_screen(pilot)
        panel = screen.query_one(ObjectivesPanel)
        await pilot.press("i")
        assert screen.query_one("#editor-0", TextArea).has_focus
        before = panel.wants_explanations
        await pilot.press("f3")
        await pilot.pause()
        assert panel.wants_explanations != before
        await pilot.press("escape", "f3")
        await pilot.pause()
        assert panel.wants_explanations == before
