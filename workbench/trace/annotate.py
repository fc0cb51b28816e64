"""Give every record of a trace its protocol reading, by replaying it through the core.

The live engine records events as it goes; a trace captured elsewhere (the reference
transcripts, another tool sniffed through a proxy, a file saved before traces kept events)
gets the same events and meanings here, because the same state machine reads it: the
device's bytes as the engine reads them, the host's through
:class:`~workbench.protocol.observer.TrafficObserver`.
"""

from __future__ import annotations

from dataclasses import replace

from workbench.protocol.observer import TrafficObserver
from workbench.trace.record import TraceRecord
from workbench.trace.wording import ProtocolEvent, meaning_of


def annotate(records: list[TraceRecord], *, overwrite: bool = False) -> list[TraceRecord]:
    """Return copies of ``records`` with their events and ``meaning`` filled in.

    A record that already has a meaning keeps it, and its events if it has any (a file's or
    the engine's reading of a device's bytes); ``overwrite`` replaces both with the replay's.
    A write of the workbench's own has its note but no meaning: it gets the protocol's
    reading, as for any host's write.
    """
    observer = TrafficObserver()
    out: list[TraceRecord] = []
    for rec in records:
        if rec.dir == "note":  # a marker of the workbench's own: no bytes for the core
            out.append(rec)
            continue
        events: tuple[ProtocolEvent, ...]
        if rec.dir == "tx":
            events = observer.observe_sent(rec.data, rec.t)
        else:
            events = observer.observe_received(rec.data, rec.t)
        if overwrite or not rec.meaning:
            out.append(replace(rec, meaning=meaning_of(events), events=events))
        elif not rec.events:
            out.append(replace(rec, events=events))
        else:
            out.append(rec)
    return out
