"""Plain-text renderings of a trace: annotated lines, and a classic hex dump."""

from __future__ import annotations

from workbench.protocol.constants import control_name
from workbench.trace.record import TraceRecord

_PREVIEW = 16


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
        explanation = rec.annotation
        lines.append(
            f"{rec.t:10.6f} {rec.dir} {hex_part:<54} {printable(head):<24} {explanation}".rstrip()
        )
    return "\n".join(lines)


def render_hex(records: list[TraceRecord]) -> str:
    """A hex dump: a header per record, then 16 bytes a line with offsets and text."""
    lines = []
    for rec in records:
        explanation = rec.annotation
        lines.append(f"{rec.t:10.6f} {rec.dir} {len(rec.data)} B  {explanation}".rstrip())
        for offset in range(0, len(rec.data), 16):
            row = rec.data[offset : offset + 16]
            lines.append(f"    {offset:06x}  {row.hex(' '):<47}  |{printable(row)}|")
    return "\n".join(lines)
