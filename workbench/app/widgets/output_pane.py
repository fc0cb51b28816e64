"""The device's output: stdout, stderr (in the theme's error colour), run separators, summaries.

Output arrives in arbitrary pieces (half lines, CR LF split across pieces, megabytes of it),
so the pane assembles whole lines itself and keeps the growing partial line visible as the
last line. It is a Line API widget: a write only touches the new lines and a refresh only
renders the rows on screen, so a flood of output costs time proportional to the flood, not
to everything already shown. Traceback frames in ``<stdin>`` are clickable and ask the app
to move the editor to that line.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Concatenate, ParamSpec

from rich.cells import cell_len
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
"""Longer lines are continued on the next row: keeps every write O(piece) even without newlines."""

STDIN_FRAME = re.compile(r'^\s*File "<stdin>", line (?P<line>\d+)')
"""A traceback frame in the code we sent: the editor can jump there."""

_ANSI_CSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

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
_DOCUMENT_FIELDS = ("_lines", "_partial", "_dropped", "_width", "_follow", "_last_stdin_line")


def display_text(raw: str) -> str:
    """What a terminal would show for ``raw``: a bare CR returns to the line start, tabs expand,
    ANSI colour codes are dropped and other control bytes become ``�``."""
    raw = raw.removesuffix("\r")
    if "\r" in raw:
        raw = raw.rsplit("\r", 1)[-1]
    if "\x1b" in raw:
        raw = _ANSI_CSI.sub("", raw)
    if "\t" in raw:
        raw = raw.expandtabs()
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", raw)


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
        overflow: auto;
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
        self._lines: deque[tuple[str, str]] = deque(maxlen=self.max_lines)
        """(raw text, kind); the last one is still growing while ``_partial``."""
        self._partial = False
        self._dropped = 0
        self._width = 0
        self._scroll_pending = False
        self._follow = True
        """Keep showing the newest line; off while the user has scrolled up to read."""
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        """Rendered lines keyed by serial number (dropped + index), stable while lines drop."""
        self._last_stdin_line: int | None = None
        self._update_first = 0
        self._update_dropped = 0
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
        self.virtual_size = Size(self._width, len(self._lines))
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
                "_lines": deque(maxlen=self.max_lines),
                "_partial": False,
                "_dropped": 0,
                "_width": 0,
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
        """``(row in the pane, line in the code)`` for every ``<stdin>`` frame currently held."""
        targets = []
        for row, (raw, _kind) in enumerate(self._lines):
            match = STDIN_FRAME.match(display_text(raw))
            if match:
                targets.append((row, int(match["line"])))
        return targets

    def lines_text(self) -> list[str]:
        """The text of every line as shown (for tests and copying)."""
        return [display_text(raw) for raw, _kind in self._lines]

    @_for_document
    def write(self, stream: str, text: str) -> None:
        """Add a piece of ``stream`` ("stdout" or "stderr") output; lines may be split anywhere.

        ``document=``: the board it came from, when it is not the one shown.
        """
        if not text:
            return
        kind = STDERR if stream == "stderr" else STDOUT
        if self._partial and self._lines[-1][1] != kind:
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
        self._partial = False
        self._dropped = 0
        self._width = 0
        self._cache.clear()
        self._last_stdin_line = None
        self._follow = True
        self.virtual_size = Size(0, 0)
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
        self._update_dropped = self._dropped

    def _end_update(self) -> None:
        """Resize, refresh only what changed, keep following the end (or keep the reader's place)."""
        if self._offscreen:
            return  # a hidden document: it is laid out when shown
        self.virtual_size = Size(self._width, len(self._lines))
        dropped = self._dropped - self._update_dropped
        if dropped:
            self.refresh()
        else:
            first = max(self._update_first, 0)
            self.refresh_lines(first, max(len(self._lines) - first, 1))
        if not self.is_mounted:
            return
        if self._follow:
            if not self._scroll_pending:
                self._scroll_pending = True
                self.call_after_refresh(self._scroll_to_end)
        elif dropped:
            self.scroll_to(y=max(self.scroll_y - dropped, 0), animate=False, immediate=True)

    def _scroll_to_end(self) -> None:
        """After layout (scrollbars may only now exist): show the newest line, if still following.

        One pending call however many writes came in between, so a flood queues no backlog.
        """
        self._scroll_pending = False
        if self._follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)

    def _append(self, raw: str, kind: str, *, measure: bool = True) -> None:
        """Add a complete line (``measure=False`` when the caller measures it later)."""
        if len(self._lines) == self.max_lines:
            self._dropped += 1
        self._lines.append((raw, kind))
        self._partial = False
        if measure:
            self._measure(raw)

    def _extend(self, segment: str, kind: str) -> None:
        """Grow the partial line (or start one), splitting very long lines into rows."""
        if self._partial:
            raw = self._lines[-1][0] + segment
            self._lines[-1] = (raw, kind)
            self._cache.discard(self._dropped + len(self._lines) - 1)
        else:
            raw = segment
            self._append(raw, kind, measure=False)
        while len(raw) > MAX_LINE_CHARS:
            head, raw = raw[:MAX_LINE_CHARS], raw[MAX_LINE_CHARS:]
            self._lines[-1] = (head, kind)
            self._measure(head)
            self._append(raw, kind, measure=False)
        self._partial = True
        self._measure(raw)

    def _finish_partial(self) -> None:
        """The partial line is complete: drop a CR of a CR LF ending."""
        if not self._partial:
            return
        self._partial = False
        raw, kind = self._lines[-1]
        if raw.endswith("\r"):
            self._lines[-1] = (raw[:-1], kind)

    def _measure(self, raw: str) -> None:
        width = cell_len(display_text(raw))
        self._width = max(self._width, width)

    # --- scrolling and input ----------------------------------------------------------

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Follow new output only while the view is at the bottom."""
        super().watch_scroll_y(old_value, new_value)
        self._follow = new_value >= self.max_scroll_y

    def on_click(self, event: events.Click) -> None:
        """Clicking a ``File "<stdin>", line N`` row asks the app to show line N."""
        offset = event.get_content_offset(self)
        if offset is None:
            return
        row = self.scroll_offset.y + offset.y
        if not 0 <= row < len(self._lines):
            return
        match = STDIN_FRAME.match(display_text(self._lines[row][0]))
        if match:
            event.stop()
            self.post_message(self.JumpToLine(self, int(match["line"])))

    # --- rendering --------------------------------------------------------------------

    def notify_style_update(self) -> None:
        """Theme or CSS changed: rendered lines carry old colours."""
        super().notify_style_update()
        self._cache.clear()

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """Text under a mouse selection, for copying."""
        return selection.extract("\n".join(self.lines_text())), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._cache.clear()
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if row >= len(self._lines):
            return Strip.blank(width, base)
        strip = self._render_row(row, base)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, row)

    def _row_style(self, kind: str, text: str, base: Style) -> Style:
        component = _KIND_COMPONENT.get(kind)
        style = self.get_component_rich_style(component) if component else base
        if STDIN_FRAME.match(text):
            style += self.get_component_rich_style("output-pane--link", partial=True)
        return style

    def _render_row(self, row: int, base: Style) -> Strip:
        """An uncropped Strip for one row, cached unless a selection is being drawn."""
        serial = self._dropped + row
        selection = self.text_selection
        if selection is None:
            cached = self._cache.get(serial)
            if cached is not None:
                return cached
        raw, kind = self._lines[row]
        text = display_text(raw)
        line = Text(text, no_wrap=True, end="")
        line.stylize(self._row_style(kind, text, base))
        if selection is not None:
            span = selection.get_span(row)
            if span is not None:
                start, end = span
                if end == -1:
                    end = len(line)
                line.stylize(self.screen.get_component_rich_style("screen--selection"), start, end)
        strip = Strip(line.render(self.app.console), cell_len(text))
        if selection is None:
            self._cache[serial] = strip
        return strip
