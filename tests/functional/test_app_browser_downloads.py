"""In a browser tab of ``workbench serve`` a student downloads to their own computer: a board
file (any bytes), the plot, through palette commands that only a browser tab offers. (The
editor's text and the trace are downloaded in a real browser: test_serve_browser.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.functional.test_app import connected, make_app, wait_for
from tests.functional.test_app_files import files_shown, move_to, sim_url
from workbench.app.app import WorkbenchApp

EVERY_BYTE = bytes(range(256)) * 4


@pytest.fixture
def delivered(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bytes]]:
    """The app as a browser tab (textual-serve's driver says ``is_web``); what it hands the
    browser is kept here: (file name, bytes)."""
    handed: list[tuple[str, bytes]] = []

    def deliver(self: WorkbenchApp, path_or_file: Any, *, save_filename: str | None = None, **_kw: Any) -> str:
        data = path_or_file.read()
        handed.append((save_filename or "", data.encode() if isinstance(data, str) else data))
        return "key"

    monkeypatch.setattr(WorkbenchApp, "is_web", property(lambda self: True))
    monkeypatch.setattr(WorkbenchApp, "deliver_binary", deliver)
    monkeypatch.setattr(WorkbenchApp, "deliver_text", deliver)
    return handed


def titles(app: WorkbenchApp) -> list[str]:
    return [command.title for command in app.get_system_commands(app.screen)]


async def test_a_board_file_goes_to_the_browser_byte_for_byte(tmp_path: Path, delivered) -> None:
    folder = tmp_path / "board"
    folder.mkdir()
    (folder / "data.bin").write_bytes(EVERY_BYTE)
    app = make_app(tmp_path, sim_url(folder))
    async with app.run_test(size=(160, 50)) as pilot:
        await files_shown(pilot)
        await move_to(pilot, "data.bin")
        assert "Files: download to this computer" in titles(app)
        app.action_files_download_to_browser()
        await wait_for(pilot, lambda: delivered != [])
    assert delivered == [("data.bin", EVERY_BYTE)]


async def test_the_plot_goes_to_the_browser_as_csv_and_svg(tmp_path: Path, delivered) -> None:
    app = make_app(tmp_path, code="for i in range(5):\n    print(i, i * i)\n")
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        await pilot.press("f5")
        plot = app.query_one("#plot")
        await wait_for(pilot, lambda: len(plot.store().view().samples) == 5)
        app.action_download_plot_csv()
        app.action_download_plot_svg()
    (csv_name, csv), (svg_name, svg) = delivered
    assert (csv_name, svg_name) == ("plot.csv", "plot.svg")
    assert csv.decode().splitlines()[-1].endswith(",4.0,16.0")  # the last reading: 4 and 4 * 4
    assert svg.startswith(b"<svg")


async def test_a_terminal_offers_no_browser_downloads(tmp_path: Path) -> None:
    """In a terminal the dialogs already save on the person's own computer."""
    app = make_app(tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        assert not app.is_web
        assert [title for title in titles(app) if "download" in title.lower()] == ["Files: download"]
