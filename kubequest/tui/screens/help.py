"""`?`: the keys of every screen, and what the screens are."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

# (section, [(keys, what they do)]); `code` and **bold** as in Markdown.
KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Level map", [
        ("↑ ↓, mouse", "choose a level"),
        ("enter", "play it"),
        ("n", "play the recommended next level"),
        ("? · F1", "this help"),
        ("ctrl+p", "command palette: every action by name"),
        ("ctrl+q", "quit (the level's containers are removed)"),
    ]),
    ("Level", [
        ("ctrl+s", "**apply** every workspace file, like `kubectl apply -f .`"),
        ("F6", "apply only the file in front, like `kubectl apply -f web.yaml`"),
        ("ctrl+r", "restart the level: fresh cluster, files as they were"),
        ("ctrl+b", "show / hide the briefing"),
        ("i", "edit the workspace (tab moves between panels too)"),
        ("esc", "leave the editor / clear the filter / close kubectl / back to the map"),
        ("h · F2", "next hint — costs the no-hint star, asks first"),
        ("w · F3", "why not yet? — explain each unmet objective (again: hide them)"),
        ("o", ("the objectives: ↑↓ pick one, enter explains just that one (or click it); "
              "pgup/pgdn scroll")),
        ("x · F4", "chaos: kill a container, delete a pod, fail or recover a node"),
        ("1–5", "pods · workloads · nodes · owner tree · events"),
        (":", "switch view by name: `:pods` `:deploy` `:svc` `:nodes` `:tree` `:events`"),
        ("/", "filter the tables by name"),
        ("L", "show / hide a LABELS column (kubectl get … --show-labels)"),
        ("!", ("kubectl prompt: runs the real kubectl against the level (`get pods -o wide`; "
              "↑↓ history, esc closes); the line under the header is the "
              "`export KUBECONFIG=…` for another terminal")),
        ("d · y · l · e", "describe · YAML · logs · events of the selected object"),
        ("enter", "describe the selected row"),
    ]),
    ("Editor", [
        ("enter", "new line, indented as YAML wants: like the line above, 2 more after `key:`"),
        ("tab · shift+tab", "indent / dedent the selected lines (2 spaces; YAML has no tabs)"),
        ("ctrl+pgup · pgdn", "previous / next file"),
        ("alt+← · alt+→", "previous / next file (where the terminal keeps ctrl+pgup)"),
        ("ctrl+z · ctrl+y", "undo / redo"),
        ("F2 F3 F4", "hint · why not yet? · chaos, while typing"),
        ("esc", "back to the cluster (the problems stay listed under the editor)"),
    ]),
    ("Describe / YAML / logs / events", [
        ("d · y · l · e", "switch view"),
        ("f", "follow the logs (on / off)"),
        ("p", "the previous container's logs (`--previous`)"),
        ("esc", "back to the level"),
    ]),
    ("Victory", [
        ("n · r · m", "next level · replay · map"),
        ("s", "reveal the solution"),
        ("esc", "free play"),
    ]),
]

NOTES = ("Pod colours follow k9s: blue running, orange pending, red failing, purple terminating, "
         "grey completed. Stars: ★ solved, ★ without a hint, ★ under the level's par time.")

_MARKS = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*")
KEY_WIDTH = max(len(keys) for _, rows in KEYS for keys, _ in rows)


def styled(line: str) -> Text:
    """`code` and **bold** as the Markdown help showed them."""
    text, at = Text(), 0
    for mark in _MARKS.finditer(line):
        text.append(line[at:mark.start()])
        code, bold = mark.groups()
        text.append(code, "bold cyan") if code else text.append(bold, "bold")
        at = mark.end()
    text.append(line[at:])
    return text


def key_table(rows: list[tuple[str, str]]) -> Table:
    """Keys in one column as wide as the widest key of the help (never wrapped, and the same
    in every section), what they do in the rest of the width, wrapped."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True, min_width=KEY_WIDTH)
    table.add_column(ratio=1, overflow="fold")
    for keys, does in rows:
        table.add_row(keys, styled(does))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 110; max-width: 95%; height: 90%; border: thick $primary;
                            background: $surface; padding: 0 1; }
    HelpScreen #help-title { width: 100%; content-align: center middle; text-style: bold; }
    HelpScreen .help-section { color: $accent; text-style: bold; margin: 1 0 0 0; }
    HelpScreen .help-keys { padding: 0 0 0 1; }
    HelpScreen .help-notes { margin: 1 0 0 0; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("KubeQuest — keys  (esc closes)", id="help-title")
            with VerticalScroll():
                for section, rows in KEYS:
                    yield Static(section, classes="help-section", markup=False)
                    yield Static(key_table(rows), classes="help-keys")
                yield Static(NOTES, classes="help-notes", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
