"""Parse MicroPython tracebacks from the stderr section of a run.

MicroPython prints::

    Traceback (most recent call last):
      File "<stdin>", line 4, in <module>
      File "<stdin>", line 2, in f
    ZeroDivisionError: divide by zero

A compile error has a frame without ``in ...``; ``KeyboardInterrupt: `` has an empty message.
The editor jumps to ``<stdin>`` lines, so frames keep the file name and line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FRAME = re.compile(r'^\s+File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<func>.*))?$')
_EXC_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*)(?::\s?(?P<msg>.*))?$")


@dataclass(frozen=True, slots=True)
class Frame:
    """One ``File "...", line N, in f`` entry."""

    file: str
    line: int
    function: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteException:
    """An exception raised on the device, as far as its printed traceback tells."""

    type_name: str
    message: str
    frames: tuple[Frame, ...] = field(default_factory=tuple)
    text: str = ""

    @property
    def stdin_line(self) -> int | None:
        """Line of the innermost frame in the code we sent (``<stdin>``), if any."""
        for frame in reversed(self.frames):
            if frame.file == "<stdin>":
                return frame.line
        return None

    def summary(self) -> str:
        """``Type: message`` as Python prints it on its last line."""
        return f"{self.type_name}: {self.message}" if self.message else self.type_name


def parse_traceback(text: str) -> RemoteException | None:
    """Parse the stderr section; ``None`` when it holds no exception at all.

    Text that is not a recognisable traceback still yields an exception (type
    ``RemoteError``) so a non-empty stderr is never mistaken for success.
    """
    stripped = text.strip("\r\n")
    if not stripped.strip():
        return None
    lines = [line.rstrip("\r") for line in stripped.split("\n")]
    frames: list[Frame] = []
    exc_index: int | None = None
    for index, line in enumerate(lines):
        frame = _FRAME.match(line)
        if frame:
            frames.append(Frame(frame["file"], int(frame["line"]), frame["func"]))
            exc_index = None
            continue
        if line.startswith("Traceback (most recent call last)"):
            continue
        if exc_index is None and not line.startswith((" ", "\t")) and _EXC_LINE.match(line):
            exc_index = index
    if exc_index is None:
        return RemoteException("RemoteError", stripped, tuple(frames), text)
    first = _EXC_LINE.match(lines[exc_index])
    assert first is not None  # matched above
    message_lines = [first["msg"] or ""] + lines[exc_index + 1 :]
    message = "\n".join(message_lines).strip()
    return RemoteException(first["type"], message, tuple(frames), text)
