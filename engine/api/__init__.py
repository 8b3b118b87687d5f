"""The API layer: object model, defaulting, validation, the store and its watch."""
