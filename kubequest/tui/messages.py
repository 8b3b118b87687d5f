"""Textual messages carrying the driver's updates to the screens.

The driver posts from its own thread (`post_message` is thread-safe); a flood
of cluster snapshots folds into one redraw: a pending snapshot is replaced by
the newer one (Toolong's `can_replace`).
"""

from __future__ import annotations

from textual.message import Message

from .driver import ClusterSnapshot, Update


class DriverUpdate(Message):
    """One update from the level driver (driver.Started, ClusterSnapshot, Applied, Won…)."""

    def __init__(self, update: Update) -> None:
        super().__init__()
        self.update = update

    def can_replace(self, message: Message) -> bool:
        return (isinstance(message, DriverUpdate) and isinstance(self.update, ClusterSnapshot)
                and isinstance(message.update, ClusterSnapshot))
