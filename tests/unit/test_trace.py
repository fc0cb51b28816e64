"""The byte trace: bounded recording, JSON Lines files, annotations and text renderings."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench
from tests.protocol_helpers import TRANSCRIPT_DIR, TRANSCRIPT_FILES, event_samples, load_transcript
from workbench.protocol import (
    CodeSent,
    EndOfCode,
    EnterRaw,
    ExecAccepted,
    Interrupt,
    InterruptReason,
    Output,
    RawPasteAccepted,
    StdoutEnded,
    WindowCredit,
)
from workbench.protocol.host_events import HostEvent
from workbench.trace import (
    TraceFileError,
    TraceRecord,
    TraceRecorder,
    annotate,
    load_jsonl,
    render_hex,
    render_text,
    save_jsonl,
)
from workbench.trace.eventjson import event_from_json, event_to_json
from workbench.trace.record import EVENT_OVERHEAD, RECORD_OVERHEAD


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start

    def __call__(self) -> float:
        return self.t


def transcript_records(name: str) -> list[TraceRecord]:
    records, meta = load_jsonl(TRANSCRIPT_DIR / f"{name}.jsonl")
    assert meta == {}
    return records


def all_transcript_records() -> list[TraceRecord]:
    """Every transcript, in the order they ran on one connection."""
    out: list[TraceRecord] = []
    for path in TRANSCRIPT_FILES:
        out += load_jsonl(path)[0]
    return out


# ---------------------------------------------------------------------------- recorder
def test_recorder_times_records_from_its_start() -> None:
    clock = FakeClock(1000.0)
    recorder = TraceRecorder(clock=clock)
    clock.t = 1000.25
    recorder.record("tx", b"\r\x01", note="enter raw REPL")
    clock.t = 1001.5
    recorder.record("rx", b"raw REPL; CTRL-B to exit\r\n>")
    assert recorder.now() == 1.5
    assert recorder.records() == [
        TraceRecord(0.25, "tx", b"\r\x01", "enter raw REPL", ""),
        TraceRecord(1.5, "rx", b"raw REPL; CTRL-B to exit\r\n>", "", ""),
    ]


def test_recorder_drops_oldest_first_and_counts_what_it_dropped() -> None:
    cost = 100 + RECORD_OVERHEAD
    recorder = TraceRecorder(budget_bytes=5 * cost, clock=FakeClock())
    for i in range(20):
        recorder.record("rx", bytes([i]) * 100)
    kept = recorder.records()
    assert [rec.data[0] for rec in kept] == [15, 16, 17, 18, 19]  # the newest, oldest first
    assert recorder.dropped_records == 15
    assert recorder.dropped_bytes == 15 * 100
    assert recorder.total_records == 20
    assert recorder.used_bytes == 5 * cost <= recorder.budget_bytes


def test_recorder_budget_counts_notes_and_meanings() -> None:
    recorder = TraceRecorder(budget_bytes=2 * (RECORD_OVERHEAD + 10), clock=FakeClock())
    recorder.record("tx", b"0123456789")
    recorder.record("tx", b"0123456789")
    assert recorder.dropped_records == 0
    recorder.record("tx", b"x", note="a long note", meaning="and a meaning")
    assert recorder.dropped_records >= 1
    assert recorder.used_bytes <= recorder.budget_bytes


def test_recorder_words_a_records_events() -> None:
    """A read gets its meaning from its events, a write of the workbench's own its note (its
    words for what it sent); a verbose trace adds an aside in brackets."""
    recorder = TraceRecorder(clock=FakeClock())
    recorder.record("tx", b"\r\x01", events=(EnterRaw(cr=True),))
    recorder.record("tx", b"x=1\x04", events=(CodeSent(3, "raw-paste"), EndOfCode("raw-paste")), aside="now busy")
    recorder.record("rx", b"OK1\x04", events=(ExecAccepted(), Output("stdout", b"1"), StdoutEnded()))
    recorder.record("rx", b"O", aside="state waiting for OK")
    enter, code, ok, partial = recorder.records()
    assert (enter.note, enter.meaning, enter.events) == ("CR CTRL-A: enter the raw REPL", "", (EnterRaw(cr=True),))
    assert code.note == "code 3 B (raw-paste), CTRL-D: end of code [now busy]"
    assert ok.meaning == "OK: code accepted, running; stdout 1 B; CTRL-D: end of stdout"
    assert ok.events == (ExecAccepted(), Output("stdout", b"1"), StdoutEnded())
    assert (partial.meaning, partial.events) == ("[state waiting for OK]", ())


def test_recorder_budget_counts_events() -> None:
    plain = TraceRecord(0.0, "rx", b"hi", meaning="stdout 2 B")
    typed = TraceRecord(0.0, "rx", b"hi", meaning="stdout 2 B", events=(Output("stdout", b"hi"),))
    assert typed.cost() == plain.cost() + EVENT_OVERHEAD + 2  # the event and the output it holds


@settings(max_examples=200, deadline=None)
@given(
    budget=st.integers(RECORD_OVERHEAD + 64 + 3, 4096),  # room for any one record
    sizes=st.lists(st.integers(1, 64), max_size=80),
)
def test_recorder_memory_stays_within_budget(budget: int, sizes: list[int]) -> None:
    recorder = TraceRecorder(budget_bytes=budget, clock=FakeClock())
    for i, size in enumerate(sizes):
        recorder.record("rx" if i % 2 else "tx", bytes([i % 256]) * size, note=f"#{i}")
        assert recorder.used_bytes <= budget
    kept = recorder.records()
    assert recorder.used_bytes == sum(rec.cost() for rec in kept)
    assert recorder.total_records == len(sizes)
    assert recorder.dropped_records + len(kept) == len(sizes)
    # What is kept is the newest records, in order; what is gone is counted exactly.
    assert [rec.note for rec in kept] == [f"#{i}" for i in range(recorder.dropped_records, len(sizes))]
    assert recorder.dropped_bytes == sum(sizes[: recorder.dropped_records])


def test_recorder_keeps_the_newest_record_even_when_it_alone_is_over_budget() -> None:
    recorder = TraceRecorder(budget_bytes=RECORD_OVERHEAD + 10, clock=FakeClock())
    recorder.record("rx", b"small")
    recorder.record("rx", b"B" * 1000)
    assert [rec.data for rec in recorder.records()] == [b"B" * 1000]
    assert recorder.dropped_records == 1
    assert recorder.dropped_bytes == 5


def test_listeners_get_every_record_in_order() -> None:
    recorder = TraceRecorder(budget_bytes=RECORD_OVERHEAD + 4, clock=FakeClock())
    seen: list[TraceRecord] = []
    also: list[bytes] = []
    recorder.listeners.append(seen.append)
    recorder.listeners.append(lambda rec: also.append(rec.data))
    recorder.record("tx", b"\x03", note="interrupt")
    recorder.record("rx", b">>> ")
    assert [rec.data for rec in seen] == [b"\x03", b">>> "]
    assert seen[0].note == "interrupt"
    assert also == [b"\x03", b">>> "]
    assert recorder.records() == [seen[-1]]  # the listener saw even the dropped record


def test_disabled_recorder_and_empty_data_record_nothing() -> None:
    recorder = TraceRecorder(clock=FakeClock(), enabled=False)
    called: list[TraceRecord] = []
    recorder.listeners.append(called.append)
    recorder.record("tx", b"abc")
    recorder.enabled = True
    recorder.record("rx", b"")
    assert recorder.records() == []
    assert recorder.total_records == 0
    assert called == []
    recorder.record("rx", b"x")
    assert len(called) == 1


def test_clear_forgets_records_and_counters() -> None:
    recorder = TraceRecorder(budget_bytes=RECORD_OVERHEAD + 1, clock=FakeClock())
    for _ in range(3):
        recorder.record("rx", b"z")
    assert recorder.dropped_records == 2
    recorder.clear()
    assert recorder.records() == []
    assert (recorder.dropped_records, recorder.dropped_bytes, recorder.total_records) == (0, 0, 0)
    assert recorder.used_bytes == 0


def test_recorder_from_several_threads_loses_nothing_it_does_not_count() -> None:
    recorder = TraceRecorder(budget_bytes=50 * (RECORD_OVERHEAD + 8), clock=FakeClock())
    seen = []
    recorder.listeners.append(seen.append)

    def writer(tag: int) -> None:
        for i in range(500):
            recorder.record("rx", bytes([tag]) * 8, note="")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kept = recorder.records()
    assert recorder.total_records == 2000 == len(seen)
    assert recorder.dropped_records + len(kept) == 2000
    assert recorder.dropped_bytes == 8 * recorder.dropped_records
    assert recorder.used_bytes == sum(rec.cost() for rec in kept) <= recorder.budget_bytes


# ---------------------------------------------------------------------------- JSON Lines
SAMPLE = [
    TraceRecord(0.000021, "tx", b"\x05A\x01", "raw-paste request", "CTRL-E A CTRL-A: ask for raw-paste"),
    TraceRecord(0.000179, "rx", b"R\x01\x80\x00\x01", "", ""),
    TraceRecord(1.5, "rx", bytes(range(256)), "all bytes", "caf\u00e9 \u2603"),
    TraceRecord(12.123456, "tx", b"\x04", "", "CTRL-D"),
]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    meta = {"source": "spawn://micropython", "dropped_records": 3}
    save_jsonl(path, SAMPLE, meta)
    records, loaded_meta = load_jsonl(path)
    assert records == SAMPLE
    assert loaded_meta == meta


def test_every_event_type_survives_a_save_and_a_load(tmp_path: Path) -> None:
    """Each record keeps its events through the file: every event type, every field kind
    (bytes, an enum, a traceback with frames), equal records after loading."""
    records = [
        TraceRecord(float(i), "tx" if isinstance(event, HostEvent) else "rx", b"\x04", "n", "m", (event,))
        for i, event in enumerate(event_samples())
    ]
    records.append(TraceRecord(99.0, "rx", b"OK", "", "", (ExecAccepted(), Output("stdout", b"\xff"), StdoutEnded())))
    path = tmp_path / "trace.jsonl"
    save_jsonl(path, records)
    assert load_jsonl(path) == (records, {})


def test_saved_events_are_plain_json_a_script_can_read(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    records = [
        TraceRecord(0.1, "rx", b"R\x01\x80\x00\x01", "", "", (RawPasteAccepted(128), WindowCredit(128, 256))),
        TraceRecord(0.2, "tx", b"\x03", "", "", (Interrupt(1, False, True, InterruptReason.EXEC_TIMEOUT),)),
        TraceRecord(0.3, "rx", b"hi", "", "", (Output("stdout", b"hi"),)),
    ]
    save_jsonl(path, records)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows[0]["events"] == [
        {"type": "RawPasteAccepted", "window": 128},
        {"type": "WindowCredit", "granted": 128, "credit": 256},
    ]
    assert rows[1]["events"] == [
        {"type": "Interrupt", "ctrl_c": 1, "cr": False, "running": True, "reason": "exec_timeout"}
    ]
    assert rows[2]["events"] == [{"type": "Output", "stream": "stdout", "data": "6869"}]


def test_a_traceback_is_saved_as_an_object() -> None:
    finished = next(e for e in event_samples() if getattr(e, "exception", None) is not None)
    obj = event_to_json(finished)
    assert obj["type"] == "ExecFinished"
    assert obj["exception"]["type_name"] == "ZeroDivisionError"
    assert obj["exception"]["frames"][1] == {"file": "lib.py", "line": 12, "function": None}
    assert event_from_json(json.loads(json.dumps(obj))) == finished


def test_an_engine_trace_saved_and_loaded_keeps_its_events(tmp_path: Path) -> None:
    with workbench.connect("sim://generic") as session:
        session.exec("print(1)")
        records = session.trace.records()
    assert all(rec.events for rec in records if rec.dir == "tx")
    assert any(isinstance(e, RawPasteAccepted) for rec in records for e in rec.events)
    path = tmp_path / "trace.jsonl"
    save_jsonl(path, records)
    assert load_jsonl(path)[0] == [replace(rec, t=round(rec.t, 6)) for rec in records]  # the file keeps µs


def test_a_file_without_events_gets_them_from_the_core() -> None:
    """Old files and the reference transcripts have no events: the loader returns what the
    file holds, and annotate (which the app and the CLI run on every file they open) replays
    the bytes through the core to recompute them."""
    records = transcript_records("05-raw-paste-small")
    assert not any(rec.events for rec in records)
    annotated = annotate(records)
    assert all(rec.events for rec in annotated if rec.meaning)
    assert all(rec.events for rec in annotated if rec.dir == "tx")
    accepted = next(rec for rec in annotated if "raw-paste accepted" in rec.meaning)
    assert RawPasteAccepted(128) in accepted.events


def test_annotate_keeps_the_events_a_record_has() -> None:
    """A record of a device's bytes with its meaning and events (as the engine recorded it)
    is kept; one with a meaning but no events (an older file) gets the replay's events."""
    records = transcript_records("02-exec-ok")
    mine = (ExecAccepted(),)
    records[-1].meaning = "mine"
    records[-2].meaning = "mine too"
    records[-2].events = mine
    annotated = annotate(records)
    assert annotated[-2].events == mine
    assert annotated[-1].meaning == "mine" and annotated[-1].events
    assert annotate(records, overwrite=True)[-2].events != mine


