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

#: ``note`` is a marker row of the workbench itself (no bytes: "the probe closed the port here").
Direction = Literal["tx", "rx", "note"]

#: Fixed cost charged per record on top of its payload (object, timestamp, note).
RECORD_OVERHEAD = 96

#: How much trace a recorder keeps before it drops the oldest records (8 MiB). The one
#: default: the profile field ``trace_budget_bytes`` starts from it and the user's setting wins.
DEFAULT_TRACE_BUDGET_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class TraceRecord:
    """One read or write: ``t`` seconds since the trace began, as in the transcripts.

    ``note`` is what the host meant by a write (the transcripts' field); ``meaning`` is the
    protocol's reading of the bytes (control bytes named, credit, sections).
    """

    t: float
    dir: Direction
    data: bytes
    note: str = ""
    meaning: str = ""

    @property
    def annotation(self) -> str:
        """The one meaning a row shows: the protocol's reading when there is one, else the
        host's note. A write annotated after the fact has both, and both say what the same
        bytes are ("CR CTRL-A: enter the raw REPL" twice over); the reading is the one the
        explanations are built from, and it knows more (the credit left, code sent ahead).
        """
        return self.meaning or self.note

    def cost(self) -> int:
        """Bytes charged against the recorder's budget."""
        return len(self.data) + len(self.note) + len(self.meaning) + RECORD_OVERHEAD


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

    def record(self, direction: Direction, data: bytes, note: str = "", meaning: str = "") -> None:
        """Add one record (no-op when disabled or empty)."""
        if not self.enabled or not data:
            return
        self._add(TraceRecord(self._clock() - self._start, direction, bytes(data), note, meaning))

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
