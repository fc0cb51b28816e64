"""Give every record of a trace its protocol meaning, by replaying it through the core.

The live engine annotates as it goes; a trace captured elsewhere (the reference transcripts,
another tool sniffed through a proxy) gets the same annotations here, because the same state
machine reads it.
"""

from __future__ import annotations

from dataclasses import replace

from workbench.protocol import RawReplConnection
from workbench.trace.record import TraceRecord


def annotate(records: list[TraceRecord], *, overwrite: bool = False) -> list[TraceRecord]:
    """Return copies of ``records`` with ``meaning`` filled in (kept if already set)."""
    conn = RawReplConnection()
    out: list[TraceRecord] = []
    for rec in records:
        if rec.dir == "note":  # a marker of the workbench's own: no bytes for the core
            out.append(rec)
            continue
        if rec.dir == "tx":
            meaning = conn.observe_sent(rec.data, rec.t)
        else:
            conn.receive_data(rec.data, rec.t)
            meaning = describe_events(conn)
        keep = rec.meaning and not overwrite
        out.append(rec if keep else replace(rec, meaning=meaning))
    return out


def describe_events(conn: RawReplConnection) -> str:
    """Drain the connection's events into one annotation string."""
    return "; ".join(event.describe() for event in conn.events())
