"""What the engine sends, checked against the real MicroPython unix port (issue 14).

Three promises of the engine that only a real interpreter can hold it to:

* entering the raw REPL never runs a line someone typed at the friendly prompt without
  pressing Enter (the engine sends CTRL-C, which cancels the line, and no CR before it:
  a CR would run it);
* code that catches the first KeyboardInterrupt is still stopped: the engine's next CTRL-C
  goes in its own write once the first was handled (CTRL-Cs written together are one
  interrupt);
* a raw-paste gets exactly one CTRL-D from the host. The board sends CTRL-D both to
  acknowledge the host's CTRL-D and to end a paste early; a host that already sent its
  CTRL-D must not send another, which would land on the empty raw line and soft-reset the
  board (its variables would be gone).

``spawn://micropython`` turns each write's CTRL-C into one SIGINT while code runs, as a
board's serial driver turns it into one pending KeyboardInterrupt.
"""

from __future__ import annotations

import pytest

from tests.conftest import requires_micropython
from tests.support.port_reading import read_until_marker
from workbench import ExecTimeout, Profile
from workbench.engine.engine import Engine
from workbench.protocol import (
    EndOfCode,
    Interrupt,
    InterruptReason,
    OwedEndOfPaste,
    PasteAcknowledged,
    PasteEndedEarly,
    SoftReboot,
    State,
)
from workbench.trace import TraceRecord, TraceRecorder
from workbench.transports import open_port

pytestmark = [requires_micropython, pytest.mark.timeout(60)]

URL = "spawn://micropython"


def _engine(profile: Profile | None = None) -> Engine:
    return Engine(open_port(URL), profile or Profile(), TraceRecorder(), url=URL)


def _read_until(engine: Engine, marker: bytes, limit_s: float = 5.0) -> bytes:
    """Read raw bytes (bypassing the engine) until ``marker``, bounded by ``limit_s``."""
    return read_until_marker(engine.port, marker, limit_s)


def _type_at_friendly_prompt(engine: Engine, text: bytes) -> None:
    """Type ``text`` at the friendly prompt (no Enter) and wait for its echo."""
    _read_until(engine, b">>> ")
    engine.port.write(text)
    _read_until(engine, text)


def _start_in_friendly_paste_mode(engine: Engine, lines: list[bytes], started: bytes) -> None:
    """Run a program from the friendly REPL's paste mode (as a person would), until it
    prints ``started``."""
    _read_until(engine, b">>> ")
    engine.port.write(b"\x05")
    _read_until(engine, b"=== ")
    for line in lines:
        engine.port.write(line + b"\r")
        _read_until(engine, b"=== ")
    engine.port.write(b"\x04")
    _read_until(engine, started)


def _rx(records: list[TraceRecord]) -> bytes:
    return b"".join(record.data for record in records if record.dir == "rx")


def _tx(records: list[TraceRecord]) -> list[bytes]:
    return [record.data for record in records if record.dir == "tx"]


def _host_events(records: list[TraceRecord], kind: type) -> list:
    return [event for record in records if record.dir == "tx" for event in record.events if isinstance(event, kind)]


# --------------------------------------------------------------------------- the prelude
def test_a_line_typed_without_enter_is_not_run_when_the_workbench_enters_the_raw_repl() -> None:
    engine = _engine()
    try:
        _type_at_friendly_prompt(engine, b"print('R' + 'AN'); typed = 1")
        engine.enter_raw()
        check = engine.exec("print('typed' in globals())")
        records = engine.trace.records()
    finally:
        engine.port.close()
    assert b"RAN" not in _rx(records)  # the echo spells 'R' + 'AN'; only running it prints RAN
    assert check.stdout.strip() == "False"
    assert _tx(records)[0] == b"\x03"  # CTRL-C first, with no CR that would run the line


#: Silent after it caught the first KeyboardInterrupt, so only another CTRL-C can stop it.
_CATCHES_ONCE_SILENTLY = [
    b"import time",
    b"try:",
    b"    print('started')",  # inside the try: a CTRL-C right after it is caught, not fatal
    b"    while True:",
    b"        time.sleep(0.01)",
    b"except KeyboardInterrupt:",
    b"    pass",
    b"while True:",
    b"    time.sleep(0.01)",
]


def test_a_program_that_catches_the_first_interrupt_is_stopped_when_the_workbench_enters_the_raw_repl() -> None:
    engine = _engine(Profile(retries=0))  # one attempt: the second CTRL-C must do it
    try:
        _start_in_friendly_paste_mode(engine, _CATCHES_ONCE_SILENTLY, b"started")
        engine.enter_raw()
        check = engine.exec("print('ready')")
        records = engine.trace.records()
    finally:
        engine.port.close()
    interrupts = _host_events(records, Interrupt)
    assert [event.reason for event in interrupts[:2]] == [
        InterruptReason.STOP_WHATEVER_RUNS,
        InterruptReason.NO_PROMPT_YET,
    ]
    assert _tx(records)[:2] == [b"\x03", b"\x03"]  # two writes, one CTRL-C each
    assert b"KeyboardInterrupt" in _rx(records)  # the second one ended the program
    assert check.stdout.strip() == "ready"


