"""The protocol timeline: a trace's records turned into traffic over time and exec spans.

Why a model apart from the view: the same reading serves the Timeline view (live and on
saved traces), tests, and anything else that wants "which execs, how long, how fast" from a
list of :class:`~workbench.trace.record.TraceRecord`. It reads only the records' times, sizes
and protocol events (a saved trace or transcript gets its events from
:func:`workbench.trace.annotate` first, as the app does with every file it opens).

It is incremental: :meth:`Timeline.add` reads each new record once (O(1) each), so a live
trace costs per batch, not per record kept. Rates are answered from prefix sums with two
bisections per bucket, whatever the trace's length.

Record indices. Every record added gets the index it has in the sequence given (0 for the
first record after construction or :meth:`Timeline.clear`): the same numbers as the trace
view's absolute indices when both are fed the same records, so a span's ``[first, last]``
selects its rows there.

Memory. A board can talk for a day: the model keeps its newest ``max_records`` records
(:data:`DEFAULT_MAX_RECORDS`, the trace view's own cap, so both forget the same rows), about
24 bytes each, and forgets the spans and gaps that end before the oldest kept record.
Indices go on counting from where they were (:attr:`Timeline.first` is the oldest kept), as
the trace view's do, and span numbers too (:attr:`Timeline.spans_dropped` went before).

Definitions (the words the view shows):

- An **exec span** starts at the record with the first code byte of a plain raw exec
  (:class:`CodeSent`) or the raw-paste request (:class:`RawPasteRequest`), and ends at the
  raw prompt that follows :class:`ExecFinished` (the record holding ``ExecFinished`` when no
  prompt follows at once). ``first`` and ``last`` are the record indices of those two ends.
- **Round trip**: from the record that ends the code (the host's :class:`EndOfCode`, CTRL-D)
  to the record holding :class:`ExecFinished` (the second CTRL-D): the device's compile, run
  and report, plus the wire both ways. **First reply**: from the same CTRL-D to the device's
  first answer to it (``OK`` in plain raw mode, the paste's CTRL-D in raw-paste): the wire and
  the device's reaction time alone.
- **Window credit** (raw-paste): how many bytes the host may still send, after each grant
  (:class:`WindowCredit`) and after each chunk of code (:class:`CodeSent.credit_left`), as
  ``(t, credit)`` points.
- A **gap** is a pause longer than the threshold between two consecutive records (any
  direction, markers included): where a board went quiet or the host waited.
- **Result**: ``ok``, the exception's type name, ``interrupted`` (KeyboardInterrupt after the
  host sent CTRL-C, or an upload stopped with CTRL-C), ``rebooted`` (the board reset under
  the run), ``unfinished`` (a new exec or raw REPL entry came before the end), or ``open``
  (the trace ends before the exec does: still running when live).
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Literal

from workbench.protocol.events import (
    DeviceRebooted,
    ExecAccepted,
    ExecFinished,
    PasteAcknowledged,
    RawPasteAccepted,
    RawPasteRefused,
    RawReady,
    SoftReboot,
    WindowCredit,
)
from workbench.protocol.host_events import CodeMode, CodeSent, EndOfCode, EnterRaw, Interrupt, RawPasteRequest
from workbench.trace.record import TraceRecord
from workbench.units import format_size

ResultKind = Literal["ok", "exception", "interrupted", "rebooted", "unfinished", "open"]

#: Pauses longer than this (seconds) are gaps unless the caller says otherwise.
DEFAULT_GAP_THRESHOLD = 1.0
#: Rate buckets for a whole trace: the bucket is the smallest 1-2-5 step giving at most this many.
DEFAULT_BUCKETS = 120
#: Records a timeline keeps (the newest): the trace view's default cap (its ``max_records``),
#: so the spans a timeline shows still have their rows in the trace. ~2.4 MB of times and sums.
DEFAULT_MAX_RECORDS = 100_000
#: The finest time per column (the trace's clock has microseconds).
FINEST_STEP = 1e-6
#: Compact the arrays once this many forgotten records sit in front of them (amortised O(1)).
_COMPACT_AT = 4096


@dataclass(slots=True)
class ExecSpan:
    """One exec, from its first code byte (or raw-paste request) to the prompt after it.

    The timeline changes only its newest span, while it is open; read the others as values.
    """

    number: int
    """0 for the first span since the timeline was cleared (forgotten spans keep counting)."""
    mode: CodeMode
    start: float
    end: float
    """Time of the last record so far (the prompt once the span is over)."""
    first: int
    last: int
    """Record indices of the span's first and last rows (inclusive)."""
    code_size: int = 0
    result: str = "open"
    """``ok``, the exception's type name, or the kind (see :attr:`kind`)."""
    kind: ResultKind = "open"
    code_end: float | None = None
    """When the host's CTRL-D after the code went (None: not yet, or never)."""
    replied: float | None = None
    """The device's first answer to that CTRL-D (``OK`` or the paste's CTRL-D)."""
    finished: float | None = None
    """The record holding ExecFinished."""
    window: int | None = None
    """Raw-paste window size the device granted."""
    credit: list[tuple[float, int]] = field(default_factory=list)
    """Raw-paste window credit over time (see the module docstring)."""
    interrupted: bool = False
    """The host sent CTRL-C while this span was open."""

    @property
    def duration(self) -> float:
        """Seconds from the first row to the last."""
        return self.end - self.start

    @property
    def round_trip(self) -> float | None:
        """End of code sent -> ExecFinished (see the module docstring), when both are known."""
        if self.code_end is None or self.finished is None:
            return None
        return self.finished - self.code_end

    @property
    def first_reply(self) -> float | None:
        """End of code sent -> the device's first answer to it, when both are known."""
        if self.code_end is None or self.replied is None:
            return None
        return self.replied - self.code_end

    @property
    def is_open(self) -> bool:
        return self.kind == "open"


