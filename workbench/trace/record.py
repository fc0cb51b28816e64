"""Recording the trace in bounded memory.

A board can print for hours; the recorder keeps the newest records within a byte budget
and counts what it dropped, so a user knows the view is partial rather than guessing.

Recording is on the path of every read and write (a raw-paste upload reads a one-byte window
credit and writes a window for every 128 bytes of code), so a record costs as little as it
can: the words for its events (the meaning column, a write's note) are made the first time
someone reads them (the trace view, a saved file, an explanation), not when the bytes pass,
and its charge against the budget is reckoned once.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from workbench.trace.wording import ProtocolEvent, meaning_of, note_of

#: ``note`` is a marker row of the workbench itself (no bytes: "the probe closed the port here").
Direction = Literal["tx", "rx", "note"]

#: Fixed cost charged per record on top of its payload (object, timestamp, note).
RECORD_OVERHEAD = 96
#: Fixed cost charged per event a record keeps, on top of the bytes the event holds.
EVENT_OVERHEAD = 48
#: Charged per event for the words a record makes from its events when they are first read
#: (a phrase such as ``CTRL-A: window credit +128 (now 256)``), instead of their length:
#: the words are not made when the record is, and a record's charge never changes.
WORDS_PER_EVENT = 32

#: How much trace a recorder keeps before it drops the oldest records: one default, kept in
#: workbench/limits.py (the profile field ``trace_budget_bytes`` starts from it too).
from workbench.limits import DEFAULT_TRACE_BUDGET_BYTES


@dataclass(slots=True)
class TraceRecord:
    """One read or write: ``t`` seconds since the trace began, as in the transcripts.

    ``events`` are what the protocol core read in the bytes, typed: device events for a read,
    host events for a write (:mod:`workbench.protocol.events`, :mod:`.host_events
    <workbench.protocol.host_events>`); explanations and filters work from them. ``note`` is
    what the host said it meant by a write (the transcripts' field; the workbench's own words
    for its writes); ``meaning`` is the protocol's reading in words, made from the events by
    :mod:`workbench.trace.wording` (or brought along by a file). A recorder makes those words
    when they are first read (see :class:`_WordsOnDemand`); a record reads the same either way.
    """

    t: float
    dir: Direction
    data: bytes
    note: str = ""
    meaning: str = ""
    events: tuple[ProtocolEvent, ...] = ()
    #: The charge against a recorder's budget, fixed when the recorder took the record.
    _charge: int = field(default=-1, init=False, repr=False, compare=False)

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
        stray text it holds). The charge of a record a recorder took is fixed then; words it
        left to be made on first reading are charged :data:`WORDS_PER_EVENT` per event."""
        if self._charge >= 0:
            return self._charge
        events = self.events
        charge = len(self.data) + len(self.note) + len(self.meaning) + RECORD_OVERHEAD
        return charge + len(events) * EVENT_OVERHEAD + sum(len(getattr(e, "data", b"")) for e in events)


class _Unworded:
    """What a note or meaning holds until its words are made from the record's events: the
    aside to append (a verbose trace's state). Never changed, so one can serve many records."""

    __slots__ = ("aside",)

    def __init__(self, aside: str) -> None:
        self.aside = aside


class _WordsOnDemand:
    """The ``note`` or ``meaning`` of a :class:`TraceRecord`: its text, made from the events
    on first reading when the recorder left it :class:`_Unworded` (then kept).

    It wraps the field's slot, so everything a dataclass does (``==``, ``repr``,
    ``dataclasses.replace``) reads the words as if they had been made at once.
    """

    def __init__(self, slot: Any, words: Callable[[tuple[ProtocolEvent, ...]], str]) -> None:
        self._slot = slot
        self._words = words

    def __get__(self, record: TraceRecord | None, owner: type | None = None) -> Any:
        if record is None:
            return self
        text = self._slot.__get__(record, owner)
        if type(text) is _Unworded:
            text = _worded(self._words(record.events), text.aside)
            self._slot.__set__(record, text)
        return text

    def __set__(self, record: TraceRecord, text: str) -> None:
        self._slot.__set__(record, text)


