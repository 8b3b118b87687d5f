"""The objectives checklist, live: ✓ met, ✗ not yet, with "why not yet?" on demand.

In a guided tutorial it shows the current step (its title and text) above
that step's objectives, the steps done before it, and how many remain.

The panel scrolls (wheel, pgup/pgdn, home/end) when the explanations are longer
than its room. Focused (`o` on the level screen, tab, or a click), `↑`/`↓` pick an
objective and `enter` (or a click on it) shows or hides that one's "why not
yet?"; `w` on the level screen shows or hides them all.
"""

from __future__ import annotations

from dataclasses import replace

from typing import ClassVar

from rich.console import Group
from rich.markdown import Markdown as RichMarkdown
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from ...levels.loader import Level
from ...levels.session import ObjectiveStatus, SessionState

AS_ABOVE = "↑ the same as for the objective above."
NOTHING_YET = "No more clues in the cluster: compare what this objective wants with what you applied."


class ObjectiveItem(Static):
    """One objective: its line, its detail, and its explanation when asked for."""

    def __init__(self, objective_id: str, content, **kw) -> None:
        super().__init__(content, **kw)
        self.objective_id = objective_id

    def on_click(self, event: events.Click) -> None:
        panel = self.parent
        if isinstance(panel, ObjectivesPanel):
            event.stop()
            panel.focus()
            panel.select(self.objective_id)
            panel.toggle(self.objective_id)


