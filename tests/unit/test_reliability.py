"""Regression tests for issue 12: every wait bounded, honest answers, nothing leaks between runs.

Each test is one of the issue's reproductions, run the way a user meets it: through
``workbench.connect`` against the real interpreter (``spawn://micropython``), a simulated board
or a scripted socket device.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

import workbench
from tests.conftest import requires_micropython
from tests.support.fake_device import SocketDevice
from workbench import (
    DeviceTimeout,
    ExecTimeout,
    InvalidCode,
    OutputCallbackError,
    Profile,
    ProtocolError,
    SessionClosed,
    UsageError,
)
from workbench.trace import TraceRecord

FAST = Profile(response_timeout_s=0.5, retries=1, interrupt_delay_s=0.02)
RAW = Profile(raw_paste="never")


class PlainRawBoard(SocketDevice):
    """A board without raw-paste whose answer to each run's CTRL-D is ``answer(run)``."""

    def __init__(self) -> None:
        self.runs = 0
        super().__init__()

    def answer(self, run: int) -> bytes:
        raise NotImplementedError

    def on_data(self, conn: socket.socket, data: bytes) -> bool:
        if data.endswith(b"\r\x01"):
            conn.sendall(b"\r\n>>> \r\nraw REPL; CTRL-B to exit\r\n>")
        elif data == b"\x05A\x01":
            conn.sendall(b"R\x00>")
        elif data.endswith(b"\x04"):
            self.runs += 1
            conn.sendall(self.answer(self.runs))
        return True


class BannerInsteadOfOk(PlainRawBoard):
    """A board that answers the first code with the raw banner and '>' (it restarted the raw
    REPL under the upload), then behaves."""

    def answer(self, run: int) -> bytes:
        return b"raw REPL; CTRL-B to exit\r\n>" if run == 1 else b"OKfine\r\n\x04\x04>"


# ---------------------------------------------------------------------------- 1: deadlines
def test_a_board_back_at_the_raw_prompt_mid_run_times_out_naming_what_came() -> None:
    with BannerInsteadOfOk() as device, workbench.connect(device.url, FAST) as session:
        started = time.monotonic()
        with pytest.raises(DeviceTimeout) as caught:
            session.exec("print(1)")
        elapsed = time.monotonic() - started
        after = session.exec("print(2)")
    assert elapsed < 0.5 + 1.0  # one response timeout after the board went idle, not for ever
    assert "while running code" in str(caught.value)
    assert b"raw REPL; CTRL-B to exit" in caught.value.received
    assert after.stdout == "fine\r\n"


@requires_micropython
@pytest.mark.timeout(30)
def test_spawn_soft_reset_after_printing_a_friendly_prompt() -> None:
    with workbench.connect("spawn://micropython") as session:
        session.exec("print('>>> ')")
        session.soft_reset()
        assert session.state == "raw REPL, ready"
        assert session.exec("print('after')").stdout == "after\n"


@requires_micropython
@pytest.mark.timeout(30)
def test_spawn_sys_exit_after_printing_a_friendly_prompt() -> None:
    with workbench.connect("spawn://micropython") as session:
        result = session.exec("print('>>> ')\nimport sys\nsys.exit()", timeout=10)
        after = session.exec("print('after')")
    assert result.rebooted and result.stdout == ">>> \n"
    assert after.stdout == "after\n"


@pytest.mark.timeout(60)
def test_exec_timeout_covers_the_upload() -> None:
    """Issue 12 item 3: a big program on a slow line; the timeout is the user's whole wait."""
    code = "x = 1\n" * 3000  # 18 KB: about 19 s at 9600 baud
    with workbench.connect("sim://generic?boot_ms=0&baud=9600") as session:
        session.enter_raw()
        started = time.monotonic()
        with pytest.raises(ExecTimeout) as caught:
            session.exec(code, timeout=1.0)
        elapsed = time.monotonic() - started
        after = session.exec("print('after')")
    assert elapsed < 1.0 + 3.0  # the timeout, then the interrupt and the prompt
    assert "sending code" in str(caught.value)
    assert caught.value.waited_s >= 1.0
    assert after.stdout.strip() == "after"


# ---------------------------------------------------------------------------- 2: early end
SYNTAX_155 = "for i in range(3)\n    print(i)\n" + "".join(f"v{n} = {n}\n" for n in range(16))