def test_an_idle_friendly_prompt_needs_one_ctrl_c_only() -> None:
    engine = _engine()
    try:
        _read_until(engine, b">>> ")
        engine.enter_raw()
        records = engine.trace.records()
    finally:
        engine.port.close()
    assert _tx(records) == [b"\x03", b"\r\x01"]


# 'started' is printed inside the try: a CTRL-C sent on seeing it can never land before it.
_CATCHES_ONCE = "try:\n    print('started')\n    while True:\n        pass\nexcept KeyboardInterrupt:\n    print('caught once')\nwhile True:\n    pass\n"


@pytest.mark.parametrize("raw_paste", ["never", "always"])
def test_a_run_that_catches_the_first_interrupt_is_still_stopped(raw_paste: str) -> None:
    engine = _engine(Profile(raw_paste=raw_paste))

    def on_output(_stream: str, text: str) -> None:
        if "started" in text:
            engine.interrupt_requested.set()  # Stop pressed

    try:
        result = engine.exec(_CATCHES_ONCE, on_output=on_output)
        after = engine.exec("print('after')")
        records = engine.trace.records()
    finally:
        engine.port.close()
    assert "caught once" in result.stdout
    assert result.exception is not None and result.exception.type_name == "KeyboardInterrupt"
    running = [e for e in _host_events(records, Interrupt) if e.reason is InterruptReason.RUNNING_CODE]
    assert len(running) >= 2  # the first was caught; a later write stopped the code
    assert after.stdout.strip() == "after"


def test_an_exec_timeout_stops_code_that_catches_the_first_interrupt() -> None:
    engine = _engine()
    try:
        with pytest.raises(ExecTimeout):
            engine.exec(_CATCHES_ONCE, timeout=1.0)
        state = engine.conn.state
        records = engine.trace.records()
        after = engine.exec("print('after')")
    finally:
        engine.port.close()
    assert b"caught once" in _rx(records)
    assert state is State.RAW_READY  # recovered: the second CTRL-C ended the run
    assert after.stdout.strip() == "after"


# --------------------------------------------------------------------------- one CTRL-D per paste
#: Errors the board finds after the host's CTRL-D was written (the whole program and its
#: CTRL-D fit the first window, so they go out in one write): the board's CTRL-D is the
#: acknowledgement, or an early end that crossed the host's CTRL-D; either way no second one.
SHORT_PASTES_WITH_ERRORS = [
    pytest.param("x = 1\nprint(x +)\ny = 2\n", "SyntaxError", id="parser-error-mid-code"),
    pytest.param("x = 1\ny = (1,\n", "SyntaxError", id="unclosed-bracket-at-the-end"),
    pytest.param("x = 1\nprint('hi')\nreturn 5\n", "SyntaxError", id="compile-error-after-reading"),
]


@pytest.mark.parametrize(("code", "error"), SHORT_PASTES_WITH_ERRORS)
def test_a_paste_whose_error_comes_after_the_hosts_ctrl_d_gets_no_second_ctrl_d(code: str, error: str) -> None:
    engine = _engine(Profile(raw_paste="always"))
    try:
        engine.exec("keep = 42")
        start = engine.trace.total_records
        result = engine.exec(code)
        run = engine.trace.records()[start:]
        kept = engine.exec("print(keep)")
        after = engine.trace.records()[start:]
    finally:
        engine.port.close()
    assert result.exception is not None and result.exception.type_name == error
    assert result.stdout == ""
    sent = _tx(run)
    assert sent[-1].endswith(b"\x04")  # the code and the host's CTRL-D went together
    assert sum(data.count(b"\x04") for data in sent) == 1  # and no CTRL-D after it
    assert not _host_events(run, OwedEndOfPaste)
    device_ctrl_d = [e for r in run if r.dir == "rx" for e in r.events if isinstance(e, PasteAcknowledged | PasteEndedEarly)]
    assert device_ctrl_d == [PasteAcknowledged()]  # the board's one CTRL-D read as the answer
    assert not [e for r in after if r.dir == "rx" for e in r.events if isinstance(e, SoftReboot)]
    assert kept.stdout.strip() == "42"  # no soft reset: the variable survived


def test_a_paste_the_board_ends_early_gets_exactly_one_owed_ctrl_d() -> None:
    engine = _engine(Profile(raw_paste="always"))
    code = "x = 1\nprint(x +)\n" + "pass\n" * 120  # 600 B: the error is found in the first window
    try:
        engine.exec("keep = 42")
        start = engine.trace.total_records
        result = engine.exec(code)
        run = engine.trace.records()[start:]
        kept = engine.exec("print(keep)")
    finally:
        engine.port.close()
    assert result.exception is not None and result.exception.type_name == "SyntaxError"
    early = [i for i, r in enumerate(run) if r.dir == "rx" and PasteEndedEarly() in r.events]
    assert len(early) == 1
    owed = [i for i, r in enumerate(run) if r.dir == "tx" and OwedEndOfPaste() in r.events]
    assert len(owed) == 1 and owed[0] > early[0]  # the host's CTRL-D came after the board's
    sent = _tx(run)
    assert sum(data.count(b"\x04") for data in sent) == 1  # that one, and no other
    assert not _host_events(run, EndOfCode)  # the code's own CTRL-D was never due
    assert kept.stdout.strip() == "42"
