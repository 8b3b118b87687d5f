"""The KubeQuest app: a level map, a level screen per play, a victory screen.

`create_app()` builds it; everything that would make two runs differ (the
runtime, the clock, the save folder, the seed) is injectable, so tests and
snapshots get the same frames every time.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from ..levels.loader import Level, Pack, load_packs
from ..levels.progress import Progress
from ..runtime_select import RuntimeChoice, choose_runtime
from .commands import GameCommands
from .config import GameConfig


class KubeQuestApp(App[None]):
    TITLE = "KubeQuest"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {GameCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
    ]

    def __init__(self, config: GameConfig) -> None:
        super().__init__()
        self.config = config
        self.choice: RuntimeChoice | None = (config.runtime if isinstance(config.runtime, RuntimeChoice)
                                             else None)
        self.runtime_error: str | None = None
        self.packs: list[Pack] = []
        self.progress = Progress(config.progress_path)
        self._quitting = False
        self.levels_ready = False
        self._images_pending = False
        self._gc_threshold = gc.get_threshold()
        self.drivers: list = []  # every level driver started; quitting stops those still running

    # ---- start ----------------------------------------------------------------------

    def on_mount(self) -> None:
        from .screens.map import MapScreen

        self.theme = "textual-dark"
        # The cluster thread is often busy: hand the GIL back to the UI sooner (default 5 ms),
        # so a key press never waits long behind a burst of controller work.
        sys.setswitchinterval(0.001)
        # A full collection over a cluster's worth of objects stalls every thread for 100s of ms:
        # move what exists now out of the collector's way and collect the old generation rarely.
        self._gc_threshold = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(50_000, 20, 50)
        self._handle_signals()
        self.push_screen(MapScreen())
        self.call_after_refresh(self.load_levels)  # the first frame first, then the YAML
        if self.config.serve_kubectl:
            self.call_after_refresh(self.warm_up_tls)
        if self.choice is None:
            self.decide_runtime()
        else:
            self.call_later(self.runtime_decided, self.choice)

    @work(thread=True, exclusive=True, exit_on_error=False, group="levels")
    def load_levels(self) -> None:
        """Read every pack (YAML parsing takes a while) off the UI thread; the map says so meanwhile."""
        try:
            packs = load_packs(self.config.packs, builtin_dir=self.config.builtin_dir)
        except Exception as exc:  # noqa: BLE001 - an unreadable folder must not stop the game
            packs = []
            self.call_from_thread(self.notify, f"the level packs could not be read: {exc}",
                                  severity="error", timeout=20, markup=False)
        progress = Progress.load(self.config.progress_path)
        self.call_from_thread(self._levels_loaded, packs, progress)

    @work(thread=True, exclusive=True, exit_on_error=False, group="tls")
    def warm_up_tls(self) -> None:
        """Make the API server's TLS certificate while the learner reads the map (an RSA key
        takes a second or more), so the first level starts without that pause."""
        from engine.apiserver import warm_up

        warm_up()

    def _handle_signals(self) -> None:
        """SIGTERM, or SIGHUP when the terminal closes: quit as ctrl+q does (removing the
        level's containers), and remove the kubeconfigs at once, before anything can hang."""
        if self.is_headless or not hasattr(signal, "SIGHUP"):
            return
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                loop.add_signal_handler(sig, self._terminated)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    def _terminated(self) -> None:
        from .driver import remove_live_kubeconfigs

        remove_live_kubeconfigs()
        self.call_later(self.action_quit)

    def _levels_loaded(self, packs: list[Pack], progress: Progress) -> None:
        self.packs, self.progress = packs, progress
        self.levels_ready = True
        if progress.warning:
            self.notify(progress.warning, title="Save file", severity="warning", timeout=15)
        from .screens.map import MapScreen

        for screen in self.screen_stack:
            if isinstance(screen, MapScreen):
                screen.refresh_levels()
        if self.choice is not None and not self._images_pending:
            self._open_start_level()

    @work(thread=True, exclusive=True, exit_on_error=False, group="runtime")
    def decide_runtime(self) -> None:
        """Ping Docker (it may take a while) off the UI thread."""
        try:
            choice = choose_runtime(str(self.config.runtime))
        except Exception as exc:  # noqa: BLE001 - RuntimeNotAvailable and anything else
            self.call_from_thread(self.runtime_failed, str(exc))
            return
        self.call_from_thread(self.runtime_decided, choice)

    def runtime_failed(self, message: str) -> None:
        self.runtime_error = message
        self._refresh_map()
        self.notify(message, title="Runtime", severity="error", timeout=20)

    def runtime_decided(self, choice: RuntimeChoice) -> None:
        self.choice = choice
        self._refresh_map()
        if choice.name == "docker" and self.config.check_images:
            from .screens.images import ImagesScreen

            self._images_pending = True
            self.push_screen(ImagesScreen(self.config.image_store_factory),
                             callback=self._images_done)
        else:
            self._open_start_level()

    def _images_done(self, fallback_to_sim: bool | None) -> None:
        self._images_pending = False
        if fallback_to_sim:
            self.choice = RuntimeChoice(
                "sim", "the workload images could not be built; using the simulated runtime")
            self._refresh_map()
        self._open_start_level()

    def _refresh_map(self) -> None:
        from .screens.map import MapScreen

        for screen in self.screen_stack:
            if isinstance(screen, MapScreen):
                screen.refresh_runtime()

    def _open_start_level(self) -> None:
        if not self.levels_ready:
            return  # _levels_loaded comes back here
        level_id = self.config.start_level
        self.config.start_level = None
        if level_id:
            level = self.find_level(level_id)
            if level is not None:
                self.open_level(level)
            else:
                self.notify(f"no playable level {level_id}", severity="error")

    # ---- levels ---------------------------------------------------------------------

    def find_level(self, level_id: str) -> Level | None:
        for pack in self.packs:
            for level in pack.levels:
                if level.id == level_id and level.playable and not pack.problems:
                    return level
        return None

    def levels_in_order(self) -> list[Level]:
        return [lv for p in self.packs if not p.problems for lv in p.levels if lv.playable]

    def recommended(self) -> Level | None:
        """The first playable level not solved yet, in pack order."""
        for level in self.levels_in_order():
            if not self.progress.level(level.id).solved:
                return level
        return None

    def next_level(self, after: Level) -> Level | None:
        order = self.levels_in_order()
        ids = [lv.id for lv in order]
        if after.id not in ids:
            return self.recommended()
        rest = order[ids.index(after.id) + 1:] + order[: ids.index(after.id)]
        unsolved = [lv for lv in rest if not self.progress.level(lv.id).solved]
        return (unsolved or rest or [None])[0]

    def open_level(self, level: Level) -> None:
        from .screens.level import LevelScreen

        if self.choice is None:
            why = self.runtime_error or "still asking Docker whether it answers…"
            self.notify(why, title="No runtime yet", severity="warning")
            return
        self.push_screen(LevelScreen(level))

    def save_progress(self) -> str | None:
        try:
            self.progress.save()
        except OSError as exc:
            return f"progress not saved: {exc.strerror or exc}"
        return None

    # ---- commands -------------------------------------------------------------------

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    async def action_quit(self) -> None:
        """Quit, removing the running level's containers first."""
        if self._quitting:
            return
        self._quitting = True
        drivers = self.running_drivers()
        if drivers:
            self.notify("Removing the level's containers…", title="Quitting", timeout=30)
            await asyncio.to_thread(lambda: [d.stop() for d in drivers])
        self.exit()

    def running_drivers(self) -> list:
        return [d for d in self.drivers if not d.stopped]

    def stop_driver(self, driver) -> None:
        """Stop a level's cluster in the background (removing containers can take seconds on Docker)."""
        self.run_worker(driver.stop, thread=True, group="cleanup", exit_on_error=False)

    def on_unmount(self) -> None:
        for driver in self.running_drivers():  # the last resort: never leave containers behind
            driver.stop()
        gc.set_threshold(*self._gc_threshold)
        gc.unfreeze()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys and screens (?)", self.action_help)


def create_app(
    *,
    runtime: str | RuntimeChoice = "auto",
    packs: Iterable[str | Path] = (),
    data_dir: str | Path | None = None,
    clock_factory=None,
    manual_clock: bool = False,
    seed: int = 0,
    time_scale: float | None = None,
    start_level: str | None = None,
    builtin_dir: Path | None | str = "default",
    check_images: bool = True,
    image_store_factory=None,
    runtime_factory=None,
    kubeconfig_dir: str | Path | None = None,
    serve_kubectl: bool = True,
) -> KubeQuestApp:
    """The game, ready to `run()`. Tests: `create_app(runtime="sim", manual_clock=True,
    data_dir=tmp_path)` gives a VirtualClock that moves only with `advance`. Each level is
    served to the real kubectl (`serve_kubectl`), its kubeconfig in `kubeconfig_dir` (default:
    GameConfig.kubeconfig_path)."""
    config = GameConfig(
        runtime=choose_runtime("sim") if runtime == "sim" else runtime,
        packs=list(packs),
        data_dir=Path(data_dir) if data_dir is not None else None,
        clock_factory=clock_factory,
        manual_clock=manual_clock,
        seed=seed,
        start_level=start_level,
        check_images=check_images,
        image_store_factory=image_store_factory,
        runtime_factory=runtime_factory,
        kubeconfig_dir=Path(kubeconfig_dir) if kubeconfig_dir is not None else None,
        serve_kubectl=serve_kubectl,
    )
    if time_scale is not None:
        config.time_scale = time_scale
    elif manual_clock:
        config.time_scale = 1.0
    if builtin_dir != "default":
        config.builtin_dir = Path(builtin_dir) if builtin_dir is not None else None
    return KubeQuestApp(config)
