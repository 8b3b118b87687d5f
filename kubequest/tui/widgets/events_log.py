"""Cluster events as they happen (kubectl get events -w), and what the game did."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from ..views import EventLine


class EventsLog(RichLog):
    DEFAULT_CSS = """
    EventsLog { height: 1fr; padding: 0 1; }
    """

    def __init__(self, **kw) -> None:
        super().__init__(max_lines=2000, wrap=True, markup=False, auto_scroll=True, **kw)
        self._seen: set[str] = set()
        self._game_lines = 0

    def show(self, events: list[EventLine], game_log: tuple[str, ...]) -> None:
        for ev in events:
            if ev.key in self._seen:
                continue
            self._seen.add(ev.key)
            line = Text()
            line.append(f"{ev.type:<8}", style="yellow" if ev.type == "Warning" else "dim")
            line.append(f"{ev.reason:<18}", style="bold red" if ev.type == "Warning" else "bold")
            line.append(f"{ev.object:<32}", style="#5fafff")
            line.append(ev.message)
            self.write(line)
        for entry in game_log[self._game_lines:]:
            self.write(Text(f"⚡ {entry}", style="bold magenta"))
        self._game_lines = len(game_log)
