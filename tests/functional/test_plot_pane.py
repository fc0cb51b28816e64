"""Pilot tests of the plotter pane: readings show up, pause, clear, window, CSV and SVG files."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Input, Static

from tests.support.pilot import wait_until
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.plot_pane import WINDOW_STEPS, PlotPane

BOARD = "sim://esp32"
OTHER = "sim://generic"


class PlotApp(App[None]):
    """Hosts one PlotPane showing BOARD, under a line of other text."""

    def compose(self) -> ComposeResult:
        yield Static("ANOTHER WIDGET")
        yield PlotPane(id="plot")

    def on_mount(self) -> None:
        self.pane.show_board(BOARD)
        self.pane.focus()

    @property
    def pane(self) -> PlotPane:
        return self.query_one(PlotPane)



def screen_text(pane: PlotPane) -> str:
    return "\n".join(strip.text for strip in pane.render_lines(pane.region.reset_offset))


async def save_through_dialog(pilot, key: str, path: Path) -> None:
    """Press ``key``, type ``path`` into the dialog, press Enter, wait for the file."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PathDialog))
    pilot.app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await wait_until(pilot, path.exists)


async def test_readings_from_lines_in_pieces_are_plotted_with_a_legend() -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        pane = app.pane
        # pieces split anywhere, CR LF line ends, lines that do not plot in between
        for piece in [
            "temp: 21",
            ".5, hum: 40\r",
            "\n>>> \r\nbooting v1.22\r\n",
            "temp: 22, hum: 41\r\n",
            "temp: 2",
        ]:
            pane.add_output(BOARD, piece)
        pane.add_output(OTHER, "99 98\r\n")  # another board's readings stay with that board
        await wait_until(pilot, lambda: "2 readings" in str(pane.border_subtitle))
        view = pane.store().view()
        assert view.names == ("temp", "hum")
        assert view.series("temp") == ([1, 2], [21.5, 22.0])
        assert pane.store(OTHER).view().series("1") == ([1], [99.0])
        assert pane.border_title == f"plot · {BOARD}"
        text = screen_text(pane)
        assert "temp" in text and "hum" in text  # the legend
        assert "99" not in text


async def test_series_take_the_theme_colours() -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        app.pane.add_output(BOARD, "".join(f"{i} {-i}\n" for i in range(20)))
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            expected = {Color.parse(app.theme_variables[name]).rgb for name in ("primary", "warning")}
            await wait_until(pilot, lambda expected=expected: expected <= drawn_colours(app.pane))


def drawn_colours(pane: PlotPane) -> set[tuple[int, int, int]]:
    """The foreground colours of the pane's braille dots (the series)."""
    colours = set()
    for strip in pane.render_lines(pane.region.reset_offset):
        for segment in strip:
            if segment.style and segment.style.color and "\u2800" <= segment.text[:1] <= "\u28ff":
                colours.add(segment.style.color.get_truecolor())
    return {tuple(c) for c in colours}


def axis_labels(pane: PlotPane) -> tuple[list[str], list[str]]:
    """The labels a person reads on the plot: the y axis's (left of ``┤``, top to bottom) and the
    x axis's (the row under the frame)."""
    lines = screen_text(pane).splitlines()[1:-1]  # inside the pane's border
    y = [line[1:].split("┤", 1)[0].strip() for line in lines if "┤" in line]
    frame = next(index for index, line in enumerate(lines) if "└" in line)
    x = lines[frame + 1][1:-1].split()
    return y, x


async def labels_of(pilot, pane: PlotPane, readings: list[str]) -> tuple[list[str], list[str]]:
    pane.add_output(BOARD, "".join(f"{reading}\n" for reading in readings))
    await wait_until(pilot, lambda: f"{len(readings)} readings" in str(pane.border_subtitle))
    pane._draw_now()  # (a timer draws too; this is the draw to read)
    y, x = axis_labels(pane)
    assert len(y) >= 2 and len(x) >= 2, (y, x)
    assert [int(label) for label in x] == sorted(int(label) for label in x)  # x counts readings
    return y, x


