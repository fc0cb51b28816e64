"""explain(): the trace's plain-language sentences, checked on real annotated transcripts.

The unix-port transcripts 01..10 were recorded in order on one connection, so concatenating
them and annotating the whole gives every kind of record the protocol core produces. Kinds
the transcripts do not contain (refusals, a board reset, credit overruns) are built by hand
from the core's events. The wording table (:mod:`workbench.trace.wording`) must know every
event type the core reports.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.protocol_helpers import ALL_EVENT_TYPES, event_samples
from workbench.protocol import (
    CodeSent,
    DeviceRebooted,
    EndOfCode,
    EnterRaw,
    ExecAccepted,
    Interrupt,
    InterruptReason,
    OwedEndOfPaste,
    PasteEndedEarly,
    RawPasteRefused,
    RawReady,
    UnexpectedBytes,
    UnplacedWrite,
)
from workbench.trace import TraceRecord, annotate, load_jsonl, wording
from workbench.trace.explain import explain, is_event, spell_bytes
from workbench.trace.wording import WORDING, is_payload, meaning_of, meaning_parts, note_of, phrase, reading

UNIX_PORT = Path(__file__).resolve().parents[1] / "data" / "transcripts" / "unix-port"


def session_records() -> list[TraceRecord]:
    """All transcripts of the unix port, in recording order, annotated as one session."""
    records: list[TraceRecord] = []
    for path in sorted(UNIX_PORT.glob("*.jsonl")):
        records.extend(load_jsonl(path)[0])
    return annotate(records)


@pytest.fixture(scope="module")
def session() -> list[TraceRecord]:
    records = session_records()
    assert len(records) > 100, "the reference transcripts are missing"
    return records


def first(records: list[TraceRecord], meaning_part: str, direction: str | None = None) -> TraceRecord:
    for rec in records:
        if meaning_part in rec.meaning and (direction is None or rec.dir == direction):
            return rec
    raise AssertionError(f"no record whose meaning has {meaning_part!r}")


def test_every_transcript_record_gets_a_sentence(session: list[TraceRecord]) -> None:
    for rec in session:
        text = explain(rec)
        assert text.endswith("."), (rec, text)
        assert 40 < len(text) < 700, (rec, text)
        # A known meaning never falls back to quoting the core's terse annotation.
        if rec.meaning:
            assert "The protocol reads it as" not in text, (rec, text)


def test_interrupt_idle_names_the_bytes_and_the_prompt(session: list[TraceRecord]) -> None:
    text = explain(first(session, "CTRL-C twice"))
    assert text.startswith("CR, CTRL-C, CTRL-C")
    assert "prompt" in text
    # Issue 14: it used to say the CR empties the line and the second CTRL-C helps with code
    # that catches the first; the CR runs a half-typed line, and CTRL-Cs sent together are
    # one interrupt for running code.
    assert "runs it" in text and "as one KeyboardInterrupt" in text
    assert "empties" not in text


def test_enter_raw_says_the_banner_comes_next(session: list[TraceRecord]) -> None:
    text = explain(first(session, "enter the raw REPL"))
    assert "CR, CTRL-A" in text
    assert "raw REPL; CTRL-B to exit" in text and "'>'" in text


def test_raw_prompt_says_ready_for_code(session: list[TraceRecord]) -> None:
    rec = next(r for r in session if r.meaning.startswith("raw prompt"))
    text = explain(rec)
    assert "waiting for code" in text and "CTRL-D" in text


def test_code_in_raw_mode_waits_for_ctrl_d(session: list[TraceRecord]) -> None:
    text = explain(first(session, "code 10 B (raw mode)"))
    assert "'print(1+1)'" in text and "until the host sends CTRL-D" in text


def test_execute_says_ok_follows(session: list[TraceRecord]) -> None:
    text = explain(first(session, "CTRL-D: execute"))
    assert "'OK'" in text and "runs the code" in text


def test_ok_mentions_running_the_code(session: list[TraceRecord]) -> None:
    alone = next(r for r in session if r.meaning == "OK: code accepted, running")
    assert "running the code" in explain(alone)
    combined = first(session, "OK: code accepted, running; stdout 2 B")
    text = explain(combined)
    assert "5 steps" in text and "is running" in text and "2 bytes of stdout" in text


def test_half_received_frame_says_more_is_coming(session: list[TraceRecord]) -> None:
    lone_o = next(r for r in session if r.dir == "rx" and r.data == b"O" and not r.meaning)
    text = explain(lone_o)
    assert text.startswith("The device sent 'O'") and "not finished" in text


def test_output_and_end_of_sections(session: list[TraceRecord]) -> None:
    stdout = next(r for r in session if r.meaning == "stdout 9 B")
    assert "'um 39601\\n'" in explain(stdout) and "stdout" in explain(stdout)
    stderr = next(r for r in session if r.meaning == "stderr 1 B")
    assert "traceback" in explain(stderr)
    assert "stderr" in explain(first(session, "CTRL-D: end of stdout"))
    finished = next(r for r in session if r.meaning.startswith("CTRL-D: end of stderr, run finished"))
    assert "without an exception" in explain(finished) or "without error" in explain(finished)
    raised = first(session, "run raised ZeroDivisionError")
    assert "ZeroDivisionError" in explain(raised)
    interrupted = first(session, "run raised KeyboardInterrupt")
    assert "interrupt the host sent" in explain(interrupted)


def test_raw_paste_request_mentions_the_window_and_old_firmware(session: list[TraceRecord]) -> None:
    text = explain(first(session, "ask for raw-paste"))
    assert text.startswith("CTRL-E, 'A', CTRL-A at the raw prompt ask the device for raw-paste mode")
    assert "window" in text and "'R' NUL" in text and "1.14" in text


def test_raw_paste_accepted_gives_the_window_size(session: list[TraceRecord]) -> None:
    text = explain(first(session, "raw-paste accepted, window 128"))
    assert "window 128 bytes" in text and "credit" in text


def test_window_credit_and_code_chunks(session: list[TraceRecord]) -> None:
    credit = next(r for r in session if r.meaning == "CTRL-A: window credit +128 (now 128)")
    assert "128 bytes of window credit" in explain(credit)
    used_up = first(session, "credit left 0")
    assert "wait for the device's next CTRL-A" in explain(used_up)
    within = first(session, "credit left 240")
    assert "240 bytes of credit remain" in explain(within)


def test_end_of_paste_both_sides(session: list[TraceRecord]) -> None:
    host = first(session, "CTRL-D: end of paste", "tx")
    assert "raw-paste is complete" in explain(host)
    device = first(session, "device read the whole paste")
    # Issue 14: it used to say the device had compiled all the code; it answers before that.
    assert "before compiling is done" in explain(device)
    assert "before it has finished compiling" in explain(host)


def test_soft_reset_mentions_reboot(session: list[TraceRecord]) -> None:
    host = first(session, "soft reset", "tx")
    assert "reboot" in explain(host) and "'MPY: soft reboot'" in explain(host)
    device = first(session, "soft reboot:", "rx")
    text = explain(device)
    assert text.startswith("'MPY: soft reboot'") and "reboots" in text


def test_leave_raw_and_friendly_repl(session: list[TraceRecord]) -> None:
    assert "'>>> '" in explain(first(session, "leave the raw REPL"))
    banner = first(session, "104 B outside a frame")
    assert "MicroPython banner" in explain(banner)
    prompt = next(r for r in session if r.meaning == "friendly prompt '>>> '")
    assert "friendly REPL's prompt" in explain(prompt)
    typed = first(session, "typed at the friendly REPL")
    assert "'1+1\\r'" in explain(typed) and "Enter" in explain(typed)
    assert "paste mode" in explain(first(session, "friendly paste mode"))
    assert "pasted lines" in explain(first(session, "end of paste mode"))
    assert "friendly REPL text" in explain(first(session, "of friendly REPL text"))


def made(direction: str, data: bytes, *events: object) -> TraceRecord:
    """A record as the core would give it: its events and the meaning made from them."""
    return TraceRecord(0, direction, data, meaning=meaning_of(events), events=events)  # type: ignore[arg-type]


#: Records of kinds the transcripts lack, the words the workbench gives them (the meaning
#: column; a note for the workbench's own writes), and a phrase their explanation must have.
KINDS = [
    # Writes as the workbench words them in its notes, besides the readings the transcripts show.
    # Issue 14: the workbench sent CR CTRL-C CTRL-C; the CR ran a half-typed line and the
    # pair was one interrupt. It sends one CTRL-C, and a second in its own write if needed.
    (made("tx", b"\x03", Interrupt(1, False, False, InterruptReason.STOP_WHATEVER_RUNS)),
     "CTRL-C: stop whatever runs, cancel the line", "cancels a line half typed"),
    (made("tx", b"\x03", Interrupt(1, False, False, InterruptReason.NO_PROMPT_YET)),
     "CTRL-C again: no '>>> ' came (a program may have caught the first)", "in a write of its own"),
    # A trace saved before: its bytes are named as they were, and the CR's effect is told.
    (made("tx", b"\r\x03\x03", Interrupt(2, True, False, InterruptReason.STOP_WHATEVER_RUNS)),
     "CR CTRL-C CTRL-C: stop whatever runs, cancel the line", "it runs it"),
    (made("tx", b"\r\x01", EnterRaw(cr=True)), "CR CTRL-A: enter the raw REPL", "raw REPL"),
    (
        made("tx", b"x=1\x04", CodeSent(3, "raw-paste"), EndOfCode("raw-paste")),
        "code 3 B (raw-paste), CTRL-D: end of code",
        "2 steps: 3 bytes of code (raw-paste); CTRL-D (end of the paste)",
    ),
    (made("tx", b"\x03", Interrupt(1, False, True)), "CTRL-C: interrupt running code", "KeyboardInterrupt"),
    (made("rx", b"R\x00", RawPasteRefused(old_firmware=False)),
     "R NUL: raw-paste understood but not supported, use raw mode", "falls back to plain raw mode"),
    (
        made("rx", b"raw REPL; CTRL-B to exit\r\n", RawPasteRefused(old_firmware=True)),
        "raw banner instead of 'R': firmware before raw-paste (< 1.14), use raw mode",
        "older than 1.14",
    ),
    (
        made("rx", b"\x04", PasteEndedEarly()),
        "CTRL-D: device ended the paste early (it stops reading; host must send CTRL-D)",
        "send its own CTRL-D",
    ),
    (made("tx", b"\x04", OwedEndOfPaste()), "CTRL-D: end of paste (the device ended it early)", "still owed"),
    (
        made("rx", b"boot", DeviceRebooted("MicroPython v1.22; ESP32 module")),
        "boot banner during the run: the board reset ('MicroPython v1.22; ESP32 module')",
        "the board itself reset",
    ),
    (
        made("tx", b"a" * 300, CodeSent(300, "raw-paste", credit_left=0, beyond=44)),
        "code 300 B (raw-paste, credit left 0, 44 B BEYOND the credit (will be lost))",
        "BEYOND",
    ),
    (
        made("tx", b"x=1", CodeSent(3, "raw-paste", credit_left=125, ahead=True)),
        "code 3 B (raw-paste, credit left 125) (sent ahead of the answer)",
        "before the device answered",
    ),
    (made("tx", b"?", UnplacedWrite(1, "running (stdout)")), "1 B while running (stdout)", "no protocol step expects"),
    (
        made("rx", b"\r\n>", UnexpectedBytes(b"\r\n", "waiting for OK")),
        "2 B outside a frame (while waiting for OK)",
        "outside any protocol frame",
    ),
]


@pytest.mark.parametrize(("rec", "words", "expected"), KINDS)
def test_kinds_not_in_the_transcripts(rec: TraceRecord, words: str, expected: str) -> None:
    assert expected in explain(rec)


@pytest.mark.parametrize(("rec", "words", "expected"), KINDS)
def test_the_words_of_kinds_not_in_the_transcripts(rec: TraceRecord, words: str, expected: str) -> None:
    """The meaning column says what it said when the core wrote its own sentences; the
    workbench's own writes keep the words of its notes."""
    assert words in (rec.meaning, note_of(rec.events))


