"""The explanations tell the truth: each claim about the board, shown on the real interpreter.

Every sentence of :mod:`workbench.trace.wording` that says what a board does names, in a
comment, either one of these tests or the MicroPython source that does it (where the unix
port cannot show it). One test per claim, named after it, so a failing test names the
sentence that became untrue. They talk to ``spawn://micropython`` byte by byte, without the
engine: the point is what MicroPython answers, not what the workbench does with it.

Two things of the board are the ``spawn://`` transport's, not the interpreter's, and the
tests say so where they show up: a soft reset (the unix port exits; the transport starts it
again and prints ``MPY: soft reboot``, as a board's ``main.c`` loops back), and CTRL-C while
code runs (the transport turns each write's CTRL-C into one SIGINT, as a board's serial
driver turns it into one pending KeyboardInterrupt).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.conftest import requires_micropython
from workbench.transports import open_port
from workbench.transports.port_io import PortIO

pytestmark = [requires_micropython, pytest.mark.timeout(30)]

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n>"
LIMIT_S = 5.0


class Board:
    """The real interpreter on a pty, read and written byte for byte."""

    def __init__(self) -> None:
        self.port = open_port("spawn://micropython")
        self.io = PortIO(self.port)
        self._pending = b""
        self.read_until(b">>> ")  # booted, at the friendly prompt

    def send(self, data: bytes) -> None:
        self.io.write(data)

    def read_until(self, marker: bytes) -> bytes:
        """Everything up to and including ``marker``; what follows it is kept for the next read."""
        end = time.monotonic() + LIMIT_S
        while marker not in self._pending:
            assert time.monotonic() < end, f"no {marker!r} within {LIMIT_S} s; got {self._pending[-160:]!r}"
            self._pending += self.io.read(0.05)
        cut = self._pending.index(marker) + len(marker)
        data, self._pending = self._pending[:cut], self._pending[cut:]
        return data

    def read_exactly(self, n: int) -> bytes:
        end = time.monotonic() + LIMIT_S
        while len(self._pending) < n:
            assert time.monotonic() < end, f"{n} bytes not within {LIMIT_S} s; got {self._pending!r}"
            self._pending += self.io.read(0.05)
        data, self._pending = self._pending[:n], self._pending[n:]
        return data

    def answer(self, data: bytes, until: bytes) -> bytes:
        self.send(data)
        return self.read_until(until)

    def type_line(self, text: bytes) -> None:
        """Type at the friendly prompt, no Enter; wait for the echo."""
        self.answer(text, text)

    def enter_raw(self) -> None:
        self.answer(b"\x01", RAW_BANNER)

    def run(self, code: bytes) -> bytes:
        """Plain raw mode: the code and CTRL-D; everything up to the prompt after the run."""
        return self.answer(code + b"\x04", b"\x04>")

    def start_paste(self) -> None:
        """At the raw prompt: ask for raw-paste and take the answer (window 128 here)."""
        assert self.answer(b"\x05A\x01", b"R\x01") == b"R\x01"
        assert self.read_exactly(3) == b"\x80\x00\x01"

    def close(self) -> None:
        self.port.close()


@pytest.fixture
def board() -> Iterator[Board]:
    device = Board()
    try:
        yield device
    finally:
        device.close()


def sections(answer: bytes) -> tuple[bytes, bytes]:
    """The output and error sections of a plain raw run's answer ``OK ... \\x04 ... \\x04>``."""
    assert answer.startswith(b"OK") and answer.endswith(b"\x04>"), answer
    output, error, rest = answer[2:].split(b"\x04")
    assert rest == b">"
    return output, error


# 'started' is printed inside the try: a CTRL-C sent on seeing it can never land before it.
_CATCHES_ONCE = (
    b"try:\n    print('started')\n    while True:\n        pass\nexcept KeyboardInterrupt:\n"
    b"    print('caught')\nwhile True:\n    pass\n"
)
_KEYBOARD_INTERRUPT_TRACEBACK = re.compile(
    rb'\x04Traceback \(most recent call last\):\r?\n  File "<stdin>", line \d+, in <module>\r?\n'
    rb"KeyboardInterrupt: \r?\n\x04>"
)