def _with_error_at(size: int, line: int) -> tuple[str, int]:
    """A program of about ``size`` bytes of ``vN = N`` lines with a syntax error at ``line``
    (1-based; negative counts from the end) and that line's number."""
    lines: list[str] = []
    while sum(len(text) + 1 for text in lines) < size:
        lines.append(f"v{len(lines)} = {len(lines)}")
    index = line - 1 if line > 0 else len(lines) + line
    lines[index] = "if True print(1)"
    return "\n".join(lines) + "\n", index + 1


#: Errors at several places of 129-256 B programs (two windows of 128) and in the last windows
#: of longer ones: where the board's early CTRL-D crosses the host's.
EARLY_END_CASES = [
    *((size, line) for size in (129, 160, 200, 256) for line in (1, 3, 8, -1)),
    *((size, line) for size in (700, 1500) for line in (-1, -5, -14)),
]


@requires_micropython
@pytest.mark.timeout(60)
def test_syntax_error_ending_a_raw_paste_early_is_the_programs_exception() -> None:
    with workbench.connect("spawn://micropython") as session:
        first = session.exec(SYNTAX_155)
        seen, wanted = [], []
        for size, line in EARLY_END_CASES:
            code, bad = _with_error_at(size, line)
            result = session.exec(code)  # never TransferError
            assert result.raw_paste and result.stdout == ""
            exc = result.exception
            seen.append((size, line, exc and exc.type_name, exc and exc.stdin_line))
            wanted.append((size, line, "SyntaxError", bad))
        after = session.exec("print('after')")
    assert len(SYNTAX_155) == 155
    assert first.exception is not None and first.exception.type_name == "SyntaxError"
    assert first.exception.stdin_line == 1
    assert seen == wanted
    assert after.stdout == "after\n"


# ---------------------------------------------------------------------------- 9: no leaks
@requires_micropython
@pytest.mark.timeout(30)
def test_ctrl_d_in_output_is_reported_and_does_not_leak_into_the_next_run() -> None:
    with workbench.connect("spawn://micropython", RAW) as session:
        with pytest.raises(ProtocolError) as caught:
            session.exec("print('x\\x04y')")
        after = session.exec("print('second')")
    assert "CTRL-D" in str(caught.value)
    assert after.stdout == "second\n" and after.ok


@requires_micropython
@pytest.mark.timeout(30)
@pytest.mark.parametrize("profile", [RAW, Profile()], ids=["raw", "raw-paste"])
def test_a_fake_end_of_run_in_output_does_not_leak_into_the_next_runs(profile: Profile) -> None:
    r"""``\x04\x04>`` in output ends the run early (a protocol limit, docs/protocol.md); what
    follows it, here a whole fake run, must not become the next run's answer."""
    with workbench.connect("spawn://micropython", profile) as session:
        session.exec("print('a\\x04\\x04>OKfake\\x04\\x04>')")
        second = session.exec("print('second')")
        third = session.exec("print('third')")
    assert (second.stdout, third.stdout) == ("second\n", "third\n")
    assert second.ok and third.ok


class FakeEndInOutput(PlainRawBoard):
    r"""Plain raw mode; the first run prints ``a\x04\x04>`` and then a whole fake run, all
    there to read before the next command starts (socket:// reads it in small pieces)."""

    def answer(self, run: int) -> bytes:
        return b"OKa\x04\x04>OKfake\r\n\x04\x04>" if run == 1 else b"OKrun %d\r\n\x04\x04>" % run


def test_the_rest_of_a_fake_end_is_never_the_next_runs_answer() -> None:
    with FakeEndInOutput() as device, workbench.connect(device.url, FAST) as session:
        session.exec("print(1)")
        second = session.exec("print(2)")
    assert second.stdout == "run 2\r\n"


# ---------------------------------------------------------------------------- 5: stop an upload
def _interrupt_once_code_is_on_the_wire(session: workbench.Session) -> threading.Event:
    """Stop pressed (from another thread) as soon as the first piece of code is written."""
    pressed = threading.Event()

    def listener(record: TraceRecord) -> None:
        if record.dir == "tx" and record.note.startswith("code") and not pressed.is_set():
            pressed.set()
            threading.Thread(target=session.interrupt).start()

    session.trace.listeners.append(listener)
    return pressed