def test_unknown_meaning_falls_back_to_direction_size_and_controls() -> None:
    rec = TraceRecord(0, "rx", bytes(range(20)), meaning="something new")
    text = explain(rec)
    assert text.startswith("The device sent 20 bytes, including the control bytes NUL, CTRL-A")
    assert "something new" in text


def test_host_write_without_meaning_uses_the_note() -> None:
    text = explain(TraceRecord(0, "tx", b"\x1b[A", note="arrow key"))
    assert text.startswith("The host sent ESC, '[A'.") and "arrow key" in text


def test_meaning_parts_are_one_per_event_whatever_the_text_holds() -> None:
    events = (DeviceRebooted("MicroPython v1; ESP32"), RawReady())
    assert meaning_parts(events) == [
        "boot banner during the run: the board reset ('MicroPython v1; ESP32')",
        "raw prompt '>': ready for code",
    ]
    assert meaning_of(events) == "; ".join(meaning_parts(events))
    assert meaning_parts((CodeSent(3, "raw"), EndOfCode("raw"))) == ["code 3 B (raw mode)", "CTRL-D: execute"]
    assert meaning_parts(()) == []
    # A write sent ahead of the raw-paste answer says so once, after its last step.
    ahead = (CodeSent(14, "raw-paste", credit_left=114, ahead=True), EndOfCode("raw-paste", ahead=True))
    assert meaning_parts(ahead) == ["code 14 B (raw-paste, credit left 114)", "CTRL-D: end of paste (sent ahead of the answer)"]
    assert meaning_of(ahead) == "code 14 B (raw-paste, credit left 114), CTRL-D: end of paste (sent ahead of the answer)"
    # The workbench's note on such a write of its own (it does not count the credit) never said so.
    engine_write = (CodeSent(14, "raw-paste", ahead=True), EndOfCode("raw-paste", ahead=True))
    assert note_of(engine_write) == "code 14 B (raw-paste), CTRL-D: end of code"


