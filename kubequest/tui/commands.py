"""The command palette (ctrl+p): every action of the screen in front, by name.

Each screen lists its actions with `palette_commands()`, so the palette, the
footer and the `?` help screen never disagree about what can be done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]


class GameCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        screen = self.screen
        # The palette is itself a screen: ask the one beneath it.
        stack = self.app.screen_stack
        for candidate in reversed(stack):
            if hasattr(candidate, "palette_commands"):
                screen = candidate
                break
        getter = getattr(screen, "palette_commands", None)
        return list(getter()) if getter is not None else []

    async def discover(self) -> Hits:
        for cmd in self._commands():
            yield DiscoveryHit(cmd.title, cmd.callback, help=cmd.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in self._commands():
            score = matcher.match(cmd.title)
            if score > 0:
                yield Hit(score, matcher.highlight(cmd.title), cmd.callback, help=cmd.help)