@pytest.mark.timeout(60)
@pytest.mark.parametrize("profile", [Profile(raw_paste="never", chunk_size=64), Profile()], ids=["raw", "raw-paste"])
def test_interrupting_an_upload_stops_it_and_nothing_runs(profile: Profile) -> None:
    code = "print('ran')\n" + "x = 1\n" * 3000  # 18 KB: about 19 s at 9600 baud
    with workbench.connect("sim://generic?boot_ms=0&baud=9600", profile) as session:
        session.enter_raw()
        pressed = _interrupt_once_code_is_on_the_wire(session)
        started = time.monotonic()
        result = session.exec(code)
        elapsed = time.monotonic() - started
        session.trace.listeners.clear()
        after = session.exec("print('after')")
    assert pressed.is_set()
    assert elapsed < 5.0  # not the 19 s of the whole upload
    assert result.exception is not None and result.exception.type_name == "KeyboardInterrupt"
    assert "ran" not in result.stdout
    assert after.stdout.strip() == "after" and after.ok


# ---------------------------------------------------------------------------- 7: reboots
HELP_LINE = 'Type "help()" for more information.'


@pytest.mark.parametrize(
    "code",
    [
        f"print({HELP_LINE!r})\nprint(2)",
        f"print('MicroPython v1.22.2 on 2024-02-22; Generic board')\nprint({HELP_LINE!r})\nprint(2)",
        "print('Press any key to enter the REPL. Use CTRL-D to reload.', end='')\nprint(2)",
    ],
    ids=["help-line", "banner-without-prompt", "press-any-key-mid-line"],
)
def test_banner_lines_in_output_are_output(code: str) -> None:
    with workbench.connect("sim://generic?boot_ms=0") as session:
        result = session.exec(code)
    assert result.ok and not result.rebooted
    assert result.stdout.replace("\r\n", "\n").endswith("2\n")
    assert HELP_LINE in result.stdout or "Press any key" in result.stdout


@requires_micropython
def test_help_line_is_output_on_the_real_interpreter() -> None:
    with workbench.connect("spawn://micropython") as session:
        result = session.exec(f"print({HELP_LINE!r})\nprint(2)")
    assert result.ok and result.stdout == f"{HELP_LINE}\n2\n"


def test_a_real_reset_says_so_in_stderr() -> None:
    with workbench.connect("sim://stm32?boot_ms=0", FAST) as session:
        result = session.exec("print('resetting')\nimport machine\nmachine.reset()")
    assert result.rebooted and result.exception is not None
    assert result.exception.type_name == "DeviceReset"
    assert result.stderr.startswith("DeviceReset: the board rebooted during the run")
    assert "MicroPython v" in result.stderr  # the banner it came back with


# ---------------------------------------------------------------------------- 10: sys.exit
@requires_micropython
@pytest.mark.parametrize("value", ["Done", "Done for today", "Done: all of it"])
def test_sys_exit_with_a_message_is_system_exit_on_the_unix_port(value: str) -> None:
    with workbench.connect("spawn://micropython") as session:
        result = session.exec(f"import sys\nsys.exit({value!r})")
        after = session.exec("print('after')")
    assert result.rebooted
    assert result.exception is not None
    assert (result.exception.type_name, result.exception.message) == ("SystemExit", value)
    assert after.stdout == "after\n"


# ---------------------------------------------------------------------------- 12, 14: on_output
LOOP = "import time\nprint('started')\nwhile True:\n  time.sleep(0.01)"


def test_a_raising_on_output_interrupts_the_code() -> None:
    def on_output(stream: str, text: str) -> None:
        raise ValueError("callback broke")

    with workbench.connect("sim://generic?boot_ms=0", FAST) as session:
        session.enter_raw()
        started = time.monotonic()
        with pytest.raises(OutputCallbackError, match="ValueError: callback broke") as caught:
            session.exec(LOOP, on_output=on_output)
        elapsed = time.monotonic() - started
        after = session.exec("print('after')")
    assert elapsed < 3.0  # interrupted at once, not left running until the next command
    assert isinstance(caught.value.__cause__, ValueError)
    assert after.stdout.strip() == "after"


def test_exec_from_inside_on_output_is_a_clear_error_not_a_deadlock() -> None:
    inner: list[BaseException] = []

    def on_output(stream: str, text: str) -> None:
        try:
            session.exec("print(2)")
        except workbench.WorkbenchError as exc:
            inner.append(exc)
            raise

    with workbench.connect("sim://generic?boot_ms=0", FAST) as session:
        with pytest.raises(OutputCallbackError):
            session.exec("print(1)", on_output=on_output, timeout=10)
        after = session.exec("print('after')")
    assert len(inner) == 1 and isinstance(inner[0], UsageError)
    assert "on_output" in str(inner[0])
    assert after.stdout.strip() == "after"