def test_a_marker_row_is_kept_saved_and_read_back(tmp_path: Path) -> None:
    recorder = TraceRecorder()
    seen: list[TraceRecord] = []
    recorder.listeners.append(seen.append)
    recorder.record("tx", b"\r\x01", "enter raw")
    recorder.mark("probe: the workbench closes its connection")
    recorder.record("rx", b"OK")
    marker = recorder.records()[1]
    assert (marker.dir, marker.data, marker.meaning) == ("note", b"", "probe: the workbench closes its connection")
    assert seen[1] is marker  # the app's live trace gets it like any row
    path = tmp_path / "trace.jsonl"
    save_jsonl(path, recorder.records())
    records, _meta = load_jsonl(path)
    back = annotate(records)[1]  # the annotator leaves markers alone
    assert (back.dir, back.data, back.meaning) == (marker.dir, marker.data, marker.meaning)
    assert "probe: the workbench closes its connection" in render_text(records).splitlines()[1]


def test_saved_file_has_the_transcript_shape(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    save_jsonl(path, SAMPLE[:2])
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows[0] == {
        "t": 0.000021,
        "dir": "tx",
        "hex": "054101",
        "note": "raw-paste request",
        "meaning": "CTRL-E A CTRL-A: ask for raw-paste",
    }
    assert rows[1] == {"t": 0.000179, "dir": "rx", "hex": "5201800001", "note": ""}


def test_saved_file_and_reference_transcript_load_the_same_way(tmp_path: Path) -> None:
    for path in TRANSCRIPT_FILES:
        original = path.read_text().splitlines()
        records, meta = load_jsonl(path)
        assert meta == {}
        reference = load_transcript(path)  # read independently with json
        assert [(r.t, r.dir, r.data, r.note) for r in records] == [
            (r.t, r.dir, r.data, r.note) for r in reference
        ]
        copy = tmp_path / path.name
        save_jsonl(copy, records)
        assert load_jsonl(copy) == (records, {})
        # Without meanings our file is line for line the transcript, field for field.
        assert [json.loads(line) for line in copy.read_text().splitlines()] == [
            json.loads(line) for line in original
        ]


def test_save_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "trace.jsonl"
    save_jsonl(path, SAMPLE)
    assert load_jsonl(path)[0] == SAMPLE


def test_blank_lines_and_meta_without_object(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('\n{"meta": 5}\n\n{"t": 1, "dir": "rx", "hex": "3e"}\n')
    records, meta = load_jsonl(path)
    assert records == [TraceRecord(1.0, "rx", b">", "", "")]
    assert meta == {}


GOOD = '{"t": 0.1, "dir": "tx", "hex": "0d01", "note": "enter raw REPL"}'


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        ('{"t": 0.2, "dir": "rx", "hex": "3e"', "not JSON"),
        ('{"t": 0.2, "dir": "up", "hex": "3e"}', "dir"),
        ('{"t": 0.2, "hex": "3e"}', "dir"),
        ('{"t": 0.2, "dir": "rx", "hex": "zz"}', "hex"),
        ('{"t": 0.2, "dir": "rx", "hex": "3"}', "hex"),
        ('{"t": "soon", "dir": "rx", "hex": "3e"}', "'t'"),
        ('["t", "dir"]', "object"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": {"type": "RawReady"}}', "'events' must be a list"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "Boom"}]}', "unknown event type 'Boom'"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [7]}', "must be an object"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"window": 1}]}', "unknown event type None"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "RawPasteAccepted"}]}', "'window' is missing"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "RawPasteAccepted", "window": "x"}]}',
         "RawPasteAccepted.window: must be an integer"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "RawPasteAccepted", "window": true}]}',
         "must be an integer"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "RawReady", "extra": 1}]}', "no field 'extra'"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "Output", "stream": "stdin", "data": ""}]}',
         "Output.stream: must be one of 'stdout', 'stderr'"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "Output", "stream": "stdout", "data": "zz"}]}',
         "Output.data: must be hexadecimal"),
        (
            ('{"t": 0.2, "dir": "tx", "hex": "03", "events": [{"type": "Interrupt", "ctrl_c": 1, "cr": false, '
            '"running": true, "reason": "boredom"}]}'),
            "Interrupt.reason: must be one of",
        ),
        (
            ('{"t": 0.2, "dir": "rx", "hex": "04", "events": [{"type": "ExecFinished", "exception": '
            '{"type_name": "E", "message": "", "frames": [{"file": "x"}]}}]}'),
            "ExecFinished.exception.frames[0]: field 'line'",
        ),
        ('{"t": 0.2, "dir": "tx", "hex": "3e", "events": [{"type": "RawReady"}]}', "RawReady is the device's"),
        ('{"t": 0.2, "dir": "rx", "hex": "3e", "events": [{"type": "RawReady"}, {"type": "SoftReset"}]}',
         "event 2: SoftReset is the host's"),
    ],
    ids=[
        "bad-json", "bad-dir", "no-dir", "bad-hex", "odd-hex", "bad-t", "not-object", "events-not-list",
        "unknown-event", "event-not-object", "event-without-type", "missing-field", "field-wrong-type",
        "bool-for-int", "unknown-field", "bad-literal", "bad-bytes", "bad-enum", "bad-nested", "host-event-in-rx",
        "device-event-in-tx",
    ],
)
def test_malformed_file_names_file_and_line(tmp_path: Path, bad_line: str, words: str) -> None:
    path = tmp_path / "broken.jsonl"
    # Line 1 good, line 2 blank, line 3 bad: the number counts lines in the file.
    path.write_text(f"{GOOD}\n\n{bad_line}\n{GOOD}\n", encoding="utf-8")
    with pytest.raises(TraceFileError) as info:
        load_jsonl(path)
    message = str(info.value)
    assert f"{path}:3" in message
    assert words in message
    assert isinstance(info.value, ValueError)


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    with pytest.raises(TraceFileError, match="missing.jsonl"):
        load_jsonl(missing)
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TraceFileError, match="binary.jsonl"):
        load_jsonl(binary)


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_save_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "trace.jsonl"
    save_jsonl(path, SAMPLE[:1])
    before = path.read_bytes()

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        save_jsonl(path, SAMPLE)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.jsonl"]
    assert load_jsonl(path)[0] == SAMPLE[:1]