_NOTE_SLOT = TraceRecord.note  # the slots themselves, under the words-on-demand wrappers
_MEANING_SLOT = TraceRecord.meaning
#: Whether events of a type hold bytes (``data``: output, stray bytes), charged to a record.
_HOLDS_DATA: dict[type, bool] = {}
#: Words without an aside, for every record (an :class:`_Unworded` is never changed).
_UNWORDED = _Unworded("")
# record_events fills a record slot by slot: the dataclass __init__ would set the texts through
# the wrappers below, which costs more than the rest of recording a read.
_NEW_RECORD = object.__new__
_SET_T = TraceRecord.t.__set__  # type: ignore[attr-defined]
_SET_DIR = TraceRecord.dir.__set__  # type: ignore[attr-defined]
_SET_DATA = TraceRecord.data.__set__  # type: ignore[attr-defined]
_SET_EVENTS = TraceRecord.events.__set__  # type: ignore[attr-defined]
_SET_CHARGE = TraceRecord._charge.__set__  # type: ignore[attr-defined]
setattr(TraceRecord, "note", _WordsOnDemand(_NOTE_SLOT, note_of))  # noqa: B010 - replaces the slot
setattr(TraceRecord, "meaning", _WordsOnDemand(_MEANING_SLOT, meaning_of))  # noqa: B010


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
        verbose trace. The words are made when first read.
        """
        if not self.enabled or not data:
            return
        events = tuple(events)
        if events and not note and not meaning and direction != "note":
            self.record_events(direction, data, events, aside)
            return
        if direction == "tx":
            note = _worded(note or (note_of(events) if events else ""), aside)
        else:
            meaning = _worded(meaning or (meaning_of(events) if events else ""), aside)
        self._add(TraceRecord(self._clock() - self._start, direction, bytes(data), note, meaning, events))

    def record_events(
        self, direction: Literal["tx", "rx"], data: bytes, events: tuple[ProtocolEvent, ...], aside: str = ""
    ) -> None:
        """:meth:`record` for the engine's reads and writes, the way that costs least: a write's
        note or a read's meaning is made from ``events`` (with ``aside``) when first read."""
        if not self.enabled or not data:
            return
        charge = len(data) + RECORD_OVERHEAD
        if events:
            charge += len(events) * (EVENT_OVERHEAD + WORDS_PER_EVENT)
            for event in events:
                holds = _HOLDS_DATA.get(type(event))
                if holds is None:
                    holds = _HOLDS_DATA[type(event)] = hasattr(event, "data")
                if holds:
                    charge += len(event.data)  # type: ignore[union-attr]
            if aside:
                words: Any = _Unworded(aside)
                charge += len(aside) + 3  # " [aside]"
            else:
                words = _UNWORDED
        else:
            words = _worded("", aside)
            charge += len(words)
        rec = _NEW_RECORD(TraceRecord)
        _SET_T(rec, self._clock() - self._start)
        _SET_DIR(rec, direction)
        _SET_DATA(rec, bytes(data))
        _SET_EVENTS(rec, events)
        if direction == "tx":
            _NOTE_SLOT.__set__(rec, words)
            _MEANING_SLOT.__set__(rec, "")
        else:
            _NOTE_SLOT.__set__(rec, "")
            _MEANING_SLOT.__set__(rec, words)
        _SET_CHARGE(rec, charge)
        self._keep(rec, charge)

    def _add(self, rec: TraceRecord) -> None:
        """Keep ``rec``, charged its cost."""
        rec._charge = charge = rec.cost()
        self._keep(rec, charge)

    def _keep(self, rec: TraceRecord, charge: int) -> None:
        """Keep ``rec`` (dropping the oldest beyond the budget) and hand it to the listeners."""
        with self._lock:
            records = self._records
            records.append(rec)
            self._used += charge
            self.total_records += 1
            while self._used > self.budget_bytes and len(records) > 1:
                old = records.popleft()
                self._used -= old._charge
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
