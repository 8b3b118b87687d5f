"""TUI latency: time to first frame, and key-to-render latency with 50 pods churning.

    python bench/tui.py [--presses N]

Both run the real app headless (Textual's pilot) on the sim runtime:

- first frame: from before `import kubequest.tui` to the level map composed and drawn once;
- key to render: on a level whose 50 pods crash-loop on the wall clock (the cluster loop
  running in its thread, snapshots arriving ~10/s), the time from a key press (cursor down in
  the pods table) until the app has handled it and refreshed the screen.

Targets (issue 6): first frame under 1.5 s, key-to-render under 100 ms.

`--screenshot PATH` instead writes the README's picture: basics/crashloop at 120×40 on the
sim runtime, 40 cluster seconds in, with "why not yet?" on.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOAD_PACK = ROOT / "tests" / "tui" / "packs" / "load"
SIZE = (120, 40)


async def first_frame(data_dir: Path) -> tuple[float, float]:
    t0 = time.perf_counter()
    from kubequest.tui import create_app  # the import is part of what a player waits for

    t_import = time.perf_counter() - t0
    app = create_app(runtime="sim", data_dir=data_dir)
    async with app.run_test(size=SIZE) as pilot:
        while type(app.screen).__name__ != "MapScreen":
            await asyncio.sleep(0.001)
        drawn = asyncio.get_running_loop().create_future()
        app.call_after_refresh(lambda: drawn.done() or drawn.set_result(None))
        await drawn  # composed, mounted and painted once
        total = time.perf_counter() - t0
        while not app.levels_ready:  # the packs arrive a moment later
            await pilot.pause(0.01)
    return t_import, total


async def key_to_render(data_dir: Path, presses: int) -> tuple[list[float], int]:
    from textual import events

    from kubequest.tui import create_app
    from kubequest.tui.screens.level import LevelScreen

    app = create_app(runtime="sim", packs=[LOAD_PACK], builtin_dir=None, data_dir=data_dir,
                     start_level="load/churn", time_scale=0.02)
    async with app.run_test(size=SIZE) as pilot:
        while not isinstance(app.screen, LevelScreen):
            await pilot.pause(0.01)
        screen = app.screen
        while not screen.query("#pods-table"):  # the screen is pushed before it is composed
            await pilot.pause(0.01)
        table = screen.query_one("#pods-table")
        while table.row_count < 50:
            await pilot.pause(0.05)
        await pilot.pause(1.0)  # let the crash loops get going
        table.focus()
        table.move_cursor(row=5)
        await pilot.pause(0.1)
        serial0 = screen.shown_serial
        samples = []
        loop = asyncio.get_running_loop()
        for i in range(presses):
            key = "down" if (i // 40) % 2 == 0 else "up"
            before = table.cursor_row
            rendered = loop.create_future()
            t = time.perf_counter()
            # As the terminal driver does it: a key event into the app's queue...
            app._driver.send_message(events.Key(key, None))
            while table.cursor_row == before:  # ...handled (the cursor moved)...
                await asyncio.sleep(0.0005)
            # ...and the next screen refresh done: that frame shows the new cursor.
            app.call_after_refresh(lambda f=rendered: f.done() or f.set_result(None))
            await rendered
            samples.append(time.perf_counter() - t)
            await asyncio.sleep(0.05)  # a fast typist, not a flood
        return samples, screen.shown_serial - serial0


async def screenshot(data_dir: Path, path: Path, level: str) -> None:
    from kubequest.tui import create_app
    from kubequest.tui.screens.level import LevelScreen

    app = create_app(runtime="sim", data_dir=data_dir, manual_clock=True, start_level=level,
                     time_scale=0.2)  # the game's pace, as the header shows it
    async with app.run_test(size=SIZE) as pilot:
        while not (isinstance(app.screen, LevelScreen) and app.screen.is_synced()):
            await pilot.pause(0.02)
        screen = app.screen
        await asyncio.wrap_future(screen.driver.advance(40))
        await pilot.press("w")
        while not screen.is_synced():
            await pilot.pause(0.02)
        await pilot.pause(0.2)
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(filename=path.name, path=str(path.parent))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--screenshot", type=Path, metavar="PATH", help="write the README's SVG instead")
    parser.add_argument("--level", default="basics/crashloop", help="the level of --screenshot")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.screenshot:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(screenshot(Path(tmp), args.screenshot.resolve(), args.level))
        print(f"wrote {args.screenshot}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        t_import, t_frame = asyncio.run(first_frame(Path(tmp)))
        print(f"first frame: {t_frame * 1000:.0f} ms (of which importing the TUI {t_import * 1000:.0f} ms)"
              f"  target < 1500 ms  {'OK' if t_frame < 1.5 else 'OVER'}")
        samples, snapshots = asyncio.run(key_to_render(Path(tmp), args.presses))
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"key to render, 50 pods churning ({len(ms)} presses, {snapshots} cluster snapshots drawn "
          f"meanwhile): median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms"
          f"  target < 100 ms  {'OK' if p95 < 100 else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
