"""The cheap way the engine records its reads and writes (``TraceRecorder.record_events``)
makes records that read exactly as the general ``record`` makes them: same words (made when
first read), same equality, repr, copies and files; only the charge is reckoned from the
events instead of the words' length, once. Speed itself is measured in bench/, not here."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from tests.protocol_helpers import event_samples
from workbench.protocol import CodeSent, EndOfCode, Output, StdoutEnded, WindowCredit
from workbench.protocol.host_events import HostEvent
from workbench.trace import TraceRecord, TraceRecorder, load_jsonl, save_jsonl
from workbench.trace.record import EVENT_OVERHEAD, RECORD_OVERHEAD, WORDS_PER_EVENT
from workbench.trace.wording import meaning_of, note_of


class FakeClock:
    def __init__(self) -> None:
        self.t = 10.0

    def __call__(self) -> float:
        return self.t


def both_ways(direction: str, data: bytes, events: tuple, aside: str = "") -> tuple[TraceRecord, TraceRecord]:
    """The same read or write recorded by ``record`` and by ``record_events``."""
    clock = FakeClock()
    general, cheap = TraceRecorder(clock=clock), TraceRecorder(clock=clock)
    clock.t = 11.5
    general.record(direction, data, events=events, aside=aside)  # type: ignore[arg-type]
    cheap.record_events(direction, data, events, aside)  # type: ignore[arg-type]
    (a,), (b,) = general.records(), cheap.records()
    return a, b


def test_every_event_reads_the_same_recorded_either_way() -> None:
    for event in event_samples():
        direction = "tx" if isinstance(event, HostEvent) else "rx"
        for aside in ("", "state stdout"):
            general, cheap = both_ways(direction, b"\x01\x04", (event,), aside)
            assert cheap == general
            assert repr(cheap) == repr(general)
            assert (cheap.note, cheap.meaning, cheap.annotation) == (general.note, general.meaning, general.annotation)


def test_words_are_made_from_the_events_on_first_reading() -> None:
    code = (CodeSent(128, "raw-paste", credit_left=0), EndOfCode("raw-paste"))
    _, write = both_ways("tx", b"x" * 128, code)
    assert (write.note, write.meaning) == (note_of(code), "")
    credit = (WindowCredit(128, 256),)
    _, read = both_ways("rx", b"\x01", credit, aside="state sending")
    assert (read.note, read.meaning) == ("", meaning_of(credit) + " [state sending]")
    _, bare = both_ways("rx", b"O", (), aside="state waiting for OK")
    assert (bare.meaning, bare.events) == ("[state waiting for OK]", ())


def test_a_records_charge_is_fixed_when_recorded_and_counts_words_per_event() -> None:
    recorder = TraceRecorder(clock=FakeClock())
    events = (Output("stdout", b"hello"), StdoutEnded())
    recorder.record_events("rx", b"hello\x04", events, "state stdout")
    (rec,) = recorder.records()
    expected = 6 + RECORD_OVERHEAD + 2 * (EVENT_OVERHEAD + WORDS_PER_EVENT) + 5 + len(" [state stdout]")
    assert rec.cost() == recorder.used_bytes == expected
    assert rec.meaning == "stdout 5 B; CTRL-D: end of stdout [state stdout]"
    assert rec.cost() == expected  # reading the words changes no charge
    copy = replace(rec)  # a copy holds the words as text, and is charged for them
    assert copy == rec and copy.cost() == 6 + len(rec.meaning) + RECORD_OVERHEAD + 2 * EVENT_OVERHEAD + 5


def test_the_budget_holds_with_records_of_both_kinds() -> None:
    recorder = TraceRecorder(budget_bytes=2000, clock=FakeClock())
    for i in range(200):
        if i % 3:
            recorder.record_events("rx", b"\x01", (WindowCredit(128, 128 * i),))
        else:
            recorder.record("tx", b"y" * (i % 50 + 1), note=f"#{i}")
        assert recorder.used_bytes <= 2000
    kept = recorder.records()
    assert recorder.used_bytes == sum(rec.cost() for rec in kept)
    assert [rec.meaning for rec in kept] == [rec.meaning for rec in kept]  # words made; charges unchanged
    assert recorder.used_bytes == sum(rec.cost() for rec in kept)
    assert recorder.dropped_records + len(kept) == recorder.total_records == 200


def test_words_read_from_several_threads_at_once_are_the_same() -> None:
    recorder = TraceRecorder(clock=FakeClock())
    events = (WindowCredit(128, 384),)
    for _ in range(300):
        recorder.record_events("rx", b"\x01", events)
    records = recorder.records()
    seen: list[set[str]] = []

    def read_all() -> None:
        seen.append({rec.meaning for rec in records})

    threads = [threading.Thread(target=read_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [{meaning_of(events)}] * 4


def test_a_saved_trace_holds_the_words(tmp_path: Path) -> None:
    recorder = TraceRecorder(clock=FakeClock())
    recorder.record_events("tx", b"print(1)\x04", (CodeSent(8, "raw-paste"), EndOfCode("raw-paste")))
    recorder.record_events("rx", b"\x01", (WindowCredit(128, 256),))
    path = tmp_path / "t.jsonl"
    save_jsonl(path, recorder.records())
    loaded, _ = load_jsonl(path)
    assert loaded == recorder.records()
    assert [(rec.note, rec.meaning) for rec in loaded] == [
        ("code 8 B (raw-paste), CTRL-D: end of code", ""),
        ("", "CTRL-A: window credit +128 (now 256)"),
    ]


def test_disabled_or_empty_records_nothing() -> None:
    recorder = TraceRecorder(clock=FakeClock(), enabled=False)
    seen: list[TraceRecord] = []
    recorder.listeners.append(seen.append)
    recorder.record_events("rx", b"\x01", (WindowCredit(128, 256),))
    recorder.enabled = True
    recorder.record_events("rx", b"", ())
    assert recorder.records() == [] and seen == [] and recorder.total_records == 0
    recorder.record_events("rx", b"\x01", (WindowCredit(128, 256),))
    assert len(seen) == 1 and seen[0] is recorder.records()[0]
