"""The workspace editor: one tab per file, YAML highlighting, line numbers, and the
API server's validation errors as you type (debounced), pointing at their line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, OptionList, Static, TabbedContent, TabPane, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import Selection, TextAreaTheme

from engine.api.errors import ManifestError
from engine.api.source import load_documents
from engine.api.validation import validate_documents

VALIDATE_DELAY = 0.4  # seconds after the last key press
ERROR_HIGHLIGHT = "kubequest.error"
THEME_NAME = "kubequest"
INDENT = "  "  # YAML forbids tabs for indentation; Kubernetes manifests use two spaces

# What opens a nested block on the next line: a key with no value yet (`ports:`), or a block
# scalar (`command: |`, `script: >-`).
_OPENS_BLOCK = re.compile(r"(:|:\s+[|>][-+0-9]*)$")
_LIST_MARKERS = re.compile(r"(?:-(?:\s+|$))+")  # `- ` and nested `- - `
_COMMENT = re.compile(r"(^|\s)#.*$")


@dataclass(frozen=True)
class Problem:
    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.message}"


def validate_text(text: str, filename: str) -> list[Problem]:
    """What the API server would say about this file, each problem with its line."""
    try:
        docs = load_documents(text, filename)
    except ManifestError as exc:
        return [Problem(filename, exc.line or 1, exc.reason)]
    except RecursionError:
        return [Problem(filename, 1, "YAML nesting is too deep to be a manifest")]
    if not docs:
        return [Problem(filename, 1, "no objects: the file holds no YAML document")]
    out = []
    for p in validate_documents(docs):
        who = f"{p.kind}/{p.name}: " if p.kind and p.name else (f"{p.kind}: " if p.kind else "")
        out.append(Problem(filename, p.line, who + p.message))
    return out


def _theme() -> TextAreaTheme:
    base = TextAreaTheme.get_builtin_theme("monokai")
    assert base is not None
    styles = dict(base.syntax_styles)
    styles[ERROR_HIGHLIGHT] = Style(bgcolor="#5f1f1f", underline=True)
    return replace(base, name=THEME_NAME, syntax_styles=styles)


def newline_indent(before_cursor: str) -> str:
    """The indentation for a line opened by enter, from the text left of the cursor: the same
    as this line's, inside a list item its content's, and one level deeper after `key:`."""
    content = before_cursor.lstrip(" ")
    column = len(before_cursor) - len(content)
    if content.startswith("#"):
        return " " * column
    markers = _LIST_MARKERS.match(content)
    if markers:
        # `- ` alone at the end of the line still opens the item: its content goes 2 in.
        column += max(len(markers.group(0)), len(INDENT))
        content = content[markers.end():]
    if _OPENS_BLOCK.search(_COMMENT.sub("", content).rstrip()):
        column += len(INDENT)
    return " " * column


def selected_rows(selection: Selection) -> range:
    """The lines a selection covers; a selection that ends at the start of a line (whole lines
    picked with shift+down) does not take that line."""
    (top, _), (bottom, bottom_column) = sorted(selection)
    if bottom > top and bottom_column == 0:
        bottom -= 1
    return range(top, bottom + 1)


class ManifestEditor(TextArea):
    """A YAML code editor that can mark lines with errors."""

    def __init__(self, text: str, path: Path, **kw) -> None:
        # Soft wrap: scrolled sideways, every other line would lose its start (`iVersion:`).
        super().__init__(text, language="yaml", soft_wrap=True, tab_behavior="indent",
                         show_line_numbers=True, **kw)
        self.indent_type = "spaces"
        self.indent_width = len(INDENT)
        self.path = path
        self.error_lines: set[int] = set()  # 0-based
        self.saved_text = text

    def on_mount(self) -> None:
        self.register_theme(_theme())
        self.theme = THEME_NAME

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def dirty(self) -> bool:
        return self.text != self.saved_text

    def mark_errors(self, lines: set[int]) -> None:
        if lines != self.error_lines:
            self.error_lines = lines
            self._build_highlight_map()
            self.refresh()

    def _build_highlight_map(self) -> None:
        super()._build_highlight_map()
        for line in getattr(self, "error_lines", ()):
            if 0 <= line < self.document.line_count:
                self._highlights[line].append((0, None, ERROR_HIGHLIGHT))

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        return key == "shift+tab" or super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        # Textual calls TextArea's _on_key after this one unless the default is prevented.
        if event.key == "escape":
            # Not TextArea's "focus next": the key goes on up to the workspace and the screen.
            event.prevent_default()
            return
        keys = {"enter": self.action_newline, "tab": self.action_indent,
                "shift+tab": self.action_dedent}
        if self.read_only or event.key not in keys:
            return
        event.stop()
        event.prevent_default()
        self._restart_blink()
        keys[event.key]()

    def on_resize(self, event: events.Resize) -> None:
        # The problems list grows and shrinks under the editor as you type: the line being
        # typed must not slide out of view.
        if self.has_focus:
            self.call_after_refresh(self.scroll_cursor_visible)

    def action_newline(self) -> None:
        start, end = sorted(self.selection)
        before = self.document[start[0]][: start[1]]
        after = self.document[end[0]][end[1]:]
        # The text pushed onto the new line starts at the new indentation, not after it.
        end = (end[0], end[1] + len(after) - len(after.lstrip(" ")))
        self._replace_via_keyboard("\n" + newline_indent(before), start, end)

    def action_indent(self) -> None:
        """tab: with lines selected, indent each of them; else spaces to the next stop."""
        rows = selected_rows(self.selection)
        if len(rows) == 1:
            width = self._find_columns_to_next_tab_stop()
            self._replace_via_keyboard(" " * width, *self.selection)
            return
        self._reindent(rows, lambda line: INDENT + line if line.strip() else line)

    def action_dedent(self) -> None:
        """shift+tab: the selected lines (or the cursor's) one level out."""
        def dedent(line: str) -> str:
            spaces = len(line) - len(line.lstrip(" "))
            return line[min(spaces, len(INDENT)):]

        self._reindent(selected_rows(self.selection), dedent)

    def _reindent(self, rows: range, change: Callable[[str], str]) -> None:
        lines = [self.document[row] for row in rows]
        changed = [change(line) for line in lines]
        if changed == lines:
            return
        shift = {row: len(new) - len(old) for row, old, new in zip(rows, lines, changed)}

        def moved(location: tuple[int, int]) -> tuple[int, int]:
            row, column = location
            if column == 0 and shift.get(row, 0) > 0:
                return location  # a whole-line selection keeps starting at the line's start
            return row, max(0, column + shift.get(row, 0))

        anchor, cursor = self.selection
        self.replace("\n".join(changed), (rows.start, 0), (rows.stop - 1, len(lines[-1])),
                     maintain_selection_offset=False)
        self.selection = Selection(moved(anchor), moved(cursor))


class WorkspaceEditor(Vertical):
    """Tabs of ManifestEditors above the list of problems."""

    DEFAULT_CSS = """
    WorkspaceEditor { height: 1fr; }
    WorkspaceEditor TabbedContent { height: 1fr; }
    WorkspaceEditor TabPane { padding: 0; }
    /* No border when focused either (TextArea's tall one): a click must land on the same line
       whether or not the editor had the focus. The workspace's own border shows the focus. */
    WorkspaceEditor ManifestEditor, WorkspaceEditor ManifestEditor:focus {
        height: 1fr; border: none; padding: 0;
    }
    WorkspaceEditor #editor-bar { height: 1; background: $boost; }
    WorkspaceEditor #problems-summary { width: 1fr; height: 1; padding: 0 1; text-wrap: nowrap;
                                        text-overflow: ellipsis; }
    WorkspaceEditor #problems-summary.-ok { color: $success; }
    WorkspaceEditor #apply { min-width: 10; width: auto; height: 1; border: none; margin: 0 0 0 1; }
    /* Under the bar, the whole width: a message wraps instead of being cut by the button.
       A share of the workspace, not a fixed count: on a short terminal the file stays in view. */
    WorkspaceEditor #problems { width: 1fr; height: auto; max-height: 33%; border: none;
                                padding: 0 1; background: $boost; }
    WorkspaceEditor #problems.-ok { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+pageup,alt+left", "switch_file(-1)", "Previous file", show=False),
        Binding("ctrl+pagedown,alt+right", "switch_file(1)", "Next file", show=False),
    ]

    class ApplyRequested(Message):
        """The Apply button was clicked."""

    class Validated(Message):
        def __init__(self, problems: list[Problem]) -> None:
            super().__init__()
            self.problems = problems

    def __init__(self, files: list[tuple[Path, str]], **kw) -> None:
        super().__init__(**kw)
        self.files = files
        self.problems: dict[str, list[Problem]] = {}
        self._listed: list[Problem] = []  # as #problems lists them
        self._debounce: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        with TabbedContent(id="files"):
            for i, (path, text) in enumerate(self.files):
                with TabPane(path.name, id=f"file-{i}"):
                    yield ManifestEditor(text, path, id=f"editor-{i}")
        with Horizontal(id="editor-bar"):
            yield Static(id="problems-summary", markup=False)
            yield Button("Apply", id="apply", variant="primary", compact=True)
        yield OptionList(id="problems", classes="-ok")

    def on_mount(self) -> None:
        for editor in self.editors:
            self._validate_now(editor)

    @property
    def editors(self) -> list[ManifestEditor]:
        return list(self.query(ManifestEditor))

    @property
    def current(self) -> ManifestEditor | None:
        tabs = self.query_one(TabbedContent)
        pane = tabs.active_pane
        if pane is None:
            return None
        found = pane.query(ManifestEditor)
        return found.first() if found else None

    def focus_editor(self) -> None:
        editor = self.current
        if editor is not None:
            editor.focus()

    def action_switch_file(self, step: int) -> None:
        """The previous or next file's tab (round the end), with the focus in its editor."""
        tabs = self.query_one(TabbedContent)
        panes = [pane.id for pane in tabs.query(TabPane)]
        if tabs.active not in panes:
            return
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]
        self.focus_editor()

    def set_text(self, path: Path, text: str) -> None:
        for editor in self.editors:
            if editor.path.name == path.name:
                editor.load_text(text)
                editor.saved_text = text
                self._validate_now(editor)

    @on(TextArea.Changed)
    def _changed(self, event: TextArea.Changed) -> None:
        editor = event.text_area
        if not isinstance(editor, ManifestEditor):
            return
        self._tab_label(editor)
        timer = self._debounce.pop(editor.id or "", None)
        if timer is not None:
            timer.stop()  # type: ignore[attr-defined]
        self._debounce[editor.id or ""] = self.set_timer(VALIDATE_DELAY, lambda e=editor: self._validate_now(e))

    def _validate_now(self, editor: ManifestEditor) -> None:
        text, name = editor.text, editor.filename
        self.run_worker(lambda: self._validate(editor, text, name), thread=True, exclusive=True,
                        group=f"validate-{editor.id}", exit_on_error=False)

    def _validate(self, editor: ManifestEditor, text: str, name: str) -> None:
        problems = validate_text(text, name)
        self.app.call_from_thread(self._show_problems, editor, problems)

    def _show_problems(self, editor: ManifestEditor, problems: list[Problem]) -> None:
        self.problems[editor.filename] = problems
        editor.mark_errors({p.line - 1 for p in problems})
        self._tab_label(editor)
        listing = self.query_one("#problems", OptionList)
        listing.clear_options()
        all_problems = [p for ps in self.problems.values() for p in ps]
        # By position, not by an option id: one line can have several problems.
        self._listed = all_problems
        listing.add_options(Option(Text.assemble((f"✗ {p.filename}:{p.line} ", "bold red"), p.message))
                            for p in all_problems)
        listing.set_class(not all_problems, "-ok")
        self._summary(len(all_problems))
        self.post_message(self.Validated(all_problems))

    def _summary(self, count: int) -> None:
        summary = self.query_one("#problems-summary", Static)
        summary.set_class(count == 0, "-ok")
        if count == 0:
            summary.update("✓ every file is valid")
        else:
            summary.update(f"✗ {count} problem{'s' if count > 1 else ''} · enter goes to one")

    def _tab_label(self, editor: ManifestEditor) -> None:
        tabs = self.query_one(TabbedContent)
        pane = editor.parent
        while pane is not None and not isinstance(pane, TabPane):
            pane = pane.parent
        if pane is None or pane.id is None:
            return
        mark = " ✗" if self.problems.get(editor.filename) else ""
        dirty = " ●" if editor.dirty else ""
        tabs.get_tab(pane.id).label = f"{editor.filename}{dirty}{mark}"

    @on(Button.Pressed, "#apply")
    def _apply_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ApplyRequested())

    @on(OptionList.OptionSelected, "#problems")
    def _jump(self, event: OptionList.OptionSelected) -> None:
        """Enter on a problem: the cursor goes to its line."""
        event.stop()
        if 0 <= event.option_index < len(self._listed):
            problem = self._listed[event.option_index]
            self.go_to(problem.filename, problem.line)

    def go_to(self, filename: str, line: int) -> None:
        tabs = self.query_one(TabbedContent)
        for i, editor in enumerate(self.editors):
            if editor.filename == filename:
                tabs.active = f"file-{i}"
                editor.focus()
                # The cursor only: a selected line would be replaced by the next key typed.
                editor.move_cursor((max(0, line - 1), 0))
                editor.scroll_cursor_visible(center=True)
                return

    def save_all(self) -> list[Path]:
        """Write every buffer to its file; returns the paths (in tab order)."""
        paths = []
        for editor in self.editors:
            editor.path.parent.mkdir(parents=True, exist_ok=True)
            editor.path.write_text(editor.text, encoding="utf-8")
            editor.saved_text = editor.text
            self._tab_label(editor)
            paths.append(editor.path)
        return paths

    @property
    def all_problems(self) -> list[Problem]:
        return [p for ps in self.problems.values() for p in ps]
