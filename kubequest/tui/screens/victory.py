"""Victory: the time, the hints, the stars, the debrief, what was practised, and on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Footer,
    Label,
    Markdown,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from .level import clock_text


@dataclass(frozen=True)
class VictoryStats:
    elapsed: float
    hints_used: int
    hints_total: int
    par: float | None
    stars: int  # held now for this level (best of every play)
    stars_before: int
    no_hint: bool  # this play earned the no-hint star
    under_par: bool  # this play earned the time star

    @property
    def stars_this_play(self) -> int:
        return 1 + int(self.no_hint) + int(self.under_par)


def star_lines(stats: VictoryStats) -> Text:
    text = Text()
    earned = [(True, "solved"),
              (stats.no_hint, "no hint used" if stats.no_hint
               else f"{stats.hints_used} hint{'s' if stats.hints_used != 1 else ''} used"),
              (stats.under_par, (f"under par ({clock_text(stats.par)})" if stats.par is not None
                                 else "no par time for this level") if stats.under_par or stats.par is None
               else f"par is {clock_text(stats.par)}")]
    for ok, why in earned:
        text.append("★ " if ok else "☆ ", style="bold yellow" if ok else "dim")
        text.append(f"{why}\n", style="" if ok else "dim")
    return text


class VictoryScreen(Screen[str]):
    """Dismissed with "next", "replay", "map" or "stay" (free play)."""

    CSS_PATH = "victory.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n,enter", "choose('next')", "Next level"),
        Binding("r", "choose('replay')", "Replay"),
        Binding("m", "choose('map')", "Map"),
        Binding("escape", "choose('stay')", "Free play"),
        Binding("s", "solution", "Solution"),
    ]

    def __init__(self, level, stats: VictoryStats) -> None:
        super().__init__()
        self.level = level
        self.stats = stats

    def compose(self) -> ComposeResult:
        stats, level = self.stats, self.level
        nxt = self.app.next_level(level)  # type: ignore[attr-defined]
        with Vertical(id="victory"):
            yield Static("★  LEVEL COMPLETE  ★", id="victory-title")
            yield Static(f"[b]{level.id}[/b] — {level.title}", id="victory-level")
            with Horizontal(id="victory-stats"):
                with Vertical(classes="stat-box"):
                    yield Label("Time", classes="stat-label")
                    yield Static(clock_text(stats.elapsed), classes="stat-value")
                with Vertical(classes="stat-box"):
                    yield Label("Hints", classes="stat-label")
                    yield Static(f"{stats.hints_used}/{stats.hints_total}", classes="stat-value")
                with Vertical(classes="stat-box stars-box"):
                    # Held for the level (the best of every play); the lines below are this play's.
                    yield Label("Stars (best)" if stats.stars > stats.stars_this_play else "Stars",
                                classes="stat-label")
                    yield Static(Text("★" * stats.stars + "☆" * (3 - stats.stars), style="bold yellow"),
                                 classes="stat-value")
                    yield Static(star_lines(stats), id="star-lines")
            with TabbedContent(id="victory-tabs"):
                with TabPane("Debrief", id="debrief"), VerticalScroll():
                    yield Markdown(level.debrief or "*Well done.*", id="debrief-text")
                    concepts = ", ".join(f"`{c}`" for c in level.concepts) or "—"
                    yield Markdown(f"**Concepts practised:** {concepts}", id="concepts")
                with TabPane("Solution (s)", id="solution"):
                    yield Static("Press [b]s[/b] to reveal the reference solution.", id="solution-hidden")
            with Horizontal(id="victory-buttons"):
                label = f"Next: {nxt.title} (n)" if nxt is not None else "Back to the map (n)"
                yield Button(label, variant="success", id="next")
                yield Button("Replay (r)", id="replay")
                yield Button("Level map (m)", id="map")
                yield Button("Free play (esc)", id="stay")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#next", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or "map")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_solution(self) -> None:
        pane = self.query_one("#solution", TabPane)
        hidden = pane.query("#solution-hidden")
        if hidden:
            hidden.remove()
            texts = []
            for path in self.level.solution:
                try:
                    body = path.read_text(encoding="utf-8")
                except OSError as exc:
                    body = f"# could not read {path.name}: {exc}"
                texts.append(f"# ---- {path.name}\n{body.rstrip()}\n")
            pane.mount(TextArea.code_editor("\n".join(texts), language="yaml", read_only=True,
                                            id="solution-text"))
        self.query_one("#victory-tabs", TabbedContent).active = "solution"

    def palette_commands(self):
        from ..commands import PaletteCommand

        return [PaletteCommand("Next level", "(n)", lambda: self.action_choose("next")),
                PaletteCommand("Replay", "(r)", lambda: self.action_choose("replay")),
                PaletteCommand("Level map", "(m)", lambda: self.action_choose("map")),
                PaletteCommand("Free play", "back to the cluster (esc)", lambda: self.action_choose("stay")),
                PaletteCommand("Reveal the solution", "(s)", self.action_solution)]
