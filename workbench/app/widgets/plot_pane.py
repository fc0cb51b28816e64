"""The live plotter: the numbers each board prints, drawn as lines (textual-plotext).

The app hands the pane every piece of a board's output with :meth:`PlotPane.add_output`; the
pane cuts it into lines, parses their numbers (:mod:`workbench.plot.parse`) and appends them to
that board's :class:`~workbench.plot.series.SeriesStore`. That is all the hot path does: drawing
happens on a timer, at most :data:`REDRAW_INTERVAL` apart and only when something changed, so a
board printing thousands of lines a second costs one parse per line and ten redraws a second, not
a redraw per line. Each series is thinned to a few points per column before plotext draws it
(:func:`thin`), so a large window costs little more to draw than a small one.

Each board keeps its own series; the pane shows one board at a time (:meth:`PlotPane.show_board`).
Keys inside the pane: ``p`` pause/resume (the view freezes, collecting goes on), ``c`` clear,
``+``/``-`` a larger/smaller window, ``e`` save CSV, ``s`` save SVG. The title names the board,
the subtitle counts the readings (and those the window no longer holds) and says "paused".

Colours: the plot's background and text follow the app theme (textual-plotext's "auto" theme);
the series take the theme's primary, warning, success, error, secondary and accent colours in
turn (an order that keeps neighbouring series apart in the built-in themes).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from rich.console import Console, RenderableType
from rich.segment import Segment, Segments
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.geometry import Region
from textual.markup import escape
from textual_plotext import PlotextPlot

from workbench.host_root import host_path
from workbench.plot.parse import LineSplitter, parse_line
from workbench.plot.series import DEFAULT_WINDOW, SeriesStore, View
from workbench.plot.ticks import axis_ticks, is_integral
from workbench.storage import atomic_write_text

__all__ = ["REDRAW_INTERVAL", "WINDOW_STEPS", "PlotPane", "thin"]

REDRAW_INTERVAL = 0.1
"""Seconds between redraws at most (ten a second), however fast lines arrive."""

DRAW_SHARE = 0.3
"""At most this share of the UI thread goes to drawing: after a render that took ``r`` seconds,
the next waits at least ``r / DRAW_SHARE`` (a large terminal makes plotext slower)."""

WINDOW_STEPS = (50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000)
#: The time windows ``t`` steps through (seconds), after "the whole window".
SECONDS_STEPS = (10.0, 30.0, 60.0)
"""The windows ``+`` and ``-`` step through (samples)."""

SERIES_COLOURS = ("primary", "warning", "success", "error", "secondary", "accent")
"""Theme variables the series are drawn in, in turn."""

EMPTY_HINT = "waiting for numbers: print(t, h) or print('t=', t)"

ROWS_PER_Y_TICK = 3
"""About one y label every this many rows (plotext's own spacing)."""
COLUMNS_PER_X_TICK = 14
"""About one x label every this many columns (room for a label like "10,000" and a gap)."""


def thin(xs: list[int], ys: list[float], buckets: int) -> tuple[list[int], list[float]]:
    """At most about ``2 * buckets`` points that draw like all of them: the lowest and highest
    point of each run of x values, in x order, so spikes survive thinning."""
    n = len(xs)
    if buckets <= 0 or n <= 2 * buckets:
        return xs, ys
    out_x: list[int] = []
    out_y: list[float] = []
    step = n / buckets
    for b in range(buckets):
        start, end = int(b * step), int((b + 1) * step)
        if start >= end:
            continue
        chunk = ys[start:end]
        low = min(range(len(chunk)), key=chunk.__getitem__)
        high = max(range(len(chunk)), key=chunk.__getitem__)
        for i in sorted({low, high}):
            out_x.append(xs[start + i])
            out_y.append(chunk[i])
    return out_x, out_y


class _Board:
    """One board's line assembly and series."""

    def __init__(self, window: int, seconds: float | None) -> None:
        self.lines = LineSplitter()
        self.store = SeriesStore(window, seconds)


class PlotPane(PlotextPlot):
    """The plotter; see the module docstring. Touch it only from the UI thread."""

    DEFAULT_CSS = """
    PlotPane {
        border: round $secondary;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
    }
    PlotPane:focus {
        border: round $accent;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_pause", "Pause/resume"),
        Binding("c", "clear", "Clear"),
        Binding("plus,equals_sign", "window(1)", "Larger window"),
        Binding("minus", "window(-1)", "Smaller window"),
        Binding("t", "cycle_seconds", "Time window"),
        Binding("e", "export_csv", "Save CSV"),
        Binding("s", "export_svg", "Save SVG"),
    ]

    can_focus = True

    def __init__(
        self,
        *,
        window: int = DEFAULT_WINDOW,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.window = window
        self.seconds: float | None = None  # the time window (t), for every board
        self._boards: dict[str, _Board] = {}
        self._shown = ""
        self._dirty = True
        self._titles_stale = False
        self._next_draw = 0.0  # time.monotonic() before which the timer does not draw
        self._colours: tuple[str, list[tuple[int, int, int]]] | None = None

    # -- the app's API -----------------------------------------------------------------------

    def add_output(self, url: str, text: str) -> int:
        """Take a piece of ``url``'s printed output; returns how many readings it completed.

        Cheap on purpose (called for every piece of output): parse and append, redraw later.
        """
        board = self._board(url)
        added = 0
        for line in board.lines.feed(text):
            values = parse_line(line)
            if values is not None:
                board.store.add(values, time.monotonic())
                added += 1
        if added and url == self._shown:
            if board.store.paused:
                self._titles_stale = True  # the frozen view stays; only the counts move
            else:
                self._dirty = True
        return added

    def show_board(self, url: str) -> None:
        """Show ``url``'s series (the app calls this when the shown board changes)."""
        if url != self._shown:
            self._shown = url
            self._board(url)
            self._dirty = True
            self._update_titles()

    def forget_board(self, url: str) -> None:
        """Drop ``url``'s series (the board was closed)."""
        self._boards.pop(url, None)
        if url == self._shown:
            self._dirty = True

    @property
    def board(self) -> str:
        """The URL of the board shown."""
        return self._shown

    def store(self, url: str | None = None) -> SeriesStore:
        """``url``'s series (default: the shown board's)."""
        return self._board(self._shown if url is None else url).store

    def export_csv(self, path: str | Path) -> int:
        """Write the shown view (the frozen one while paused) as CSV; returns the rows written."""
        text, rows = self.csv_text()
        atomic_write_text(host_path(path), text)
        return rows

    def csv_text(self) -> tuple[str, int]:
        """The shown view (the frozen one while paused) as CSV, and its number of rows."""
        view = self.store().view()
        return view.to_csv(), len(view.samples)

    def export_svg(self, path: str | Path) -> None:
        """Write the pane as it is on screen as an SVG (:meth:`svg_text`)."""
        atomic_write_text(host_path(path), self.svg_text())

    def svg_text(self) -> str:
        """The pane as it is on screen (border, titles, plot) as an SVG, via Rich's export as
        Textual's own screenshots do, but of this pane's region only."""
        self._draw_now()  # the file shows the current data even between two timer ticks
        width, height = self.outer_size
        strips = self.render_lines(Region(0, 0, width, height))
        console = Console(
            width=width,
            height=height,
            file=_Discard(),
            force_terminal=True,
            color_system="truecolor",
            record=True,
            legacy_windows=False,
            safe_box=False,
        )
        segments: list[Segment] = []
        for strip in strips:
            segments.extend(strip)
            segments.append(Segment.line())
        console.print(Segments(segments), end="")
        return console.export_svg(title=self.border_title or "plot")

    # -- keys ----------------------------------------------------------------------------------

    def action_toggle_pause(self) -> None:
        """Freeze the view (collecting goes on) or follow the live window again."""
        self.store().toggle_pause()
        self._draw_now()

    def action_clear(self) -> None:
        """Forget the shown board's readings."""
        self.store().clear()
        self._draw_now()

    def action_cycle_seconds(self) -> None:
        """``t``: show the last 10, 30 or 60 seconds, or the whole window (for every board)."""
        steps = (None, *SECONDS_STEPS)
        current = self.store().seconds
        self.seconds = steps[(steps.index(current) + 1) % len(steps)] if current in steps else None
        for board in self._boards.values():
            board.store.set_seconds(self.seconds)
        self._draw_now()

    def action_window(self, direction: int) -> None:
        """Step the window through :data:`WINDOW_STEPS` (for every board: one setting)."""
        current = self.window
        if direction > 0:
            larger = [w for w in WINDOW_STEPS if w > current]
            self.window = larger[0] if larger else WINDOW_STEPS[-1]
        else:
            smaller = [w for w in WINDOW_STEPS if w < current]
            self.window = smaller[-1] if smaller else WINDOW_STEPS[0]
        for board in self._boards.values():
            board.store.set_window(self.window)
        self._draw_now()

    def action_export_csv(self) -> None:
        from workbench.app.widgets.path_dialog import PathDialog  # a modal: only when asked for

        if not self.store().view().samples:
            self.notify("No readings to save yet", severity="warning")
            return
        self.app.push_screen(
            PathDialog(
                "Save the plotted readings as CSV", "plot.csv", ok_label="Save", placeholder="plot.csv"
            ),
            self._save_csv_to,
        )

    def action_export_svg(self) -> None:
        from workbench.app.widgets.path_dialog import PathDialog

        self.app.push_screen(
            PathDialog("Save the plot as SVG", "plot.svg", ok_label="Save", placeholder="plot.svg"),
            self._save_svg_to,
        )

    def _save_csv_to(self, path: str | None) -> None:
        if not path:
            return
        try:
            rows = self.export_csv(path)
        except OSError as exc:
            self.notify(f"Cannot save the readings to {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Saved {rows:,} readings to {path}")

    def _save_svg_to(self, path: str | None) -> None:
        if not path:
            return
        try:
            self.export_svg(path)
        except OSError as exc:
            self.notify(f"Cannot save the plot to {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Saved the plot to {path}")

    # -- drawing -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        # PlotextPlot's own on_mount (the theme) runs too: Textual calls each class's handler.
        self.set_interval(REDRAW_INTERVAL, self._redraw)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._draw_now())
        self._redraw()

    def _board(self, url: str) -> _Board:
        board = self._boards.get(url)
        if board is None:
            board = self._boards[url] = _Board(self.window, self.seconds)
        return board

    def _draw_now(self) -> None:
        """Draw at once (a key was pressed: the user waits for it), whatever the timer's pace."""
        self._dirty = True
        self._next_draw = 0.0
        self._redraw()

    def _redraw(self) -> None:
        """Draw the shown board's view if anything changed since the last draw."""
        if not self.is_mounted:
            return
        if not self._dirty or time.monotonic() < self._next_draw:
            if self._titles_stale:
                self._titles_stale = False
                self._update_titles()
            return
        self._dirty = self._titles_stale = False
        view = self.store().view()
        plt = self.plt
        plt.clear_data()
        plt.title("" if view.samples else EMPTY_HINT)
        self._draw_series(view)
        self._update_titles()
        self.refresh()

    def render(self) -> RenderableType:
        """plotext's drawing, timed: see :data:`DRAW_SHARE`."""
        started = time.monotonic()
        rendered = super().render()
        ended = time.monotonic()
        self._next_draw = ended + (ended - started) / DRAW_SHARE
        return rendered

    def _draw_series(self, view: View) -> None:
        buckets = max(self.size.width, 1)  # a low and a high point per column: braille has two dots
        colours = self._series_colours()
        all_x: list[int] = []
        all_y: list[float] = []
        for index, name in enumerate(view.names):
            xs, ys = thin(*view.series(name), buckets)
            if xs:
                self.plt.plot(xs, ys, label=name, marker="braille", color=colours[index % len(colours)])
                all_x += (xs[0], xs[-1])
                all_y += ys
        self._set_ticks(all_x, all_y)

    def _set_ticks(self, xs: list[int], ys: list[float]) -> None:
        """Our own tick labels (:mod:`workbench.plot.ticks`): plotext's are floats ("301.0")
        even for integer readings, and the x axis counts readings."""
        if not xs:
            self.plt.xticks([], [])
            self.plt.yticks([], [])
            return
        width, height = self.size
        x = axis_ticks(min(xs), max(xs), max(2, width // COLUMNS_PER_X_TICK), integer=True)
        y = axis_ticks(min(ys), max(ys), max(2, height // ROWS_PER_Y_TICK), integer=is_integral(ys))
        self.plt.xticks(list(x.values), list(x.labels))
        self.plt.yticks(list(y.values), list(y.labels))

    def _series_colours(self) -> list[tuple[int, int, int]]:
        """The theme's colours for the series, looked up again when the theme changes."""
        theme = self.app.theme
        if self._colours is None or self._colours[0] != theme:
            variables = self.app.theme_variables
            rgbs = [Color.parse(variables[name]).rgb for name in SERIES_COLOURS if name in variables]
            self._colours = (theme, rgbs or [Color.parse(variables["foreground"]).rgb])
        return self._colours[1]

    def _update_titles(self) -> None:
        self.border_title = f"plot · {escape(self._shown)}" if self._shown else "plot"
        store = self.store()
        parts = []
        if store.total:
            if store.dropped:
                parts.append(f"last {store.kept:,} of {store.total:,} readings")
            else:
                parts.append(f"{store.total:,} readings")
        parts.append(f"window {store.window:,}" + (f", last {store.seconds:g} s" if store.seconds else ""))
        if store.paused:
            parts.append("paused")
        self.border_subtitle = " · ".join(parts)

    def on_resize(self) -> None:
        self._dirty = True  # thinning depends on the width


class _Discard:
    """A file that forgets what is written: the console only records for the SVG."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass
