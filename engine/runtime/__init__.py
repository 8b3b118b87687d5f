"""Container runtimes behind one port: `sim` (in-process) and `docker` (real containers)."""
