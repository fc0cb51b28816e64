"""Plain-text renderings of a trace: annotated lines, and a classic hex dump.

Also :func:`visible`, which every place that prints text from a device or a file uses: such
text may hold terminal escape sequences (clear the screen, set the window title, write the
clipboard with OSC 52), and a terminal obeys them. Only ``exec``'s own stdout and stderr pass
a device's bytes through untouched, because that is what the user asked to see.
"""

from __future__ import annotations

from workbench.protocol.constants import control_name
from workbench.trace.record import TraceRecord

_PREVIEW = 16
_SURROGATE_ESCAPES = range(0xDC80, 0xDD00)  # undecodable bytes, as os.fsdecode keeps them


def visible(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every character a terminal acts on shown instead: inert and readable.

    C0 controls become caret notation (ESC is ``^[``, so ``ESC [2J`` prints as ``^[[2J``),
    DEL ``^?``, C1 controls (8-bit CSI/OSC, U+0080..U+009F) and the bytes Python keeps as
    surrogates when it cannot decode them (``\\xff``) are spelled in hex. With
    ``keep_lines`` (several lines of a report), newlines and tabs stay and a CRLF becomes a
    newline; a lone CR is shown (``^M``), since it lets a line overwrite the one before.
    """
    if keep_lines:
        text = text.replace("\r\n", "\n")
    out: list[str] = []
    for char in text:
        code = ord(char)
        if keep_lines and char in "\n\t":
            out.append(char)
        elif code < 0x20:
            out.append("^" + chr(code + 0x40))
        elif code == 0x7F:
            out.append("^?")
        elif 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif code in _SURROGATE_ESCAPES:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif 0xD800 <= code < 0xE000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def printable(data: bytes) -> str:
    """Bytes as text a person can read: control bytes as ``^A``, others as ``.``."""
    out = []
    for byte in data:
        if 0x20 <= byte < 0x7F:
            out.append(chr(byte))
        elif byte < 0x20:
            out.append("^" + chr(byte + 0x40))
        else:
            out.append(".")
    return "".join(out)


def name_bytes(data: bytes) -> str:
    """``CTRL-E A CTRL-A``: short control-heavy sequences spelled out for the trace."""
    return " ".join(control_name(b) if b < 0x20 or b == 0x7F else chr(b) for b in data)


def render_text(records: list[TraceRecord]) -> str:
    """One line per record: time, direction, hex and text preview, its one meaning."""
    lines = []
    for rec in records:
        head = rec.data[:_PREVIEW]
        more = f" +{len(rec.data) - _PREVIEW}B" if len(rec.data) > _PREVIEW else ""
        hex_part = head.hex(" ") + more
        explanation = visible(rec.annotation)  # a file's note can hold escape sequences
        lines.append(
            f"{rec.t:10.6f} {rec.dir} {hex_part:<54} {printable(head):<24} {explanation}".rstrip()
        )
    return "\n".join(lines)


def render_hex(records: list[TraceRecord]) -> str:
    """A hex dump: a header per record, then 16 bytes a line with offsets and text."""
    lines = []
    for rec in records:
        explanation = visible(rec.annotation)
        lines.append(f"{rec.t:10.6f} {rec.dir} {len(rec.data)} B  {explanation}".rstrip())
        for offset in range(0, len(rec.data), 16):
            row = rec.data[offset : offset + 16]
            lines.append(f"    {offset:06x}  {row.hex(' '):<47}  |{printable(row)}|")
    return "\n".join(lines)
