"""First run on Docker: the workload images that are missing are built, with a progress bar."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, ProgressBar, RichLog, Static


class ImagesScreen(ModalScreen[bool]):
    """Dismissed with True when the game should fall back to the simulated runtime."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "fallback", "Use the simulated runtime", show=False)]
    DEFAULT_CSS = """
    ImagesScreen { align: center middle; }
    ImagesScreen > Vertical { width: 90; height: auto; max-height: 80%; border: thick $primary;
                              background: $surface; padding: 1 2; }
    ImagesScreen #images-title { text-style: bold; width: 100%; }
    ImagesScreen ProgressBar { width: 100%; margin: 1 0; }
    ImagesScreen RichLog { height: 10; border: round $primary 50%; }
    ImagesScreen #images-buttons { height: auto; margin-top: 1; }
    ImagesScreen #images-buttons Button { margin-right: 2; }
    """

    def __init__(self, store_factory=None) -> None:
        super().__init__()
        self.store_factory = store_factory
        self._building = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Checking the game's workload images…", id="images-title")
            yield Static("KubeQuest's pods run small images built locally from busybox "
                         "(kubequest/web, worker, memhog, toolbox). Missing ones are built once.",
                         id="images-intro")
            yield ProgressBar(total=None, show_eta=False, id="images-progress")
            yield RichLog(id="images-log", max_lines=400, wrap=True, markup=False)
            with Horizontal(id="images-buttons"):
                yield Button("Play on the simulated runtime instead", id="fallback")

    def on_mount(self) -> None:
        self.query_one("#images-buttons").display = False
        self.check()

    @work(thread=True, exclusive=True, exit_on_error=False, group="images")
    def check(self) -> None:
        store = None
        try:
            if self.store_factory is not None:
                store = self.store_factory()
            else:
                from engine.runtime.docker import DockerRuntime

                store = DockerRuntime()
                store.ping()
            from engine.images.builder import ImageBuilder

            builder = ImageBuilder(store)
            missing = builder.missing()
            if not missing:
                self.app.call_from_thread(self._close, False)
                return
            names = ", ".join(i.ref for i in missing)
            self.app.call_from_thread(self._building_now, len(builder.catalog), names)
            builder.build(progress=lambda step, total, message:
                          self.app.call_from_thread(self._progress, step, total, message))
            self.app.call_from_thread(self._done)
        except Exception as exc:  # noqa: BLE001 - BusyboxMissing, ImageBuildError, Docker gone…
            self.app.call_from_thread(self._failed, str(exc))
        finally:
            close = getattr(store, "close", None)
            if close is not None:
                close()

    def _building_now(self, total: int, names: str) -> None:
        self.query_one("#images-title", Label).update("Building the game's images (first run on Docker)")
        self.query_one("#images-log", RichLog).write(f"missing or changed: {names}")
        self.query_one(ProgressBar).update(total=total, progress=0)

    def _progress(self, step: int, total: int, message: str) -> None:
        bar = self.query_one(ProgressBar)
        done = step - 1 if message.startswith(("building", "  ")) else step
        bar.update(total=total, progress=done)
        if not message.startswith("  ") or message.lstrip().startswith("Step "):
            self.query_one("#images-log", RichLog).write(message.strip())

    def _done(self) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(progress=bar.total or 0)
        self.notify("The game's images are ready.", title="Docker")
        self.set_timer(0.5, lambda: self._close(False))

    def _close(self, fallback: bool) -> None:
        self.dismiss(fallback)

    def _failed(self, message: str) -> None:
        self.query_one("#images-title", Label).update("The images could not be built")
        self.query_one("#images-log", RichLog).write(f"✗ {message}")
        self.query_one("#images-log", RichLog).write(
            "Fix it and run `kubequest images build` (or `kubequest doctor`), "
            "or play on the simulated runtime now.")
        self.query_one("#images-buttons").display = True
        self.query_one("#fallback", Button).focus()

    @on(Button.Pressed, "#fallback")
    def action_fallback(self) -> None:
        self._close(True)
