"""Parse MicroPython tracebacks from the stderr section of a run.

MicroPython prints::

    Traceback (most recent call last):
      File "<stdin>", line 4, in <module>
      File "<stdin>", line 2, in f
    ZeroDivisionError: divide by zero

A compile error has a frame without ``in ...``; ``KeyboardInterrupt: `` has an empty message.
The editor jumps to ``<stdin>`` lines, so frames keep the file name and line number.

``<stdin>`` is what the raw REPL calls the code it was sent. When that code came from a file,
people expect the file's name there, as Python would print it: :class:`SourceNamer` rewrites
the frames in stderr as it streams (pieces may split the text anywhere) and
:meth:`RemoteException.renamed` the parsed exception, which keeps knowing which frames are
the sent code (:attr:`RemoteException.source`), so the editor can still jump to the line.
"""

from __future__ import annotations

import re
from dataclasses import field, replace

from workbench.protocol.records import Record, record

_FRAME = re.compile(r'^\s+File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.*))?$')
#: The file name MicroPython gives the code the raw REPL ran.
STDIN = "<stdin>"


@record
class Frame(Record):
    """One ``File "...", line N, in f`` entry."""

    file: str
    line: int
    function: str | None = None


@record
class RemoteException(Record):
    """An exception raised on the device, as far as its printed traceback tells."""

    type_name: str
    message: str
    frames: tuple[Frame, ...] = field(default_factory=tuple)
    text: str = ""
    source: str = STDIN
    """The file name frames of the sent code carry: ``<stdin>``, or the name given to
    :meth:`renamed` (``blink.py``)."""

    @property
    def stdin_line(self) -> int | None:
        """Line of the innermost frame in the code we sent (``<stdin>`` or its source name)."""
        for frame in reversed(self.frames):
            if frame.file == self.source:
                return frame.line
        return None

    def renamed(self, source_name: str) -> RemoteException:
        """This exception with the sent code's frames (and its text) naming ``source_name``."""
        if source_name == self.source:
            return self
        frames = tuple(
            replace(frame, file=source_name) if frame.file == self.source else frame for frame in self.frames
        )
        return replace(self, frames=frames, text=rename_source(self.text, source_name, self.source), source=source_name)

    def summary(self) -> str:
        """``Type: message`` as Python prints it on its last line."""
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def parse_traceback(text: str) -> RemoteException | None:
    """Parse the stderr section; ``None`` when it holds no exception at all.

    Only MicroPython's own shape is read as an exception (py/obj.c, mp_obj_print_exception):
    ``Traceback (most recent call last):``, its ``File`` lines and the exception's line right
    after them; or, for an exception without a traceback, a first line ``Name: message`` (the
    firmware always prints the colon). Anything else, such as the value ``sys.exit("Done")``
    prints on the unix port, still yields an exception (type ``RemoteError``, the whole text
    as its message) so a non-empty stderr is never mistaken for success.
    """
    stripped = text.strip("\r\n")
    if not stripped.strip():
        return None
    lines = [line.rstrip("\r") for line in stripped.split("\n")]
    frames = [frame for line in lines if (frame := _parse_frame(line)) is not None]
    header = max((i for i, line in enumerate(lines) if line.startswith(_HEADER)), default=None)
    if header is not None:
        index = header + 1
        while index < len(lines) and _parse_frame(lines[index]) is not None:
            index += 1
        own_frames = tuple(f for line in lines[header + 1 : index] if (f := _parse_frame(line)) is not None)
        found = _EXC_LINE.match(lines[index]) if index < len(lines) else None
        if found is not None:
            return _exception(found, lines[index + 1 :], own_frames, text)
        return RemoteException("RemoteError", stripped, tuple(frames), text)
    found = _BARE_EXC_LINE.match(lines[0])
    if found is not None:
        return _exception(found, lines[1:], (), text)
    return RemoteException("RemoteError", stripped, tuple(frames), text)


_HEADER = "Traceback (most recent call last)"
#: The exception's line after the frames (its place makes it one; the colon may be missing).
_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")
#: An exception printed without a traceback: always ``Name: message``.
_BARE_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*): ?(?P<msg>.*)$")


def _parse_frame(line: str) -> Frame | None:
    found = _FRAME.match(line)
    if found is None:
        return None
    return Frame(found["file"], int(found["line"]), found["func"])


def _exception(found: re.Match[str], rest: list[str], frames: tuple[Frame, ...], text: str) -> RemoteException:
    message = "\n".join([found["msg"] or "", *rest]).strip()
    return RemoteException(found["type"], message, frames, text)


def _frame_start(name: str) -> str:
    return f'File "{name}"'


def rename_source(text: str, source_name: str, old: str = STDIN) -> str:
    """``text`` with every ``File "<stdin>"`` (or ``File "OLD"``) naming ``source_name``."""
    return text.replace(_frame_start(old), _frame_start(source_name))


class StreamReplacer:
    """Replaces ``old`` by ``new`` in text that arrives in pieces.

    Output reaches the caller as the device sends it, cut anywhere (``File "<std`` then
    ``in>"``). A piece's tail that could be the start of ``old`` is held back until the next
    piece (or :meth:`flush`) decides; nothing else is delayed. ``old`` must have no border
    (no proper suffix that is also a prefix), so a held tail never overlaps a match.
    """

    def __init__(self, old: str, new: str) -> None:
        self._old = old
        self._new = new
        self._pending = ""

    def feed(self, text: str) -> str:
        """Take the next piece; the text that is settled now, rewritten."""
        buffered = self._pending + text
        keep = _partial_match_length(buffered, self._old)
        settled, self._pending = buffered[: len(buffered) - keep], buffered[len(buffered) - keep :]
        return settled.replace(self._old, self._new)

    def flush(self) -> str:
        """The end of the text: whatever was held back (it never became a match)."""
        rest, self._pending = self._pending, ""
        return rest


class SourceNamer(StreamReplacer):
    """Rewrites ``File "<stdin>"`` to ``File "NAME"`` in text that arrives in pieces."""

    def __init__(self, source_name: str) -> None:
        super().__init__(_frame_start(STDIN), _frame_start(source_name))


def _partial_match_length(text: str, pattern: str) -> int:
    """Length of the longest end of ``text`` that is a proper start of ``pattern``."""
    for size in range(min(len(text), len(pattern) - 1), 0, -1):
        if pattern.startswith(text[-size:]):
            return size
    return 0
