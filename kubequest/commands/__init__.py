"""One module per sub-command: each has `register(subparsers)` and `run(args) -> int`."""
