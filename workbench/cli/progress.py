"""A one-line transfer bar on stderr: ``main.py  34%  [=======      ]  120.5 KB/s``.

Shown only on a terminal and only for a transfer that has lasted a second (a short copy
draws nothing, so the common case prints nothing), redrawn in place at most ten times a
second, and wiped when the transfer ends or the command prints something else. Pipes and CI
logs get no bar at all: carriage returns there only make noise.

:meth:`ProgressBar.update` is the ``progress`` callback of :class:`workbench.files.BoardFS`:
it runs on the session's worker thread and only writes to stderr. :meth:`clear` and
:meth:`stop` run on the main thread, also from a Ctrl-C handler, hence the re-entrant lock.
"""

from __future__ import annotations

import shutil
import threading
import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from workbench.files.model import TransferProgress

#: A transfer shorter than this draws nothing.
SHOW_AFTER_S = 1.0
#: At most this many redraws a second.
REDRAW_EVERY_S = 0.1
CLEAR_LINE = "\r\x1b[K"


def human_rate(bytes_per_s: float) -> str:
    """``120.5 KB/s`` (KB = 1024 bytes, as the benchmarks count)."""
    if bytes_per_s >= 1024 * 1024:
        return f"{bytes_per_s / (1024 * 1024):.1f} MB/s"
    return f"{bytes_per_s / 1024:.1f} KB/s"


def bar_line(name: str, fraction: float, bytes_per_s: float, columns: int) -> str:
    """The bar's text, at most ``columns - 1`` wide (the last column would wrap on some
    terminals): the name shortened from the left when the line is narrow."""
    percent = f"{int(fraction * 100):3d}%"
    rate = human_rate(bytes_per_s)
    room = max(columns - 1, 20)
    width = max(10, min(30, room - len(percent) - len(rate) - 16))
    filled = int(fraction * width)
    bar = "[" + "=" * filled + " " * (width - filled) + "]"
    tail = f"  {percent}  {bar}  {rate}"
    space = room - len(tail)
    if len(name) > space:
        name = "..." + name[-max(space - 3, 1):]
    return (name + tail)[:room]


class ProgressBar:
    """The bar for one command's transfers (one at a time)."""

    def __init__(self, stream: TextIO, *, enabled: bool | None = None) -> None:
        self._stream = stream
        self._enabled = _is_terminal(stream) if enabled is None else enabled
        self._lock = threading.RLock()
        self._shown = False
        self._stopped = False
        self._last_draw = 0.0
        self._path = ""
        self._started = 0.0

    def update(self, progress: TransferProgress) -> None:
        """A transfer moved on (the session's worker thread)."""
        if not self._enabled or self._stopped:
            return
        now = time.monotonic()
        with self._lock:
            if progress.path != self._path:
                self._path, self._started = progress.path, now
            elapsed = progress.elapsed_s or now - self._started
            if progress.total and progress.done >= progress.total:
                self._wipe()  # done: a stale 100 % must not sit there during the next file
                return
            if elapsed < SHOW_AFTER_S or now - self._last_draw < REDRAW_EVERY_S or self._stopped:
                return
            self._last_draw = now
            from workbench.trace.render import visible  # a board's file name, shown inert

            rate = progress.done / elapsed if elapsed > 0 else 0.0
            columns = shutil.get_terminal_size((80, 24)).columns
            self._write(CLEAR_LINE + bar_line(visible(progress.path), progress.fraction, rate, columns))
            self._shown = True

    def clear(self) -> None:
        """Wipe the bar (before other output goes to the terminal); it may be drawn again."""
        with self._lock:
            self._wipe()

    def stop(self) -> None:
        """Wipe the bar and draw no more (Ctrl-C, the end of the command)."""
        with self._lock:
            self._stopped = True
            self._wipe()

    def _wipe(self) -> None:
        if self._shown:
            self._write(CLEAR_LINE)
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: the transfer matters, not its bar
            self._stopped = True


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