# --------------------------------------------------------------------------- CTRL-C
def test_ctrl_c_raises_keyboard_interrupt_in_running_code(board: Board) -> None:
    board.enter_raw()
    board.answer(b"print('started')\nwhile True:\n    pass\n\x04", b"started")
    assert b"KeyboardInterrupt" in board.answer(b"\x03", b"\x04>")


def test_an_interrupted_run_ends_its_output_section_then_sends_the_traceback(board: Board) -> None:
    board.enter_raw()
    board.answer(b"print('started')\nwhile True:\n    pass\n\x04", b"started\n")
    assert _KEYBOARD_INTERRUPT_TRACEBACK.fullmatch(board.answer(b"\x03", b"\x04>"))


def test_ctrl_c_while_a_raw_paste_is_read_ends_it_with_a_bare_keyboard_interrupt_line(board: Board) -> None:
    board.enter_raw()
    board.start_paste()
    board.send(b"x = 1\n")
    # The paste ends (CTRL-D), the output section is empty, the report is one line.
    assert board.answer(b"\x03", b"\x04>") == b"\x04\x04KeyboardInterrupt: \n\x04>"
    assert sections(board.run(b"print('x' in globals())")) == (b"False\n", b"")  # nothing ran


def test_code_that_caught_the_interrupt_is_stopped_by_a_later_ctrl_c(board: Board) -> None:
    board.enter_raw()
    board.answer(_CATCHES_ONCE + b"\x04", b"started\n")
    first = board.answer(b"\x03", b"caught\n")
    assert b"\x04" not in first  # caught: the run goes on
    assert b"KeyboardInterrupt" in board.answer(b"\x03", b"\x04>")  # its own write: handled on its own


def test_ctrl_c_cancels_a_half_typed_line(board: Board) -> None:
    board.type_line(b"print('R' + 'AN')")
    cancelled = board.answer(b"\x03", b">>> ")
    after = board.answer(b"\r", b">>> ")  # Enter on the line CTRL-C left: nothing to run
    assert cancelled == b"\r\n>>> " and after == b"\r\n>>> "


def test_cr_runs_a_half_typed_line(board: Board) -> None:
    board.type_line(b"print('R' + 'AN')")
    assert b"RAN" in board.answer(b"\r", b">>> ")


def test_ctrl_c_at_the_friendly_prompt_brings_a_new_prompt(board: Board) -> None:
    assert board.answer(b"\x03", b">>> ") == b"\r\n>>> "


def test_ctrl_cs_at_a_prompt_count_one_by_one(board: Board) -> None:
    board.send(b"\x03\x03")
    assert board.read_until(b">>> ") + board.read_until(b">>> ") == b"\r\n>>> \r\n>>> "


def test_an_idle_raw_repl_answers_ctrl_c_with_nothing(board: Board) -> None:
    board.enter_raw()
    board.send(b"\x03")
    # Bytes come back in order: anything the CTRL-C caused would come before the banner.
    assert board.answer(b"\x01", RAW_BANNER) == RAW_BANNER


# --------------------------------------------------------------------------- the friendly REPL's keys
def test_ctrl_a_on_an_empty_friendly_line_enters_the_raw_repl(board: Board) -> None:
    assert board.answer(b"\x01", RAW_BANNER) == b"\r\n" + RAW_BANNER


def test_ctrl_a_on_a_half_typed_line_moves_the_cursor(board: Board) -> None:
    board.type_line(b"abc")
    moved = board.answer(b"\x01", b"\x08\x08\x08")  # the cursor goes back three places
    ran = board.answer(b"Z\r", b">>> ")  # typed at the start of the line: 'Zabc'
    assert moved == b"\x08\x08\x08" and b"raw REPL" not in ran
    assert b"'Zabc' isn't defined" in ran


def test_ctrl_e_on_a_half_typed_line_does_not_start_paste_mode(board: Board) -> None:
    board.type_line(b"abc")
    board.answer(b"\x01", b"\x08\x08\x08")
    board.send(b"\x05")  # to the end of the line again
    ran = board.answer(b"Z\r", b">>> ")
    assert b"paste mode" not in ran and b"'abcZ' isn't defined" in ran


def test_cr_on_an_empty_friendly_line_brings_another_prompt(board: Board) -> None:
    assert board.answer(b"\r", b">>> ") == b"\r\n>>> "


