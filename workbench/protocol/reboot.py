"""Recognise a board that reset under running code, by what a reset prints and where.

A board that resets (``machine.reset()``, a crash, a watchdog, a brown-out) never sends the
run's CTRL-D; it prints its boot banner and waits at the friendly prompt. Program output may
contain any one of those lines too (``print('Type "help()" for more information.')``), so
one line is not enough: a reboot is the whole shape a firmware prints when it starts, at the
start of a line, ending at its prompt:

* MicroPython: ``MicroPython <version> on <date>; <machine>`` CR LF
  ``Type "help()" for more information.`` CR LF ``>>> `` (pyexec.c, friendly_repl_reset);
* CircuitPython: ``Adafruit CircuitPython <version> on <date>; <machine>`` CR LF ``>>> ``;
* CircuitPython waiting after boot: the line
  ``Press any key to enter the REPL. Use CTRL-D to reload.``.

Output that imitates a whole shape, prompt included, is still read as a reboot: a limit of
the protocol (docs/protocol.md). Like :mod:`.scanner`, the search is split-safe: bytes that
could still begin a shape are held back until the next bytes decide.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Longest banner line accepted (the real ones are under 100 bytes).
MAX_BANNER_LINE = 200

_LIT, _LINE, _EOL = "literal", "banner line", "end of line"

Part = tuple[str, bytes]

SHAPES: tuple[tuple[Part, ...], ...] = (
    (
        (_LIT, b"MicroPython "),
        (_LINE, b""),
        (_LIT, b'Type "help()" for more information.'),
        (_EOL, b""),
        (_LIT, b">>> "),
    ),
    ((_LIT, b"Adafruit CircuitPython "), (_LINE, b""), (_LIT, b">>> ")),
    ((_LIT, b"Press any key to enter the REPL. Use CTRL-D to reload."), (_EOL, b"")),
)

_PARTIAL = -1
_NO = -2


@dataclass(frozen=True, slots=True)
class RebootMatch:
    """A whole reboot shape at ``start:end``; ``banner`` is its first line."""

    start: int
    end: int
    banner: bytes


def find_reboot(buf: bytes | bytearray, at_line_start: bool) -> tuple[RebootMatch | None, int]:
    """The first reboot shape in ``buf`` and how many leading bytes are settled.

    ``at_line_start``: whether ``buf[0]`` starts a line (the section began there, or the
    byte before it was LF). Returns ``(match, match.start)`` for a whole shape, or
    ``(None, safe)``: the first ``safe`` bytes can never be part of one.
    """
    size = len(buf)
    start = 0 if at_line_start else _next_line_start(buf, 0)
    while start < size:
        best = _NO
        for shape in SHAPES:
            end = _match(buf, start, shape)
            if end >= 0:
                line_end = buf.find(b"\n", start)
                banner = bytes(buf[start:line_end]).rstrip(b"\r")
                return RebootMatch(start, end, banner), start
            best = max(best, end)
        if best == _PARTIAL:
            return None, start  # may still become a shape: decide when more bytes come
        start = _next_line_start(buf, start)
    return None, size


def _next_line_start(buf: bytes | bytearray, index: int) -> int:
    newline = buf.find(b"\n", index)
    return len(buf) if newline < 0 else newline + 1


def _match(buf: bytes | bytearray, start: int, shape: tuple[Part, ...]) -> int:
    """End of ``shape`` matched at ``start``, or _PARTIAL (buf ends inside it), or _NO."""
    i = start
    size = len(buf)
    for kind, literal in shape:
        if kind == _LIT:
            n = min(len(literal), size - i)
            if buf[i : i + n] != literal[:n]:
                return _NO
            if n < len(literal):
                return _PARTIAL
            i += n
            continue
        limit = MAX_BANNER_LINE if kind == _LINE else 0
        j = i
        while j < size and buf[j] not in (0x0D, 0x0A):
            j += 1
        if j - i > limit:
            return _NO
        if kind == _LINE and j < size and b"; " not in buf[i:j]:
            return _NO  # every banner names the machine after '; '
        if j == size:
            return _PARTIAL
        if buf[j] == 0x0D:
            if j + 1 == size:
                return _PARTIAL
            if buf[j + 1] != 0x0A:
                return _NO
            j += 1
        i = j + 1
    return i
