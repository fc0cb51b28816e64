"""Plain-language explanations of trace records, for people learning the protocol.

A record's terse meaning ("CTRL-D: end of stdout") is exact but assumes the reader knows the
raw REPL. :func:`explain` turns a record into one or two sentences: what these bytes are and
what the device will do next, so the trace view can teach the protocol as it is being
watched. It works from the record's typed events (:attr:`TraceRecord.events
<workbench.trace.record.TraceRecord.events>`); the sentences are in the wording table,
:mod:`workbench.trace.wording`, next to the meaning column's phrases. Nothing here imports
Textual: the CLI can use it too.
"""

from __future__ import annotations

from workbench.protocol.constants import control_name
from workbench.trace.record import TraceRecord
from workbench.trace.wording import is_payload, reading, size_words, spell_bytes, what_bytes

__all__ = ["explain", "is_event", "spell_bytes"]


def _sender(record: TraceRecord) -> str:
    return "The host sent" if record.dir == "tx" else "The device sent"


def _generic(record: TraceRecord) -> str:
    """Direction, size and control bytes, for records without events (a file's own text)."""
    controls = sorted({b for b in record.data if b < 0x20 or b == 0x7F})
    named = ", ".join(control_name(b) for b in controls)
    spelled = spell_bytes(record.data)
    body = spelled if spelled else size_words(len(record.data))
    sentence = f"{_sender(record)} {body}"
    if named and not spelled:
        sentence += f", including the control bytes {named}"
    sentence += "."
    if record.meaning:
        sentence += f" The protocol reads it as: {record.meaning}."
    elif record.note:
        sentence += f" The host's purpose: {record.note}."
    return sentence


def explain(record: TraceRecord) -> str:
    """One or two sentences a learner understands: what the bytes are, what comes next.

    Built from the record's events and its bytes (control bytes by name). A record without
    events is a frame still incomplete (device bytes), or text the record brought along (a
    file's meaning, a host's note), which is quoted.
    """
    if record.dir == "note":  # the workbench's own marker says it all
        return record.meaning
    if not record.events:
        if record.dir == "rx" and record.data and not record.meaning:
            return (
                f"{_sender(record)} {what_bytes(record.data)}, the start of a message it has not finished: "
                "the protocol waits for the following bytes before deciding what it means."
            )
        return _generic(record)
    readings = [reading(event, record.data) for event in record.events]
    if len(readings) == 1:
        only = readings[0]
        return f"{only.sentence} {only.next}".strip()
    clauses = "; ".join(r.clause for r in readings)
    head = f"{_sender(record)} {what_bytes(record.data)} carrying {len(readings)} steps: {clauses}."
    return f"{head} {readings[-1].next}".strip()


def is_event(record: TraceRecord) -> bool:
    """True when the record carries a protocol step, not just payload.

    Payload is a stdout/stderr chunk, code within the credit, bytes outside a frame, friendly
    REPL text, a line typed at the friendly REPL, or host bytes the core could not place
    (:func:`workbench.trace.wording.is_payload`). A record is an event when at least one of
    its events is not payload; a record without events (a frame still incomplete) is not one.
    Code sent BEYOND the credit is an event: it is a protocol error worth seeing. The
    workbench's marker rows always count: they explain the rows around them.
    """
    if record.dir == "note":
        return True
    return any(not is_payload(event) for event in record.events)
