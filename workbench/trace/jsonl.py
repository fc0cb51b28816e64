"""Saving and loading traces as JSON Lines, the shape of the reference transcripts.

One object per line: ``t`` (seconds), ``dir`` (``tx``/``rx``, or ``note`` for a marker row of
the workbench's own), ``hex`` (the bytes), ``note`` (what the host meant), plus our
``meaning`` (the protocol's reading, in words, for people) and ``events`` (the same reading
typed, for scripts): a list of objects such as ``{"type": "RawPasteAccepted", "window": 128}``,
``type`` being the event class's name and the other keys its fields; bytes are hex strings,
enums their value, a nested exception an object (:mod:`workbench.trace.eventjson` has the
whole encoding). A record without events (an incomplete frame, or any record of a file made
before events were saved) leaves ``events`` out. A first line ``{"meta": {...}}`` may say
where the trace came from and how many records the ring buffer dropped.

A transcript captured elsewhere and a trace saved here are read by the same code, which
returns what the file holds. A file without events, such as the reference transcripts, gets
them from :func:`~workbench.trace.annotate`, which replays it through the protocol core, as
the app and the CLI do with every file they open.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from workbench.protocol.host_events import HostEvent
from workbench.storage import atomic_write_text
from workbench.trace.eventjson import EventFormatError, event_from_json, event_to_json
from workbench.trace.record import TraceRecord
from workbench.trace.wording import ProtocolEvent


class TraceFileError(ValueError):
    """A trace file that cannot be read; the message names the file and the line."""


def save_jsonl(path: str | os.PathLike[str], records: list[TraceRecord], meta: dict[str, Any] | None = None) -> None:
    """Write atomically: a crash mid-save leaves the old file whole, never half a trace."""
    atomic_write_text(path, jsonl_text(records, meta))


def jsonl_text(records: list[TraceRecord], meta: dict[str, Any] | None = None) -> str:
    """The trace file's text (what :func:`save_jsonl` writes; a browser tab downloads it)."""
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
        if rec.events:
            row["events"] = [event_to_json(event) for event in rec.events]
        lines.append(json.dumps(row) + "\n")
    return "".join(lines)


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
    events = _events(row.get("events"), direction, where)
    return TraceRecord(t, direction, data, _text(row, "note", where), _text(row, "meaning", where), events)


def _events(value: object, direction: str, where: str) -> tuple[ProtocolEvent, ...]:
    """The ``events`` field: a list of event objects (see :mod:`workbench.trace.eventjson`),
    the host's for a write, the device's for a read."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TraceFileError(f"{where}: field 'events' must be a list, got {type(value).__name__}")
    events = []
    for index, item in enumerate(value):
        try:
            events.append(event_from_json(item))
        except EventFormatError as exc:
            raise TraceFileError(f"{where}: field 'events', event {index + 1}: {exc}") from None
        side = "tx" if isinstance(events[-1], HostEvent) else "rx"
        if side != direction:
            whose = "the host's" if side == "tx" else "the device's"
            raise TraceFileError(
                f"{where}: field 'events', event {index + 1}: {type(events[-1]).__name__} is {whose}, "
                f"in a record whose 'dir' is {direction!r}"
            )
    return tuple(events)


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
