"""The byte-trace view: every record of the raw REPL protocol, one line each (or a hex dump).

A board can stream output for hours, so the view is built on Textual's Line API: only the
lines on screen are rendered (:meth:`TraceView.render_line`), rendered lines are cached in an
LRU, and the records live in a capped buffer whose bookkeeping is O(batch) per
:meth:`TraceView.add_records` call. Nothing here is thread-safe on purpose: the app hands
batches over on the UI thread (see docs/architecture.md).

Layout bookkeeping. Every record ever added gets an *absolute index* (its sequence number);
the kept records are ``_items[_head:]`` and absolute index ``a`` lives at
``_items[_head + a - _first]``. The records that pass the filters are listed by absolute index
in ``_vis_abs[_vis_head:]``, with ``_vis_start`` holding the absolute line at which each
starts (one line per record in text mode, a header plus dump lines in hex mode). Dropping old
records only advances the two heads (the lists are compacted now and then, amortised O(1)),
and a screen row maps to a record by bisecting ``_vis_start``.

Columns. The trace pane is 45 to 90 columns wide on 120 to 200 column terminals, so a line
gives the room to what a reader needs first: time, direction, the start of the bytes as text,
and the meaning. The text column narrows (16 down to 6) before the meaning gets fewer than
40 columns. Bytes in hex are in the hex dump (``x``: 16 bytes and their 16 characters a
line) and under the explanation; a line wider than the pane scrolls sideways (left / right,
or shift + wheel).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from typing import ClassVar, Literal

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from workbench.trace.explain import explain, is_event
from workbench.trace.record import TraceRecord
from workbench.trace.render import printable, visible

DirectionFilter = Literal["all", "tx", "rx"]

_DIRECTIONS: tuple[DirectionFilter, ...] = ("all", "tx", "rx")
_ARROWS = {"tx": "→ tx", "rx": "← rx", "note": "• wb"}
"""``note`` rows are the workbench's own markers (a probe reopened the port), not bytes."""
_DIRECTION_STYLES = {"tx": "tx", "rx": "rx", "note": "header"}
#: Bytes per dump line in hex mode (and the most the text column previews).
_PREVIEW = 16
#: The text column's width range, and the room the meaning keeps before the text column shrinks.
_TEXT_MAX = 16
_TEXT_MIN = 6
_MEANING_ROOM = 40
#: What a line has besides the time, the text and the meaning: `` → tx `` and two spaces.
_LEAD = len(" → tx ")
_GAP = 2
#: A dump line: ``0000  xx xx … xx  |text of the 16 bytes|``; the offset (and its gap) is
#: left out when the pane is narrower, so the 16 bytes and their text fit on a 160-column
#: terminal (most records are one dump line at offset 0 anyway).
_DUMP_BYTES_WIDTH = _PREVIEW * 3 - 1 + 2 + _PREVIEW + 2
_DUMP_WIDTH = 4 + 2 + _DUMP_BYTES_WIDTH
#: Bytes spelled in hex under the explanation of the selected record: all of a protocol
#: step's, the start of a chunk of code or output (the dump has them all).
_EXPLAIN_BYTES = 32
#: Compact the head of a list once this many dead entries sit in front of it.
_COMPACT_AT = 4096
_CACHE_LINES = 4096
#: How a record's lines are drawn (a key of the line cache).
_PLAIN, _IN_RANGE, _CURSOR = 0, 1, 2


