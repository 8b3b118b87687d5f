"""KubeQuest: the game (CLI, TUI, levels, progress) over the `engine` cluster."""

__version__ = "0.1.0"