@dataclass(frozen=True, slots=True)
class Gap:
    """A pause longer than the threshold between record ``before`` and record ``before + 1``."""

    before: int
    start: float
    end: float

    @property
    def after(self) -> int:
        """Index of the record that ended the pause."""
        return self.before + 1

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Rates:
    """Bytes per second each way, per bucket: bucket ``k`` covers ``[origin + k*step, origin + (k+1)*step)``."""

    origin: float
    step: float
    tx: tuple[float, ...]
    rx: tuple[float, ...]

    def bucket_of(self, t: float) -> int:
        """The bucket ``t`` falls in (may be outside ``0 .. len - 1``)."""
        return math.floor((t - self.origin) / self.step)


def nice_step(duration: float, buckets: int = DEFAULT_BUCKETS) -> float:
    """The smallest step of the 1-2-5 series (…, 0.1, 0.2, 0.5, 1, 2, 5, …s) that covers
    ``duration`` in at most ``buckets`` buckets: round numbers on the time axis, and between
    ``buckets / 2.5`` and ``buckets`` buckets for any duration."""
    if buckets < 1:
        raise ValueError("buckets must be at least 1")
    want = max(duration, 1e-6) / buckets
    exponent = math.floor(math.log10(want))
    for base in (1, 2, 5, 10):
        step = float(f"{base}e{exponent}")  # 5e-06, not 4.9999999999999996e-06
        if step >= want * (1 - 1e-9):
            return step
    return float(f"1e{exponent + 1}")  # pragma: no cover - the loop's 10 always covers


def _split_step(step: float) -> tuple[int, int]:
    """``step`` of the 1-2-5 series as (mantissa 1, 2 or 5, power of ten)."""
    exponent = math.floor(math.log10(step) + 1e-9)
    mantissa = round(step / 10.0**exponent)
    if mantissa not in (1, 2, 5):
        raise ValueError(f"{step} is not a step of the 1-2-5 series")
    return mantissa, exponent


def finer_step(step: float) -> float:
    """The next smaller step of the 1-2-5 series (a zoom in: x2, or x2.5 from a 5)."""
    mantissa, exponent = _split_step(step)
    if mantissa == 1:
        return float(f"5e{exponent - 1}")
    return float(f"{1 if mantissa == 2 else 2}e{exponent}")


