"""The protocol Timeline: traffic each way over time, and every exec as a bar on the same axis.

Why characters drawn with the Line API rather than a plotting library (``textual-plotext``):
the rate rows and the exec bars must share one time axis column for column, so that a burst
of traffic sits right above the exec that caused it; a plot widget lays out its own axes and
margins, which the bars below could only approximate. Drawing the rows here also keeps every
colour a theme variable (component classes below), renders only ten short rows, and lets
tests read the screen back as text. The model is :mod:`workbench.trace.timeline`.

Rows, top to bottom::

    header   the peaks, the time per column, the totals
    tx  ▂▅█  bytes/s the host sent (two rows: 16 levels)
    rx  ▁▃▆  bytes/s the device sent (two rows)
    axis     ticks with the trace's own times (as in the trace's time column); ╎ marks gaps
    exec     one bar per exec, labelled (mode, size, duration, result) where it fits
    win      raw-paste window credit during pastes
    detail   the selected exec: everything about it, and its rows in the trace
    gaps     pauses longer than the threshold: how many, the longest and where

Live use: :meth:`TimelineView.add_records` reads a batch into the model at once (cheap, see
the model) and the screen is redrawn at most five times a second. Keys: Left/Right (or
Up/Down) move between execs, Home/End to the first/last, Enter (or a click on a bar) posts
:class:`TimelineView.SpanSelected` with the exec's record indices, for the trace to select.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from operator import itemgetter
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from workbench.app.texts import format_rate, format_size
from workbench.trace.record import TraceRecord
from workbench.trace.timeline import (
    DEFAULT_GAP_THRESHOLD,
    ExecSpan,
    Rates,
    Timeline,
    format_seconds,
    nice_step,
    span_label,
)

#: Left column of every row: what the row shows.
_GUTTER = 5
_BLOCKS = " ▁▂▃▄▅▆▇█"
#: Rows of each rate curve (8 levels a row).
_CURVE_ROWS = 2
_ROW_HEADER = 0
_ROW_TX = 1
_ROW_RX = _ROW_TX + _CURVE_ROWS
_ROW_AXIS = _ROW_RX + _CURVE_ROWS
_ROW_EXEC = _ROW_AXIS + 1
_ROW_CREDIT = _ROW_EXEC + 1
_ROW_DETAIL = _ROW_CREDIT + 1
_ROW_GAPS = _ROW_DETAIL + 1
ROWS = _ROW_GAPS + 1
#: Columns between axis ticks, at least (a tick's label must fit).
_TICK_EVERY = 12
#: Redraws a second at most while records stream in.
_REFRESH_S = 0.2
_GAP_MARK = "╎"
#: What a bar is drawn with where its label does not go (a bar must show without colour too).
_BAR = "━"
#: No label is shorter than ``raw 0 B 1 µs ok`` and a space.
_SHORTEST_LABEL = 15
_KIND_STYLE = {"ok": "ok", "exception": "exception", "interrupted": "interrupted"}


class TimelineView(Widget, can_focus=True):
    """Rates each way and exec spans over time, for a trace live or loaded (see the module)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "timeline-view--label",
        "timeline-view--muted",
        "timeline-view--tx",
        "timeline-view--rx",
        "timeline-view--ok",
        "timeline-view--exception",
        "timeline-view--interrupted",
        "timeline-view--other",
        "timeline-view--selected",
        "timeline-view--gap",
        "timeline-view--credit",
    }
    """
    | Class | Description |
    | :- | :- |
    | `timeline-view--label` | Row names and the detail text. |
    | `timeline-view--muted` | The axis and secondary words. |
    | `timeline-view--tx` | The host's rate curve. |
    | `timeline-view--rx` | The device's rate curve. |
    | `timeline-view--ok` | An exec that ended well. |
    | `timeline-view--exception` | An exec that raised. |
    | `timeline-view--interrupted` | An exec stopped with CTRL-C. |
    | `timeline-view--other` | Running, unfinished, or ended by a reboot. |
    | `timeline-view--selected` | The selected exec. |
    | `timeline-view--gap` | Gap marks. |
    | `timeline-view--credit` | The raw-paste window credit. |
    """

    DEFAULT_CSS = f"""
    TimelineView {{
        background: $surface;
        color: $foreground;
        height: {ROWS};
        width: 1fr;
        & > .timeline-view--label {{ color: $foreground; }}
        & > .timeline-view--muted {{ color: $text-muted; }}
        & > .timeline-view--tx {{ color: $text-accent; }}
        & > .timeline-view--rx {{ color: $text-success; }}
        & > .timeline-view--ok {{ background: $success-muted; color: $text-success; }}
        & > .timeline-view--exception {{ background: $error-muted; color: $text-error; }}
        & > .timeline-view--interrupted {{ background: $warning-muted; color: $text-warning; }}
        & > .timeline-view--other {{ background: $primary-muted; color: $text-primary; }}
        & > .timeline-view--selected {{
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }}
        & > .timeline-view--gap {{ color: $text-warning; }}
        & > .timeline-view--credit {{ color: $text-secondary; }}
        &:focus {{
            background-tint: $foreground 5%;
            & > .timeline-view--selected {{
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }}
        }}
    }}
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left,up", "previous_span", "Previous exec", show=False),
        Binding("right,down", "next_span", "Next exec", show=False),
        Binding("home", "first_span", "First exec", show=False),
        Binding("end", "last_span", "Last exec", show=False),
        Binding("enter", "select_span", "Select in trace"),
    ]

    class SpanSelected(Message):
        """The user chose an exec (Enter, or a click on its bar): select records
        ``first_index .. last_index`` (inclusive; the trace view's absolute indices)."""

        def __init__(self, first_index: int, last_index: int) -> None:
            super().__init__()
            self.first_index = first_index
            self.last_index = last_index

    def __init__(
        self,
        *,
        gap_threshold: float = DEFAULT_GAP_THRESHOLD,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.timeline = Timeline(gap_threshold=gap_threshold)
        """The model, for reading (the app may show its numbers elsewhere)."""
        self._selected: int | None = None  # span number
        self._dirty = False
        self._rows: list[Strip] = []
        self._rows_key: tuple[object, ...] | None = None
        self._layout: Rates | None = None  # the axis the rows were drawn on (for clicks)
        self._styles: dict[str, Style] = {}

    # ------------------------------------------------------------------ public API
    def add_records(self, records: Iterable[TraceRecord]) -> None:
        """Read a batch of new records (UI thread only); the screen follows within 0.2 s."""
        before = len(self.timeline)
        self.timeline.add(records)
        if len(self.timeline) != before:
            self._dirty = True

    def set_records(self, records: Iterable[TraceRecord]) -> None:
        """Replace everything (a saved trace opened, another board shown); redrawn at once."""
        self.timeline.clear()
        self.timeline.add(records)
        self._selected = None
        self._redraw()

    def clear(self) -> None:
        self.set_records(())

    @property
    def gap_threshold(self) -> float:
        return self.timeline.gap_threshold

    @gap_threshold.setter
    def gap_threshold(self, seconds: float) -> None:
        """Pauses longer than ``seconds`` are marked (recomputed from the times kept)."""
        self.timeline.set_gap_threshold(seconds)
        self._redraw()

    @property
    def selected_span(self) -> ExecSpan | None:
        if self._selected is None or self._selected >= len(self.timeline.spans):
            return None
        return self.timeline.spans[self._selected]

    def select_span(self, number: int | None) -> None:
        """Put the selection on span ``number`` (clamped), or nowhere; no message."""
        spans = self.timeline.spans
        self._selected = None if number is None or not spans else min(max(number, 0), len(spans) - 1)
        self._redraw()

    def row_text(self, y: int) -> str:
        """What row ``y`` shows, as plain text (for tests and screen readers alike)."""
        return self.render_line(y).text

    # ------------------------------------------------------------------ actions
    def action_previous_span(self) -> None:
        self._move(-1)

    def action_next_span(self) -> None:
        self._move(+1)

    def action_first_span(self) -> None:
        self.select_span(0)

    def action_last_span(self) -> None:
        self.select_span(len(self.timeline.spans) - 1)

    def action_select_span(self) -> None:
        span = self.selected_span
        if span is None:
            self.notify("No exec chosen: Left / Right choose one", severity="warning")
            return
        self.post_message(self.SpanSelected(span.first, span.last))

    def _move(self, step: int) -> None:
        """From nothing selected, any move starts at the newest exec (what just happened)."""
        if self._selected is None:
            self.select_span(len(self.timeline.spans) - 1)
        else:
            self.select_span(self._selected + step)

    # ------------------------------------------------------------------ events
    def on_mount(self) -> None:
        self.set_interval(_REFRESH_S, self._refresh_if_changed)
        self.border_title = "timeline"

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = {}
        self._rows_key = None

    def on_focus(self) -> None:
        self._redraw()

    def on_blur(self) -> None:
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        rates = self._layout
        if offset is None or rates is None or offset.y != _ROW_EXEC or offset.x < _GUTTER:
            return
        column = offset.x - _GUTTER
        for span in reversed(self.timeline.spans):
            if rates.bucket_of(span.start) <= column <= rates.bucket_of(span.end):
                self.select_span(span.number)
                self.post_message(self.SpanSelected(span.first, span.last))
                return

    def _refresh_if_changed(self) -> None:
        if self._dirty:
            self._redraw()

    def _redraw(self) -> None:
        self._dirty = False
        self._rows_key = None
        self.refresh()

    # ------------------------------------------------------------------ drawing
    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        # Not the record count: live records show when the timer redraws, not on every repaint.
        key = (width, self._selected, self.has_focus, self.timeline.gap_threshold)
        if key != self._rows_key:
            self._rows = self._draw(width)
            self._rows_key = key
        if 0 <= y < len(self._rows):
            return self._rows[y].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(f"timeline-view--{name}")
        return style

    def _draw(self, width: int) -> list[Strip]:
        model = self.timeline
        label = self._style("label")
        if not len(model):
            self._layout = None
            return [Strip([Segment("No trace records yet: run something, or open a saved trace.", label)])]
        columns = max(width - _GUTTER, 1)
        rates = model.rates(_column_step(model, columns))
        rates = model.rates(rates.step, origin=rates.origin, count=columns)
        self._layout = rates
        rows: list[Strip] = [self._header(rates)]
        rows += self._curve("tx", rates.tx)
        rows += self._curve("rx", rates.rx)
        rows.append(self._axis(rates, columns))
        rows.append(self._exec_lane(rates, columns))
        rows.append(self._credit_lane(rates, columns))
        rows.append(Strip([Segment(self._detail(), label)]))
        rows.append(Strip([Segment(self._gaps(), self._style("muted"))]))
        return rows

    def _gutter(self, text: str) -> Segment:
        return Segment(text.ljust(_GUTTER)[:_GUTTER], self._style("muted"))

    def _header(self, rates: Rates) -> Strip:
        model = self.timeline
        peak_tx = max(rates.tx, default=0.0)
        peak_rx = max(rates.rx, default=0.0)
        text = (
            f"tx peak {format_rate(peak_tx)} ({format_size(model.bytes_tx)})  "
            f"rx peak {format_rate(peak_rx)} ({format_size(model.bytes_rx)})  "
            f"{format_seconds(rates.step)} a column"
        )
        return Strip([Segment(text, self._style("muted"))])

    def _curve(self, name: str, values: tuple[float, ...]) -> list[Strip]:
        """``_CURVE_ROWS`` rows of block characters, scaled to the peak; any traffic shows."""
        peak = max(values, default=0.0)
        levels = _CURVE_ROWS * 8
        heights = [0 if v <= 0 or peak <= 0 else max(1, math.ceil(v / peak * levels)) for v in values]
        style = self._style(name)
        rows = []
        for row in range(_CURVE_ROWS):
            floor = (_CURVE_ROWS - 1 - row) * 8  # the top row shows the levels above the bottom's 8
            text = "".join(_BLOCKS[min(max(h - floor, 0), 8)] for h in heights)
            rows.append(Strip([self._gutter(name if row == _CURVE_ROWS - 1 else ""), Segment(text, style)]))
        return rows

    def _gap_columns(self, rates: Rates, columns: int) -> set[int]:
        """Columns a gap covers (the one where it ends, for a gap shorter than two columns)."""
        marked: set[int] = set()
        for gap in self.timeline.gaps:
            first, last = rates.bucket_of(gap.start) + 1, rates.bucket_of(gap.end) - 1
            inside = range(max(first, 0), min(last, columns - 1) + 1)
            marked.update(inside if len(inside) else [rates.bucket_of(gap.end)])
        return {c for c in marked if 0 <= c < columns}

    def _axis(self, rates: Rates, columns: int) -> Strip:
        """Ticks every ``_TICK_EVERY`` columns or more, labelled with the trace's times."""
        cells = ["─"] * columns
        every = _TICK_EVERY
        decimals = max(0, -math.floor(math.log10(rates.step * every)) + 1)
        column = 0
        while column < columns:
            text = f"┬{rates.origin + column * rates.step:.{decimals}f}s"
            if column + len(text) > columns:
                break
            cells[column : column + len(text)] = list(text)
            column += max(every, len(text) + 2)
        gaps = self._gap_columns(rates, columns)
        muted, gap = self._style("muted"), self._style("gap")
        segments = [self._gutter("")]
        for index, cell in enumerate(cells):
            segments.append(Segment(_GAP_MARK, gap) if index in gaps else Segment(cell, muted))
        return Strip(segments)

    def _exec_lane(self, rates: Rates, columns: int) -> Strip:
        """One bar per exec; the selected one drawn last, so it always shows."""
        cells: list[tuple[str, str]] = [(" ", "")] * columns
        for column in self._gap_columns(rates, columns):
            cells[column] = (_GAP_MARK, "gap")
        selected = self.selected_span
        for span in [*self.timeline.spans, *([selected] if selected is not None else [])]:
            start = max(rates.bucket_of(span.start), 0)
            end = min(rates.bucket_of(span.end), columns - 1)
            if end < start:
                continue
            style = "selected" if span is selected else _KIND_STYLE.get(span.kind, "other")
            room = end - start + 1
            text = span_label(span) if room > _SHORTEST_LABEL else ""  # thousands of 1-column execs: no words
            text = (text + " " if text and len(text) < room else "").ljust(room, _BAR)
            for offset in range(room):
                cells[start + offset] = (text[offset], style)
        segments = [self._gutter("exec")]
        segments += [Segment(char, self._style(style) if style else self.rich_style) for char, style in cells]
        return Strip(segments)

    def _credit_lane(self, rates: Rates, columns: int) -> Strip:
        """The window credit during pastes: the last value in each column, scaled to the most
        any paste had; blank where no paste ran."""
        last: dict[int, int] = {}
        top = 0
        bucket = rates.bucket_of
        for span in self.timeline.spans:
            points = span.credit
            if not points:
                continue
            top = max(top, max(points, key=itemgetter(1))[1])
            if bucket(span.start) == bucket(span.end):  # a paste within one column: its last word
                points = points[-1:]
            for t, credit in points:
                column = bucket(t)
                if 0 <= column < columns:
                    last[column] = credit
        cells = [" "] * columns
        for column, credit in last.items():
            cells[column] = _BLOCKS[max(1, math.ceil(credit / top * 8))] if top else _BLOCKS[1]
        return Strip([self._gutter("win"), Segment("".join(cells), self._style("credit"))])

    def _detail(self) -> str:
        spans = self.timeline.spans
        span = self.selected_span
        if span is None:
            if not spans:
                return "No execs in this trace."
            return f"{len(spans)} execs: Left / Right choose one, Enter selects its rows in the trace."
        parts = [f"exec {span.number + 1}/{len(spans)}: {span_label(span)}"]
        if span.round_trip is not None:
            parts.append(f"round trip {format_seconds(span.round_trip)}")
        if span.first_reply is not None:
            parts.append(f"first reply {format_seconds(span.first_reply)}")
        if span.window is not None:
            parts.append(f"window {span.window} B")
        parts.append(f"rows {span.first}-{span.last}")
        return ", ".join(parts)

    def _gaps(self) -> str:
        model = self.timeline
        threshold = format_seconds(model.gap_threshold)
        if not model.gaps:
            return f"No pauses over {threshold}."
        longest = max(model.gaps, key=lambda gap: gap.duration)
        return (
            f"{_GAP_MARK} {len(model.gaps)} pause(s) over {threshold}; longest {format_seconds(longest.duration)} "
            f"at {longest.start:.3f} s, after row {longest.before}"
        )


def _column_step(model: Timeline, columns: int) -> float:
    """A round time per column so the whole trace fits: the axis starts at the first record's
    time rounded down to the step, which can cost one column."""
    return nice_step(model.duration, max(columns - 1, 1))