class ObjectivesPanel(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ObjectivesPanel {
        height: auto;
        max-height: 50%;
        padding: 0 1;
        border: round $primary 60%;
        border-title-color: $text;
        scrollbar-size-vertical: 1;
    }
    ObjectivesPanel:focus { border: round $primary; }
    ObjectivesPanel.-won { border: round $success; }
    ObjectivesPanel > Static { height: auto; }
    ObjectivesPanel:focus > ObjectiveItem.-selected { background: $primary 30%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Previous objective", show=False),
        Binding("down", "move(1)", "Next objective", show=False),
        Binding("enter", "toggle_selected", "Why not yet? (this one)", show=False),
    ]

    class Explain(Message):
        """The objectives whose explanation is on changed: the driver must (not) explain."""

        def __init__(self, panel: ObjectivesPanel) -> None:
            super().__init__()
            self.panel = panel

    def __init__(self, level: Level, **kw) -> None:
        super().__init__(**kw)
        self.level = level
        self.state: SessionState | None = None
        self.explaining = False  # every unmet objective explains itself (`w`)
        self.expanded: set[str] = set()  # or only these (enter on one)
        self.selected: str | None = None
        self.border_title = "Objectives"
        self._ids: tuple[str, ...] = ()

    def compose(self):
        yield Static(id="objectives-head")
        yield Static(id="objectives-foot")

    def on_mount(self) -> None:
        self._render_state()

    @property
    def wants_explanations(self) -> bool:
        """Whether any explanation is on screen (so the driver must compute them)."""
        return self.explaining or bool(self.expanded)

    def show(self, state: SessionState | None, *, explaining: bool | None = None) -> None:
        if explaining is not None:
            if explaining != self.explaining:
                self.expanded.clear()
            self.explaining = explaining
        self.state = state
        self.set_class(bool(state and state.won), "-won")
        if self.is_mounted:
            self._render_state()

    def explains(self, o: ObjectiveStatus) -> bool:
        return not o.ok and (self.explaining or o.id in self.expanded)

    # ---- selection and one objective's explanation ---------------------------------------

    def select(self, objective_id: str | None) -> None:
        self.selected = objective_id
        for item in self.query(ObjectiveItem):
            item.set_class(item.objective_id == objective_id, "-selected")
            if item.objective_id == objective_id:
                self.scroll_to_widget(item, animate=False)

    def toggle(self, objective_id: str) -> None:
        """Show or hide one objective's explanation, leaving the others as they are."""
        ids = [o.id for o in self.state.objectives] if self.state is not None else list(self._ids)
        if self.explaining:  # all were on: keep every other one on
            self.explaining = False
            self.expanded = set(ids)
        self.expanded ^= {objective_id}
        self._render_state()
        self.post_message(self.Explain(self))

    def action_move(self, delta: int) -> None:
        ids = list(self._ids)
        if not ids:
            self.scroll_relative(y=delta, animate=False)
            return
        if self.selected not in ids:
            self.select(ids[0] if delta > 0 else ids[-1])
            return
        i = ids.index(self.selected) + delta
        if i < 0:
            self.scroll_home(animate=False)  # above the first objective: the step's text
        elif i >= len(ids):
            self.scroll_end(animate=False)
        else:
            self.select(ids[i])

    def action_toggle_selected(self) -> None:
        if self.selected is None and self._ids:
            self.select(self._ids[0])
        if self.selected is not None:
            self.toggle(self.selected)

    def _on_focus(self, event: events.Focus) -> None:
        if self.selected not in self._ids and self._ids:
            self.select(self._ids[0])

    # ---- drawing -----------------------------------------------------------------------

    def _render_state(self) -> None:
        state = self.state
        head: list = []
        if self.level.steps:
            step = state.step if state is not None and state.step is not None else 0
            total = len(self.level.steps)
            self.border_title = f"Step {min(step + 1, total)} of {total}"
            done = Text()
            for i, s in enumerate(self.level.steps[:step]):
                done.append(f"✓ {i + 1}. {s.title}\n", style="green")
            if done:
                head.append(done)
            current = self.level.steps[min(step, total - 1)]
            head.append(Text(f"▶ {min(step, total - 1) + 1}. {current.title}", style="bold"))
            head.append(RichMarkdown(current.text.strip()))
        if state is None:
            head.append(Text("Starting the cluster…", style="italic dim"))
        head_widget = self.query_one("#objectives-head", Static)
        head_widget.display = bool(head)
        head_widget.update(Group(*head))
        objectives = self._without_repeats(state.objectives if state is not None else [])
        ids = tuple(o.id for o in objectives)
        if ids != self._ids:
            self._ids = ids
            self.remove_children(ObjectiveItem)
            items = [ObjectiveItem(o.id, self._objective(o), classes="objective") for o in objectives]
            if items:
                self.mount_all(items, before="#objectives-foot")
            if self.selected not in ids:
                self.selected = None
            for item in items:
                item.set_class(item.objective_id == self.selected, "-selected")
        else:
            for item, o in zip(self.query(ObjectiveItem), objectives):
                item.update(self._objective(o))
        foot = self._foot()
        foot_widget = self.query_one("#objectives-foot", Static)
        foot_widget.display = bool(foot)
        foot_widget.update(foot)

    def _without_repeats(self, objectives: list[ObjectiveStatus]) -> list[ObjectiveStatus]:
        """One cause often blocks several objectives: say it in full once, then point up."""
        seen: set[str] = set()
        out = []
        for o in objectives:
            if self.explains(o) and o.explanation:
                # Only a whole repeat points up: "above" next to a new reason reads ambiguous.
                if all(why in seen for why in o.explanation):
                    o = replace(o, explanation=[AS_ABOVE])
                seen.update(o.explanation)
            out.append(o)
        return out

    def _objective(self, o: ObjectiveStatus) -> Group:
        # Grids, so a wrapped line hangs under its text, not under the ✗ or the "why:".
        title = Table.grid()
        title.add_column(no_wrap=True, width=2)
        title.add_column()
        if o.ok:
            title.add_row(Text("✓", style="bold green"), Text(o.description, style="green"))
        else:
            title.add_row(Text("✗", style="bold red"), Text(o.description))
        parts: list = [title, Padding(Text(o.detail, style="dim"), (0, 0, 0, 4))]
        if self.explains(o):
            whys = Table.grid()
            whys.add_column(no_wrap=True, width=5, style="bold yellow")
            whys.add_column(style="yellow")
            for why in o.explanation or [NOTHING_YET]:
                whys.add_row("why:", why)
            parts.append(Padding(whys, (0, 0, 0, 4)))
        return Group(*parts)

    def _foot(self) -> Text:
        state = self.state
        foot = Text()
        if state is None:
            return foot
        if self.level.steps and state.step is not None and state.step + 1 < len(self.level.steps):
            left = len(self.level.steps) - state.step - 1
            foot.append(f"🔒 {left} more step{'s' if left > 1 else ''} after this one\n", style="dim italic")
        if state.won:
            foot.append("★ Every objective holds!", style="bold green")
        elif any(not o.ok for o in state.objectives):
            foot.append("w: why not yet? (all)" if not self.wants_explanations else "w: hide the explanations",
                        style="dim italic")
            foot.append(" · o ↑↓ enter: one objective", style="dim italic")
        foot.rstrip()
        return foot
