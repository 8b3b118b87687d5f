"""Cluster events as they happen (kubectl get events -w), and what the game did."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import RichLog

from ..views import EventLine

TYPE_WIDTH = len("Warning")
REASON_WIDTH = len("TaintManagerEviction")  # the longest reason the engine gives; longer ones end in …


def event_row(ev: EventLine) -> Table:
    """One event as a row of columns: a long reason is cut (…) instead of running into the
    object, and a long message wraps under itself, not back to column 0."""
    warning = ev.type == "Warning"
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=TYPE_WIDTH, no_wrap=True)
    grid.add_column(width=REASON_WIDTH, no_wrap=True, overflow="ellipsis")
    grid.add_column(ratio=1, overflow="fold")
    detail = Text()
    detail.append(ev.object, style="#5fafff")
    detail.append("  " + ev.message)
    grid.add_row(Text(ev.type, style="yellow" if warning else "dim"),
                 Text(ev.reason, style="bold red" if warning else "bold"), detail)
    return grid


class EventsLog(RichLog):
    DEFAULT_CSS = """
    EventsLog { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kw) -> None:
        # min_width: RichLog renders at least 78 cells wide and crops what does not show, so
        # a message wrapped for 78 cells lost its ends in a narrower panel.
        super().__init__(max_lines=2000, wrap=True, markup=False, auto_scroll=True, min_width=1, **kw)
        self._seen: set[str] = set()
        self._game_lines = 0

    def show(self, events: list[EventLine], game_log: tuple[str, ...]) -> None:
        for ev in events:
            if ev.key in self._seen:
                continue
            self._seen.add(ev.key)
            self.write(event_row(ev))
        for entry in game_log[self._game_lines:]:
            self.write(Text(f"⚡ {entry}", style="bold magenta"))
        self._game_lines = len(game_log)
