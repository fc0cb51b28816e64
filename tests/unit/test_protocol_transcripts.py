"""The protocol core against real exchanges with the MicroPython unix port.

All ten reference transcripts ran on one connection, in order, so they are replayed through
one ``RawReplConnection`` with its state carried from file to file. The host side is driven
in two ways that must agree:

* ``observed``: the transcript's own writes are fed to ``TrafficObserver.observe_sent`` (the
  trace viewer's view of a capture made by another tool);
* ``hosted``: the request methods are called as a real host would, and the bytes they
  produce are compared with what the capture shows the host wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import pytest

from tests.protocol_helpers import (
    TRANSCRIPT_NAMES,
    Rec,
    all_transcripts,
    events_of,
    merge_events,
    output_bytes,
    pump,
)
from workbench.protocol import (
    EndOfCode,
    EnterRaw,
    ExecAccepted,
    ExecFinished,
    Frame,
    FriendlyPrompt,
    Interrupt,
    LeaveRaw,
    Output,
    PasteAcknowledged,
    PasteEndedEarly,
    RawPasteAccepted,
    RawPasteRequest,
    RawReady,
    RawReplConnection,
    SoftReboot,
    SoftReset,
    State,
    StdoutEnded,
    Timeouts,
    TrafficObserver,
    UnexpectedBytes,
    WindowCredit,
)
from workbench.trace.wording import meaning_of

#: Notes of a transcript's CTRL-D write that ends the code the write before it started.
_EOF_NOTES = ("execute", "end of code")


@dataclass
class FileReplay:
    """What one transcript did to the connection."""

    events: list = field(default_factory=list)
    writes: list[bytes] = field(default_factory=list)
    credits: list[int] = field(default_factory=list)
    state: State = State.UNKNOWN
    host: list[tuple] = field(default_factory=list)
    """What each write meant, as the observer read it (observed replay only)."""
    meanings: list[str] = field(default_factory=list)


def _code_of(records: list[Rec]) -> bytes:
    return b"".join(r.data for r in records if r.dir == "tx" and r.note.startswith("code"))


#: Writes of the captures that the host now makes differently. The captures were made with
#: the prelude CR CTRL-C CTRL-C; since issue 14 the host sends CTRL-C alone (the CR ran a
#: line half typed at the friendly prompt, and two CTRL-Cs in one write are one interrupt).
#: The recordings stay as captured: the device's answers replayed after it are the same.
_NOW_SENT = {b"\r\x03\x03": b"\x03"}


def _expected_writes(records: list[Rec]) -> list[bytes]:
    """The transcript's writes, with the CTRL-D that ends some code joined to that code
    (``data_to_send`` hands both out together when the code fits), as the host sends them
    now (:data:`_NOW_SENT`)."""
    out: list[bytes] = []
    for rec in records:
        if rec.dir != "tx":
            continue
        if rec.data in _NOW_SENT:
            out.append(_NOW_SENT[rec.data])
        elif rec.note in _EOF_NOTES and out:
            out[-1] += rec.data
        else:
            out.append(rec.data)
    return out


@cache
def replay_observed() -> dict[str, FileReplay]:
    conn = TrafficObserver()
    result: dict[str, FileReplay] = {}
    for name, records in all_transcripts():
        rep = FileReplay()
        for rec in records:
            if rec.dir == "tx":
                rep.host.append(conn.observe_sent(rec.data, rec.t))
                rep.meanings.append(meaning_of(rep.host[-1]))
                rep.writes.append(rec.data)
            else:
                conn.receive_data(rec.data, rec.t)
                rep.events += conn.events()
            rep.credits.append(conn.credit)
        rep.state = conn.state
        result[name] = rep
    return result


@cache
def replay_hosted() -> dict[str, FileReplay]:
    """Drive the connection with its request methods, as the engine does."""
    conn = RawReplConnection()
    result: dict[str, FileReplay] = {}
    for name, records in all_transcripts():
        rep = FileReplay()
        code = _code_of(records)
        code_queued = False

        def write(data: bytes, rep: FileReplay = rep) -> None:
            if data:
                rep.writes.append(data)

        for rec in records:
            now = rec.t
            if rec.dir == "rx":
                conn.receive_data(rec.data, now)
                rep.events += conn.events()
                if code_queued:
                    write(pump(conn, now))  # credit arrived: send what it allows
            elif rec.note in ("interrupt twice", "interrupt running code"):
                write(conn.interrupt(now))
            elif rec.note == "enter raw REPL":
                write(conn.enter_raw(now))
            elif rec.note == "raw-paste request":
                write(conn.request_raw_paste(now))
            elif rec.note.startswith("code"):
                if not code_queued:
                    conn.send_code(code, now)
                    code_queued = True
                write(pump(conn, now))
            elif rec.note in _EOF_NOTES:
                write(pump(conn, now))  # already handed out with the code
            elif rec.note.startswith("empty line + Ctrl-D"):
                write(conn.soft_reset(now))
            elif rec.note == "leave raw REPL":
                write(conn.leave_raw(now))
            else:
                # Typing at the friendly REPL: a terminal passes keys through; the raw REPL
                # protocol has no request for that.
                write(rec.data)
            rep.credits.append(conn.credit)
        rep.state = conn.state
        result[name] = rep
    return result


REPLAYS = {"observed": replay_observed, "hosted": replay_hosted}


@pytest.fixture(params=sorted(REPLAYS))
def replay(request: pytest.FixtureRequest) -> dict[str, FileReplay]:
    return REPLAYS[request.param]()


def merged(rep: FileReplay) -> list:
    return merge_events(rep.events)


def finished(rep: FileReplay) -> ExecFinished:
    runs = events_of(rep.events, ExecFinished)
    assert len(runs) == 1, rep.events
    return runs[0]


# ---------------------------------------------------------------------------- per file
def test_transcripts_are_all_there() -> None:
    assert TRANSCRIPT_NAMES == [
        "01-enter-raw",
        "02-exec-ok",
        "03-exec-exception",
        "04-exec-syntax-error",
        "05-raw-paste-small",
        "06-raw-paste-multi-window",
        "07-interrupt-running",
        "08-soft-reset-in-raw",
        "09-exit-raw",
        "10-friendly-repl",
    ]


def test_01_enter_raw_ends_ready(replay: dict[str, FileReplay]) -> None:
    rep = replay["01-enter-raw"]
    assert isinstance(rep.events[-1], RawReady)
    assert len(events_of(rep.events, RawReady)) == 1
    # The interrupt is answered by friendly prompts before the raw banner.
    assert events_of(rep.events, FriendlyPrompt)
    assert rep.state is State.RAW_READY


def test_02_exec_ok(replay: dict[str, FileReplay]) -> None:
    rep = replay["02-exec-ok"]
    assert merged(rep) == [
        ExecAccepted(),
        Output("stdout", b"2\n"),
        StdoutEnded(),
        ExecFinished(None),
        RawReady(),
    ]
    assert rep.state is State.RAW_READY


def test_03_exec_exception(replay: dict[str, FileReplay]) -> None:
    rep = replay["03-exec-exception"]
    assert output_bytes(rep.events, "stdout") == b"before\n"
    exc = finished(rep).exception
    assert exc is not None
    assert exc.type_name == "ZeroDivisionError"
    assert exc.message == "divide by zero"
    assert exc.frames == (Frame("<stdin>", 4, "<module>"), Frame("<stdin>", 2, "f"))
    assert exc.stdin_line == 2
    assert output_bytes(rep.events, "stderr").decode().endswith("ZeroDivisionError: divide by zero\n")
    assert isinstance(rep.events[-1], RawReady)
    assert not events_of(rep.events, UnexpectedBytes)


def test_04_syntax_error(replay: dict[str, FileReplay]) -> None:
    rep = replay["04-exec-syntax-error"]
    assert events_of(rep.events, ExecAccepted)
    assert output_bytes(rep.events, "stdout") == b""
    exc = finished(rep).exception
    assert exc is not None
    assert exc.type_name == "SyntaxError"
    assert exc.message == "invalid syntax"
    assert exc.frames == (Frame("<stdin>", 1, None),)
    assert exc.stdin_line == 1
    assert isinstance(rep.events[-1], RawReady)


def test_05_raw_paste_small(replay: dict[str, FileReplay]) -> None:
    rep = replay["05-raw-paste-small"]
    assert merged(rep) == [
        RawPasteAccepted(window=128),
        WindowCredit(granted=128, credit=256),
        PasteAcknowledged(),
        Output("stdout", b"pasted\n"),
        StdoutEnded(),
        ExecFinished(None),
        RawReady(),
    ]
    # No "OK" in raw-paste: the device's CTRL-D acknowledgement takes its place.
    assert not events_of(rep.events, ExecAccepted)


def test_06_raw_paste_multi_window(replay: dict[str, FileReplay]) -> None:
    records = dict(all_transcripts())["06-raw-paste-multi-window"]
    rep = replay["06-raw-paste-multi-window"]
    assert events_of(rep.events, RawPasteAccepted) == [RawPasteAccepted(128)]
    # Every CTRL-A the device sent, except the one in the "R CTRL-A" answer.
    device_ctrl_a = sum(r.data.count(b"\x01") for r in records if r.dir == "rx") - 1
    credits = events_of(rep.events, WindowCredit)
    assert len(credits) == device_ctrl_a > 2
    assert all(credit.granted == 128 for credit in credits)
    assert not events_of(rep.events, PasteEndedEarly)
    assert not events_of(rep.events, UnexpectedBytes)
    assert events_of(rep.events, PasteAcknowledged) == [PasteAcknowledged()]
    assert output_bytes(rep.events, "stdout") == b"sum 39601\n"
    assert finished(rep).exception is None
    assert isinstance(rep.events[-1], RawReady)
    # The captured host (mpremote) never overran its credit, so neither does the replay.
    assert min(rep.credits) >= 0


def test_06_hosted_sends_exactly_the_code_within_credit() -> None:
    records = dict(all_transcripts())["06-raw-paste-multi-window"]
    code = _code_of(records)
    assert len(code) > 16 * 128  # many windows
    rep = replay_hosted()["06-raw-paste-multi-window"]
    request, *code_writes = rep.writes
    assert request == b"\x05A\x01"
    assert code_writes[-1].endswith(b"\x04")
    sent = b"".join(code_writes)[:-1]
    assert sent == code
    assert sum(len(w) for w in code_writes) - 1 == len(code)
    # Two windows at first, then one window per CTRL-A, as mpremote did.
    assert [len(w) for w in code_writes[:-1]] == [256] + [128] * (len(code_writes) - 2)
    assert all(credit >= 0 for credit in rep.credits)


def test_07_interrupt_running(replay: dict[str, FileReplay]) -> None:
    rep = replay["07-interrupt-running"]
    assert events_of(rep.events, ExecAccepted)
    exc = finished(rep).exception
    assert exc is not None
    assert exc.type_name == "KeyboardInterrupt"
    assert exc.message == ""
    assert exc.stdin_line == 3
    assert isinstance(rep.events[-1], RawReady)


def test_08_soft_reset_in_raw(replay: dict[str, FileReplay]) -> None:
    rep = replay["08-soft-reset-in-raw"]
    reboots = events_of(rep.events, SoftReboot)
    assert reboots == [SoftReboot("MPY: soft reboot")]
    assert rep.events.index(reboots[0]) < len(rep.events) - 1
    assert isinstance(rep.events[-1], RawReady)
    assert not events_of(rep.events, ExecFinished)
    assert rep.state is State.RAW_READY


def test_09_exit_raw(replay: dict[str, FileReplay]) -> None:
    rep = replay["09-exit-raw"]
    assert isinstance(rep.events[-1], FriendlyPrompt)
    assert not events_of(rep.events, RawReady)
    assert rep.state is State.FRIENDLY
    banner = b"".join(e.data for e in events_of(rep.events, UnexpectedBytes))
    assert b"MicroPython" in banner


def test_10_friendly_repl(replay: dict[str, FileReplay]) -> None:
    rep = replay["10-friendly-repl"]
    assert len(events_of(rep.events, FriendlyPrompt)) == 2
    assert isinstance(rep.events[-1], FriendlyPrompt)
    assert not events_of(rep.events, SoftReboot)
    assert not events_of(rep.events, RawReady)
    assert rep.state is State.FRIENDLY


def test_raw_repl_runs_have_no_stray_bytes(replay: dict[str, FileReplay]) -> None:
    for name in TRANSCRIPT_NAMES[1:7]:
        assert not events_of(replay[name].events, UnexpectedBytes), name


def test_both_drivers_see_the_same_events() -> None:
    observed, hosted = replay_observed(), replay_hosted()
    for name in TRANSCRIPT_NAMES:
        assert merged(hosted[name]) == merged(observed[name]), name
        assert hosted[name].state is observed[name].state, name


# ---------------------------------------------------------------------------- host bytes
@pytest.mark.parametrize("name", TRANSCRIPT_NAMES)
def test_request_methods_write_what_the_capture_shows(name: str) -> None:
    records = dict(all_transcripts())[name]
    assert replay_hosted()[name].writes == _expected_writes(records)


@pytest.mark.parametrize(
    ("name", "index", "expected"),
    [
        ("01-enter-raw", 0, b"\x03"),  # the capture's CR CTRL-C CTRL-C (issue 14: see _NOW_SENT)
        ("01-enter-raw", 1, b"\r\x01"),
        ("02-exec-ok", 0, b"print(1+1)\x04"),
        ("05-raw-paste-small", 0, b"\x05A\x01"),
        ("05-raw-paste-small", 1, b"print('pasted')\n\x04"),
        ("06-raw-paste-multi-window", 0, b"\x05A\x01"),
        ("07-interrupt-running", 1, b"\x03"),
        ("08-soft-reset-in-raw", 0, b"\x04"),
        ("09-exit-raw", 0, b"\x02"),
    ],
)
def test_control_sequences(name: str, index: int, expected: bytes) -> None:
    assert replay_hosted()[name].writes[index] == expected


def test_observe_sent_names_what_the_host_meant() -> None:
    observed = replay_observed()
    assert observed["01-enter-raw"].host[:2] == [(Interrupt(2, True, False),), (EnterRaw(cr=True),)]
    assert observed["05-raw-paste-small"].host[0] == (RawPasteRequest(),)
    assert observed["02-exec-ok"].host[1] == (EndOfCode("raw"),)
    assert observed["08-soft-reset-in-raw"].host[0] == (SoftReset(),)
    assert observed["09-exit-raw"].host[0] == (LeaveRaw(),)
    # ... and in words, through the wording table:
    assert observed["01-enter-raw"].meanings[0].startswith("CTRL-C twice")
    assert observed["01-enter-raw"].meanings[1] == "CTRL-A: enter the raw REPL"
    assert observed["05-raw-paste-small"].meanings[0] == "CTRL-E A CTRL-A: ask for raw-paste"
    assert "CTRL-D" in observed["02-exec-ok"].meanings[1]
    assert "soft reset" in observed["08-soft-reset-in-raw"].meanings[0]
    assert observed["09-exit-raw"].meanings[0] == "CTRL-B: leave the raw REPL"


def test_deadlines_follow_the_transcript_clock() -> None:
    """A host replaying 01 and 02 with its own clock gets deadlines from that clock."""
    conn = RawReplConnection(Timeouts(response_s=1.5, reset_s=7.0))
    transcripts = dict(all_transcripts())
    for rec in transcripts["01-enter-raw"]:
        if rec.dir == "rx":
            conn.receive_data(rec.data, rec.t)
        elif rec.note == "interrupt twice":
            conn.interrupt(rec.t)
            assert conn.deadline is None  # nothing is owed after an idle interrupt
        else:
            conn.enter_raw(rec.t)
            assert conn.deadline == pytest.approx(rec.t + 1.5)
            assert conn.expectation.since == rec.t
    assert conn.deadline is None  # raw REPL idle: nothing due
    records = transcripts["02-exec-ok"]
    conn.send_code(_code_of(records), 100.0, run_timeout_s=30.0)
    assert pump(conn, 100.0) == b"print(1+1)\x04"
    assert conn.state is State.AWAIT_OK
    assert conn.deadline == pytest.approx(101.5)
    conn.receive_data(b"OK", 100.2)
    assert conn.state is State.STDOUT
    assert conn.deadline == pytest.approx(130.0)
    conn.receive_data(b"2\n\x04\x04", 100.3)
    assert conn.state is State.AWAIT_PROMPT
    assert conn.deadline == pytest.approx(101.8)
    conn.receive_data(b">", 100.4)
    assert conn.deadline is None
    assert conn.soft_reset(200.0) == b"\x04"
    assert conn.deadline == pytest.approx(207.0)