async def test_integer_readings_have_integer_axis_labels() -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        y, x = await labels_of(pilot, app.pane, [str(301 + 7 * i) for i in range(40)])
        assert all(label.lstrip("-").isdigit() for label in y + x), (y, x)  # "301", never "301.0"
        values = [int(label) for label in y]
        assert values == sorted(values, reverse=True) and all(value % 10 == 0 for value in values)  # round steps


async def test_fractional_readings_have_a_few_round_decimals() -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        # what a board prints for i * 0.1: 0.30000000000000004 among them
        y, x = await labels_of(pilot, app.pane, [repr(i * 0.1) for i in range(31)])
        assert all(re.fullmatch(r"[0-3]\.[05]", label) for label in y), y  # steps of 0.5, one decimal
        assert all(label.isdigit() for label in x), x


async def test_pause_freezes_the_plot_and_resume_catches_up() -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        pane = app.pane
        pane.add_output(BOARD, "1\n2\n")
        await pilot.press("p")
        assert "paused" in str(pane.border_subtitle)
        pane.add_output(BOARD, "3\n4\n")
        await wait_until(pilot, lambda: "4 readings" in str(pane.border_subtitle))  # still counted
        assert pane.store().view().series("1")[1] == [1.0, 2.0]  # still what was shown
        await pilot.press("p")
        assert "paused" not in str(pane.border_subtitle)
        assert pane.store().view().series("1")[1] == [1.0, 2.0, 3.0, 4.0]


async def test_clear_and_window_keys() -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        pane = app.pane
        pane.add_output(BOARD, "".join(f"{i}\n" for i in range(600)))
        await wait_until(pilot, lambda: "last 500 of 600 readings" in str(pane.border_subtitle))
        await pilot.press("minus")
        smaller = max(w for w in WINDOW_STEPS if w < 500)
        assert pane.store().kept == smaller
        assert f"last {smaller} of 600 readings" in str(pane.border_subtitle)
        await pilot.press("plus")
        assert pane.store().window == 500
        await pilot.press("c")
        assert pane.store().total == 0
        assert "readings" not in str(pane.border_subtitle)
        assert "waiting for numbers" in screen_text(pane)


async def test_export_csv_through_the_dialog(tmp_path: Path) -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        app.pane.add_output(BOARD, "t=21.5 h=40\nt=21.75\nh=41 t=-3\n")
        target = tmp_path / "readings.csv"
        await save_through_dialog(pilot, "e", target)
        with target.open(newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows == [["x", "t", "h"], ["1", "21.5", "40.0"], ["2", "21.75", ""], ["3", "-3.0", "41.0"]]


async def test_export_svg_of_the_pane(tmp_path: Path) -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        app.pane.add_output(BOARD, "".join(f"{i} {i * i}\n" for i in range(50)))
        target = tmp_path / "plot.svg"
        await save_through_dialog(pilot, "s", target)
        root = ET.parse(target).getroot()
        assert root.tag.endswith("svg")
        text = "".join(root.itertext()).replace("\xa0", " ")
        assert f"plot · {BOARD}" in text  # the pane's title, and
        assert "ANOTHER WIDGET" not in text  # only the pane, not the whole screen


async def test_a_save_that_fails_says_so_in_one_line(tmp_path: Path) -> None:
    app = PlotApp()
    async with app.run_test(size=(90, 24)) as pilot:
        app.pane.add_output(BOARD, "1\n")
        blocked = tmp_path / "file"
        blocked.write_text("")
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, PathDialog))
        app.screen.query_one(Input).value = str(blocked / "readings.csv")  # a file as a directory
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app._notifications))
        (notification,) = list(app._notifications)
        assert notification.severity == "error"
        assert notification.message.startswith("Cannot save the readings to")
        assert "\n" not in notification.message
