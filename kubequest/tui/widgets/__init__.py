"""Small widgets of the level screen; each styles itself in its DEFAULT_CSS or a .tcss beside it."""