def test_save_over_existing_file_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    save_jsonl(path, SAMPLE)
    save_jsonl(path, SAMPLE[1:2])
    assert load_jsonl(path)[0] == SAMPLE[1:2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.jsonl"]


# ---------------------------------------------------------------------------- annotate
def meanings_by_note(records: list[TraceRecord]) -> dict[str, str]:
    return {rec.note: rec.meaning for rec in records if rec.dir == "tx"}


def test_annotate_names_the_protocol_steps_of_the_transcripts() -> None:
    annotated = annotate(all_transcript_records())
    text = "\n".join(rec.meaning for rec in annotated)
    assert "CTRL-A: enter the raw REPL" in text
    assert "OK: code accepted" in text
    assert "raw-paste accepted, window 128 bytes" in text
    assert "soft reboot: 'MPY: soft reboot'" in text
    assert "CTRL-E A CTRL-A: ask for raw-paste" in text
    assert "raw prompt '>'" in text
    assert "run raised ZeroDivisionError" in text
    assert "run raised KeyboardInterrupt" in text
    assert "friendly prompt '>>> '" in text
    by_note = meanings_by_note(annotated)
    assert by_note["interrupt twice"].startswith("CTRL-C twice")
    assert by_note["enter raw REPL"] == "CTRL-A: enter the raw REPL"
    assert by_note["execute"] == "CTRL-D: execute"
    assert by_note["empty line + Ctrl-D: soft reset"] == "CTRL-D on an empty line: soft reset"
    assert by_note["leave raw REPL"] == "CTRL-B: leave the raw REPL"


def test_annotate_shows_raw_paste_credit() -> None:
    annotated = annotate(all_transcript_records())
    credit = [rec.meaning for rec in annotated if "window credit" in rec.meaning]
    assert credit[0] == "R CTRL-A: raw-paste accepted, window 128 bytes; CTRL-A: window credit +128 (now 256)"
    chunks = [rec.meaning for rec in annotated if rec.note == "code chunk"]
    assert chunks[0] == "code 256 B (raw-paste, credit left 0)"
    assert not any("BEYOND" in meaning for meaning in chunks)


def test_annotate_standalone_transcript_with_soft_reboot() -> None:
    annotated = annotate(transcript_records("08-soft-reset-in-raw"))
    assert any(rec.meaning == "soft reboot: 'MPY: soft reboot'" for rec in annotated)
    assert annotated[-1].meaning == "raw prompt '>': ready for code"


def test_annotate_single_ctrl_c_reads_cleanly() -> None:
    """The interrupt of transcript 07 is one CTRL-C: no stray space before the colon."""
    annotated = annotate(all_transcript_records())
    assert meanings_by_note(annotated)["interrupt running code"] == "CTRL-C: interrupt running code"


def test_annotate_does_not_call_the_end_of_friendly_paste_mode_a_soft_reset() -> None:
    """Transcript 10 ends paste mode (CTRL-E ... CTRL-D) at the friendly REPL; the board runs
    the pasted code and prints ``0``, ``1`` and a prompt. Nothing reboots."""
    annotated = annotate(all_transcript_records())
    tail = annotated[-len(transcript_records("10-friendly-repl")) :]
    end_paste = meanings_by_note(tail)["end paste"]
    assert "soft reset" not in end_paste
    assert not any("soft reboot" in rec.meaning for rec in tail)


def test_annotate_keeps_existing_meanings_unless_told() -> None:
    records = transcript_records("01-enter-raw")
    records[0].meaning = "mine"
    annotated = annotate(records)
    assert annotated[0].meaning == "mine"
    assert annotated[5].meaning == "CTRL-A: enter the raw REPL"
    assert records[5].meaning == ""  # the input is not changed
    assert annotate(records, overwrite=True)[0].meaning.startswith("CTRL-C twice")


# ---------------------------------------------------------------------------- rendering
def test_render_text_one_line_per_record() -> None:
    text = render_text(SAMPLE)
    lines = text.splitlines()
    assert len(lines) == len(SAMPLE)
    assert lines[0].startswith("  0.000021 tx 05 41 01 ")
    assert "^EA^A" in lines[0]
    assert lines[0].endswith(" CTRL-E A CTRL-A: ask for raw-paste")
    assert "raw-paste request" not in lines[0]  # one meaning per row: the protocol's reading
    assert "52 01 80 00 01" in lines[1] and "R^A.^@^A" in lines[1]  # 0x80 is not text
    # Long records show their first 16 bytes and how much more there is.
    assert "00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f +240B" in lines[2]
    assert "10 11" not in lines[2]
    assert lines[3].rstrip().endswith("CTRL-D")


def test_render_hex_dump_format() -> None:
    dump = render_hex([SAMPLE[0], TraceRecord(2.0, "rx", b"0123456789abcdefXY\x7f\xff", "", "")])
    lines = dump.splitlines()
    assert lines[0] == "  0.000021 tx 3 B  CTRL-E A CTRL-A: ask for raw-paste"
    assert lines[1] == "    000000  05 41 01" + " " * 39 + "  |^EA^A|"
    assert lines[2] == "  2.000000 rx 20 B"
    assert lines[3] == ("    000000  30 31 32 33 34 35 36 37 38 39 61 62 63 64 65 66  |0123456789abcdef|")
    assert lines[4] == "    000010  58 59 7f ff" + " " * 36 + "  |XY..|"
    assert len(lines) == 5


def test_each_row_shows_one_meaning_the_readings_else_the_note() -> None:
    both = TraceRecord(0.1, "tx", b"\r\x01", "CR CTRL-A: enter the raw REPL", "CTRL-A: enter the raw REPL")
    note_only = TraceRecord(0.2, "tx", b"\x03", "CTRL-C: interrupt", "")
    lines = render_text([both, note_only]).splitlines()
    assert lines[0].endswith(" CTRL-A: enter the raw REPL") and lines[0].count("enter the raw REPL") == 1
    assert lines[1].endswith(" CTRL-C: interrupt")


def test_an_engine_trace_read_back_says_each_thing_once() -> None:
    with workbench.connect("sim://generic") as session:
        session.exec("print(1)")
        records = session.trace.records()
    text = render_text(annotate(records))
    assert " | " not in text
    assert text.count("CTRL-A: enter the raw REPL") == 1
    assert "CTRL-C: interrupt, clear the line" in text  # issue 14: one CTRL-C, no CR (was CTRL-C twice)


def test_renderings_of_a_whole_transcript() -> None:
    records = annotate(transcript_records("05-raw-paste-small"))
    assert len(render_text(records).splitlines()) == len(records)
    dump = render_hex(records)
    assert "    000000  05 41 01" in dump
    # The device's answer came as two reads: 'R', then CTRL-A, the window (LE) and CTRL-A.
    assert "    000000  52" + " " * 45 + "  |R|" in dump
    assert "    000000  01 80 00 01" + " " * 36 + "  |^A.^@^A|" in dump