class TraceView(ScrollView, can_focus=True):
    """Scrollable, filterable view of :class:`TraceRecord` objects.

    Text mode shows one line per record: time, direction, the first bytes as text, and the
    meaning (the protocol's reading, else the host's note). Hex mode shows a header per
    record and a classic 16-bytes-a-line dump. A cursor selects one record and posts
    :class:`TraceView.RecordSelected` with a plain-language explanation and its bytes in hex.

    :meth:`select_range` (the timeline's Enter on an exec) also highlights every row of the
    range, so the exec's extent shows at a glance. The highlight stays while the cursor moves
    inside the range (reading the exec's rows one by one, each explained), and goes when the
    cursor leaves it, another range is selected, or the records change wholesale.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "trace-view--time",
        "trace-view--tx",
        "trace-view--rx",
        "trace-view--hex",
        "trace-view--text",
        "trace-view--annotation",
        "trace-view--header",
        "trace-view--offset",
        "trace-view--cursor",
        "trace-view--range",
    }
    """
    | Class | Description |
    | :- | :- |
    | `trace-view--time` | The relative time column. |
    | `trace-view--tx` | The direction of bytes the host sent. |
    | `trace-view--rx` | The direction of bytes the device sent. |
    | `trace-view--hex` | Hex bytes of the dump. |
    | `trace-view--text` | The bytes as printable text. |
    | `trace-view--annotation` | The protocol meaning (or the host's note). |
    | `trace-view--header` | The size column of a record header in hex mode. |
    | `trace-view--offset` | Offsets of hex dump lines. |
    | `trace-view--cursor` | Every line of the selected record. |
    | `trace-view--range` | The background of the records of a selected range (an exec). |
    """

    DEFAULT_CSS = """
    TraceView {
        background: $surface;
        color: $foreground;
        height: 1fr;
        width: 1fr;
        overflow-x: auto;  /* a long meaning or a dump wider than the pane scrolls sideways */
        overflow-y: auto;
        & > .trace-view--time { color: $text-muted; }
        & > .trace-view--tx { color: $text-accent; text-style: bold; }
        & > .trace-view--rx { color: $text-success; text-style: bold; }
        & > .trace-view--hex { color: $foreground; }
        & > .trace-view--text { color: $text-secondary; }
        & > .trace-view--annotation { color: $text-primary; }
        & > .trace-view--header { color: $foreground; text-style: bold; }
        & > .trace-view--offset { color: $text-muted; }
        & > .trace-view--range { background: $accent 20%; }
        & > .trace-view--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .trace-view--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_hex", "Hex dump"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("d", "cycle_direction", "Direction"),
        Binding("e", "toggle_events", "Events only"),
        Binding("n", "search_next", "Next match"),
        Binding("N", "search_previous", "Prev match"),
        Binding("up", "cursor_up", "Previous record", show=False),
        Binding("down", "cursor_down", "Next record", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "cursor_home", "First record", show=False),
        Binding("end", "cursor_end", "Last record, follow", show=False),
    ]

    hex_mode: reactive[bool] = reactive(False, init=False)
    """Show each record as a header plus a hex dump instead of one line."""
    direction: reactive[DirectionFilter] = reactive[DirectionFilter]("all", init=False)
    """Show only what the host sent (``tx``), what the device sent (``rx``), or ``all``."""
    events_only: reactive[bool] = reactive(False, init=False)
    """Hide payload (output, code chunks, stray text): see :func:`workbench.trace.explain.is_event`."""
    follow: reactive[bool] = reactive(True, init=False)
    """Keep the newest record in view as records arrive."""

    class RecordSelected(Message):
        """The user put the cursor on a record (keys, click, search)."""

        def __init__(self, trace_view: TraceView, record: TraceRecord, explanation: str) -> None:
            super().__init__()
            self.trace_view = trace_view
            self.record = record
            self.explanation = explanation
            """What the record means in plain words, then its bytes in hex (the text mode
            shows no hex)."""

        @property
        def control(self) -> TraceView:
            """The view that posted the message (for ``@on(..., "#id")`` selectors)."""
            return self.trace_view

    def __init__(
        self,
        max_records: int = 100_000,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self.max_records = max_records
        self.dropped = 0
        """Records this view discarded to stay within ``max_records``."""
        self.dropped_upstream = 0
        """Records the recorder discarded before they reached the view (set by the app)."""
        self._items: list[TraceRecord] = []
        self._head = 0
        self._first = 0  # absolute index of _items[_head]
        self._vis_abs: list[int] = []
        self._vis_start: list[int] = []
        self._vis_head = 0
        self._line_end = 0  # absolute line just after the last visible record
        # The mode the line index above was built for. The hex_mode watcher runs after the
        # value changed, and the rebuild must still read the old geometry to keep its anchor.
        self._hex_layout = False
        self._cursor: int | None = None  # absolute index of the selected record
        self._range: tuple[int, int] | None = None  # absolute indices of a highlighted range
        self._time_width = 8
        self._widest_annotation = 0  # of the visible records: how far a row can scroll sideways
        self._last_search = ""
        self._programmatic = 0  # >0 while the view scrolls itself (not the user)
        self._cache: LRUCache[tuple[int, int, int, bool, int, int], Strip] = LRUCache(_CACHE_LINES)
        self._style_cache: dict[int, dict[str, Style]] = {}
        """The columns' styles (for the cursor line and the others), until the CSS or focus changes."""

    # ------------------------------------------------------------------ public API
    def add_records(self, records: Iterable[TraceRecord]) -> None:
        """Append a batch (UI thread only). Cost is O(len(batch)), whatever is already kept."""
        batch = list(records)
        if not batch:
            return
        start = self._next_abs
        self._items.extend(batch)
        overflow = len(self._items) - self._head - self.max_records
        removed_lines = self._drop_front(overflow) if overflow > 0 else 0
        for abs_index in range(max(start, self._first), self._next_abs):
            self._append_visible(abs_index, self._record(abs_index))
        self._note_times(batch)
        self._after_change(removed_lines)

    def set_records(self, records: Iterable[TraceRecord]) -> None:
        """Replace everything (opening a saved trace). Records beyond the cap count as dropped."""
        self._reset()
        self.add_records(records)
        if not self.follow:
            self._scroll(0)

    def clear(self) -> None:
        """Forget every record and the view's own drop count."""
        self._reset()
        self._after_change(0)

    def records(self) -> list[TraceRecord]:
        """All kept records, oldest first, whatever the filters."""
        return self._items[self._head :]

    def visible_records(self) -> list[TraceRecord]:
        """The records that pass the filters, oldest first."""
        return [self._record(a) for a in self._vis_abs[self._vis_head :]]

    @property
    def selected_record(self) -> TraceRecord | None:
        """The record under the cursor, if any."""
        return None if self._cursor is None else self._record(self._cursor)

    @property
    def selected_range(self) -> tuple[int, int] | None:
        """The highlighted range (absolute indices, inclusive), if any: see :meth:`select_range`."""
        return self._range

    @property
    def line_count(self) -> int:
        """Lines of content in the current mode and filters (the virtual height)."""
        return self._line_end - self._origin

    def search(self, text: str, forward: bool = True) -> bool:
        """Find ``text`` (case-insensitive) in the hex, text or annotation of the visible
        records after the cursor (before it when ``forward`` is False), wrapping around.
        Moves the cursor there and scrolls to it; False when nothing matches.
        """
        if not text.strip():
            return False
        needle = text.lower()
        self._last_search = text
        count = len(self._vis_abs) - self._vis_head
        if count == 0:
            return False
        here = self._visible_position(self._cursor) if self._cursor is not None else None
        if here is None:
            here = -1 if forward else count
        step = 1 if forward else -1
        for i in range(1, count + 1):
            pos = (here + step * i) % count
            abs_index = self._vis_abs[self._vis_head + pos]
            if needle in _haystack(self._record(abs_index)):
                self._select(abs_index)
                return True
        return False

    # ------------------------------------------------------------------ actions
    def action_toggle_hex(self) -> None:
        """Switch between one line per record and a hex dump."""
        self.hex_mode = not self.hex_mode

    def action_toggle_follow(self) -> None:
        """Pause or resume following new records."""
        self.follow = not self.follow

    def action_cycle_direction(self) -> None:
        """all → tx → rx → all."""
        self.direction = _DIRECTIONS[(_DIRECTIONS.index(self.direction) + 1) % len(_DIRECTIONS)]

    def action_toggle_events(self) -> None:
        """Show only protocol events, or everything."""
        self.events_only = not self.events_only

    def action_search_next(self) -> None:
        """Repeat the last search forward."""
        self._repeat_search(forward=True)

    def action_search_previous(self) -> None:
        """Repeat the last search backward."""
        self._repeat_search(forward=False)

    def action_cursor_up(self) -> None:
        """Select the previous record (pauses follow)."""
        self._move_cursor(-1)

    def action_cursor_down(self) -> None:
        """Select the next record (pauses follow)."""
        self._move_cursor(1)

    def action_page_up(self) -> None:
        """Move the cursor one screen up (pauses follow)."""
        self._move_cursor_lines(-self._page_height())

    def action_page_down(self) -> None:
        """Move the cursor one screen down (pauses follow)."""
        self._move_cursor_lines(self._page_height())

    def action_cursor_home(self) -> None:
        """Select the first record (pauses follow)."""
        if self._vis_head < len(self._vis_abs):
            self._select(self._vis_abs[self._vis_head])

    def action_cursor_end(self) -> None:
        """Select the last record and resume following."""
        if self._vis_head < len(self._vis_abs):
            self._select(self._vis_abs[-1], follow=True)
        else:
            self.follow = True

    # ------------------------------------------------------------------ reactive watchers
    def validate_direction(self, value: str) -> DirectionFilter:
        if value not in _DIRECTIONS:
            raise ValueError(f"direction must be one of {_DIRECTIONS}, got {value!r}")
        return value  # type: ignore[return-value]

    def watch_hex_mode(self) -> None:
        self._rebuild()

    def watch_direction(self) -> None:
        self._rebuild()

    def watch_events_only(self) -> None:
        self._rebuild()

    def watch_follow(self, follow: bool) -> None:
        if follow:
            self._scroll_end()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Tell the user's scrolling from the view's own: scrolling up pauses follow,
        scrolling back to the very end resumes it (as in a terminal's scrollback).
        """
        super().watch_scroll_y(old_value, new_value)
        if self._programmatic or not self.is_mounted:
            return
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False
        elif new_value > old_value and new_value >= self.max_scroll_y and not self.follow:
            self.follow = True

    # ------------------------------------------------------------------ events
    def notify_style_update(self) -> None:
        """Theme or CSS changed: cached strips carry old colours."""
        super().notify_style_update()
        self._cache.clear()
        self._style_cache.clear()

    def on_focus(self) -> None:
        self._cache.clear()  # the cursor's colour depends on focus
        self._style_cache.clear()
        self.refresh()

    def on_blur(self) -> None:
        self._cache.clear()
        self._style_cache.clear()
        self.refresh()

    def on_mount(self) -> None:
        self._update_virtual_size()
        self.call_after_refresh(self._keep_following)

    def on_resize(self) -> None:
        # The text column and so the rows' width follow the pane's width; a new height moves
        # the end, decided after layout, when the new size is known.
        self._update_virtual_size()
        self.call_after_refresh(self._keep_following)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        hit = self._locate(int(self.scroll_offset.y) + offset.y)
        if hit is not None:
            self._select(self._vis_abs[hit[0]])

    # ------------------------------------------------------------------ rendering
    def render_line(self, y: int) -> Strip:
        """One screen line: the part of a record at scroll row ``y`` (the Line API)."""
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        hit = self._locate(scroll_y + y)
        if hit is None:
            return Strip.blank(width, self._styles(_PLAIN)["plain"])
        vis_index, sub = hit
        abs_index = self._vis_abs[vis_index]
        look = self._look(abs_index)
        columns = self._dump_offsets(width) if self._hex_layout else self._text_width(width)
        key = (abs_index, sub, columns, self._hex_layout, look, self._time_width)
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_record_line(self._record(abs_index), sub, width, look)
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, self._styles(look)["plain"])

    def _look(self, abs_index: int) -> int:
        """How a record's lines are drawn: :data:`_CURSOR`, :data:`_IN_RANGE` or :data:`_PLAIN`."""
        if abs_index == self._cursor:
            return _CURSOR
        span = self._range
        if span is not None and span[0] <= abs_index <= span[1]:
            return _IN_RANGE
        return _PLAIN

    def _render_record_line(self, rec: TraceRecord, sub: int, width: int, look: int) -> Strip:
        """The whole line for a pane ``width`` wide (uncropped: it may be wider than the pane
        and scroll sideways)."""
        style = self._styles(look)
        if not self._hex_layout:
            parts = self._text_line(rec, self._text_width(width))
        elif sub == 0:
            parts = self._hex_header(rec)
        else:
            parts = self._dump_line(rec, (sub - 1) * _PREVIEW, offsets=self._dump_offsets(width))
        return Strip([Segment(text, style[name]) for text, name in parts if text])

    def _styles(self, look: int) -> dict[str, Style]:
        """Style per column name; looked up once, not for every line drawn during a flood.
        A range keeps the columns' colours on its own background (the cursor line, one colour
        for contrast, stays the one that stands out)."""
        styles = self._style_cache.get(look)
        if styles is not None:
            return styles
        if look == _CURSOR:
            styles = _AllSame(self.get_component_rich_style("trace-view--cursor"))
        else:
            get = self.get_component_rich_style
            styles = {
                name: get(f"trace-view--{name}")
                for name in ("time", "tx", "rx", "hex", "text", "annotation", "header", "offset")
            } | {"plain": self.rich_style}
            if look == _IN_RANGE:
                background = Style(bgcolor=get("trace-view--range").bgcolor)
                styles = {name: style + background for name, style in styles.items()}
        self._style_cache[look] = styles
        return styles

    def _text_width(self, width: int) -> int:
        """The text column in a pane ``width`` wide: as wide as it can be while the meaning
        keeps its room."""
        room = width - self._time_width - _LEAD - _GAP - _MEANING_ROOM
        return min(max(room, _TEXT_MIN), _TEXT_MAX)

    @staticmethod
    def _dump_offsets(width: int) -> bool:
        """Dump lines start with their offset when the pane has room for it."""
        return width >= _DUMP_WIDTH

    def _lead(self, rec: TraceRecord) -> list[tuple[str, str]]:
        """Time and direction, the start of every record's first line."""
        return [
            (f"{rec.t:>{self._time_width}.6f}", "time"),
            (" ", "plain"),
            (_ARROWS.get(rec.dir, f"{rec.dir:<4}"), _DIRECTION_STYLES.get(rec.dir, "plain")),
            (" ", "plain"),
        ]

    def _text_line(self, rec: TraceRecord, text_width: int) -> list[tuple[str, str]]:
        text = printable(rec.data[:text_width])
        if len(text) > text_width or len(rec.data) > text_width:
            text = text[: text_width - 1] + "…"
        return [
            *self._lead(rec),
            (f"{text:<{text_width}}", "text"),
            (" " * _GAP, "plain"),
            (_annotation(rec), "annotation"),
        ]

    def _hex_header(self, rec: TraceRecord) -> list[tuple[str, str]]:
        return [
            *self._lead(rec),
            (f"{len(rec.data):>5} B", "header"),
            ("  ", "plain"),
            (_annotation(rec), "annotation"),
        ]

    def _dump_line(self, rec: TraceRecord, offset: int, *, offsets: bool) -> list[tuple[str, str]]:
        row = rec.data[offset : offset + _PREVIEW]
        return [
            (f"{offset:04x}" if offsets else "", "offset"),
            ("  " if offsets else "", "plain"),
            (f"{row.hex(' '):<{_PREVIEW * 3 - 1}}", "hex"),
            ("  |", "plain"),
            (_dump_text(row), "text"),
            ("|", "plain"),
        ]

    # ------------------------------------------------------------------ bookkeeping
    @property
    def _next_abs(self) -> int:
        return self._first + len(self._items) - self._head

    @property
    def _origin(self) -> int:
        """Absolute line of screen row 0 of the content (the first visible record's start)."""
        return self._vis_start[self._vis_head] if self._vis_head < len(self._vis_start) else self._line_end

    def _record(self, abs_index: int) -> TraceRecord:
        return self._items[self._head + abs_index - self._first]

    def _lines_of(self, rec: TraceRecord) -> int:
        if not self._hex_layout:
            return 1
        return 1 + (len(rec.data) + _PREVIEW - 1) // _PREVIEW

    def _passes(self, rec: TraceRecord) -> bool:
        if self.direction != "all" and rec.dir != self.direction:
            return False
        return not self.events_only or is_event(rec)

    def _append_visible(self, abs_index: int, rec: TraceRecord) -> None:
        if self._passes(rec):
            self._vis_abs.append(abs_index)
            self._vis_start.append(self._line_end)
            self._line_end += self._lines_of(rec)
            self._widest_annotation = max(self._widest_annotation, len(rec.annotation))

    def _drop_front(self, count: int) -> int:
        """Forget the ``count`` oldest records; return how many content lines went with them."""
        origin = self._origin
        self._head += count
        self._first += count
        self.dropped += count
        head = bisect_left(self._vis_abs, self._first, lo=self._vis_head)
        self._vis_head = head
        if self._cursor is not None and self._cursor < self._first:
            self._cursor = None
        if self._range is not None and self._range[1] < self._first:
            self._range = None
        if self._head >= _COMPACT_AT and self._head * 2 >= len(self._items):
            del self._items[: self._head]
            self._head = 0
        if self._vis_head >= _COMPACT_AT and self._vis_head * 2 >= len(self._vis_abs):
            del self._vis_abs[: self._vis_head]
            del self._vis_start[: self._vis_head]
            self._vis_head = 0
        return self._origin - origin

    def _note_times(self, batch: list[TraceRecord]) -> None:
        width = max(len(f"{max(rec.t for rec in batch):.6f}"), self._time_width)
        if width != self._time_width:
            self._time_width = width
            self._cache.clear()

    def _reset(self) -> None:
        self._items = []
        self._head = 0
        self._first = 0
        self._vis_abs = []
        self._vis_start = []
        self._vis_head = 0
        self._line_end = 0
        self._hex_layout = self.hex_mode
        self._cursor = None
        self._range = None
        self._time_width = 8
        self._widest_annotation = 0
        self.dropped = 0
        self._cache.clear()

    def _rebuild(self) -> None:
        """Recompute the visible list after a filter or mode change (O(records), user action),
        keeping the selected record, or else the top record, where the user was looking.
        """
        height = self._page_height()
        top = int(self.scroll_offset.y)
        anchor: int | None = None
        screen_row = 0
        if self._cursor is not None:
            anchor = self._cursor
            row = self._row_of(self._cursor)
            screen_row = min(max(row - top, 0), height - 1) if row is not None else height // 2
        else:
            hit = self._locate(top)
            if hit is not None:
                anchor = self._vis_abs[hit[0]]
        self._vis_abs = []
        self._vis_start = []
        self._vis_head = 0
        self._line_end = 0
        self._widest_annotation = 0
        self._hex_layout = self.hex_mode
        for offset, rec in enumerate(self._items[self._head :]):
            self._append_visible(self._first + offset, rec)
        self._cache.clear()
        self._update_virtual_size()
        self.refresh()
        if self.follow:
            self._scroll_end()
        elif anchor is not None:
            pos = bisect_left(self._vis_abs, anchor)
            if pos < len(self._vis_abs):
                self._scroll(self._vis_start[pos] - self._origin - screen_row)

    def _after_change(self, removed_lines: int) -> None:
        self._update_virtual_size()
        if self.follow:
            self._scroll_end()
        elif removed_lines:
            self._scroll(self.scroll_y - removed_lines)  # keep the same records on screen
        self.refresh()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self._row_width(), self.line_count)

    def _row_width(self) -> int:
        """The widest line any visible record can have: how far the view scrolls sideways."""
        if self._vis_head >= len(self._vis_abs):
            return 0
        width = self.scrollable_content_region.width
        lead = self._time_width + _LEAD
        if self._hex_layout:
            dump = _DUMP_WIDTH if self._dump_offsets(width) else _DUMP_BYTES_WIDTH
            return max(lead + len("65535 B  ") + self._widest_annotation, dump)
        return lead + self._text_width(width) + _GAP + self._widest_annotation

    # ------------------------------------------------------------------ geometry
    def _locate(self, row: int) -> tuple[int, int] | None:
        """Screen content row → (index into ``_vis_abs``, line within the record)."""
        if row < 0:
            return None
        line = self._origin + row
        if line >= self._line_end:
            return None
        if not self._hex_layout:
            return self._vis_head + row, 0
        index = bisect_right(self._vis_start, line, lo=self._vis_head) - 1
        return index, line - self._vis_start[index]

    def _visible_position(self, abs_index: int) -> int | None:
        """Position of a record among the visible ones (0 = first), None when filtered out."""
        pos = bisect_left(self._vis_abs, abs_index, lo=self._vis_head)
        if pos < len(self._vis_abs) and self._vis_abs[pos] == abs_index:
            return pos - self._vis_head
        return None

    def _row_of(self, abs_index: int) -> int | None:
        pos = self._visible_position(abs_index)
        if pos is None:
            return None
        return self._vis_start[self._vis_head + pos] - self._origin

    def _page_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    # ------------------------------------------------------------------ cursor and scrolling
    def _screen_edge_row(self, step: int) -> int:
        """Where a cursor that is not on screen starts: the top row going down, the bottom
        row going up, so the first key press picks a record the user can see.
        """
        top = int(self.scroll_offset.y)
        if step > 0:
            return top
        return max(min(top + self._page_height(), self.line_count) - 1, 0)

    def _move_cursor(self, step: int) -> None:
        if self._vis_head >= len(self._vis_abs):
            return
        pos = self._visible_position(self._cursor) if self._cursor is not None else None
        if pos is None:
            hit = self._locate(self._screen_edge_row(step))
            if hit is not None:
                self._select(self._vis_abs[hit[0]])
            return
        count = len(self._vis_abs) - self._vis_head
        pos = min(max(pos + step, 0), count - 1)
        self._select(self._vis_abs[self._vis_head + pos])

    def _move_cursor_lines(self, lines: int) -> None:
        if self._vis_head >= len(self._vis_abs):
            return
        row = self._row_of(self._cursor) if self._cursor is not None else None
        if row is None:
            row = self._screen_edge_row(lines)
        hit = self._locate(min(max(row + lines, 0), max(self.line_count - 1, 0)))
        if hit is not None:
            self._select(self._vis_abs[hit[0]])

    def select_range(self, first: int, last: int) -> bool:
        """Highlight records ``first``..``last`` (absolute indices, as the timeline counts them)
        and put the cursor on the first of them that is still kept and passes the filters,
        showing as much of the range as fits; False (and nothing changed) when none is."""
        first = max(first, self._first)
        if first > last:
            return False
        pos = bisect_left(self._vis_abs, first, lo=self._vis_head)
        if pos >= len(self._vis_abs) or self._vis_abs[pos] > last:
            return False
        self._set_range((first, last))
        self._select(self._vis_abs[pos])
        self._scroll_to_range()
        return True

    def _set_range(self, span: tuple[int, int] | None) -> None:
        if span != self._range:
            self._range = span
            self._cache.clear()  # the lines of the old range and the new one change look

    def _scroll_to_range(self) -> None:
        """Show the whole range when it fits on the page (the cursor, on its first row, stays
        on screen either way)."""
        if self._range is None or self._cursor is None:
            return
        top_row = self._row_of(self._cursor)
        last = bisect_right(self._vis_abs, self._range[1], lo=self._vis_head) - 1
        if top_row is None or last < self._vis_head:
            return
        end_row = self._vis_start[last] - self._origin + self._lines_of(self._record(self._vis_abs[last]))
        top, height = int(self.scroll_offset.y), self._page_height()
        if end_row - top_row <= height and end_row > top + height:
            self._scroll(end_row - height)

    def _select(self, abs_index: int, *, follow: bool = False) -> None:
        """Put the cursor on a record, scroll to it, tell the app. A user's move pauses
        follow (they are reading something); only End resumes it. Leaving a highlighted
        range clears it.
        """
        changed = abs_index != self._cursor
        self._cursor = abs_index
        if self._range is not None and not self._range[0] <= abs_index <= self._range[1]:
            self._set_range(None)
        self.follow = follow
        if follow:
            self._scroll_end()
        else:
            self._scroll_to_cursor()
        self.refresh()
        if changed:
            rec = self._record(abs_index)
            self.post_message(self.RecordSelected(self, rec, _explanation(rec)))

    def _scroll_to_cursor(self) -> None:
        if self._cursor is None:
            return
        row = self._row_of(self._cursor)
        if row is None:
            return
        lines = self._lines_of(self._record(self._cursor))
        top = int(self.scroll_offset.y)
        height = self._page_height()
        if row < top:
            self._scroll(row)
        elif row + lines > top + height:
            self._scroll(min(row, row + lines - height))

    def _scroll(self, y: float) -> None:
        if not self.is_mounted:
            return
        self._programmatic += 1
        try:
            self.scroll_to(y=y, animate=False, force=True)
        finally:
            self._programmatic -= 1

    def _scroll_end(self) -> None:
        self._scroll(self.max_scroll_y)

    def _keep_following(self) -> None:
        """Deferred: follow may have been switched off since this was scheduled."""
        if self.follow:
            self._scroll_end()

    def _repeat_search(self, *, forward: bool) -> None:
        if not self._last_search:
            self.notify("Nothing to repeat: no search yet", severity="warning")
            return
        if not self.search(self._last_search, forward=forward):
            self.notify(f"Not found: {self._last_search!r}", severity="warning")


class _AllSame(dict[str, Style]):
    """Every column gets the same style: the cursor line ignores column colours for contrast."""

    def __init__(self, style: Style) -> None:
        super().__init__()
        self._style = style

    def __missing__(self, key: str) -> Style:
        return self._style


def _annotation(rec: TraceRecord) -> str:
    """The record's one meaning (:attr:`TraceRecord.annotation`) on one line, control
    characters shown (a trace file's note may hold escape sequences)."""
    return visible(rec.annotation.replace("\n", " ").replace("\r", " ").replace("\t", " "))


def _dump_text(row: bytes) -> str:
    """A dump line's bytes as text, one character each so the column stays 16 wide."""
    return "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in row)


def _explanation(rec: TraceRecord) -> str:
    """The plain-language explanation, then the bytes in hex (the first 32 of a long record)."""
    sentence = visible(explain(rec), keep_lines=True)  # it may quote a file's note
    if not rec.data:
        return sentence
    shown = rec.data[:_EXPLAIN_BYTES]
    more = len(rec.data) - len(shown)
    tail = f" … and {more} more (x: the hex dump)" if more else ""
    return f"{sentence}\n{len(rec.data)} B: {shown.hex(' ')}{tail}"


def _haystack(rec: TraceRecord) -> str:
    """What search looks in: hex (``05 41 01``), the bytes as text, and the annotation."""
    return f"{rec.data.hex(' ')}\n{printable(rec.data)}\n{rec.note}\n{rec.meaning}".lower()