def test_spell_bytes_short_and_long() -> None:
    assert spell_bytes(b"\x05A\x01") == "CTRL-E, 'A', CTRL-A"
    assert spell_bytes(b"R\x01\x80\x00\x01") == "'R', CTRL-A, 0x80, NUL, CTRL-A"
    assert spell_bytes(b"x" * 40) is None


def test_is_event_separates_protocol_steps_from_payload(session: list[TraceRecord]) -> None:
    by_meaning = {rec.meaning: is_event(rec) for rec in session}
    assert by_meaning["stdout 1 B"] is False
    assert by_meaning["code 128 B (raw-paste, credit left 0)"] is False
    assert by_meaning["1 B of friendly REPL text (echo, output, banner)"] is False
    assert by_meaning[""] is False
    assert by_meaning["OK: code accepted, running"] is True
    assert by_meaning["CTRL-A: window credit +128 (now 128)"] is True
    assert by_meaning["stdout 6 B; CTRL-D: end of stdout; stderr 81 B"] is True
    beyond = made("tx", b"a", CodeSent(1, "raw-paste", credit_left=0, beyond=1))
    assert beyond.meaning == "code 1 B (raw-paste, credit left 0, 1 B BEYOND the credit (will be lost))"
    assert is_event(beyond)


def test_is_event_reads_the_events_not_the_words() -> None:
    """The events-only filter goes by the record's events: the words may be anything."""
    ok = TraceRecord(0, "rx", b"OK", meaning="stdout 2 B", events=(ExecAccepted(),))
    assert is_event(ok)
    output = TraceRecord(0, "rx", b"hi", meaning="OK: code accepted, running", events=(UnexpectedBytes(b"hi", "x"),))
    assert not is_event(output)
    assert not is_event(TraceRecord(0, "rx", b"O", meaning="OK: code accepted, running"))  # no events: a partial frame
    assert is_event(TraceRecord(0, "note", b"", meaning="probe: the workbench closes its connection"))


