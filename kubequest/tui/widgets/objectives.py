"""The objectives checklist, live: ✓ met, ✗ not yet, with "why not yet?" on demand.

In a guided tutorial it shows the current step (its title and text) above
that step's objectives, the steps done before it, and how many remain.
"""

from __future__ import annotations

from rich.console import Group
from rich.markdown import Markdown as RichMarkdown
from rich.padding import Padding
from rich.text import Text
from textual.widgets import Static

from ...levels.loader import Level
from ...levels.session import SessionState


class ObjectivesPanel(Static):
    DEFAULT_CSS = """
    ObjectivesPanel {
        height: auto;
        max-height: 50%;
        padding: 0 1;
        border: round $primary 60%;
        border-title-color: $text;
        overflow-y: auto;
    }
    ObjectivesPanel.-won { border: round $success; }
    """

    def __init__(self, level: Level, **kw) -> None:
        super().__init__("", **kw)
        self.level = level
        self.state: SessionState | None = None
        self.explaining = False
        self.border_title = "Objectives"

    def show(self, state: SessionState | None, *, explaining: bool | None = None) -> None:
        if explaining is not None:
            self.explaining = explaining
        self.state = state
        self.set_class(bool(state and state.won), "-won")
        self.update(self._render_state())

    def _render_state(self) -> Group | Text:
        state = self.state
        parts: list = []
        if self.level.steps:
            step = state.step if state is not None and state.step is not None else 0
            total = len(self.level.steps)
            self.border_title = f"Step {min(step + 1, total)} of {total}"
            done = Text()
            for i, s in enumerate(self.level.steps[:step]):
                done.append(f"✓ {i + 1}. {s.title}\n", style="green")
            if done:
                parts.append(done)
            current = self.level.steps[min(step, total - 1)]
            parts.append(Text(f"▶ {min(step, total - 1) + 1}. {current.title}", style="bold"))
            parts.append(RichMarkdown(current.text.strip()))
        if state is None:
            parts.append(Text("Starting the cluster…", style="italic dim"))
            return Group(*parts)
        for o in state.objectives:
            line = Text()
            if o.ok:
                line.append("✓ ", style="bold green")
                line.append(o.description, style="green")
            else:
                line.append("✗ ", style="bold red")
                line.append(o.description)
            parts.append(line)
            parts.append(Padding(Text(o.detail, style="dim"), (0, 0, 0, 4)))
            if self.explaining and not o.ok:
                for why in o.explanation or ["Nothing more to say yet: watch the cluster."]:
                    parts.append(Padding(Text.assemble(("why: ", "bold yellow"), (why, "yellow")),
                                         (0, 0, 0, 4)))
        if self.level.steps and state.step is not None and state.step + 1 < len(self.level.steps):
            left = len(self.level.steps) - state.step - 1
            parts.append(Text(f"🔒 {left} more step{'s' if left > 1 else ''} after this one",
                              style="dim italic"))
        if state.won:
            parts.append(Text("★ Every objective holds!", style="bold green"))
        elif not self.explaining and any(not o.ok for o in state.objectives):
            parts.append(Text("w: why not yet?", style="dim italic"))
        return Group(*parts)
