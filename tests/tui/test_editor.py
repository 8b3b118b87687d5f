"""The workspace editor as play-testers used it: YAML indentation by enter, tab and shift+tab;
long lines wrapped; files switched from the keyboard; problems readable in full; the cursor
kept in view; a click landing on the line clicked; the `?` help fitting the terminal."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from textual.containers import VerticalScroll
from textual.widgets import OptionList, TabbedContent

from kubequest.tui.screens.help import KEYS, HelpScreen
from kubequest.tui.widgets.editor import ManifestEditor, Problem, WorkspaceEditor, newline_indent

from .conftest import SIZE, TOUR, level_screen, make_app, wait_until

LONG_MESSAGE = ("Service/web: spec.ports[0].targetPort: Invalid value: \"bad_port\": must contain "
                "only alpha-numeric characters (a-z, 0-9), and hyphens (-), and be at most 15 "
                "characters long, and contain at least one letter, and not start or end with a "
                "hyphen, and not have two hyphens next to each other")


LONG_COMMENT = "  # " + "why " * 30  # wider than the editor at 120 columns
FOOTER = "".join(f"# note {i}\n" for i in range(40))


@pytest.fixture
def long_file(tmp_path: Path) -> Path:
    """The tour pack, with typo-service's service.yaml too long and too wide for the editor
    (still valid: nothing but comments added, so no problem listed moves the layout)."""
    pack = tmp_path / "packs" / "tour"
    shutil.copytree(TOUR, pack)
    service = pack / "typo-service" / "workspace" / "service.yaml"
    lines = service.read_text().splitlines(keepends=True)
    service.write_text("".join(lines[:4]) + LONG_COMMENT + "\n" + "".join(lines[4:]) + FOOTER)
    return pack


def _long_app(data_dir, pack: Path):
    return make_app(data_dir, packs=(pack,), start_level="tour/typo-service")


async def _validated(pilot, workspace: WorkspaceEditor) -> None:
    """The check made when the level opened is on screen (a later one would undo a test's)."""
    await wait_until(pilot, lambda: "service.yaml" in workspace.problems, what="validation")


async def _editor(pilot, level: str = "tour/typo-service") -> tuple[WorkspaceEditor, ManifestEditor]:
    screen = await level_screen(pilot)
    await pilot.press("i")
    workspace = screen.query_one(WorkspaceEditor)
    editor = workspace.current
    assert editor is not None and editor.has_focus
    return workspace, editor


def _screen_lines(app, region) -> list[str]:
    """The characters on screen inside region, line by line."""
    strips = app.screen._compositor.render_strips()
    return ["".join(s.text for s in strips[y])[region.x:region.right]
            for y in range(region.y, region.bottom)]


@pytest.mark.parametrize(("line", "indent"), [
    ("    - port: 80", 6),           # the list item's content, not the dash
    ("  ports:", 4),                 # a key with no value opens a block
    ("    - name: web", 6),
    ("        - containerPort: 8080", 10),
    ("      - ports:", 10),          # an item whose first key opens a block
    ("    command: |", 6),           # a block scalar
    ("    args: >-", 6),
    ("  name: web", 2),
    ("  name: web  # was: wbe:", 2),  # a colon in a comment opens nothing
    ("  # ports:", 2),
    ("  -", 4),
    ("", 0),
    ("    ", 4),                      # the cursor inside the indentation keeps its column
])
def test_enter_indents_as_yaml_wants(line, indent):
    assert newline_indent(line) == " " * indent


async def test_enter_keeps_the_indentation_of_the_line(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        _, editor = await _editor(pilot)
        assert editor.document.get_line(8) == "    - port: 80"
        editor.cursor_location = (8, len("    - port: 80"))
        await pilot.press("enter", *"name", "colon", "space", *"http")
        assert editor.document.get_line(9) == "      name: http"
        assert editor.document.get_line(10) == "      targetPort: 8080"

        editor.cursor_location = (7, len("  ports:"))
        await pilot.press("enter")
        assert editor.cursor_location == (8, 4)
        assert "\t" not in editor.text


async def test_tab_indents_and_shift_tab_dedents_the_selected_lines(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        _, editor = await _editor(pilot)
        before = editor.text.splitlines()
        editor.cursor_location = (5, 0)  # "  selector:" and "    app: wbe", whole lines
        await pilot.press("shift+down", "shift+down", "tab")
        lines = editor.text.splitlines()
        assert lines[5:7] == ["    selector:", "      app: wbe"]
        assert lines[7] == before[7], "the line the selection ends at the start of is not taken"
        assert editor.selected_text == "    selector:\n      app: wbe\n"

        await pilot.press("shift+tab", "shift+tab")
        assert editor.text.splitlines()[5:7] == ["selector:", "  app: wbe"]
        assert "\t" not in editor.text

        # No selection: shift+tab dedents the cursor's line, tab indents with spaces.
        editor.move_cursor((9, 8))  # (cursor_location = … would extend the selection)
        await pilot.press("shift+tab")
        assert editor.document.get_line(9) == "    targetPort: 8080"
        assert editor.cursor_location == (9, 6)
        await pilot.press("tab")  # the next tab stop: 2 spaces at column 6
        assert editor.document.get_line(9) == "    ta  rgetPort: 8080"
        assert "\t" not in editor.text


async def test_long_lines_wrap_instead_of_scrolling_every_line_sideways(data_dir, long_file):
    app = _long_app(data_dir, long_file)
    async with app.run_test(size=SIZE) as pilot:
        workspace, editor = await _editor(pilot)
        await _validated(pilot, workspace)
        assert editor.soft_wrap
        editor.move_cursor((4, len(LONG_COMMENT)))
        await pilot.pause()
        assert editor.scroll_offset.x == 0
        lines = _screen_lines(app, editor.content_region)
        assert [line.split()[:2] for line in lines[:4]] == [
            ["1", "apiVersion:"], ["2", "kind:"], ["3", "metadata:"], ["4", "name:"]]
        # The long line: its number on its first row only, the next line keeps its own.
        assert lines[4].split()[:3] == ["5", "#", "why"]
        assert lines[5].split()[0] == "why"
        following = next(i for i, line in enumerate(lines) if line.split()[:1] == ["6"])
        assert lines[following].split()[1] == "spec:"
        assert following > 6, "wrapped over at least 3 rows"

        # A problem on the wrapped line marks every row of it.
        workspace._show_problems(editor, [Problem("service.yaml", 5, "something wrong")])
        await pilot.pause()
        strips = app.screen._compositor.render_strips()
        for y in range(4, following):
            row = strips[editor.content_region.y + y]
            marked = [seg for seg in row if "why" in seg.text]
            assert marked and all(seg.style.bgcolor.triplet == (0x5F, 0x1F, 0x1F) for seg in marked)


async def test_ctrl_pagedown_and_alt_arrows_switch_files_and_focus_the_editor(data_dir):
    app = make_app(data_dir, start_level="tour/first-steps")
    async with app.run_test(size=SIZE) as pilot:
        workspace, editor = await _editor(pilot)
        tabs = workspace.query_one(TabbedContent)
        assert editor.filename == "web.yaml"

        await pilot.press("ctrl+pagedown")
        assert tabs.active == "file-1"
        assert app.focused is workspace.current and app.focused.filename == "service.yaml"
        await pilot.press("ctrl+pagedown")  # round the end
        assert app.focused.filename == "web.yaml"
        await pilot.press("ctrl+pageup")
        assert app.focused.filename == "service.yaml"
        await pilot.press("alt+left")
        assert app.focused.filename == "web.yaml"
        await pilot.press("alt+right")
        assert app.focused.filename == "service.yaml"
        assert workspace.current.has_focus


async def test_problems_use_the_whole_width_and_every_one_is_listed(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        workspace, editor = await _editor(pilot)
        # Two problems on one line: both listed (an option id per line lost the second).
        workspace._show_problems(editor, [Problem("service.yaml", 10, "first"),
                                          Problem("service.yaml", 10, LONG_MESSAGE)])
        await pilot.pause()
        problems = workspace.query_one("#problems", OptionList)
        assert problems.option_count == 2
        apply = workspace.query_one("#apply")
        assert problems.region.width == workspace.content_region.width
        assert not problems.region.overlaps(apply.region)

        # The long message reads to its end: wrapped, not cut at the right.
        problems.scroll_end(animate=False)
        await pilot.pause()
        shown = " ".join(" ".join(_screen_lines(app, problems.content_region)).split())
        assert "two hyphens next to each other" in shown

        # enter on the second one: the cursor goes to its line.
        problems.focus()
        problems.highlighted = 1
        await pilot.press("enter")
        assert editor.has_focus and editor.cursor_location == (9, 0)


async def test_esc_in_the_editor_goes_back_to_the_cluster_with_or_without_problems(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        workspace, editor = await _editor(pilot)
        await pilot.press("escape")
        assert workspace.query_one("#problems").has_class("-ok")
        assert app.focused is not None and not workspace in app.focused.ancestors_with_self

        await pilot.press("i")
        workspace._show_problems(editor, [Problem("service.yaml", 7, "selects nothing")])
        await pilot.press("escape")  # one esc, as the docs and the footer say: the problems stay listed
        assert workspace not in app.focused.ancestors_with_self


async def test_the_cursor_stays_in_view_when_the_problems_list_grows(data_dir, long_file):
    app = _long_app(data_dir, long_file)
    async with app.run_test(size=SIZE) as pilot:
        workspace, editor = await _editor(pilot)
        await _validated(pilot, workspace)
        last = editor.document.line_count - 1
        editor.move_cursor((last, 0))
        await pilot.pause()
        height = editor.scrollable_content_region.height
        assert editor.scroll_offset.y <= last < editor.scroll_offset.y + height

        workspace._show_problems(editor, [Problem("service.yaml", 1, LONG_MESSAGE)])
        await wait_until(pilot, lambda: editor.scrollable_content_region.height < height,
                         what="the editor shrinking under a longer problems list")
        await pilot.pause()
        top, rows = editor.scroll_offset.y, editor.scrollable_content_region.height
        assert top <= last < top + rows


async def test_a_click_lands_on_the_line_clicked_focused_or_not(data_dir, long_file):
    app = _long_app(data_dir, long_file)
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        workspace = screen.query_one(WorkspaceEditor)
        await _validated(pilot, workspace)
        editor = workspace.current
        unfocused = editor.content_region
        editor.scroll_to(y=20, animate=False)  # in the notes at the end: one row per line
        await pilot.pause()
        assert not editor.has_focus
        shown = _screen_lines(app, editor.content_region)[3]

        await pilot.click(editor, offset=(8, 3))
        await pilot.pause()
        assert editor.has_focus
        assert editor.content_region == unfocused
        row = editor.cursor_location[0]
        assert shown.split()[0] == str(row + 1)
        assert editor.document.get_line(row) in shown


async def _help_text(pilot) -> str:
    """All of the help's text as shown, scrolled through, whitespace collapsed."""
    app = pilot.app
    scroll = app.screen.query_one(VerticalScroll)
    shown = []
    for y in range(0, scroll.virtual_size.height, max(1, scroll.size.height)):
        scroll.scroll_to(y=y, animate=False)
        await pilot.pause()
        shown += _screen_lines(app, scroll.content_region)
    return "\n".join(shown)


@pytest.mark.parametrize("size", [(150, 45), (100, 30)])
async def test_the_help_fits_keys_on_one_line_and_descriptions_wrapped(data_dir, size):
    app = make_app(data_dir)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause()
        box = app.screen.query_one(VerticalScroll)
        assert app.screen.region.contains_region(box.parent.region)
        assert box.virtual_size.width <= box.scrollable_content_region.width, "scrolls sideways"

        text = await _help_text(pilot)
        lines = text.splitlines()
        flat = " ".join(text.split())
        for _, rows in KEYS:
            for keys, does in rows:
                assert any(line.strip().startswith(keys) for line in lines), f"{keys!r} wrapped"
                plain = re.sub(r"`|\*\*", "", does)
                assert " ".join(f"{keys} {plain}".split()) in flat, f"{keys!r}: {plain!r} cut"
        for keys in ("ctrl+pgup", "alt+←", "shift+tab"):
            assert keys in flat
