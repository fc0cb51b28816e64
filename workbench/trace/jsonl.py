"""Saving and loading traces as JSON Lines, the shape of the reference transcripts.

One object per line: ``t`` (seconds), ``dir`` (``tx``/``rx``), ``hex`` (the bytes), ``note``
(what the host meant), plus our ``meaning``. A first line ``{"meta": {...}}`` may say where
the trace came from and how many records the ring buffer dropped. A transcript captured
elsewhere and a trace saved here are read by the same code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from workbench.storage import atomic_write_text
from workbench.trace.record import TraceRecord


class TraceFileError(ValueError):
    """A trace file that cannot be read; the message names the file and the line."""


def save_jsonl(path: str | os.PathLike[str], records: list[TraceRecord], meta: dict[str, Any] | None = None) -> None:
    """Write atomically: a crash mid-save leaves the old file whole, never half a trace."""
    lines: list[str] = []
    if meta:
        lines.append(json.dumps({"meta": meta}) + "\n")
    for rec in records:
        row: dict[str, Any] = {
            "t": round(rec.t, 6),
            "dir": rec.dir,
            "hex": rec.data.hex(),
            "note": rec.note,
        }
        if rec.meaning:
            row["meaning"] = rec.meaning
        lines.append(json.dumps(row) + "\n")
    atomic_write_text(path, "".join(lines))


def load_jsonl(path: str | os.PathLike[str]) -> tuple[list[TraceRecord], dict[str, Any]]:
    """Read a trace or transcript; returns ``(records, meta)``."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceFileError(f"{source}: cannot read: {exc}") from exc
    records: list[TraceRecord] = []
    meta: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TraceFileError(f"{source}:{number}: not JSON ({exc.msg})") from exc
        except RecursionError:  # the parser recurses once per level of [ or {
            raise TraceFileError(f"{source}:{number}: nested too deeply to be a trace record") from None
        if not isinstance(row, dict):
            raise TraceFileError(f"{source}:{number}: expected an object, got {type(row).__name__}")
        if "meta" in row:
            meta = row["meta"] if isinstance(row["meta"], dict) else {}
            continue
        records.append(_record(row, source, number))
    return records, meta


def _record(row: dict[str, Any], source: Path, number: int) -> TraceRecord:
    where = f"{source}:{number}"
    direction = row.get("dir")
    if direction not in ("tx", "rx", "note"):
        raise TraceFileError(f"{where}: field 'dir' must be 'tx', 'rx' or 'note', got {direction!r}")
    try:
        t = float(row.get("t", 0.0))
    except (TypeError, ValueError) as exc:
        raise TraceFileError(f"{where}: field 't' must be a number") from exc
    try:
        data = bytes.fromhex(str(row.get("hex", "")))
    except ValueError as exc:
        raise TraceFileError(f"{where}: field 'hex' is not hexadecimal") from exc
    return TraceRecord(t, direction, data, _text(row, "note", where), _text(row, "meaning", where))


def _text(row: dict[str, Any], field: str, where: str) -> str:
    """A text field: a string (a number is taken as its digits, null as nothing); a list or
    an object is refused rather than shown as its Python repr."""
    value = row.get(field)
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    raise TraceFileError(f"{where}: field {field!r} must be text, got {type(value).__name__}")