def test_entering_the_raw_repl_prints_line_ends_and_a_prompt_before_the_banner(board: Board) -> None:
    assert board.answer(b"\r\x01", RAW_BANNER) == b"\r\n>>> \r\n" + RAW_BANNER


def test_the_friendly_repl_echoes_a_line_and_runs_it_on_enter(board: Board) -> None:
    assert board.answer(b"1+1", b"1+1") == b"1+1"
    assert board.answer(b"\r", b">>> ") == b"\r\n2\n>>> "


def test_the_friendly_repl_indents_after_a_colon(board: Board) -> None:
    assert board.answer(b"if 1:\r", b"...     ") == b"if 1:\r\n...     "


def test_ctrl_e_at_the_friendly_prompt_starts_paste_mode(board: Board) -> None:
    answer = board.answer(b"\x05", b"=== ")
    assert answer == b"\r\npaste mode; Ctrl-C to cancel, Ctrl-D to finish\r\n=== "


def test_paste_mode_does_not_indent(board: Board) -> None:
    board.answer(b"\x05", b"=== ")
    assert board.answer(b"if 1:\r", b"=== ") == b"if 1:\r\n=== "


def test_ctrl_d_in_paste_mode_runs_the_pasted_lines_at_once(board: Board) -> None:
    board.answer(b"\x05", b"=== ")
    echoed = board.answer(b"a = 6\r", b"=== ") + board.answer(b"print(a * 7)\r", b"=== ")
    assert echoed == b"a = 6\r\n=== print(a * 7)\r\n=== "  # echoed, not run
    assert board.answer(b"\x04", b">>> ") == b"\r\n42\n>>> "


# --------------------------------------------------------------------------- the raw REPL
def test_ctrl_a_in_the_raw_repl_prints_the_banner_again(board: Board) -> None:
    board.enter_raw()
    assert board.answer(b"\x01", RAW_BANNER) == RAW_BANNER


def test_ctrl_b_leaves_the_raw_repl_with_the_banner_and_the_friendly_prompt(board: Board) -> None:
    board.enter_raw()
    answer = board.answer(b"\x02", b">>> ")
    assert answer.startswith(b"\r\nMicroPython ")
    assert answer.endswith(b'\r\nType "help()" for more information.\r\n>>> ')


def test_code_in_plain_raw_mode_gets_no_answer_until_ctrl_d(board: Board) -> None:
    board.enter_raw()
    board.send(b"print('hi')")
    assert board.answer(b"\x04", b"\x04>").startswith(b"OK")  # no echo, nothing before the OK


def test_ctrl_d_after_plain_raw_code_gets_ok_then_the_run(board: Board) -> None:
    board.enter_raw()
    assert board.run(b"print('hi')") == b"OKhi\n\x04\x04>"


def test_sys_stderr_writes_go_into_the_output_section(board: Board) -> None:
    board.enter_raw()
    output, error = sections(board.run(b"import sys\nsys.stderr.write('E\\n')\nprint('O')"))
    assert output == b"E\nO\n" and error == b""


def test_the_error_section_holds_only_the_uncaught_exceptions_report(board: Board) -> None:
    board.enter_raw()
    output, error = sections(board.run(b"print('before')\nraise ValueError('x')"))
    assert output == b"before\n"
    assert error.startswith(b"Traceback (most recent call last):") and error.endswith(b"ValueError: x\n")


def test_code_that_reads_its_input_takes_the_hosts_bytes(board: Board) -> None:
    board.enter_raw()
    board.answer(b"import sys\nprint(sys.stdin.read(3))\x04", b"OK")
    assert board.answer(b"abc", b"\x04>") == b"abc\n\x04\x04>"


def test_ctrl_d_on_an_empty_raw_line_answers_ok_and_restarts_the_interpreter(board: Board) -> None:
    board.enter_raw()
    board.run(b"x = 5")
    answer = board.answer(b"\x04", RAW_BANNER)
    # 'OK' and a line end are the interpreter's; it then leaves for the soft reset (the unix
    # port exits, and spawn:// starts it again, printing 'MPY: soft reboot' as a board would).
    assert answer.startswith(b"OK\r\n")
    assert sections(board.run(b"print('x' in globals())")) == (b"False\n", b"")


