"""The device's output: stdout, stderr (in the theme's error colour), run separators, summaries.

Output arrives in arbitrary pieces (half lines, CR LF split across pieces, megabytes of it),
so the pane assembles whole lines itself and keeps the growing partial line visible as the
last line. Lines longer than the pane wrap at spaces onto as many rows as they need (a lesson's
introduction is read, not scrolled sideways), and wrap again when the pane is resized.

It is a Line API widget: a write only touches (and only wraps) the new lines, and a refresh
only renders the rows on screen, so a flood of output costs time proportional to the flood,
not to everything already shown. Each line remembers its width and where its rows start;
a :class:`_RowIndex` of cumulative row counts maps a screen row to its line by bisection.
Traceback frames in the editor's file (``<stdin>`` for an untitled buffer) are clickable (on
any of their rows) and ask the app to move the editor to that line.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Concatenate, ParamSpec

from rich.cells import cell_len, get_character_cell_size
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from workbench.engine.result import ExecResult

MAX_LINE_CHARS = 4096
"""Longer lines are continued as a new line: keeps every write O(piece) even without newlines."""

TRACEBACK_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)')
"""A traceback frame; one in the editor's code (:attr:`OutputPane.editor_source`) is a link."""

_ANSI_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0, DEL and C1 (8-bit CSI/OSC)

# Line kinds; each maps to a component class (stdout uses the widget's own colour).
STDOUT = "stdout"
STDERR = "stderr"
SEPARATOR = "separator"
SUCCESS = "success"
WARNING = "warning"
ERROR = "error"

_KIND_COMPONENT = {
    STDERR: "output-pane--stderr",
    SEPARATOR: "output-pane--separator",
    SUCCESS: "output-pane--success",
    WARNING: "output-pane--warning",
    ERROR: "output-pane--error",
}
_WARNING_EXCEPTIONS = frozenset({"KeyboardInterrupt", "SystemExit"})
#: What one document (one board's output) consists of; the pane shows one document at a time.
_DOCUMENT_FIELDS = ("_lines", "_rows", "_partial", "_dropped", "_wrap_width", "_follow", "_last_stdin_line")
#: Compact the row index once this many dropped lines sit in front of it.
_COMPACT_AT = 4096


def display_text(raw: str) -> str:
    """What a terminal would show for ``raw``: a bare CR returns to the line start, tabs expand,
    ANSI colour codes are dropped and other control characters (C1 too) become ``�``."""
    raw = raw.removesuffix("\r")
    if "\r" in raw:
        raw = raw.rsplit("\r", 1)[-1]
    if "\x1b" in raw:
        raw = _ANSI_CSI.sub("", raw)
    if "\t" in raw:
        raw = raw.expandtabs()
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", raw)


def wrap_points(text: str, width: int) -> tuple[int, ...]:
    """Where the rows after the first start when ``text`` is wrapped to ``width`` cells.

    A row ends after its last space (word wrap), unless the word that does not fit is longer
    than a whole row (a hex string, a long number): then the row is filled and the word cut,
    as a terminal would. A space that falls just past the edge stays on its row, undrawn, so
    every character belongs to exactly one row and a copied selection loses nothing.
    """
    if width <= 0:
        return ()
    if not text.isascii():
        return _wrap_wide(text, width) if cell_len(text) > width else ()
    size = len(text)  # one cell per character: the fast path for almost all output
    points: list[int] = []
    start = 0
    while size - start > width:
        edge = start + width
        space = text.rfind(" ", start + 1, edge + 1)
        if space > 0 and _word_end(text, edge) - space - 1 <= width:
            start = space + 1
        else:
            start = edge
        if start >= size:
            break
        points.append(start)
    return tuple(points)


def _word_end(text: str, index: int) -> int:
    """End of the word that ``index`` falls in (``index`` itself when it is a space)."""
    end = text.find(" ", index)
    return len(text) if end < 0 else end


