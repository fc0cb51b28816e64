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

Zoom. A long trace squeezes short execs into one column, so ``+``/``=`` zoom in and ``-``
out, one step of the 1-2-5 series of times a column each (x2, or x2.5 from a 5: every column
stays a round time, so the axis labels stay round), and ``0`` fits the whole trace again.
Zoomed, the view keeps the selected exec on screen as Left/Right move, Shift+Left/Right (or
``[``/``]``) pan by half a screen, and the subtitle says the zoom and the times on screen.
New records do not move a zoomed view, unless it follows the live edge (the selection is on
the newest exec, or nothing is chosen and the view was zoomed at the end, or a pan reached
it), as a log does; choosing an older exec or panning back stops following. A frame costs
what is on screen: the rates are two bisections a column and the spans and gaps drawn are
found by bisection, whatever the length of the trace.
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
    DEFAULT_MAX_RECORDS,
    FINEST_STEP,
    ExecSpan,
    Rates,
    Timeline,
    coarser_step,
    finer_step,
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
        Binding("plus,equals_sign", "zoom_in", "Zoom in", show=False),
        Binding("minus", "zoom_out", "Zoom out", show=False),
        Binding("0", "zoom_fit", "Whole trace", show=False),
        Binding("shift+left,left_square_bracket", "pan(-1)", "Earlier", show=False),
        Binding("shift+right,right_square_bracket", "pan(1)", "Later", show=False),
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
        max_records: int = DEFAULT_MAX_RECORDS,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.timeline = Timeline(gap_threshold=gap_threshold, max_records=max_records)
        """The model, for reading (the app may show its numbers elsewhere)."""
        self._selected: int | None = None  # span number
        self._step: float | None = None  # seconds a column when zoomed; None: the whole trace fits
        self._left = 0  # zoomed: the first column's bucket (it starts at _left * _step seconds)
        self._follow = False  # zoomed: keep the newest record at the right edge
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
        self._step = None  # another trace: see all of it first
        self._follow = False
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
        """The chosen exec, while the model still keeps it."""
        return None if self._selected is None else self.timeline.span_number(self._selected)

    def select_span(self, number: int | None) -> None:
        """Put the selection on span ``number`` (clamped to the spans kept), or nowhere; no
        message. Zoomed, the view moves to show it, and follows the live edge when it is the newest."""
        spans = self.timeline.spans
        if number is None or not spans:
            self._selected = None
        else:
            self._selected = min(max(number, spans[0].number), spans[-1].number)
            if self._step is not None:
                self._follow = self._selected == spans[-1].number
                self._reveal(spans[self._selected - spans[0].number], self._columns())
        self._redraw()

    @property
    def zoom(self) -> float:
        """How many times finer than the whole-trace view a column is (1: the whole trace)."""
        columns = self._columns()
        return self._fit_step(columns) / self._frame(columns)[0]

    @property
    def visible_range(self) -> tuple[float, float]:
        """The times at the left edge and just after the right edge of the axis."""
        columns = self._columns()
        step, origin = self._frame(columns)
        return origin, origin + columns * step

    def row_text(self, y: int) -> str:
        """What row ``y`` shows, as plain text (for tests and screen readers alike)."""
        return self.render_line(y).text

    # ------------------------------------------------------------------ actions
    def action_previous_span(self) -> None:
        self._move(-1)

    def action_next_span(self) -> None:
        self._move(+1)

    def action_first_span(self) -> None:
        spans = self.timeline.spans
        self.select_span(spans[0].number if spans else None)

    def action_last_span(self) -> None:
        spans = self.timeline.spans
        self.select_span(spans[-1].number if spans else None)

    def action_zoom_in(self) -> None:
        """One step finer, keeping the selected exec (else the newest record) where it is."""
        if not len(self.timeline):
            return
        columns = self._columns()
        step, origin = self._frame(columns)
        finer = finer_step(step)
        if finer < FINEST_STEP * (1 - 1e-9):
            self.notify(f"Zoomed in as far as it goes: {format_seconds(step)} a column", severity="warning")
            return
        self._zoom_to(finer, step, origin, columns)

    def action_zoom_out(self) -> None:
        """One step coarser; at the whole trace, stays there."""
        if self._step is None:
            return
        columns = self._columns()
        step, origin = self._frame(columns)
        self._zoom_to(coarser_step(step), step, origin, columns)

    def action_zoom_fit(self) -> None:
        """The whole trace on screen (the view before any zoom)."""
        self._step = None
        self._follow = False
        self._redraw()

    def action_pan(self, direction: int) -> None:
        """Half a screen earlier (-1) or later (+1); reaching the newest record follows it."""
        if self._step is None:
            self.notify("The whole trace is on screen: + zooms in", severity="information")
            return
        columns = self._columns()
        low, high = self._bounds(self._step, columns)
        self._left = min(max(self._left + direction * max(columns // 2, 1), low), high)
        self._follow = direction > 0 and self._left >= high
        self._redraw()

    def action_select_span(self) -> None:
        span = self.selected_span
        if span is None:
            self.notify("No exec chosen: Left / Right choose one", severity="warning")
            return
        self.post_message(self.SpanSelected(span.first, span.last))

    def _move(self, step: int) -> None:
        """From nothing selected, any move starts at the newest exec (what just happened)."""
        if self.selected_span is None:
            self.action_last_span()
        else:
            self.select_span(self._selected + step)  # type: ignore[operator]  # selected_span says it is set

    # ------------------------------------------------------------------ zoom
    def _columns(self) -> int:
        return max(self.content_region.width - _GUTTER, 1)

    def _fit_step(self, columns: int) -> float:
        return _column_step(self.timeline, columns)

    def _bounds(self, step: float, columns: int) -> tuple[int, int]:
        """The first column's bucket from the first record's to the one that puts the newest
        record in the last column (no panning into empty time)."""
        model = self.timeline
        low = math.floor(model.start / step)
        return low, max(low, math.floor(model.end / step) - (columns - 1))

    def _frame(self, columns: int) -> tuple[float, float]:
        """(seconds a column, time of the first column's start) for the frame to draw."""
        model = self.timeline
        fit = self._fit_step(columns)
        if self._step is not None and self._step >= fit * (1 - 1e-9):
            self._step = None  # the trace shrank (records forgotten) under the zoom
        if self._step is None:
            return fit, math.floor(model.start / fit) * fit
        low, high = self._bounds(self._step, columns)
        self._left = high if self._follow else min(max(self._left, low), high)
        return self._step, self._left * self._step

    def _zoom_to(self, new_step: float, step: float, origin: float, columns: int) -> None:
        """Zoom to ``new_step`` a column from the frame (``step``, ``origin``) on screen."""
        if new_step >= self._fit_step(columns) * (1 - 1e-9):
            self.action_zoom_fit()
            return
        span = self.selected_span
        newest = self.timeline.spans[-1] if self.timeline.spans else None
        if span is not None:
            anchor = span.start  # stays in its column, if it was on screen
            column = math.floor((anchor - origin) / step)
            if not 0 <= column < columns:
                column = columns // 4
            self._follow = span is newest
        elif self._step is None or self._follow:
            anchor, column = self.timeline.end, columns - 1  # nothing chosen: what just happened
            self._follow = True
        else:
            anchor, column = origin + columns * step / 2, columns // 2
        self._step = new_step
        self._left = math.floor(anchor / new_step) - column
        if span is not None:
            self._reveal(span, columns)
        self._redraw()

    def _reveal(self, span: ExecSpan, columns: int) -> None:
        """Move a zoomed view the least that shows ``span`` whole (its start, when it is wider
        than the screen), with a little room around it."""
        step = self._step
        if step is None:
            return
        first, last = math.floor(span.start / step), math.floor(span.end / step)
        if first >= self._left and last <= self._left + columns - 1:
            return
        width = last - first + 1
        margin = max(0, min(columns // 10, (columns - width) // 2))
        if width > columns or first < self._left:
            self._left = first - margin
        else:
            self._left = last + margin - (columns - 1)

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
        at = rates.origin + column * rates.step
        for span in reversed(self.timeline.spans_between(at, at + rates.step)):
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
        key = self._key(width)
        if key != self._rows_key:
            self._rows = self._draw(width)
            self._rows_key = self._key(width)  # drawing a followed frame moves it to the live edge
        if 0 <= y < len(self._rows):
            return self._rows[y].crop_extend(0, width, self.rich_style)
        return Strip.blank(width, self.rich_style)

    def _key(self, width: int) -> tuple[object, ...]:
        """What the rows depend on. Not the record count: live records show when the timer
        redraws, not on every repaint."""
        return (width, self._selected, self.has_focus, self.timeline.gap_threshold, self._step, self._left)

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
            self._set_subtitle("")
            return [Strip([Segment("No trace records yet: run something, or open a saved trace.", label)])]
        columns = max(width - _GUTTER, 1)
        step, origin = self._frame(columns)
        rates = model.rates(step, origin=origin, count=columns)
        self._layout = rates
        end = origin + columns * step
        spans = model.spans_between(origin, end)
        gaps = self._gap_columns(rates, columns)
        self._set_subtitle(self._zoom_text(rates, columns))
        rows: list[Strip] = [self._header(rates)]
        rows += self._curve("tx", rates.tx)
        rows += self._curve("rx", rates.rx)
        rows.append(self._axis(rates, columns, gaps))
        rows.append(self._exec_lane(rates, columns, spans, gaps))
        rows.append(self._credit_lane(rates, columns, spans))
        rows.append(Strip([Segment(self._detail(), label)]))
        rows.append(Strip([Segment(self._gaps(), self._style("muted"))]))
        return rows

    def _zoom_text(self, rates: Rates, columns: int) -> str:
        """``x4, 12.50 s - 18.70 s`` when zoomed: how far in, and which times are on screen."""
        if self._step is None:
            return ""
        factor = f"{self._fit_step(columns) / rates.step:,.1f}".rstrip("0").rstrip(".")
        decimals = max(0, -math.floor(math.log10(rates.step) + 1e-9))
        end = rates.origin + columns * rates.step
        return f"x{factor}, {rates.origin:.{decimals}f} s - {end:.{decimals}f} s"

    def _set_subtitle(self, text: str) -> None:
        if self.border_subtitle != text:
            self.border_subtitle = text

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
        for gap in self.timeline.gaps_between(rates.origin, rates.origin + (columns + 1) * rates.step):
            first, last = rates.bucket_of(gap.start) + 1, rates.bucket_of(gap.end) - 1
            inside = range(max(first, 0), min(last, columns - 1) + 1)
            marked.update(inside if len(inside) else [rates.bucket_of(gap.end)])
        return {c for c in marked if 0 <= c < columns}

    def _axis(self, rates: Rates, columns: int, gaps: set[int]) -> Strip:
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
        muted, gap = self._style("muted"), self._style("gap")
        segments = [self._gutter("")]
        for index, cell in enumerate(cells):
            segments.append(Segment(_GAP_MARK, gap) if index in gaps else Segment(cell, muted))
        return Strip(segments)

    def _exec_lane(self, rates: Rates, columns: int, spans: list[ExecSpan], gaps: set[int]) -> Strip:
        """One bar per exec on screen; the selected one drawn last, so it always shows."""
        cells: list[tuple[str, str]] = [(" ", "")] * columns
        for column in gaps:
            cells[column] = (_GAP_MARK, "gap")
        selected = self.selected_span
        for span in [*spans, *([selected] if selected is not None else [])]:
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

    def _credit_lane(self, rates: Rates, columns: int, spans: list[ExecSpan]) -> Strip:
        """The window credit during pastes: the last value in each column, scaled to the most
        any paste on screen had; blank where no paste ran."""
        last: dict[int, int] = {}
        top = 0
        bucket = rates.bucket_of
        for span in spans:
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
            return f"{len(spans)} execs: Left / Right choose one, Enter selects its rows in the trace, + / - zoom."
        parts = [f"exec {span.number + 1}/{self.timeline.spans_dropped + len(spans)}: {span_label(span)}"]
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
