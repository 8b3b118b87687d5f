"""The KubeQuest TUI (Textual): level map, level screen, victory. Start it with `create_app()`."""

from .app import KubeQuestApp, create_app

__all__ = ["KubeQuestApp", "create_app"]
