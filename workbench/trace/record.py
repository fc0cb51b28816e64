"""Recording the trace in bounded memory.

A board can print for hours; the recorder keeps the newest records within a byte budget
and counts what it dropped, so a user knows the view is partial rather than guessing.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from workbench.trace.wording import ProtocolEvent, meaning_of, note_of

#: ``note`` is a marker row of the workbench itself (no bytes: "the probe closed the port here").
Direction = Literal["tx", "rx", "note"]

#: Fixed cost charged per record on top of its payload (object, timestamp, note).
RECORD_OVERHEAD = 96
#: Fixed cost charged per event a record keeps, on top of the bytes the event holds.
EVENT_OVERHEAD = 48

#: How much trace a recorder keeps before it drops the oldest records (8 MiB). The one
#: default: the profile field ``trace_budget_bytes`` starts from it and the user's setting wins.
DEFAULT_TRACE_BUDGET_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class TraceRecord:
    """One read or write: ``t`` seconds since the trace began, as in the transcripts.

    ``events`` are what the protocol core read in the bytes, typed: device events for a read,
    host events for a write (:mod:`workbench.protocol.events`, :mod:`.host_events
    <workbench.protocol.host_events>`); explanations and filters work from them. ``note`` is
    what the host said it meant by a write (the transcripts' field; the workbench's own words
    for its writes); ``meaning`` is the protocol's reading in words, made from the events by
    :mod:`workbench.trace.wording` (or brought along by a file).
    """

    t: float
    dir: Direction
    data: bytes
    note: str = ""
    meaning: str = ""
    events: tuple[ProtocolEvent, ...] = ()

    @property
    def annotation(self) -> str:
        """The one meaning a row shows: the protocol's reading when there is one, else the
        host's note. A write of the workbench's own has only its note until it is annotated
        after the fact; then it has both, and both say what the same bytes are ("CR CTRL-A:
        enter the raw REPL" twice over); the reading is the one that goes with the events the
        explanations are built from, and it knows more (the credit left, code sent ahead).
        """
        return self.meaning or self.note

    def cost(self) -> int:
        """Bytes charged against the recorder's budget (an event's bytes are the output or
        stray text it holds)."""
        events = len(self.events) * EVENT_OVERHEAD + sum(len(getattr(e, "data", b"")) for e in self.events)
        return len(self.data) + len(self.note) + len(self.meaning) + RECORD_OVERHEAD + events


def _worded(text: str, aside: str) -> str:
    """``text [aside]``, or ``[aside]`` alone."""
    if not aside:
        return text
    return f"{text} [{aside}]" if text else f"[{aside}]"


class TraceRecorder:
    """Thread-safe ring buffer of :class:`TraceRecord` with a byte budget.

    Written by the thread that owns the port, read by the UI; ``listeners`` are called on
    the writing thread and must only hand the record on (the app posts a message).
    """

    def __init__(
        self,
        budget_bytes: int = DEFAULT_TRACE_BUDGET_BYTES,
        *,
        clock: Callable[[], float] = time.monotonic,
        enabled: bool = True,
    ) -> None:
        self.budget_bytes = budget_bytes
        self.enabled = enabled
        self._clock = clock
        self._start = clock()
        self._records: deque[TraceRecord] = deque()
        self._used = 0
        self._lock = threading.Lock()
        self.dropped_records = 0
        self.dropped_bytes = 0
        self.total_records = 0
        self.listeners: list[Callable[[TraceRecord], None]] = []

    def now(self) -> float:
        """Seconds since the recorder started (the ``t`` of a record made now)."""
        return self._clock() - self._start

    def mark(self, text: str) -> None:
        """Add a marker row: something the workbench did that moved no bytes but explains the
        rows around it (a connection closed and reopened for a probe)."""
        if self.enabled:
            self._add(TraceRecord(self._clock() - self._start, "note", b"", "", text))

    def record(
        self,
        direction: Direction,
        data: bytes,
        note: str = "",
        meaning: str = "",
        *,
        events: tuple[ProtocolEvent, ...] = (),
        aside: str = "",
    ) -> None:
        """Add one record (no-op when disabled or empty).

        With ``events`` the words come from them (:mod:`workbench.trace.wording`) unless given:
        a read gets its meaning, a write of the workbench's own its note (its words for what it
        sent; the protocol's reading of a write is made by :func:`~workbench.trace.annotate`).
        ``aside`` is appended in brackets to those words: the engine's state or expectation in a
        verbose trace.
        """
        if not self.enabled or not data:
            return
        if direction == "tx":
            note = _worded(note or (note_of(events) if events else ""), aside)
        else:
            meaning = _worded(meaning or (meaning_of(events) if events else ""), aside)
        self._add(TraceRecord(self._clock() - self._start, direction, bytes(data), note, meaning, tuple(events)))

    def _add(self, rec: TraceRecord) -> None:
        """Keep ``rec`` (dropping the oldest beyond the budget) and hand it to the listeners."""
        with self._lock:
            self._records.append(rec)
            self._used += rec.cost()
            self.total_records += 1
            while self._used > self.budget_bytes and len(self._records) > 1:
                old = self._records.popleft()
                self._used -= old.cost()
                self.dropped_records += 1
                self.dropped_bytes += len(old.data)
        for listener in self.listeners:
            listener(rec)

    def records(self) -> list[TraceRecord]:
        """A snapshot of the records kept, oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def used_bytes(self) -> int:
        """Budget bytes in use now."""
        return self._used

    def clear(self) -> None:
        """Forget every record (the drop counters too)."""
        with self._lock:
            self._records.clear()
            self._used = 0
            self.dropped_records = self.dropped_bytes = self.total_records = 0