def coarser_step(step: float) -> float:
    """The next larger step of the 1-2-5 series (a zoom out)."""
    mantissa, exponent = _split_step(step)
    if mantissa == 5:
        return float(f"1e{exponent + 1}")
    return float(f"{2 if mantissa == 1 else 5}e{exponent}")


class Timeline:
    """Exec spans, gaps and byte rates of a trace, updated as records arrive (see the module)."""

    def __init__(
        self,
        records: Iterable[TraceRecord] = (),
        *,
        gap_threshold: float = DEFAULT_GAP_THRESHOLD,
        max_records: int = DEFAULT_MAX_RECORDS,
    ) -> None:
        if gap_threshold <= 0:
            raise ValueError("gap_threshold must be positive")
        if max_records < 1:
            raise ValueError("max_records must be at least 1")
        self.gap_threshold = gap_threshold
        self.max_records = max_records
        self.clear()
        self.add(records)

    def clear(self) -> None:
        """Forget every record: the next one added is index 0 again."""
        # A record's time, kept monotonic: a file whose clock steps back does not fold the axis.
        # The kept records are positions _head.. of the arrays; those before wait for compaction.
        self._times = array("d")
        # Bytes each way up to and including each record (prefix sums answer any bucket), and
        # the sums before position 0 (records compacted away).
        self._cum_tx = array("q")
        self._cum_rx = array("q")
        self._base_tx = 0
        self._base_rx = 0
        self._head = 0
        self._next = 0  # index of the next record added
        self.spans: list[ExecSpan] = []
        """The spans with a row still kept, oldest first."""
        self.spans_dropped = 0
        """Spans forgotten with their records (the first kept span's number)."""
        self.gaps: list[Gap] = []
        self._open: ExecSpan | None = None
        self._prompt_may_follow: ExecSpan | None = None

    def set_gap_threshold(self, seconds: float) -> None:
        """Mark pauses longer than ``seconds`` instead (found again from the times kept)."""
        if seconds <= 0:
            raise ValueError("gap_threshold must be positive")
        self.gap_threshold = seconds
        times = self._times
        shift = self.first - self._head  # array position -> record index
        self.gaps = [
            Gap(shift + pos - 1, times[pos - 1], times[pos])
            for pos in range(self._head + 1, len(times))
            if times[pos] - times[pos - 1] > seconds
        ]

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        """Records kept (at most ``max_records``)."""
        return len(self._times) - self._head

    @property
    def first(self) -> int:
        """Index of the oldest record kept (0 until the cap is reached)."""
        return self._next - len(self)

    @property
    def dropped(self) -> int:
        """Records forgotten to stay within ``max_records``."""
        return self.first

    @property
    def start(self) -> float:
        return self._times[self._head] if len(self) else 0.0

    @property
    def end(self) -> float:
        return self._times[-1] if self._times else 0.0

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def bytes_tx(self) -> int:
        """Bytes the host sent in the records kept."""
        return self._between(self._cum_tx, self._base_tx, self._head, len(self._times))

    @property
    def bytes_rx(self) -> int:
        """Bytes the device sent in the records kept."""
        return self._between(self._cum_rx, self._base_rx, self._head, len(self._times))

    def time_of(self, index: int) -> float:
        """The (monotonic) time of record ``index`` (a kept one)."""
        if not self.first <= index < self._next:
            raise IndexError(f"record {index} is not kept (kept: {self.first} to {self._next - 1})")
        return self._times[self._head + index - self.first]

    def span_number(self, number: int) -> ExecSpan | None:
        """The span numbered ``number``, if it is still kept."""
        position = number - self.spans_dropped
        return self.spans[position] if 0 <= position < len(self.spans) else None

    def spans_between(self, start: float, end: float) -> list[ExecSpan]:
        """The spans that overlap the times ``[start, end)``, oldest first (two bisections:
        a zoomed view draws what it shows, not the whole day)."""
        spans = self.spans
        lo = bisect_left(spans, start, key=attrgetter("end"))
        hi = bisect_left(spans, end, lo=lo, key=attrgetter("start"))
        return spans[lo:hi]

    def gaps_between(self, start: float, end: float) -> list[Gap]:
        """The gaps that overlap the times ``[start, end)``, oldest first."""
        gaps = self.gaps
        lo = bisect_left(gaps, start, key=attrgetter("end"))
        hi = bisect_left(gaps, end, lo=lo, key=attrgetter("start"))
        return gaps[lo:hi]

    def rates(
        self, step: float | None = None, *, origin: float | None = None, count: int | None = None
    ) -> Rates:
        """Bytes/s each way per bucket of ``step`` seconds (default :func:`nice_step` of the
        duration), from ``origin`` (default: the first record's time rounded down to the step)
        for ``count`` buckets (default: to the last record)."""
        if step is None:
            step = nice_step(self.duration)
        if step <= 0:
            raise ValueError("step must be positive")
        if origin is None:
            origin = math.floor(self.start / step) * step
        if count is None:
            count = max(1, math.floor((self.end - origin) / step) + 1) if len(self) else 0
        tx: list[float] = []
        rx: list[float] = []
        times, cum_tx, cum_rx = self._times, self._cum_tx, self._cum_rx
        base_tx, base_rx = self._base_tx, self._base_rx
        lo = bisect_left(times, origin, self._head)
        for k in range(count):
            hi = bisect_left(times, origin + (k + 1) * step, lo)
            tx.append(self._between(cum_tx, base_tx, lo, hi) / step)
            rx.append(self._between(cum_rx, base_rx, lo, hi) / step)
            lo = hi
        return Rates(origin, step, tuple(tx), tuple(rx))

    def span_at(self, index: int) -> ExecSpan | None:
        """The span whose rows include record ``index``, if any."""
        spans = self.spans
        pos = bisect_left(spans, index, key=attrgetter("last"))  # spans are in order and apart
        if pos < len(spans) and spans[pos].first <= index:
            return spans[pos]
        return None

    @staticmethod
    def _between(cum: array[int], base: int, lo: int, hi: int) -> int:
        """Bytes of the records at array positions ``lo .. hi - 1`` (``base``: the sum before position 0)."""
        if hi <= lo:
            return 0
        return cum[hi - 1] - (cum[lo - 1] if lo else base)

    # ------------------------------------------------------------------ reading records
    def add(self, records: Iterable[TraceRecord]) -> None:
        """Read records in order, after those already added (UI thread or any one thread)."""
        times = self._times
        cum_tx = self._cum_tx
        cum_rx = self._cum_rx
        threshold = self.gap_threshold
        cap = self.max_records
        head = self._head
        index = self._next - 1
        for rec in records:
            index += 1
            t = rec.t
            if times:
                previous = times[-1]
                if t < previous:
                    t = previous
                elif t - previous > threshold:
                    self.gaps.append(Gap(index - 1, previous, t))
                tx = cum_tx[-1]
                rx = cum_rx[-1]
            else:
                tx = rx = 0
            times.append(t)
            size = len(rec.data)
            if rec.dir == "tx":
                tx += size
            elif rec.dir == "rx":
                rx += size
            cum_tx.append(tx)
            cum_rx.append(rx)
            self._next = index + 1
            if len(times) - head > cap:
                head += 1  # the oldest goes
                if head >= _COMPACT_AT and head * 4 >= len(times) - head:
                    self._compact(head)
                    head = 0
            if rec.events:
                self._read_events(rec, index, t)
            elif self._open is not None:
                self._open.end = t
                self._open.last = index
            else:
                self._prompt_may_follow = None
        self._head = head
        self._forget_before(self.first)

    def _compact(self, head: int) -> None:
        """Free the forgotten records in front of the arrays, once they are a fifth of them:
        the arrays stay under 1.25 x ``max_records`` (plus ``_COMPACT_AT``), and each record
        is moved at most four times in all (amortised O(1))."""
        self._base_tx = self._cum_tx[head - 1]
        self._base_rx = self._cum_rx[head - 1]
        del self._times[:head]
        del self._cum_tx[:head]
        del self._cum_rx[:head]
        self._head = 0

    def _forget_before(self, first: int) -> None:
        """Drop the spans and gaps that end before record ``first`` (once per batch)."""
        spans = self.spans
        gone = bisect_left(spans, first, key=attrgetter("last"))
        if gone:
            del spans[:gone]
            self.spans_dropped += gone
        gaps = self.gaps
        gone = bisect_left(gaps, first, key=attrgetter("before"))
        if gone:
            del gaps[:gone]

    def _read_events(self, rec: TraceRecord, index: int, t: float) -> None:
        """The exec state machine, one record's events at a time."""
        follow = self._prompt_may_follow
        self._prompt_may_follow = None
        if follow is not None and rec.dir == "rx" and type(rec.events[0]) is RawReady:
            follow.end = t  # the prompt after ExecFinished arrived in a read of its own
            follow.last = index
            if len(rec.events) == 1:
                return
        span = self._open
        for event in rec.events:
            kind = type(event)
            if kind is CodeSent:
                if span is None or span.code_end is not None:
                    span = self._begin(event.mode, index, t)  # type: ignore[attr-defined]
                span.mode = event.mode  # type: ignore[attr-defined]
                span.code_size += event.size  # type: ignore[attr-defined]
                left = event.credit_left  # type: ignore[attr-defined]
                if left is not None:
                    span.credit.append((t, left))
            elif kind is RawPasteRequest:
                if span is None or span.code_end is not None or span.code_size:
                    span = self._begin("raw-paste", index, t)
            elif span is None:
                continue
            elif kind is EndOfCode:
                span.code_end = t
            elif kind is RawPasteAccepted:
                span.window = event.window  # type: ignore[attr-defined]
            elif kind is WindowCredit:
                span.credit.append((t, event.credit))  # type: ignore[attr-defined]
            elif kind is RawPasteRefused:
                span.mode = "raw"  # the host falls back to plain raw mode, or gives up
            elif kind is ExecAccepted or kind is PasteAcknowledged:
                if span.replied is None and span.code_end is not None:
                    span.replied = t
            elif kind is Interrupt:
                span.interrupted = span.interrupted or event.running or span.code_end is None  # type: ignore[attr-defined]
            elif kind is ExecFinished:
                span.finished = t
                exc = event.exception  # type: ignore[attr-defined]
                if exc is None:
                    self._close(span, index, t, "ok", "ok")
                elif exc.type_name == "KeyboardInterrupt" and span.interrupted:
                    self._close(span, index, t, "interrupted", "interrupted")
                else:
                    self._close(span, index, t, exc.type_name, "exception")
                self._prompt_may_follow = span
                span = None
            elif kind is RawReady:
                follow = self._prompt_may_follow
                if follow is not None:
                    follow.end = t
                    follow.last = index
                    self._prompt_may_follow = None
                elif span.interrupted:  # an upload stopped with CTRL-C: nothing ran
                    self._close(span, index, t, "interrupted", "interrupted")
                    span = None
            elif kind is SoftReboot or kind is DeviceRebooted:
                self._close(span, index, t, "rebooted", "rebooted")
                span = None
            elif kind is EnterRaw:
                self._close(span, index, t, "unfinished", "unfinished")
                span = None
        if span is not None:
            span.end = t
            span.last = index
        self._open = span

    def _begin(self, mode: CodeMode, index: int, t: float) -> ExecSpan:
        """A new span at record ``index``; an open one before it never saw its end."""
        if self._open is not None:
            previous = self._open
            self._close(previous, previous.last, previous.end, "unfinished", "unfinished")
        span = ExecSpan(self.spans_dropped + len(self.spans), mode, t, t, index, index)
        self.spans.append(span)
        self._open = span
        self._prompt_may_follow = None
        return span

    def _close(self, span: ExecSpan, index: int, t: float, result: str, kind: ResultKind) -> None:
        span.end = t
        span.last = index
        span.result = result
        span.kind = kind
        if self._open is span:
            self._open = None


def span_label(span: ExecSpan) -> str:
    """``raw-paste 9.1 KB 0.42 s ok``: mode, code size, duration, result, for a bar or a list."""
    return f"{span.mode} {format_size(span.code_size)} {format_seconds(span.duration)} {span.result}"


def format_seconds(seconds: float) -> str:
    """``850 µs``, ``12.3 ms``, ``4.20 s``, ``3 min 5 s``: as few digits as a glance needs."""
    if seconds < 0.001:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
