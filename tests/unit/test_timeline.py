"""The timeline model: exec spans, gaps and byte rates read from a trace's records.

The execs come from the reference transcripts (real MicroPython), read as one session the way
the app reads a saved trace (annotated); gaps and rates from a hand-made list whose numbers
can be checked by hand.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from workbench.protocol import CodeSent, EndOfCode
from workbench.trace import TraceRecord, annotate, load_jsonl
from workbench.trace.timeline import ExecSpan, Timeline, nice_step, span_label

UNIX_PORT = Path(__file__).resolve().parents[1] / "data" / "transcripts" / "unix-port"


def session(names: list[str], pause: float = 0.5) -> tuple[list[TraceRecord], list[int]]:
    """Transcripts one after another on one clock (each starts ``pause`` s after the last
    ended), annotated as one trace; also the index each file starts at."""
    records: list[TraceRecord] = []
    starts = []
    t0 = 0.0
    for name in names:
        starts.append(len(records))
        rows = load_jsonl(UNIX_PORT / f"{name}.jsonl")[0]
        records += [replace(rec, t=rec.t + t0) for rec in rows]
        t0 = records[-1].t + pause
    return annotate(records), starts


EXECS = [
    "02-exec-ok",
    "03-exec-exception",
    "04-exec-syntax-error",
    "05-raw-paste-small",
    "06-raw-paste-multi-window",
    "07-interrupt-running",
]


def test_execs_of_a_session_are_spans_with_mode_result_and_rows() -> None:
    names = ["01-enter-raw", *EXECS]
    records, starts = session(names)
    timeline = Timeline(records)

    spans = timeline.spans
    assert [span.mode for span in spans] == ["raw", "raw", "raw", "raw-paste", "raw-paste", "raw"]
    assert [span.result for span in spans] == [
        "ok",
        "ZeroDivisionError",
        "SyntaxError",
        "ok",
        "ok",
        "interrupted",
    ]
    # Each exec is a whole transcript here: its rows run from the file's first to its last
    # (the plain raw ones end with ExecFinished: their prompt is in the next file, unread).
    ends = [*starts[2:], len(records)]
    assert [(span.first, span.last) for span in spans] == [
        (s, e - 1) for s, e in zip(starts[1:], ends, strict=True)
    ]
    assert [span.code_size for span in spans] == [10, 41, 15, 16, 2363, 43]
    assert all(span.round_trip is not None and 0 < span.round_trip <= span.duration for span in spans)
    # 07's program loops until CTRL-C, sent 0.3 s after the code: that is its round trip.
    assert spans[-1].round_trip == pytest.approx(0.3, abs=0.01)
    assert span_label(spans[4]).startswith("raw-paste 2.4 KB ")


def test_raw_paste_credit_follows_the_window_grants_and_the_code_sent() -> None:
    records, _ = session(["06-raw-paste-multi-window"])
    (span,) = Timeline(records).spans
    assert span.window == 128
    credits = [credit for _, credit in span.credit]
    assert credits[:4] == [256, 0, 128, 0]  # granted two windows, spent, one more, spent
    assert all(0 <= credit <= 256 for credit in credits)
    times = [t for t, _ in span.credit]
    assert times == sorted(times) and span.start <= times[0] and times[-1] <= span.end


def test_a_span_is_open_until_its_end_arrives_and_live_batches_read_as_one() -> None:
    records, _ = session(EXECS)
    whole = Timeline(records).spans
    live = Timeline()
    for start in range(0, len(records), 7):  # batches that cut execs anywhere
        live.add(records[start : start + 7])
        if live.spans and live.spans[-1].last < len(live) - 1:
            assert not live.spans[-1].is_open  # a span that stopped growing has ended
    assert [(s.first, s.last, s.result, s.code_size) for s in live.spans] == [
        (s.first, s.last, s.result, s.code_size) for s in whole
    ]

    half = Timeline(records[:2])  # 02's code and CTRL-D, no answer yet
    assert half.spans[0].kind == "open" and half.spans[0].round_trip is None


def test_an_exec_without_an_end_is_unfinished_when_the_next_begins() -> None:
    code = TraceRecord(0.0, "tx", b"1\x04", events=(CodeSent(1, "raw"), EndOfCode("raw")))
    again = replace(code, t=5.0)
    timeline = Timeline([code, again])
    assert [span.kind for span in timeline.spans] == ["unfinished", "open"]
    assert [(span.first, span.last) for span in timeline.spans] == [(0, 0), (1, 1)]


def hand_made() -> list[TraceRecord]:
    return [
        TraceRecord(0.0, "tx", b"x" * 10),
        TraceRecord(0.5, "rx", b"y" * 20),
        TraceRecord(2.0, "tx", b"z" * 5),  # after a 1.5 s pause
        TraceRecord(2.2, "note", b"", "", "probe"),
        TraceRecord(4.5, "rx", b"w"),  # after a 2.3 s pause
    ]


def test_gaps_over_the_threshold_are_marked_where_they_are() -> None:
    timeline = Timeline(hand_made())
    assert [(gap.before, gap.after, gap.start, gap.end) for gap in timeline.gaps] == [
        (1, 2, 0.5, 2.0),
        (3, 4, 2.2, 4.5),
    ]
    timeline.set_gap_threshold(2.0)
    assert [gap.before for gap in timeline.gaps] == [3]
    assert Timeline(hand_made(), gap_threshold=3.0).gaps == []


def test_rates_are_bytes_per_second_in_each_bucket_each_way() -> None:
    timeline = Timeline(hand_made())
    rates = timeline.rates(1.0)
    assert (rates.origin, rates.step) == (0.0, 1.0)
    assert rates.tx == (10.0, 0.0, 5.0, 0.0, 0.0)
    assert rates.rx == (20.0, 0.0, 0.0, 0.0, 1.0)
    halves = timeline.rates(0.5, origin=2.0, count=2)
    assert halves.tx == (10.0, 0.0) and halves.rx == (0.0, 0.0)
    assert (timeline.bytes_tx, timeline.bytes_rx) == (15, 21)


@pytest.mark.parametrize("duration", [0.0004, 0.05, 9.5, 60.0, 3600.0, 86_400.0])
def test_the_default_bucket_is_a_round_step_giving_48_to_120_buckets(duration: float) -> None:
    step = nice_step(duration)
    assert round(step / 10 ** math.floor(math.log10(step)), 9) in (1, 2, 5)
    assert 48 <= duration / step <= 120


def day_of_execs(repeats: int) -> list[TraceRecord]:
    """The six execs over and over, 0.5 s apart each round: a long session's records."""
    one, _ = session(EXECS)
    records: list[TraceRecord] = []
    for round_ in range(repeats):
        shift = round_ * (one[-1].t + 0.5)
        records += [replace(rec, t=rec.t + shift) for rec in one]
    return records