def _wrap_wide(text: str, width: int) -> tuple[int, ...]:
    """:func:`wrap_points` for text with wide or zero-width characters, cell by cell."""
    points: list[int] = []
    start = 0  # index of the row's first character
    used = 0  # cells taken by text[start:index]
    after_space = 0  # index just after the row's last space (0: none yet)
    for index, char in enumerate(text):
        size = get_character_cell_size(char)
        if used + size > width and index > start:
            if char == " ":  # past the edge: it hangs at the end of this row
                start, used, after_space = index + 1, 0, 0
                if start < len(text):
                    points.append(start)
                continue
            cut = index
            if after_space > start + 1 and cell_len(text[after_space : _word_end(text, index)]) <= width:
                cut = after_space
            points.append(cut)
            start, used, after_space = cut, cell_len(text[cut:index]), 0
        used += size
        if char == " ":
            after_space = index + 1
    return tuple(points)


def format_summary(result: ExecResult) -> str:
    """One line about a run: mode, bytes sent, total duration, send throughput, outcome.

    Throughput is code bytes per second while sending, in KB/s (1 KB = 1024 bytes).
    """
    mode = "raw-paste" if result.raw_paste else "raw"
    parts = [mode, f"{result.bytes_sent} B", _format_ms(result.total_s)]
    throughput = result.throughput_bps
    parts.append(f"{throughput / 1024:.1f} KB/s" if throughput > 0 else "– KB/s")
    exception = result.exception
    if exception is not None:
        outcome = exception.type_name
        if exception.stdin_line is not None:
            outcome += f" at line {exception.stdin_line}"
        parts.append(outcome)
    else:
        parts.append("ok")
    if result.rebooted:
        parts.append("board rebooted")
    return "── " + " · ".join(parts) + " ──"


def _format_ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


_P = ParamSpec("_P")


class _Line:
    """One line of output: its text as shown, its kind, and where its rows start when wrapped."""

    __slots__ = ("breaks", "cells", "kind", "raw", "text")

    def __init__(self, raw: str, kind: str, width: int) -> None:
        self.raw = raw
        """As received (the partial line keeps growing from this)."""
        self.kind = kind
        self.text = ""
        self.cells = 0
        self.breaks: tuple[int, ...] = ()
        """Character offsets where the rows after the first start (see :func:`wrap_points`)."""
        self.set_raw(raw, width)

    def set_raw(self, raw: str, width: int) -> None:
        self.raw = raw
        self.text = display_text(raw)
        self.cells = cell_len(self.text)
        self.wrap(width)

    def wrap(self, width: int) -> None:
        self.breaks = wrap_points(self.text, width) if 0 < width < self.cells else ()

    @property
    def rows(self) -> int:
        return len(self.breaks) + 1

    def row_span(self, sub: int) -> tuple[int, int]:
        """Character range ``[start, end)`` of the line's row ``sub``."""
        breaks = self.breaks
        start = breaks[sub - 1] if sub else 0
        return start, breaks[sub] if sub < len(breaks) else len(self.text)


class _RowIndex:
    """Which screen row each line starts on, with O(1) appends and drops at the front.

    ``_ends`` holds, for every line ever added, the absolute row just after it; the lines
    still kept are ``_ends[_head:]`` and the first of them starts at absolute row ``_base``.
    """

    __slots__ = ("_base", "_ends", "_head")

    def __init__(self) -> None:
        self._ends: list[int] = []
        self._head = 0
        self._base = 0

    @property
    def dropped_rows(self) -> int:
        """Rows that went with the lines dropped so far."""
        return self._base

    @property
    def total(self) -> int:
        """Rows taken by all kept lines."""
        return (self._ends[-1] - self._base) if len(self._ends) > self._head else 0

    def append(self, rows: int) -> None:
        last = self._ends[-1] if len(self._ends) > self._head else self._base
        self._ends.append(last + rows)

    def set_last(self, rows: int) -> None:
        """The last line now takes ``rows`` rows (a partial line grew)."""
        before = self._ends[-2] if len(self._ends) - 1 > self._head else self._base
        self._ends[-1] = before + rows

    def drop_first(self) -> int:
        """Forget the first line; returns how many rows went with it."""
        end = self._ends[self._head]
        dropped = end - self._base
        self._base = end
        self._head += 1
        if self._head >= _COMPACT_AT and self._head * 2 >= len(self._ends):
            del self._ends[: self._head]
            self._head = 0
        return dropped

    def start(self, line: int) -> int:
        """Row (from the top of the content) where line number ``line`` starts."""
        return (self._ends[self._head + line - 1] if line else self._base) - self._base

    def locate(self, row: int) -> tuple[int, int] | None:
        """Row from the top → (line number, row within that line); None past the end."""
        if row < 0 or row >= self.total:
            return None
        position = bisect_right(self._ends, self._base + row, lo=self._head)
        line = position - self._head
        return line, row - self.start(line)


