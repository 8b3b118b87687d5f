"""Screens: the level map, a level, an object up close, victory, help, dialogs."""
