"""The conformance suite: what every device must do the same way through the engine.

Parametrized over ``CONFORMANCE_DEVICES`` (conftest): the real MicroPython unix port on a
pty, and the simulated boards as they arrive. Replays of the captured transcripts run in
test_protocol_transcripts.py through the same protocol core.
"""

from __future__ import annotations

import threading

import pytest

import workbench
from tests.conftest import has_raw_paste, requires_micropython
from tests.support.port_reading import read_until_marker
from workbench import ExecTimeout, Profile
from workbench.engine.engine import Engine
from workbench.trace import TraceRecorder
from workbench.transports import open_port


def interrupt_when_output_starts(session: workbench.Session, marker: str = "started"):
    """An on_output callback that interrupts (from another thread) once ``marker`` shows."""
    seen = threading.Event()

    def on_output(stream: str, text: str) -> None:
        if marker in text and not seen.is_set():
            seen.set()
            threading.Thread(target=session.interrupt).start()

    return on_output, seen


def test_exec_ok(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        result = s.exec("print(1 + 1)")
    assert result.stdout.replace("\r\n", "\n") == "2\n"
    assert result.stderr == ""
    assert result.exception is None and result.ok


def test_exec_exception_keeps_stdout_and_parses_traceback(device_url: str) -> None:
    code = "def f():\n  return 1/0\nprint('before')\nf()"
    with workbench.connect(device_url) as s:
        result = s.exec(code)
        after = s.exec("print('after')")
    assert result.stdout.strip() == "before"
    assert result.exception is not None
    assert result.exception.type_name == "ZeroDivisionError"
    assert [f.line for f in result.exception.frames] == [4, 2]
    assert result.exception.stdin_line == 2
    assert after.stdout.strip() == "after"


def test_exec_syntax_error(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        result = s.exec("print('unclosed")
        after = s.exec("print('fine')")
    assert result.exception is not None
    assert result.exception.type_name == "SyntaxError"
    assert result.exception.stdin_line == 1
    assert after.stdout.strip() == "fine"


def test_unicode_output_and_code(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        result = s.exec("s = 'héllo ✓ 日本'\nprint(s, len(s))")
    assert result.stdout.strip() == "héllo ✓ 日本 10"


def test_state_persists_between_execs(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        s.exec("x = 41")
        assert s.exec("print(x + 1)").stdout.strip() == "42"


def test_output_streams_as_it_arrives(device_url: str) -> None:
    chunks: list[tuple[str, str]] = []
    with workbench.connect(device_url) as s:
        result = s.exec("for i in range(3):\n  print('line', i)", on_output=lambda st, t: chunks.append((st, t)))
    assert "".join(t for st, t in chunks if st == "stdout") == result.stdout
    assert result.stdout.split() == ["line", "0", "line", "1", "line", "2"]


def test_100kb_through_raw_paste(device_url: str) -> None:
    lines = [f"v{i} = {i}" for i in range(9000)]
    code = "\n".join(lines) + "\nprint('sum', sum([v0, v1, v8999]))\n"
    assert len(code) > 100_000
    with workbench.connect(device_url) as s:
        result = s.exec(code)
        again = s.exec("print(v8998)")
    assert result.raw_paste is has_raw_paste(device_url)
    assert result.bytes_sent == len(code.encode())
    assert result.stdout.strip() == "sum 9000"
    assert again.stdout.strip() == "8998"


def test_forced_plain_raw_mode(device_url: str) -> None:
    code = "\n".join(f"w{i} = {i}" for i in range(600)) + "\nprint(w599)\n"
    with workbench.connect(device_url, Profile(raw_paste="never", chunk_delay_s=0.0)) as s:
        result = s.exec(code)
        again = s.exec("print('again')")
    assert result.raw_paste is False
    assert result.stdout.strip() == "599"
    assert again.stdout.strip() == "again"
    assert s.raw_paste_supported is None  # never asked


@pytest.mark.parametrize("raw_paste", ["auto", "never"])
def test_interrupt_while_true(device_url: str, raw_paste: str) -> None:
    with workbench.connect(device_url, Profile(raw_paste=raw_paste)) as s:
        on_output, seen = interrupt_when_output_starts(s)
        result = s.exec("print('started')\nwhile True:\n  pass", on_output=on_output)
        after = s.exec("print('after')")
    assert seen.is_set()
    assert result.exception is not None and result.exception.type_name == "KeyboardInterrupt"
    assert after.stdout.strip() == "after"


def test_exec_timeout_interrupts_and_session_recovers(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        s.enter_raw()  # the exec timeout covers entering the raw REPL too: a slow boot here
        with pytest.raises(ExecTimeout) as caught:
            s.exec("while True:\n  pass", timeout=0.3)
        after = s.exec("print('after')")
    assert "running code" in str(caught.value)
    assert after.stdout.strip() == "after"


def test_soft_reset_clears_state(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        s.exec("y = 1")
        s.soft_reset()
        assert s.state == "raw REPL, ready"
        result = s.exec("print('y' in globals())")
    assert result.stdout.strip() == "False"


def test_sys_exit_reboots_and_next_exec_works(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        result = s.exec("import sys\nsys.exit()")
        after = s.exec("print('alive')")
    assert result.rebooted is True
    assert after.stdout.strip() == "alive"


def test_leave_raw_then_exec_enters_again(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        s.exec("pass")
        s.leave_raw()
        assert s.state == "friendly REPL"
        assert s.exec("print('back')").stdout.strip() == "back"


def test_trace_names_the_protocol_steps(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        s.exec("print(1)")
        records = s.trace.records()
    notes = " ".join(r.note for r in records if r.dir == "tx")
    meanings = " ".join(r.meaning for r in records if r.dir == "rx")
    assert "CTRL-A: enter the raw REPL" in notes
    assert "raw-paste" in notes
    if has_raw_paste(device_url):
        assert "raw-paste accepted, window" in meanings
    else:
        assert "firmware before raw-paste" in meanings
    assert "run finished" in meanings


def test_window_size_override_writes_small_pieces_within_the_credit(device_url: str) -> None:
    code = "\n".join(f"p{i} = {i}" for i in range(120)) + "\nprint(p0 + p119)\n"
    profile = Profile(window_size_override=24, chunk_delay_s=0.0)
    with workbench.connect(device_url, profile) as s:
        first = s.exec(code)
        second = s.exec(code)  # the pipelined path (window known) obeys the cap too
        records = s.trace.records()
    assert first.stdout.strip() == second.stdout.strip() == "119"
    code_writes = [r for r in records if r.dir == "tx" and "code" in r.note]
    largest = max(len(r.data.rstrip(b"\x04")) for r in code_writes)
    if has_raw_paste(device_url):
        assert first.raw_paste and second.raw_paste
        assert largest <= 24
    else:  # plain raw mode: the cap is a raw-paste setting; chunk_size rules here
        assert largest <= profile.chunk_size


def test_soft_reset_before_run_gives_each_run_a_fresh_interpreter(device_url: str) -> None:
    with workbench.connect(device_url, Profile(soft_reset_before_run=True)) as s:
        s.exec("z = 1")
        result = s.exec("print('z' in globals())")
        records = s.trace.records()
    assert result.stdout.strip() == "False"
    assert sum("soft reset" in r.note for r in records if r.dir == "tx") == 2


def test_verbose_trace_adds_the_engines_expectations(device_url: str) -> None:
    with workbench.connect(device_url, Profile(verbose_trace=True)) as s:
        s.exec("print(1)")
        records = s.trace.records()
    notes = [r.note for r in records if r.dir == "tx"]
    assert any("CTRL-A: enter the raw REPL" in n and "expecting" in n for n in notes)
    assert any("[state running (stdout)]" in r.meaning or "[state raw REPL, ready]" in r.meaning
               for r in records if r.dir == "rx")


# --------------------------------------------------------------------------- starting states
def _engine(url: str) -> Engine:
    port = open_port(url)
    return Engine(port, Profile(), TraceRecorder(), url=url)


def _read_until(engine: Engine, marker: bytes, limit_s: float = 3.0) -> bytes:
    """Read raw bytes (bypassing the engine) until ``marker``, bounded by ``limit_s``."""
    return read_until_marker(engine.port, marker, limit_s)


def _friendly(engine: Engine) -> None:
    _read_until(engine, b">>> ")


def _left_in_raw(engine: Engine) -> None:
    engine.port.write(b"\r\x01")
    _read_until(engine, b"raw REPL; CTRL-B to exit\r\n>")


def _left_in_raw_paste(engine: Engine) -> None:
    _left_in_raw(engine)
    engine.port.write(b"\x05A\x01")
    _read_until(engine, b"R\x01")
    engine.port.write(b"x = 1\n")  # half a paste, never finished


def _running_raw(engine: Engine) -> None:
    _left_in_raw(engine)
    engine.port.write(b"while True:\n  pass\x04")
    _read_until(engine, b"OK")


def _running_raw_paste(engine: Engine) -> None:
    _left_in_raw(engine)
    engine.port.write(b"\x05A\x01")
    _read_until(engine, b"R\x01")
    engine.port.write(b"print('started')\nwhile True:\n  pass\n\x04")
    _read_until(engine, b"started")


def _printing_continuously(engine: Engine) -> None:
    _left_in_raw(engine)
    engine.port.write(b"while True:\n  print('spam ' * 8)\x04")
    _read_until(engine, b"spam spam")


@pytest.mark.parametrize(
    "setup",
    [_friendly, _left_in_raw, _left_in_raw_paste, _running_raw, _running_raw_paste, _printing_continuously],
    ids=["friendly", "left-in-raw", "left-in-raw-paste", "running-raw", "running-raw-paste", "printing"],
)
def test_enter_raw_from_any_state(device_url: str, setup) -> None:
    if "raw_paste" in setup.__name__ and not has_raw_paste(device_url):
        pytest.skip("this board's firmware predates raw-paste: no such state to leave it in")
    engine = _engine(device_url)
    try:
        setup(engine)
        engine.enter_raw()
        result = engine.exec("print('ready')")
        assert result.stdout.strip() == "ready"
        assert engine.exec("print(2 * 21)").stdout.strip() == "42"
    finally:
        engine.port.close()


@requires_micropython
def test_a_paste_the_board_ends_early_is_a_syntax_error_not_lost_bytes() -> None:
    """The real board compiles while it reads: a syntax error on line 1 of a multi-window
    paste ends the paste early (fewer window credits), which is not a transfer error."""
    code = "1 +* 2\n" + "pass\n" * 600
    with workbench.connect("spawn://micropython") as s:
        result = s.exec(code)
        after = s.exec("print('after')")
    assert result.exception is not None and result.exception.type_name == "SyntaxError"
    assert after.stdout.strip() == "after"


#: Issue 12: syntax errors where the board's early CTRL-D crosses the host's (a 155-byte
#: program with the error on line 1; errors in the last window of longer code). None: the line
#: the board gives for an error at the very end (MicroPython: the line after the last).
EARLY_END_PROGRAMS = [
    pytest.param("for i in range(3)\n    print(i)\n" + "".join(f"v{n} = {n}\n" for n in range(16)), 1, id="155B-line1"),
    pytest.param("".join(f"v{n} = {n}\n" for n in range(40)) + "if True print(1)\n", 41, id="last-line"),
    pytest.param("".join(f"v{n} = {n}\n" for n in range(150)) + "x = (\n", None, id="unclosed-at-end"),
]


@pytest.mark.parametrize(("code", "line"), EARLY_END_PROGRAMS)
def test_a_syntax_error_near_the_end_of_a_paste_is_the_programs_exception(
    device_url: str, code: str, line: int | None
) -> None:
    with workbench.connect(device_url) as s:
        result = s.exec(code)  # never TransferError
        after = s.exec("print('after')")
        s.set_profile(s.profile.with_changes(raw_paste="never"))
        unpadded = s.exec(code)  # plain raw mode sends the code as it is
    assert result.exception is not None and result.exception.type_name == "SyntaxError"
    assert unpadded.exception is not None
    # The workbench fills a paste's last window, but never moves the line an error is on.
    assert result.exception.stdin_line == (line or unpadded.exception.stdin_line)
    assert result.stdout == ""
    assert after.stdout.strip() == "after"


def test_a_help_line_in_output_is_not_a_reboot(device_url: str) -> None:
    with workbench.connect(device_url) as s:
        result = s.exec("print('Type \"help()\" for more information.')\nprint('still here')")
    assert result.ok and not result.rebooted
    assert result.stdout.replace("\r\n", "\n") == 'Type "help()" for more information.\nstill here\n'
