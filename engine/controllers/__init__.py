"""Controllers: level-triggered reconcile loops that talk only through the store."""
