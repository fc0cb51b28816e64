"""A trace in numbers, for a bug report: execs, round trips, throughput, gaps, errors.

``workbench trace FILE --stats`` prints this (:mod:`workbench.cli.trace_stats`); a person who
attaches a trace to an issue, and whoever reads it, see at once whether something was slow,
stuck or failing, and where, before reading a single row. Pure: records (with their events,
see :func:`with_events`) and the file's meta in, a :class:`TraceStats` out; no I/O.

What counts, precisely (the events are :mod:`workbench.protocol.events` and
:mod:`.host_events <workbench.protocol.host_events>`):

- An **exec** is code the host sent and ended with its CTRL-D (``EndOfCode``), in plain raw
  mode or raw-paste (its ``mode``). It is over when the device reports ``ExecFinished``
  (``result`` ``ok``, or ``raised`` with the exception's type) or reboots under it
  (``SoftReboot``/``DeviceRebooted``: ``rebooted``); one still open when the next code starts
  or the trace ends is ``unfinished``. An ``ExecFinished`` with no exec open (its start is
  not in the trace: the ring buffer dropped it) counts as an exec of mode ``unknown``. Code
  dropped before its CTRL-D (an upload stopped half way) is no exec. The friendly REPL's own
  paste mode is not counted: it is typing, not the raw REPL.
- The **round trip** of an exec is what a user would call how long it took: from the host's
  CTRL-D (the record holding ``EndOfCode``) to the raw prompt that follows ``ExecFinished``
  (the record holding that ``RawReady``; the ``ExecFinished`` record if no prompt follows
  before the next exec or the end). Only finished execs (``ok``/``raised``) have one.
  Median and p95 interpolate linearly between the two nearest samples (numpy's default,
  ``statistics.quantiles(method="inclusive")``); ``total`` is their sum.
- **Raw-paste throughput** of one paste: its code bytes (the ``CodeSent`` sizes) over the time
  from when both sides were ready (the later of the device's ``RawPasteAccepted`` and the
  host's first code byte, so a host that waits before sending is not counted as a slow link)
  to the device's end-of-paste acknowledgement (``PasteAcknowledged``). A paste whose ends
  fall in the same record (no time measured) or that ended early has no sample.
- **Bytes** are the payloads of the reads (``rx``) and writes (``tx``); **duration** is the
  last record's ``t`` minus the first's.
- The **longest gap** is the largest ``t`` difference between consecutive records (the first
  of equal ones), with the records on either side in words.
- **Timeouts** are the workbench's CTRL-Cs sent because an exec timed out
  (``Interrupt.reason`` ``exec_timeout``/``exec_timeout_upload``) and marker rows (``note``)
  whose text speaks of a timeout. Interrupts are counted by reason (``unknown`` for another
  host's trace, which cannot know why). Unexpected bytes (outside any frame) are counted by
  the protocol state they arrived in: banners and the friendly REPL's echo are normal there.
- **Dropped** records and bytes are what the file's meta line says the ring buffer dropped
  (``None``: the file does not say, as with the reference transcripts).

:meth:`TraceStats.to_json` is the ``--json`` object; its keys are stable (``schema`` 1):

``schema``, ``records``, ``duration_s``, ``bytes`` {``tx``, ``rx``};
``execs`` {``total``, ``by_mode`` {``raw``, ``raw_paste``, ``unknown``}, ``ok``, ``raised``,
``exceptions`` {type name: count}, ``rebooted``, ``unfinished``};
``round_trip`` {``count``, ``median_s``, ``p95_s``, ``total_s``};
``raw_paste_throughput`` {``count``, ``median_bytes_per_s``};
``longest_gap`` null or {``seconds``, ``start_t``, ``end_t``, ``before``, ``after``};
``interrupts`` {``total``, ``by_reason`` {reason: count}};
``timeouts`` [{``t``, ``what``}]; ``unexpected_bytes`` {``events``, ``bytes``, ``by_state``
{state: bytes}}; ``reboots``; ``raw_paste_refused``; ``paste_ended_early``;
``notes`` [{``t``, ``text``}]; ``dropped`` {``records``, ``bytes``} (null when not said);
``exec_list`` [{``mode``, ``start_t``, ``end_of_code_t``, ``end_t``, ``code_bytes``,
``result``, ``exception``, ``round_trip_s``, ``throughput_bytes_per_s``}]. Times are seconds
(``t`` as in the trace) rounded to the microsecond, rates bytes per second to a tenth; null
where there is nothing to measure.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from workbench.protocol.events import (
    DeviceRebooted,
    ExecFinished,
    PasteAcknowledged,
    PasteEndedEarly,
    RawPasteAccepted,
    RawPasteRefused,
    RawReady,
    SoftReboot,
    UnexpectedBytes,
)
from workbench.protocol.host_events import CodeSent, EndOfCode, Interrupt, InterruptReason, RawPasteRequest
from workbench.trace.record import TraceRecord
from workbench.trace.wording import meaning_of

SCHEMA = 1
ExecMode = Literal["raw", "raw-paste", "unknown"]
ExecResult = Literal["ok", "raised", "rebooted", "unfinished"]
#: Interrupt reasons that mean an exec timed out.
TIMEOUT_REASONS = (InterruptReason.EXEC_TIMEOUT, InterruptReason.EXEC_TIMEOUT_UPLOAD)
#: Words in a marker row that make it a timeout.
TIMEOUT_WORDS = ("timeout", "timed out")
#: A record in words (the longest gap's neighbours) is cut to this many characters.
WORDS_MAX = 80


@dataclass(slots=True)
class ExecSpan:
    """One exec, as defined in the module docstring."""

    mode: ExecMode
    start_t: float | None = None
    end_of_code_t: float | None = None
    end_t: float | None = None
    code_bytes: int = 0
    result: ExecResult = "unfinished"
    exception: str | None = None
    #: Raw-paste: when the device accepted, and when it acknowledged the end of paste.
    accepted_t: float | None = None
    first_code_t: float | None = None
    acknowledged_t: float | None = None
    #: Set by ExecFinished: now waiting for the raw prompt that closes the round trip.
    finished_t: float | None = None

    @property
    def round_trip_s(self) -> float | None:
        if self.result not in ("ok", "raised") or self.end_of_code_t is None or self.end_t is None:
            return None
        return self.end_t - self.end_of_code_t

    @property
    def throughput_bytes_per_s(self) -> float | None:
        if self.mode != "raw-paste" or self.acknowledged_t is None or self.first_code_t is None:
            return None
        start = self.first_code_t if self.accepted_t is None else max(self.accepted_t, self.first_code_t)
        elapsed = self.acknowledged_t - start
        if elapsed <= 0 or not self.code_bytes:
            return None
        return self.code_bytes / elapsed

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "start_t": _r(self.start_t),
            "end_of_code_t": _r(self.end_of_code_t),
            "end_t": _r(self.end_t),
            "code_bytes": self.code_bytes,
            "result": self.result,
            "exception": self.exception,
            "round_trip_s": _r(self.round_trip_s),
            "throughput_bytes_per_s": _r(self.throughput_bytes_per_s, 1),
        }


@dataclass(slots=True)
class Gap:
    """The longest pause between two consecutive records."""

    seconds: float
    start_t: float
    end_t: float
    before: str
    after: str


@dataclass(slots=True)
class TraceStats:
    """The summary; see the module docstring for what each number means."""

    records: int = 0
    duration_s: float = 0.0
    tx_bytes: int = 0
    rx_bytes: int = 0
    execs: list[ExecSpan] = field(default_factory=list)
    longest_gap: Gap | None = None
    interrupts: Counter[str] = field(default_factory=Counter)
    timeouts: list[tuple[float, str]] = field(default_factory=list)
    unexpected_events: int = 0
    unexpected_by_state: Counter[str] = field(default_factory=Counter)
    reboots: int = 0
    raw_paste_refused: int = 0
    paste_ended_early: int = 0
    notes: list[tuple[float, str]] = field(default_factory=list)
    dropped_records: int | None = None
    dropped_bytes: int | None = None

    # Derived numbers, one place for the text and the JSON.

    def by_mode(self) -> dict[str, int]:
        modes = Counter(span.mode for span in self.execs)
        return {"raw": modes["raw"], "raw_paste": modes["raw-paste"], "unknown": modes["unknown"]}

    def results(self) -> Counter[str]:
        return Counter(span.result for span in self.execs)

    def exceptions(self) -> dict[str, int]:
        counts = Counter(span.exception for span in self.execs if span.exception)
        return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))

    def round_trips(self) -> list[float]:
        return [rt for span in self.execs if (rt := span.round_trip_s) is not None]

    def throughputs(self) -> list[float]:
        return [bps for span in self.execs if (bps := span.throughput_bytes_per_s) is not None]

    @property
    def unexpected_bytes(self) -> int:
        return sum(self.unexpected_by_state.values())

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` object (keys in the module docstring)."""
        results = self.results()
        trips = self.round_trips()
        rates = self.throughputs()
        gap = self.longest_gap
        return {
            "schema": SCHEMA,
            "records": self.records,
            "duration_s": _r(self.duration_s),
            "bytes": {"tx": self.tx_bytes, "rx": self.rx_bytes},
            "execs": {
                "total": len(self.execs),
                "by_mode": self.by_mode(),
                "ok": results["ok"],
                "raised": results["raised"],
                "exceptions": self.exceptions(),
                "rebooted": results["rebooted"],
                "unfinished": results["unfinished"],
            },
            "round_trip": {
                "count": len(trips),
                "median_s": _r(percentile(trips, 0.5)),
                "p95_s": _r(percentile(trips, 0.95)),
                "total_s": _r(sum(trips)),
            },
            "raw_paste_throughput": {
                "count": len(rates),
                "median_bytes_per_s": _r(percentile(rates, 0.5), 1),
            },
            "longest_gap": None
            if gap is None
            else {
                "seconds": _r(gap.seconds),
                "start_t": _r(gap.start_t),
                "end_t": _r(gap.end_t),
                "before": gap.before,
                "after": gap.after,
            },
            "interrupts": {
                "total": sum(self.interrupts.values()),
                "by_reason": dict(sorted(self.interrupts.items())),
            },
            "timeouts": [{"t": _r(t), "what": what} for t, what in self.timeouts],
            "unexpected_bytes": {
                "events": self.unexpected_events,
                "bytes": self.unexpected_bytes,
                "by_state": dict(sorted(self.unexpected_by_state.items())),
            },
            "reboots": self.reboots,
            "raw_paste_refused": self.raw_paste_refused,
            "paste_ended_early": self.paste_ended_early,
            "notes": [{"t": _r(t), "text": text} for t, text in self.notes],
            "dropped": {"records": self.dropped_records, "bytes": self.dropped_bytes},
            "exec_list": [span.to_json() for span in self.execs],
        }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, interpolated linearly between the nearest two
    samples (numpy's default); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def with_events(files: Sequence[TraceRecord], replayed: Sequence[TraceRecord]) -> list[TraceRecord]:
    """The replayed records (:func:`~workbench.trace.annotate` of ``files``, one for one),
    each with the events its file saved, if any (and words made from those).

    Why not the replay alone: a trace the workbench saved knows more than a replay can tell
    (why it interrupted: :attr:`Interrupt.reason`), and annotate gives a write the replay's
    events over its saved ones.
    """
    return [
        replace(again, events=rec.events, meaning=rec.meaning or meaning_of(rec.events))
        if rec.events
        else again
        for rec, again in zip(files, replayed, strict=True)
    ]


def compute_stats(records: Iterable[TraceRecord], meta: dict[str, Any] | None = None) -> TraceStats:
    """The summary of ``records`` (with their events) and the file's ``meta``."""
    stats = TraceStats()
    meta = meta or {}
    stats.dropped_records = _count(meta.get("dropped_records"))
    stats.dropped_bytes = _count(meta.get("dropped_bytes"))
    tracker = _ExecTracker(stats)
    previous: TraceRecord | None = None
    first_t: float | None = None
    for rec in records:
        stats.records += 1
        if first_t is None:
            first_t = rec.t
        stats.duration_s = rec.t - first_t
        if previous is not None:
            gap = rec.t - previous.t
            if stats.longest_gap is None or gap > stats.longest_gap.seconds:
                stats.longest_gap = Gap(gap, previous.t, rec.t, describe(previous), describe(rec))
        previous = rec
        if rec.dir == "note":
            text = rec.annotation
            stats.notes.append((rec.t, text))
            if any(word in text.lower() for word in TIMEOUT_WORDS):
                stats.timeouts.append((rec.t, text))
            continue
        if rec.dir == "tx":
            stats.tx_bytes += len(rec.data)
        else:
            stats.rx_bytes += len(rec.data)
        for event in rec.events:
            tracker.feed(event, rec.t)
    tracker.close()
    return stats


def describe(rec: TraceRecord, limit: int = WORDS_MAX) -> str:
    """A record in words: its direction and meaning (``rx 1 B`` for a piece of a frame)."""
    if rec.dir == "note":
        words = f"note: {rec.annotation}"
    else:
        words = f"{rec.dir} {rec.annotation or f'{len(rec.data)} B (part of a message)'}"
    return words if len(words) <= limit else words[: limit - 1] + "…"


def _r(value: float | None, digits: int = 6) -> float | None:
    """Seconds to the microsecond (a trace's resolution), rates to a tenth: no float noise
    such as ``0.30077899999999996`` in the JSON."""
    return None if value is None else round(value, digits)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class _ExecTracker:
    """Follows the events in order and cuts them into :class:`ExecSpan` (see the module
    docstring); the other counters on the way."""

    def __init__(self, stats: TraceStats) -> None:
        self.stats = stats
        #: An exec being sent (code, no CTRL-D yet): not counted until its CTRL-D.
        self.sending: ExecSpan | None = None
        #: An exec whose CTRL-D went: running, or finished and waiting for its prompt.
        self.running: ExecSpan | None = None

    def feed(self, event: object, t: float) -> None:
        stats = self.stats
        if isinstance(event, RawPasteRequest):
            self._settle()
            if self.sending is None or self.sending.mode != "raw-paste":
                self.sending = ExecSpan("raw-paste", start_t=t)
        elif isinstance(event, RawPasteAccepted):
            if self.sending is not None:
                self.sending.accepted_t = t
        elif isinstance(event, RawPasteRefused):
            stats.raw_paste_refused += 1
            self.sending = None  # the host sends the code in plain raw mode, if at all
        elif isinstance(event, CodeSent):
            if self.sending is None or self.sending.mode != event.mode:
                self._settle()
                self.sending = ExecSpan(event.mode, start_t=t)
            if self.sending.first_code_t is None:
                self.sending.first_code_t = t
            self.sending.code_bytes += event.size
        elif isinstance(event, EndOfCode):
            self._settle()
            span = self.sending if self.sending is not None else ExecSpan(event.mode, start_t=t)
            span.mode = event.mode
            span.end_of_code_t = t
            stats.execs.append(span)
            self.sending, self.running = None, span
        elif isinstance(event, PasteAcknowledged):
            if self.running is not None and self.running.mode == "raw-paste":
                self.running.acknowledged_t = t
        elif isinstance(event, PasteEndedEarly):
            stats.paste_ended_early += 1
        elif isinstance(event, ExecFinished):
            span = self.running
            if span is None or span.finished_t is not None:
                span = ExecSpan("unknown")
                stats.execs.append(span)
                self.running = span
            span.finished_t = span.end_t = t
            span.result = "raised" if event.exception is not None else "ok"
            span.exception = event.exception.type_name if event.exception is not None else None
        elif isinstance(event, RawReady):
            if self.running is not None and self.running.finished_t is not None:
                self.running.end_t = t
                self.running = None
        elif isinstance(event, SoftReboot | DeviceRebooted):
            stats.reboots += 1
            if self.running is not None and self.running.finished_t is None:
                self.running.result = "rebooted"
                self.running.end_t = t
                self.running = None
            self.sending = None
        elif isinstance(event, Interrupt):
            reason = event.reason.value if event.reason is not None else "unknown"
            stats.interrupts[reason] += 1
            if event.reason in TIMEOUT_REASONS:
                stats.timeouts.append((t, f"interrupt: {reason}"))
            if self.sending is not None and not event.running:
                self.sending = None  # an upload stopped half way: nothing runs
        elif isinstance(event, UnexpectedBytes):
            stats.unexpected_events += 1
            stats.unexpected_by_state[event.state] += len(event.data)

    def _settle(self) -> None:
        """New code starts: an exec still running is left unfinished, one that finished
        without a prompt after it ends at its ExecFinished."""
        self.running = None

    def close(self) -> None:
        self._settle()
