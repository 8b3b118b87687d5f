"""The UI never falls over: the runtime going away mid-level, a first run that builds
images, the palette, the help screen."""

from __future__ import annotations

import pytest

from engine.runtime.base import RuntimeUnavailable
from engine.runtime.sim import SimRuntime
from kubequest.runtime_select import RuntimeChoice
from kubequest.tui.screens.help import HelpScreen
from kubequest.tui.screens.level import LevelScreen

from .conftest import SIZE, TOUR, advance, level_screen, make_app, wait_until


async def test_the_runtime_going_away_shows_a_banner_not_a_crash(data_dir):
    runtimes: list[SimRuntime] = []

    def factory(clock):
        runtimes.append(SimRuntime(clock, seed=0))
        return runtimes[-1]

    app = make_app(data_dir, start_level="tour/typo-service", runtime_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        banner = screen.query_one("#banner")
        assert not banner.display

        # The daemon dies mid-level (SimRuntime plays a Docker outage).
        runtimes[0].set_outage("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")
        await advance(pilot, screen, 15)
        await wait_until(pilot, lambda: banner.display, what="the banner")
        assert "stopped answering" in str(banner.render())
        await pilot.press("2", "3", "1")  # the UI still answers
        assert isinstance(app.screen, LevelScreen)

        runtimes[0].set_outage(None)
        await advance(pilot, screen, 15)
        await wait_until(pilot, lambda: not banner.display, what="the banner gone")


async def test_a_level_that_cannot_start_says_why(data_dir):
    def factory(clock):
        raise RuntimeUnavailable("Cannot connect to the Docker daemon at unix:///var/run/docker.sock")

    app = make_app(data_dir, start_level="tour/typo-service", runtime_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LevelScreen), what="the level")
        banner = app.screen.query_one("#banner")
        await wait_until(pilot, lambda: banner.display, what="the banner")
        assert "could not start" in str(banner.render())
        await pilot.press("escape", "y")  # leave: back on the map
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MapScreen", what="the map")


class FakeImageStore:
    """What the image builder needs from Docker, in memory."""

    def __init__(self) -> None:
        self.labels: dict[str, dict[str, str]] = {}
        self.built: list[str] = []

    def image_labels(self, ref):
        return self.labels.get(ref)

    def build_image(self, context_dir, tag, labels, progress=None):
        if progress is not None:
            progress("Step 1/3 : FROM scratch")
        self.labels[tag] = dict(labels)
        self.built.append(tag)
        return f"sha256:{len(self.built)}"

    def close(self) -> None:
        pass


async def test_first_run_on_docker_builds_the_missing_images_with_progress(data_dir):
    from engine.images import builder

    try:
        builder.find_busybox()  # the contexts are assembled for real; only Docker is faked
    except builder.BusyboxMissing as exc:
        pytest.skip(str(exc))
    store = FakeImageStore()
    app = make_app(data_dir, image_store_factory=lambda: store)
    app.config.runtime = app.choice = RuntimeChoice("docker", "Docker: a Docker daemon answered")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: type(app.screen).__name__ == "ImagesScreen", what="images")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "MapScreen", what="the map",
                         tries=1000)
        assert len(store.built) >= 5
        assert "Docker" in str(app.screen.query_one("#runtime-panel").render())


async def test_help_and_the_command_palette(data_dir):
    app = make_app(data_dir, start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen, what="back")

        # Every action is in the palette: run "Why not yet?" from it.
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "CommandPalette", what="palette")
        await pilot.press(*"why not")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.explaining, what="the explanations on")
        await wait_until(pilot, lambda: any(o.explanation for o in screen.snapshot.state.objectives),
                         what="an explanation")
        assert screen.query_one("#objectives").explaining


async def test_leaving_a_level_removes_its_cluster(data_dir):
    app = make_app(data_dir, packs=(TOUR,), start_level="tour/typo-service")
    async with app.run_test(size=SIZE) as pilot:
        screen = await level_screen(pilot)
        driver = screen.driver
        await pilot.press("escape", "y")
        await wait_until(pilot, lambda: driver.stopped, what="the cluster removed")
        assert driver.session.cluster is None
        assert not driver.workdir.exists()
