"""The workspace editor: one tab per file, YAML highlighting, line numbers, and the
API server's validation errors as you type (debounced), pointing at their line.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, OptionList, TabbedContent, TabPane, TextArea
from textual.widgets.option_list import Option
from textual.widgets.text_area import TextAreaTheme

from engine.api.errors import ManifestError
from engine.api.source import load_documents
from engine.api.validation import validate_documents

VALIDATE_DELAY = 0.4  # seconds after the last key press
ERROR_HIGHLIGHT = "kubequest.error"
THEME_NAME = "kubequest"


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


class ManifestEditor(TextArea):
    """A YAML code editor that can mark lines with errors."""

    def __init__(self, text: str, path: Path, **kw) -> None:
        super().__init__(text, language="yaml", soft_wrap=False, tab_behavior="indent",
                         show_line_numbers=True, **kw)
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


class WorkspaceEditor(Vertical):
    """Tabs of ManifestEditors above the list of problems."""

    DEFAULT_CSS = """
    WorkspaceEditor { height: 1fr; }
    WorkspaceEditor TabbedContent { height: 1fr; }
    WorkspaceEditor TabPane { padding: 0; }
    WorkspaceEditor ManifestEditor { height: 1fr; border: none; padding: 0; }
    WorkspaceEditor #editor-bar { height: auto; max-height: 6; }
    WorkspaceEditor #problems { width: 1fr; height: auto; max-height: 6; border: none; padding: 0 1;
                                background: $boost; }
    WorkspaceEditor #problems.-ok { color: $success; }
    WorkspaceEditor #apply { min-width: 10; width: auto; height: 1; border: none; margin: 0 0 0 1; }
    """

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
        self._debounce: dict[str, object] = {}

    def compose(self) -> ComposeResult:
        with TabbedContent(id="files"):
            for i, (path, text) in enumerate(self.files):
                with TabPane(path.name, id=f"file-{i}"):
                    yield ManifestEditor(text, path, id=f"editor-{i}")
        with Horizontal(id="editor-bar"):
            yield OptionList(id="problems")
            yield Button("Apply", id="apply", variant="primary", compact=True)

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
        for p in all_problems:
            listing.add_option(Option(Text.assemble((f"✗ {p.filename}:{p.line} ", "bold red"), p.message),
                                      id=f"{p.filename}:{p.line}"))
        if not all_problems:
            listing.add_option(Option(Text("✓ every file is valid", style="green"),
                                      disabled=True))
        listing.set_class(not all_problems, "-ok")
        self.post_message(self.Validated(all_problems))

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
        if not event.option.id:
            return
        filename, _, line = event.option.id.rpartition(":")
        self.go_to(filename, int(line))

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
