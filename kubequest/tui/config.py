"""What a game is built from: the runtime, the packs, where progress goes, the clock.

`create_app()` fills one in; tests pass a VirtualClock in manual mode, a fixed
seed and a temporary data folder, so every frame is reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.clock import Clock
from engine.config import DEFAULT_TIMING, Timing

from ..levels.loader import BUILTIN_PACKS
from ..levels.progress import FILENAME, data_dir
from ..runtime_select import RuntimeChoice

DEFAULT_TIME_SCALE = 0.2  # back-offs and node timeouts run 5× faster in the game


@dataclass
class GameConfig:
    runtime: str | RuntimeChoice = "auto"
    packs: list[str | Path] = field(default_factory=list)
    builtin_dir: Path | None = BUILTIN_PACKS
    data_dir: Path | None = None
    clock_factory: Callable[[], Clock] | None = None
    manual_clock: bool = False  # tests: the cluster moves only when the test advances it
    seed: int = 0
    time_scale: float = DEFAULT_TIME_SCALE
    start_level: str | None = None
    check_images: bool = True  # on Docker, build missing workload images first
    image_store_factory: Callable[[], Any] | None = None  # tests: a fake Docker for the builder
    runtime_factory: Callable[[Clock], Any] | None = None  # tests: a runtime of their own making
    kubeconfig_dir: Path | None = None  # where levels' kubeconfigs go (default: see below)
    serve_kubectl: bool = True  # serve each level to the real kubectl (engine.apiserver)

    @property
    def progress_path(self) -> Path:
        return (self.data_dir or data_dir()) / FILENAME

    def kubeconfig_path(self, level_id: str) -> Path:
        """Where the level's kubeconfig is written while it runs — the same path each time
        the level is played, so an `export KUBECONFIG=…` in another terminal keeps working
        after a restart:

            kubeconfig_dir, when given
            DATA/kubeconfig/              with a data folder given, or $KUBEQUEST_DATA_DIR
            $XDG_RUNTIME_DIR/kubequest/   else, when that is set (private, cleared at logout)
            DATA/kubeconfig/              else (~/.local/share/kubequest/kubeconfig/)
        """
        name = level_id.replace("/", "-") + ".yaml"
        if self.kubeconfig_dir is not None:
            return self.kubeconfig_dir / name
        if self.data_dir is not None:
            return self.data_dir / "kubeconfig" / name
        runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
        if not os.environ.get("KUBEQUEST_DATA_DIR") and runtime_dir and Path(runtime_dir).is_dir():
            return Path(runtime_dir) / "kubequest" / name
        return data_dir() / "kubeconfig" / name

    @property
    def timing(self) -> Timing:
        return DEFAULT_TIMING if self.time_scale == 1 else DEFAULT_TIMING.scaled(self.time_scale)

    @property
    def pace(self) -> str:
        """How the game's time scale reads in the UI."""
        if self.time_scale == 1:
            return "timers ×1"
        return f"timers ×{self.time_scale:g}"