def test_a_capped_timeline_keeps_its_newest_records_and_their_spans_right() -> None:
    records = day_of_execs(120)  # ~9,000 records, more than twice the compaction step
    whole = Timeline(records, max_records=len(records))
    capped = Timeline(max_records=1000)
    for start in range(0, len(records), 50):  # live batches
        capped.add(records[start : start + 50])
        assert len(capped) <= 1000 and len(capped.spans) <= 1000
        assert len(capped._times) <= 1000 * 5 // 4 + 4096  # forgotten records are freed, not just hidden

    assert (len(capped), capped.first, capped.dropped) == (1000, len(records) - 1000, len(records) - 1000)
    assert capped.start == records[capped.first].t and capped.end == records[-1].t
    assert capped.time_of(len(records) - 1) == records[-1].t
    with pytest.raises(IndexError):
        capped.time_of(0)  # forgotten

    # Every span still kept has a row kept, and reads as it does in the whole trace, numbers and all.
    def described(spans: list[ExecSpan]) -> list[tuple[object, ...]]:
        return [(s.number, s.first, s.last, s.result, s.code_size, s.round_trip) for s in spans]

    kept_spans = capped.spans
    assert kept_spans[0].last >= capped.first and capped.spans_dropped + len(kept_spans) == len(whole.spans)
    assert described(kept_spans) == described(whole.spans[-len(kept_spans) :])
    assert capped.span_number(capped.spans[-1].number) is capped.spans[-1] and capped.span_number(0) is None
    # The bytes of the records kept, by bucket and in all.
    kept = records[capped.first :]
    assert capped.bytes_tx == sum(len(rec.data) for rec in kept if rec.dir == "tx")
    mine = capped.rates(1.0)
    theirs = whole.rates(1.0, origin=mine.origin, count=len(mine.tx))
    assert mine.tx[1:] == theirs.tx[1:] and mine.tx[0] < theirs.tx[0]  # the first second lost some records
    # Gaps found again from the times kept match those found on the way.
    capped.add([replace(records[-1], t=records[-1].t + 5.0)])
    found = list(capped.gaps)
    capped.set_gap_threshold(capped.gap_threshold)
    assert capped.gaps == found and found[-1].before == len(records) - 1