def test_close_from_inside_on_output() -> None:
    def on_output(stream: str, text: str) -> None:
        session.close()

    session = workbench.connect("sim://generic?boot_ms=0", FAST)
    with pytest.raises(SessionClosed):
        session.exec(LOOP, on_output=on_output, timeout=10)
    session._thread.join(5.0)
    assert not session._thread.is_alive()
    assert session.state == "closed"


# ---------------------------------------------------------------------------- 8: control bytes
@pytest.mark.parametrize(
    ("code", "name", "where"),
    [
        ("print(1)\x03print(2)", "CTRL-C", "line 1, column 9"),
        ("x = 1\nprint('a\x01b')", "CTRL-A", "line 2, column 9"),
        ("print('\x02')", "CTRL-B", "line 1, column 8"),
        ("print('é\x04')", "CTRL-D", "line 1, column 9"),
    ],
)
def test_control_bytes_are_refused_in_plain_raw_mode(code: str, name: str, where: str) -> None:
    with workbench.connect("sim://legacy?boot_ms=0", FAST) as session:
        started = time.monotonic()
        with pytest.raises(InvalidCode) as caught:
            session.exec(code, timeout=5)
        assert time.monotonic() - started < 2.0
        after = session.exec("print('fine')")
    message = str(caught.value)
    assert name in message and where in message
    assert f"'\\x{ord(name[-1]) - 64:02x}'" in message  # the escape to write instead: '\x03'
    assert after.stdout.strip() == "fine"


@requires_micropython
def test_raw_paste_refuses_only_what_its_reader_acts_on() -> None:
    with workbench.connect("spawn://micropython") as session:
        with pytest.raises(InvalidCode, match="CTRL-C"):
            session.exec("print('\x03')")
        result = session.exec("print(len('a\x01\x02b'))")  # CTRL-A and CTRL-B pass in raw-paste
    assert result.raw_paste and result.stdout == "4\n"


def test_code_the_encoding_cannot_carry_is_a_workbench_error() -> None:
    with (
        workbench.connect("sim://generic?boot_ms=0", Profile(encoding="ascii")) as session,
        pytest.raises(InvalidCode, match=r"line 2, column 8.*'\\xe9'"),
    ):
        session.exec("x = 1\nprint('\xe9')")


class LostCtrlEOnce(SocketDevice):
    """New firmware whose first raw-paste request loses its CTRL-E on the way: 'A' goes into
    the line and CTRL-A prints the raw banner again, exactly what old firmware answers."""

    def __init__(self) -> None:
        self.asks = 0
        self.pasting = False
        super().__init__()

    def on_data(self, conn: socket.socket, data: bytes) -> bool:
        if data.endswith(b"\r\x01"):
            conn.sendall(b"\r\n>>> \r\nraw REPL; CTRL-B to exit\r\n>")
        elif data.startswith(b"\x05A\x01"):
            self.asks += 1
            if self.asks == 1:
                conn.sendall(b"raw REPL; CTRL-B to exit\r\n>")
            else:
                conn.sendall(b"R\x01\x80\x00\x01")  # window 128
                self.pasting = True
        if self.pasting and data.endswith(b"\x04"):
            self.pasting = False
            conn.sendall(b"\x04ok\r\n\x04\x04>")
        return True


def test_one_lost_byte_of_the_raw_paste_request_does_not_turn_raw_paste_off() -> None:
    with LostCtrlEOnce() as device, workbench.connect(device.url, FAST) as session:
        result = session.exec("print('ok')")
        assert result.ok and result.stdout == "ok\r\n"
        assert result.raw_paste  # asked again, and the board said yes
        assert device.asks == 2
        assert not [record for record in session.trace.records() if record.dir == "note"]


def test_a_board_without_raw_paste_is_named_in_the_trace_when_raw_paste_goes_off() -> None:
    with workbench.connect("sim://legacy?boot_ms=0", FAST) as session:
        result = session.exec("print('hello')")
        assert result.ok and not result.raw_paste
        notes = [record.meaning for record in session.trace.records() if record.dir == "note"]
        assert len(notes) == 1 and notes[0].startswith("raw-paste off for this connection")
        assert "asked 2 times" in notes[0]
        session.exec("print('again')")  # remembered: not asked (nor noted) again
        assert len([record for record in session.trace.records() if record.dir == "note"]) == 1
