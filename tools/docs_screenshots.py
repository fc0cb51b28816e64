"""Regenerate the README's screenshots: the app exports its own screen as SVG.

Why a script and not hand-made pictures: the screenshots show the real app on a simulated
board, so when the layout changes one command brings them up to date::

    python -m tools.docs_screenshots            # writes docs/screenshots/*.svg
    python -m tools.docs_screenshots --only files   # just one of them

Each picture runs the app headless (Textual's test driver) with a temporary config folder,
so nothing of the person running it (themes, profiles, recovered text) shows up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

DOCS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
SIZE = (160, 45)
CODE = (
    "import sys\n"
    "print('Hello from', sys.implementation.name, sys.platform)\n"
    "for i in range(3):\n"
    "    print('line', i)\n"
    "1 / 0\n"
)
#: Bound on every wait for the app (a screenshot that cannot be made must not hang).
WAIT_LIMIT = 1000


async def _until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    for _ in range(WAIT_LIMIT):
        if condition():
            return
        await pilot.pause(0.01)
    raise RuntimeError("the app did not reach the state to photograph")


def _output(app: object) -> list[str]:
    from workbench.app.widgets.output_pane import OutputPane

    return app.query_one("#output", OutputPane).lines_text()  # type: ignore[attr-defined, no-any-return]


async def _main_screen(pilot: Pilot[None]) -> None:
    app = pilot.app
    await pilot.press("f5")
    board = app.boards.selected  # type: ignore[attr-defined]
    await _until(pilot, lambda: not board.busy and any(line.startswith("── raw") for line in _output(app)))
    await pilot.pause(0.2)


async def _settings(pilot: Pilot[None]) -> None:
    await pilot.press("f4")
    await pilot.pause(0.2)


async def _step_mode(pilot: Pilot[None]) -> None:
    app = pilot.app
    await pilot.press("f7", "f5")
    for _ in range(2):
        await _until(pilot, lambda: app.boards.selected.pending_step is not None)  # type: ignore[attr-defined]
        await pilot.press("space")
    await _until(pilot, lambda: app.boards.selected.pending_step is not None)  # type: ignore[attr-defined]
    await pilot.pause(0.2)


#: The files the Files pane's picture shows on the simulated board (its own temporary folder).
BOARD_FILES = {
    "boot.py": b"# This file runs on every boot (including wake from deep sleep)\n",
    "main.py": CODE.encode(),
    "lib/sensors.py": b"from machine import ADC, Pin\n\n" + b"# reads the light sensor\n" * 120,
    "lib/wifi.py": b"import network\n" * 40,
    "config.json": b'{"ssid": "workshop", "interval_s": 5}\n',
}


async def _files(pilot: Pilot[None]) -> None:
    """The Files pane (F11) on a board with a few files, its lib/ folder open, and main.py
    opened from it in the editor (Enter)."""
    from workbench.app.widgets.files_pane import FilesPane
    from workbench.files import BoardFS

    app = pilot.app
    fs = BoardFS(app.session)  # type: ignore[attr-defined]

    def put_files() -> None:
        fs.mkdir("lib")
        for path, data in BOARD_FILES.items():
            fs.write(path, data)

    await asyncio.to_thread(put_files)  # the session is not to be waited for on the UI thread
    await pilot.press("f11")
    pane = app.query_one("#files", FilesPane)
    await _until(pilot, lambda: len(pane.entries()) == 4)
    await pilot.press("enter")  # lib/ opens
    await _until(pilot, lambda: len(pane.entries()) == 6)
    for _ in range(5):
        entry = pane.selected_entry
        if entry is not None and entry.path == "main.py":
            break
        await pilot.press("down")
    await pilot.press("enter")  # main.py into the editor
    await _until(pilot, lambda: not app._file_jobs)  # type: ignore[attr-defined]
    await pilot.press("f11", "f11")  # the keyboard back in the Files pane
    await pilot.pause(0.3)


#: What the plotter's picture runs: a "sensor" printing named readings.
SENSOR = (
    "import math\n"
    "for i in range(300):\n"
    "    print('temp=%.2f humidity=%.1f' % (21 + 2 * math.sin(i / 25), 45 + 8 * math.cos(i / 40)))\n"
)


async def _plotter(pilot: Pilot[None]) -> None:
    """The plotter (Shift+F11) after a run that printed 300 named readings."""
    from workbench.app.widgets.editor_pane import EditorPane
    from workbench.app.widgets.plot_pane import PlotPane

    app = pilot.app
    app.query_one("#editor", EditorPane).set_text(SENSOR)
    await pilot.press("shift+f11")
    plot = app.query_one("#plot", PlotPane)
    await pilot.press("ctrl+e", "f5")
    await _until(pilot, lambda: plot.store().total == 300)
    await pilot.press("shift+f11", "shift+f11")  # the keyboard back in the plot
    await pilot.pause(0.4)  # its next draw


async def _timeline(pilot: Pilot[None]) -> None:
    """The timeline (Shift+F10) after three runs, the last exec selected."""
    from workbench.app.widgets.timeline_view import TimelineView

    app = pilot.app
    board = app.boards.selected  # type: ignore[attr-defined]
    timeline = app.query_one("#timeline", TimelineView)
    for runs in range(1, 4):
        await pilot.press("f5")
        await _until(pilot, lambda runs=runs: not board.busy and sum(
            line.startswith("── raw") for line in _output(app)) == runs)
    await pilot.press("shift+f10")
    await _until(pilot, lambda: len(timeline.timeline.spans) >= 3)
    await pilot.press("left")
    await pilot.pause(0.4)


SHOTS: dict[str, Callable[[Pilot[None]], Awaitable[None]]] = {
    "main": _main_screen,
    "settings": _settings,
    "step-mode": _step_mode,
    "files": _files,
    "plotter": _plotter,
    "timeline": _timeline,
}


async def _shoot(name: str, prepare: Callable[[Pilot[None]], Awaitable[None]], folder: Path) -> Path:
    from workbench.app.app import WorkbenchApp
    from workbench.app.recovery import RecoveryStore
    from workbench.config import Settings
    from workbench.discovery.devices import available_devices

    with tempfile.TemporaryDirectory() as config:
        os.environ["WORKBENCH_CONFIG_DIR"] = config
        os.environ["WORKBENCH_STATE_DIR"] = str(Path(config) / "state")  # nothing learned before
        app = WorkbenchApp(
            "sim://generic",
            discover=lambda: available_devices(include_serial=False),
            recovery=RecoveryStore(Path(config) / "recovery"),
            settings=Settings.load(Path(config) / "settings.toml"),
            initial_code=CODE,
        )
        async with app.run_test(size=SIZE) as pilot:
            await _until(pilot, lambda: app.session is not None)
            await prepare(pilot)
            path = folder / f"{name}.svg"
            path.write_text(app.export_screenshot(title=f"workbench: {name}"), encoding="utf-8")
            return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DOCS, help="folder for the SVG files")
    parser.add_argument("--only", choices=sorted(SHOTS), action="append", help="just this picture (repeatable)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, prepare in SHOTS.items():
        if args.only and name not in args.only:
            continue
        path = asyncio.run(_shoot(name, prepare, args.out))
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