def test_sys_exit_ends_the_run_with_a_soft_reboot_instead_of_the_prompt(board: Board) -> None:
    board.enter_raw()
    answer = board.answer(b"import sys\nsys.exit()\x04", RAW_BANNER)
    assert answer.startswith(b"OK\x04\x04")
    assert answer[4:5] != b">"  # no prompt: the interpreter left the raw REPL to restart


# --------------------------------------------------------------------------- raw-paste
def test_a_raw_paste_request_is_answered_with_r_the_window_and_ctrl_a(board: Board) -> None:
    board.enter_raw()
    board.send(b"\x05A\x01")
    assert board.read_exactly(5) == b"R\x01\x80\x00\x01"  # 'R' CTRL-A, window 128 (low byte first), CTRL-A


def test_a_raw_paste_command_other_than_a_gets_r_nul_and_the_prompt(board: Board) -> None:
    board.enter_raw()
    assert board.answer(b"\x05B\x01", b">") == b"R\x00>"


def test_the_device_sends_ctrl_a_each_time_it_has_read_a_window(board: Board) -> None:
    board.enter_raw()
    board.start_paste()
    code = b"x = 1\n" * 64  # 384 bytes: three windows
    board.send(code[:256])  # the two windows of credit
    assert board.read_exactly(2) == b"\x01\x01"
    board.send(code[256:])
    assert board.read_exactly(1) == b"\x01"
    assert board.answer(b"\x04", b"\x04>") == b"\x04\x04\x04>"


def test_the_device_acknowledges_the_end_of_paste_before_compiling(board: Board) -> None:
    board.enter_raw()
    board.start_paste()
    answer = board.answer(b"x = 1\nprint('hi')\nreturn 5\n\x04", b"\x04>")
    # Its CTRL-D, an empty output section, the compile error, CTRL-D: the error came after.
    assert answer.startswith(b"\x04\x04Traceback (most recent call last):")
    assert answer.endswith(b"SyntaxError: 'return' outside function\n\x04>")
    assert answer.count(b"\x04") == 3 and b"hi" not in answer


def test_a_syntax_error_met_while_reading_ends_the_paste_early(board: Board) -> None:
    board.enter_raw()
    board.start_paste()
    board.send((b"1 +* 2\n" + b"pass\n" * 100)[:256])
    assert board.read_exactly(1) == b"\x04"  # before the host's CTRL-D, and no window credit


def test_a_compile_error_found_after_reading_does_not_end_a_paste_early(board: Board) -> None:
    board.enter_raw()
    board.start_paste()
    code = b"return 5\n" + b"pass\n" * 100  # 509 bytes
    board.send(code[:256])
    assert board.read_exactly(2) == b"\x01\x01"  # it read on past the error's line
    board.send(code[256:])
    answer = board.answer(b"\x04", b"\x04>")
    assert answer.startswith(b"\x01\x04\x04Traceback") and b"'return' outside function" in answer


def test_after_an_early_end_the_device_waits_for_the_hosts_ctrl_d_then_reports(board: Board) -> None:
    board.enter_raw()
    board.start_paste()
    board.send((b"1 +* 2\n" + b"pass\n" * 100)[:256])
    assert board.read_exactly(1) == b"\x04"
    board.send(b"pass\n\x01")  # thrown away: a CTRL-A at the raw prompt would print the banner
    answer = board.answer(b"\x04", b"\x04>")
    assert answer.startswith(b"\x04Traceback (most recent call last):")  # an empty output section
    assert answer.endswith(b"SyntaxError: invalid syntax\n\x04>") and b"raw REPL" not in answer


def test_a_second_ctrl_d_after_a_paste_soft_resets_the_board(board: Board) -> None:
    board.enter_raw()
    board.run(b"keep = 1")
    board.start_paste()
    assert board.answer(b"print('hi')\n\x04", b"\x04>") == b"\x04hi\n\x04\x04>"
    answer = board.answer(b"\x04", RAW_BANNER)  # one CTRL-D too many: an empty raw line
    assert answer.startswith(b"OK\r\n")  # a soft reset (see the reset test above)
    assert sections(board.run(b"print('keep' in globals())")) == (b"False\n", b"")