def test_every_event_type_has_words() -> None:
    """A new event in the protocol core needs a row in the wording table (and a sample in
    tests/protocol_helpers.py): this fails until it has both."""
    missing = sorted(cls.__name__ for cls in ALL_EVENT_TYPES if cls not in WORDING)
    assert not missing, f"no row in workbench.trace.wording.WORDING for {missing}"
    assert set(WORDING) == set(ALL_EVENT_TYPES)
    sampled = {type(sample) for sample in event_samples()}
    assert sampled == set(ALL_EVENT_TYPES), f"no sample of {sorted(c.__name__ for c in set(ALL_EVENT_TYPES) - sampled)}"
    for sample in event_samples():
        assert phrase(sample) and note_of((sample,))
        explained = reading(sample, b"\x04")
        assert explained.clause and explained.sentence.endswith(".")
        assert isinstance(is_payload(sample), bool)



def test_every_test_the_wording_names_exists_and_every_truth_test_is_named() -> None:
    """Issue 14: each device claim in the wording table names the test that shows it on the
    real interpreter (tests/unit/test_wording_truth.py) or its MicroPython source. A renamed
    or deleted test must not leave a claim pointing at nothing, nor a test backing no claim."""
    claims = Path(wording.__file__).read_text(encoding="utf-8")
    truth = (Path(__file__).parent / "test_wording_truth.py").read_text(encoding="utf-8")
    named = set(re.findall(r"\b(test_\w+)", claims)) - {"test_trace_explain", "test_wording_truth"}
    defined = set(re.findall(r"^def (test_\w+)", truth, re.MULTILINE))
    assert named, "the wording names no test"
    assert named - defined == set(), "named in wording.py but not defined"
    assert defined - named == set(), "defined but backing no sentence of wording.py"
