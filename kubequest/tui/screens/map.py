"""The level map: packs and their levels, stars, the recommended next level, the runtime."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Markdown, Static

from ..commands import PaletteCommand
from ..widgets.resource_table import FittingTable

LOGO = "☸ KubeQuest"


def stars_text(n: int) -> Text:
    return Text("★" * n + "☆" * (3 - n), style="bold yellow" if n else "dim")


def best_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    m, s = divmod(round(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


class MapScreen(Screen[None]):
    CSS_PATH = "map.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "play", "Play", show=True),
        Binding("n", "play_next", "Next level"),
        Binding("question_mark", "app.help", "Help"),
        Binding("ctrl+q", "app.quit", "Quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(f"[b]{LOGO}[/b]  [dim]learn Kubernetes by fixing real clusters[/dim]", id="map-header")
        with Horizontal(id="map-body"):
            with Vertical(id="map-left"):
                # TITLE gives way (…) on a narrow terminal; the stars and counts stay in view.
                table = FittingTable(id="levels", cursor_type="row", zebra_stripes=False,
                                     give_way="title", give_way_min=12)
                table.border_title = "Levels"
                yield table
            with VerticalScroll(id="map-detail"):
                yield Static(id="detail-title")
                yield Static(id="detail-meta")
                yield Markdown(id="detail-briefing")
        yield Static(id="runtime-panel")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#levels", DataTable)
        table.add_column("", key="mark", width=2)
        table.add_column("LEVEL", key="id")
        table.add_column("TITLE", key="title")
        table.add_column("DIFF", key="difficulty")
        table.add_column("STARS", key="stars")
        self.refresh_levels()
        self.refresh_runtime()
        table.focus()

    def on_screen_resume(self) -> None:
        # Back from a level: stars and the recommendation may have changed.
        self.refresh_levels()

    def refresh_levels(self) -> None:
        app = self.app
        table = self.query_one("#levels", DataTable)
        keep = self._cursor_key()
        table.clear()  # the map changes only between plays, never while one runs
        recommended = app.recommended()  # type: ignore[attr-defined]
        if not app.levels_ready:  # type: ignore[attr-defined]
            table.add_row("", Text("reading the level packs…", style="italic"), "", "", "", key="none")
        elif not app.packs:  # type: ignore[attr-defined]
            table.add_row("", Text("no level packs found — add one with --packs DIR", style="italic"),
                          "", "", "", key="none")
        for pack in app.packs:  # type: ignore[attr-defined]
            solved = sum(app.progress.level(lv.id).solved for lv in pack.levels)  # type: ignore[attr-defined]
            title = Text(pack.title or pack.name, style="bold", no_wrap=True, overflow="ellipsis", end="")
            if pack.problems:
                title.append(f"  ✗ {len(pack.problems)} problem(s)", style="red")
            table.add_row("▼", Text(pack.name, style="bold"), title, "",
                          Text(f"{solved}/{len(pack.levels)}", style="dim"), key=f"pack:{pack.name}")
            for lv in pack.levels:
                p = app.progress.level(lv.id)  # type: ignore[attr-defined]
                playable = lv.playable and not pack.problems
                mark = Text("▶", style="bold green") if recommended is not None and \
                    recommended.id == lv.id else Text("✓", style="green") if p.solved else ""
                style = "" if playable else "dim strike"
                table.add_row(
                    mark, Text("  " + lv.name, style=style),
                    Text(lv.title + ("" if playable else "  (cannot be played)"), style=style,
                         no_wrap=True, overflow="ellipsis", end=""),
                    Text("●" * lv.difficulty + "○" * (5 - lv.difficulty), style="#ff8700"),
                    stars_text(p.stars), key=f"level:{lv.id}",
                )
        # The row the cursor was on; else (first show, or "reading the level packs…" gone) the
        # recommended level, so enter plays it.
        target = keep if keep in table.rows else (f"level:{recommended.id}" if recommended is not None else None)
        if target is not None and target in table.rows:
            table.move_cursor(row=table.get_row_index(target), animate=False)
        self._show_detail()

    def _cursor_key(self) -> str | None:
        table = self.query_one("#levels", DataTable)
        if table.row_count == 0:
            return None
        try:
            key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        except Exception:  # noqa: BLE001
            return None
        return key.value

    def selected_level(self):
        key = self._cursor_key()
        if key and key.startswith("level:"):
            return self.app.find_level(key.split(":", 1)[1]) or self._level_any(key.split(":", 1)[1])  # type: ignore[attr-defined]
        return None

    def _level_any(self, level_id: str):
        for pack in self.app.packs:  # type: ignore[attr-defined]
            for lv in pack.levels:
                if lv.id == level_id:
                    return lv
        return None

    @on(DataTable.RowHighlighted, "#levels")
    def _highlighted(self) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#levels")
    def _selected(self) -> None:
        self.action_play()

    def _show_detail(self) -> None:
        title = self.query_one("#detail-title", Static)
        meta = self.query_one("#detail-meta", Static)
        briefing = self.query_one("#detail-briefing", Markdown)
        key = self._cursor_key() or ""
        app = self.app
        if key.startswith("pack:"):
            pack = next((p for p in app.packs if p.name == key[5:]), None)  # type: ignore[attr-defined]
            if pack is None:
                return
            title.update(f"[b]{pack.title or pack.name}[/b]")
            where = "built-in" if pack.builtin else f"from {pack.dir}"
            solved = sum(app.progress.level(lv.id).solved for lv in pack.levels)  # type: ignore[attr-defined]
            lines = [f"{solved} of {len(pack.levels)} levels solved · {where}",
                     f"by {pack.author}" if pack.author else "", f"version {pack.version}" if pack.version else ""]
            problems = pack.all_problems()
            if problems:
                lines.append(f"[red]{len(problems)} problem(s): {problems[0]}[/red]")
                lines.append(f"`kubequest pack check {pack.dir}` lists them all")
            meta.update(Text.from_markup("\n".join(x for x in lines if x)))
            briefing.update(pack.description or "")
            return
        level = self.selected_level()
        if level is None:
            title.update("")
            meta.update("")
            briefing.update("")
            return
        p = app.progress.level(level.id)  # type: ignore[attr-defined]
        title.update(Text.assemble((level.title, "bold"), (f"  {level.id}", "dim")))
        lines = Text()
        lines.append("Difficulty ")
        lines.append("●" * level.difficulty + "○" * (5 - level.difficulty), style="#ff8700")
        lines.append("\nStars      ")
        lines.append_text(stars_text(p.stars))
        if p.best_seconds is not None:
            lines.append(f"  best {best_text(p.best_seconds)}")
        if level.par_seconds:
            m, sec = divmod(int(level.par_seconds), 60)
            lines.append(f"  par {m}:{sec:02d}", style="dim")  # as the level's header writes it
        lines.append("\nConcepts   ")
        lines.append(", ".join(level.concepts) or "—", style="bold #5fafff")
        kind = f"guided tutorial, {len(level.steps)} steps" if level.steps else \
            f"{len(level.objectives)} objective(s)"
        lines.append(f"\n{kind} · {len(level.hints)} hint(s)", style="dim")
        for problem in level.problems[:3]:
            lines.append(f"\n✗ {problem}", style="red")
        meta.update(lines)
        briefing.update(level.briefing)

    def refresh_runtime(self) -> None:
        app = self.app
        panel = self.query_one("#runtime-panel", Static)
        choice = app.choice  # type: ignore[attr-defined]
        pace = app.config.pace  # type: ignore[attr-defined]
        if choice is None:
            error = app.runtime_error  # type: ignore[attr-defined]
            if error:
                panel.update(Text.assemble(("Runtime: ", "bold"), (error, "red"),
                                           "\nRestart with --runtime sim to play without Docker."))
                panel.set_classes("-error")
            else:
                panel.update(Text.assemble(("Runtime: ", "bold"), ("asking Docker whether it answers…", "italic")))
            return
        if choice.name == "docker":
            panel.update(Text.assemble(("Runtime: ", "bold"), ("Docker", "bold green"),
                                       f" — {choice.reason}. Pods are real containers. ({pace})"))
            panel.set_classes("-docker")
        else:
            what_to_do = ("" if "asked for" in choice.reason else
                          "\nTo play on real containers: start Docker (`kubequest doctor` checks it), "
                          "then restart KubeQuest.")
            panel.update(Text.assemble(("Runtime: ", "bold"), ("simulated", "bold #ff8700"),
                                       f" — {choice.reason}. Same Kubernetes, containers simulated "
                                       f"in-process. ({pace})", what_to_do))
            panel.set_classes("-sim")

    # ---- actions -----------------------------------------------------------------------

    def action_play(self) -> None:
        level = self.selected_level()
        if level is None:
            return
        app = self.app
        if app.find_level(level.id) is None:  # type: ignore[attr-defined]
            first = (level.problems or [None])[0]
            self.notify(f"{level.id} cannot be played: {first or 'its pack has problems'}",
                        severity="error", markup=False)
            return
        app.open_level(level)  # type: ignore[attr-defined]

    def action_play_next(self) -> None:
        level = self.app.recommended()  # type: ignore[attr-defined]
        if level is None:
            self.notify("Every level is solved — replay one for more stars!")
            return
        self.app.open_level(level)  # type: ignore[attr-defined]

    def palette_commands(self) -> list[PaletteCommand]:
        cmds = [PaletteCommand("Play the selected level", "(enter)", self.action_play),
                PaletteCommand("Play the recommended next level", "(n)", self.action_play_next)]
        for level in self.app.levels_in_order():  # type: ignore[attr-defined]
            cmds.append(PaletteCommand(f"Play {level.id}", level.title,
                                       lambda lv=level: self.app.open_level(lv)))  # type: ignore[attr-defined]
        return cmds