def _for_document(
    method: Callable[Concatenate[OutputPane, _P], None],
) -> Callable[Concatenate[OutputPane, _P], None]:
    """Give a writing method a ``document=`` keyword: the board whose output it is, which is
    written to off screen when another board's document is shown."""

    @functools.wraps(method)
    def wrapper(self: OutputPane, *args: _P.args, **kwargs: _P.kwargs) -> None:
        document = kwargs.pop("document", None)
        if document is None or document == self._document_key:
            method(self, *args, **kwargs)
            return
        with self._in_document(str(document)):
            method(self, *args, **kwargs)

    return wrapper


class OutputPane(ScrollView, can_focus=True):
    """Scrolling output of the device, at most ``max_lines`` lines (older ones are dropped)."""

    ALLOW_SELECT = True

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "output-pane--stderr",
        "output-pane--separator",
        "output-pane--success",
        "output-pane--warning",
        "output-pane--error",
        "output-pane--link",
    }

    DEFAULT_CSS = """
    OutputPane {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;  /* long lines wrap */
        overflow-y: auto;
        scrollbar-gutter: stable;  /* the wrap width does not change when the scrollbar comes */
        &:focus {
            background-tint: $foreground 5%;
        }
        & > .output-pane--stderr {
            color: $error;
        }
        & > .output-pane--separator {
            color: $text-muted;
        }
        & > .output-pane--success {
            color: $success;
        }
        & > .output-pane--warning {
            color: $warning;
        }
        & > .output-pane--error {
            color: $error;
            text-style: bold;
        }
        & > .output-pane--link {
            text-style: underline;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "jump", "Go to error line", show=False),
    ]

    class JumpToLine(Message):
        """The user picked a ``File "<stdin>", line N`` frame: the editor should show line N."""

        def __init__(self, output_pane: OutputPane, line: int) -> None:
            super().__init__()
            self.output_pane = output_pane
            self.line = line

        @property
        def control(self) -> OutputPane:
            """The pane the jump came from."""
            return self.output_pane

    def __init__(
        self,
        *,
        max_lines: int = 10_000,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.max_lines = max(1, max_lines)
        self._editor_source = "<stdin>"
        self._lines: deque[_Line] = deque()
        """At most ``max_lines``; the last one is still growing while ``_partial``."""
        self._rows = _RowIndex()
        self._partial = False
        self._dropped = 0
        self._wrap_width = 0
        """The width the document's lines are wrapped to (0: not laid out yet, no wrapping)."""
        self._scroll_pending = False
        self._follow = True
        """Keep showing the newest line; off while the user has scrolled up to read."""
        self._cache: LRUCache[int, list[Strip]] = LRUCache(1024)
        self._base_style: Style | None = None
        """Rendered rows of a line keyed by its serial number (dropped + index), stable while
        lines drop."""
        self._last_stdin_line: int | None = None
        self._update_first = 0
        self._update_dropped_rows = 0
        self._document_key = ""
        """Which document is shown: with several boards each has its own output."""
        self._documents: dict[str, dict[str, Any]] = {}
        self._offscreen = False

    # --- documents: one per board -------------------------------------------------------

    @property
    def document(self) -> str:
        """The key of the document shown (a board's URL; "" before any is chosen)."""
        return self._document_key

    def show_document(self, key: str) -> None:
        """Show ``key``'s output (a new, empty document the first time); the other documents
        keep their lines, partial lines and scroll-following state."""
        if key == self._document_key:
            return
        self._documents[self._document_key] = self._save_document()
        self._load_document(self._documents.pop(key, None))
        self._document_key = key
        self._cache.clear()
        width = self._content_width()
        if width and width != self._wrap_width:
            self._rewrap(width)  # it was written to while hidden at another width
        self.virtual_size = Size(self._wrap_width, self._rows.total)
        if self.is_mounted:
            if self._follow:
                self.call_after_refresh(self._scroll_to_end)
            else:
                self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def document_lines(self, key: str) -> list[str]:
        """The text of every line of ``key``'s document, shown or not."""
        with self._in_document(key):
            return self.lines_text()

    @contextmanager
    def _in_document(self, key: str | None) -> Iterator[None]:
        """Work on ``key``'s document: the one shown, or a hidden one without touching the screen."""
        if key is None or key == self._document_key:
            yield
            return
        shown = self._save_document()
        self._load_document(self._documents.get(key))
        offscreen, self._offscreen = self._offscreen, True
        try:
            yield
        finally:
            self._documents[key] = self._save_document()
            self._load_document(shown)
            self._offscreen = offscreen

    def _save_document(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _DOCUMENT_FIELDS}

    def _load_document(self, saved: dict[str, Any] | None) -> None:
        if saved is None:
            saved = {
                "_lines": deque(),
                "_rows": _RowIndex(),
                "_partial": False,
                "_dropped": 0,
                "_wrap_width": self._wrap_width,
                "_follow": True,
                "_last_stdin_line": None,
            }
        for name, value in saved.items():
            setattr(self, name, value)

    # --- public API -----------------------------------------------------------------

    @property
    def dropped_lines(self) -> int:
        """How many old lines the ``max_lines`` limit has discarded since the last clear."""
        return self._dropped

    @property
    def line_count(self) -> int:
        """Lines held now (including a partial last line)."""
        return len(self._lines)

    @property
    def last_stdin_line(self) -> int | None:
        """Line in the sent code where the last run's exception happened (innermost ``<stdin>``)."""
        return self._last_stdin_line

    @property
    def jump_targets(self) -> list[tuple[int, int]]:
        """``(row in the pane, line in the code)`` for every frame in the editor's code held;
        the row is the frame's first (a wrapped frame takes several)."""
        targets = []
        for number, line in enumerate(self._lines):
            target = self._editor_line(line.text)
            if target is not None:
                targets.append((self._rows.start(number), target))
        return targets

    @property
    def editor_source(self) -> str:
        """The file name the editor's code has in tracebacks (the app sets it per run): frames
        there are links; frames elsewhere (a REPL line, a module on the board) are not."""
        return self._editor_source

    @editor_source.setter
    def editor_source(self, name: str) -> None:
        if name != self._editor_source:
            self._editor_source = name
            self._cache.clear()  # rows drawn as links (or not) for the old name
            self.refresh()

    def _editor_line(self, text: str) -> int | None:
        """The editor's line a traceback frame points at, or None for any other line."""
        match = TRACEBACK_FRAME.match(text)
        if match is None or match["file"] != self.editor_source:
            return None
        return int(match["line"])

    @property
    def row_count(self) -> int:
        """Rows the lines take, wrapped to the pane's width (the height of the content)."""
        return self._rows.total

    def lines_text(self) -> list[str]:
        """The text of every line as shown (for tests and copying)."""
        return [line.text for line in self._lines]

    @_for_document
    def write(self, stream: str, text: str) -> None:
        """Add a piece of ``stream`` ("stdout" or "stderr") output; lines may be split anywhere.

        ``document=``: the board it came from, when it is not the one shown.
        """
        if not text:
            return
        kind = STDERR if stream == "stderr" else STDOUT
        if self._partial and self._lines[-1].kind != kind:
            self._finish_partial()  # the other stream starts on a line of its own
        self._begin_update()
        segments = text.split("\n")
        last = len(segments) - 1
        for index, segment in enumerate(segments):
            if index == last and not segment:
                break  # the piece ended with a newline: no partial line
            self._extend(segment, kind)
            if index != last:
                self._finish_partial()
        self._end_update()

    @_for_document
    def run_started(self, label: str) -> None:
        """A muted separator (``── run 3 ──``) so runs are easy to tell apart."""
        self._last_stdin_line = None
        self._add_line(f"── {label} ──", SEPARATOR)

    @_for_document
    def run_finished(self, result: ExecResult) -> None:
        """End the run's output and add its summary (mode, bytes, time, throughput, outcome).

        Output itself is expected to have been streamed through :meth:`write` already.
        """
        exception = result.exception
        self._last_stdin_line = exception.stdin_line if exception is not None else None
        if exception is None:
            kind = WARNING if result.rebooted else SUCCESS
        elif exception.type_name in _WARNING_EXCEPTIONS:
            kind = WARNING
        else:
            kind = ERROR
        self._add_line(format_summary(result), kind)

    @_for_document
    def error(self, message: str) -> None:
        """A line (or lines) about a failure outside the code, e.g. the device went away."""
        self._begin_update()
        self._finish_partial()
        for line in message.splitlines() or [""]:
            self._append(line, ERROR)
        self._end_update()

    def clear(self) -> None:
        """Forget all output (and the drop count)."""
        self._lines.clear()
        self._rows = _RowIndex()
        self._partial = False
        self._dropped = 0
        self._cache.clear()
        self._last_stdin_line = None
        self._follow = True
        self.virtual_size = Size(self._wrap_width, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def action_jump(self) -> None:
        """Enter: go to the last run's exception line, else the newest ``<stdin>`` frame shown."""
        line = self._last_stdin_line
        if line is None:
            targets = self.jump_targets
            if not targets:
                return
            line = targets[-1][1]
        self.post_message(self.JumpToLine(self, line))

    # --- assembling lines -------------------------------------------------------------

    def _add_line(self, text: str, kind: str) -> None:
        self._begin_update()
        self._finish_partial()
        self._append(text, kind)
        self._end_update()

    def _begin_update(self) -> None:
        self._update_first = len(self._lines) - 1 if self._partial else len(self._lines)
        self._update_dropped_rows = self._rows.dropped_rows

    def _end_update(self) -> None:
        """Resize, refresh only what changed, keep following the end (or keep the reader's place)."""
        if self._offscreen:
            return  # a hidden document: it is laid out when shown
        self.virtual_size = Size(self._wrap_width, self._rows.total)
        dropped_rows = self._rows.dropped_rows - self._update_dropped_rows
        if dropped_rows:
            self.refresh()
        else:
            first = self._rows.start(min(max(self._update_first, 0), len(self._lines)))
            self.refresh_lines(first, max(self._rows.total - first, 1))
        if not self.is_mounted:
            return
        if self._follow:
            self._follow_later()
        elif dropped_rows:
            self.scroll_to(y=max(self.scroll_y - dropped_rows, 0), animate=False, immediate=True)

    def _follow_later(self) -> None:
        """Show the newest line after the next layout (one pending call however many writes)."""
        if not self._scroll_pending:
            self._scroll_pending = True
            self.call_after_refresh(self._scroll_to_end)

    def _scroll_to_end(self) -> None:
        """After layout (scrollbars may only now exist): show the newest line, if still following.

        One pending call however many writes came in between, so a flood queues no backlog.
        """
        self._scroll_pending = False
        if self._follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _append(self, raw: str, kind: str) -> None:
        """Add a line, dropping the oldest beyond ``max_lines``."""
        if len(self._lines) == self.max_lines:
            self._lines.popleft()
            self._rows.drop_first()
            self._dropped += 1
        line = _Line(raw, kind, self._wrap_width)
        self._lines.append(line)
        self._rows.append(line.rows)
        self._partial = False

    def _extend(self, segment: str, kind: str) -> None:
        """Grow the partial line (or start one), continuing very long lines as new lines."""
        if self._partial:
            raw = self._lines[-1].raw + segment
            self._cache.discard(self._dropped + len(self._lines) - 1)
        else:
            raw = segment
        while True:
            head, raw = raw[:MAX_LINE_CHARS], raw[MAX_LINE_CHARS:]
            if self._partial:
                line = self._lines[-1]
                line.set_raw(head, self._wrap_width)
                self._rows.set_last(line.rows)
            else:
                self._append(head, kind)
            self._partial = not raw  # a full head is complete; the rest starts a new line
            if not raw:
                return

    def _finish_partial(self) -> None:
        """The partial line is complete: drop a CR of a CR LF ending (its text stays the same)."""
        if not self._partial:
            return
        self._partial = False
        line = self._lines[-1]
        line.raw = line.raw.removesuffix("\r")

    def _content_width(self) -> int:
        """The width lines wrap to: the pane's, less the scrollbar's (always reserved)."""
        return self.scrollable_content_region.width if self.is_mounted else 0

    def _rewrap(self, width: int) -> None:
        """Wrap every line of the shown document to ``width`` (a resize: O(lines), only the
        lines wider than the pane do any work)."""
        self._wrap_width = width
        rows = _RowIndex()
        for line in self._lines:
            line.wrap(width)
            rows.append(line.rows)
        self._rows = rows
        self._cache.clear()

    # --- scrolling and input ----------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Follow new output only while the view is at the bottom."""
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y

    def on_resize(self) -> None:
        """Wrap again to the new width; a reader at the bottom stays there, one who scrolled up
        keeps the same line at the top."""
        width = self._content_width()
        if width and width != self._wrap_width:
            top = self._rows.locate(self.scroll_offset.y)
            following = self._follow
            self._rewrap(width)
            self.virtual_size = Size(width, self._rows.total)
            self._follow = following
            if top is not None and not following:
                line, sub = top
                row = self._rows.start(line) + min(sub, self._lines[line].rows - 1)
                self.scroll_to(y=row, animate=False, immediate=True)
            self.refresh()
        if self._follow:
            self._follow_later()  # a new height moves the end too

    def on_click(self, event: events.Click) -> None:
        """Clicking any row of a ``File "<stdin>", line N`` frame asks the app to show line N."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        hit = self._rows.locate(self.scroll_offset.y + offset.y)
        if hit is None:
            return
        target = self._editor_line(self._lines[hit[0]].text)
        if target is not None:
            event.stop()
            self.post_message(self.JumpToLine(self, target))

    # --- rendering --------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Theme, CSS or focus changed: rendered lines carry old colours."""
        super().notify_style_update()
        self._cache.clear()
        self._base_style = None

    @property
    def _base(self) -> Style:
        """The pane's own style, looked up once per style change, not for every row drawn."""
        if self._base_style is None:
            self._base_style = self.rich_style
        return self._base_style

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """Text under a mouse selection, for copying (whole lines, not the wrapped rows)."""
        return selection.extract("\n".join(self.lines_text())), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._cache.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base
        hit = self._rows.locate(self.scroll_offset.y + y)
        if hit is None:
            return Strip.blank(width, base)
        number, sub = hit
        line = self._lines[number]
        strip = self._render_rows(number, base)[sub]
        # Selection offsets are (character, line): a selection copies whole lines, unwrapped.
        return strip.crop_extend(0, width, base).apply_offsets(line.row_span(sub)[0], number)

    def _row_style(self, line: _Line, base: Style) -> Style:
        component = _KIND_COMPONENT.get(line.kind)
        style = self.get_component_rich_style(component) if component else base
        if self._editor_line(line.text) is not None:
            style += self.get_component_rich_style("output-pane--link", partial=True)
        return style

    def _render_rows(self, number: int, base: Style) -> list[Strip]:
        """The rows of line ``number``, uncropped; cached unless a selection is being drawn."""
        serial = self._dropped + number
        selection = self.text_selection
        if selection is None:
            cached = self._cache.get(serial)
            if cached is not None:
                return cached
        line = self._lines[number]
        style = self._row_style(line, base)
        span = selection.get_span(number) if selection is not None else None
        if span is not None and span[1] == -1:
            span = (span[0], len(line.text))
        selected = self.screen.get_component_rich_style("screen--selection") if span else None
        strips = []
        for sub in range(line.rows):
            start, end = line.row_span(sub)
            row = Text(line.text[start:end], no_wrap=True, end="")
            row.stylize(style)
            if span is not None and selected is not None:
                row.stylize(selected, max(span[0] - start, 0), max(span[1] - start, 0))
            strips.append(Strip(row.render(self.app.console), row.cell_len))
        if selection is None:
            self._cache[serial] = strips
        return strips
