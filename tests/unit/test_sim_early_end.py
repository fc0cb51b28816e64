"""A syntax error ends a raw-paste early, on the simulated boards exactly as on real MicroPython.

A board compiles a raw-paste while it reads it; when compiling fails it stops reading,
answers CTRL-D (before the host has finished, if the error came early enough) and drops
what follows until the host's CTRL-D. The same programs go through raw-paste on the real
unix port and on ``sim://generic``, sent the way a host does (never beyond the window
credit), and what each board sends must be the same: the window credits it granted before
it stopped, whether it stopped before the host's CTRL-D, and the error section byte for byte
(the unix port ends lines with LF where boards send CR LF; nothing else is normalised).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tests.conftest import requires_micropython
from tests.support.port_reading import read_while_not
from workbench.sim.paste_compiler import PasteCompiler
from workbench.transports import open_port

#: How long a board that has not stopped reading is given to prove it (it answers at once when it has).
NO_EARLY_END_WAIT_S = 0.5
DEADLINE_S = 5.0

_BODY = b"".join(b"v%d = %d\n" % (n, n) for n in range(60))  # 60 lines: 10 of 8 bytes, then 9 bytes


def _lines(count: int) -> bytes:
    """The first ``count`` lines of valid code."""
    return b"".join(_BODY.splitlines(keepends=True)[:count])


#: name -> program; each name says where the error is.
PROGRAMS: dict[str, bytes] = {
    # The reliability issue's reproduction: the missing ':' on line 1, then 16 lines of vN = N.
    "missing-colon-line-1": b"for i in range(3)\n    print(i)\n" + _lines(16),
    "first-line-of-long-code": b"x = = 1\n" + _BODY * 2,
    "middle-of-first-window": _lines(7) + b"print(x +)\n" + _lines(25),
    "third-window": _lines(33) + b"y = 1 1\n" + _lines(20),
    "last-line": _lines(30) + b"y = 1 1\n",
    # The board reads 3 bytes past the offending token: here exactly to the window's end,
    # so the window's credit comes before its CTRL-D; one byte earlier, no credit.
    "stops-at-window-end": b"#" * 121 + b"\n1 1\n" + _lines(12),
    "stops-before-window-end": b"#" * 120 + b"\n1 1\n" + _lines(12),
    "unexpected-indent": b"x = 1\n\n    y = 2\n" + _lines(22),
    "unindent-mismatch": b"def f():\n    return 1\n\n  x = 2\n" + _lines(22),
    "unterminated-string": b"x = 'abc\n" + _lines(22),
    "bad-hex-literal": b"x = 0xg1\n" + _lines(22),
    "in-brackets": b"x = [1, 2\ny = 3\n" + _lines(22),
    # Found only at the end of input: the board's CTRL-D answers the host's.
    "unclosed-at-end-of-line": _lines(22) + b"y = 1 +\n",
    # An unclosed bracket: MicroPython names the line after the last (its lexer's end of input).
    "unclosed-bracket-at-end": _lines(22) + b"y = (1,\n",
    "unclosed-bracket-no-newline": b"x = 0\nx = (1,",
    # A compiler error, not a parser error: everything is read first.
    "return-outside-function": b"x = 1\nreturn 5\n" + _lines(22),
    "cannot-assign-then-parse-error": b"f() = 1\n" + _lines(5) + b"x = 1 1\n" + _lines(20),
}


@dataclass(frozen=True)
class Exchange:
    """What a board did with one raw-paste."""

    window: int
    credits_before_end: int  # CTRL-A window credits sent before the board's first CTRL-D
    stopped_early: bool  # that CTRL-D came before the host's own
    sent_before_end: int  # code bytes the host had sent when it saw that CTRL-D
    error_section: bytes  # everything after the host's CTRL-D, LF line ends


def _read_until(port, done, deadline: float) -> bytes:
    return read_while_not(port, done, deadline)


def _enter_raw(port) -> None:
    _read_until(port, lambda d: d.endswith(b">>> "), time.monotonic() + DEADLINE_S)
    port.write(b"\r\x03")
    _read_until(port, lambda d: d.endswith(b">>> "), time.monotonic() + DEADLINE_S)
    port.write(b"\r\x01")
    got = _read_until(port, lambda d: d.endswith(b"raw REPL; CTRL-B to exit\r\n>"), time.monotonic() + DEADLINE_S)
    assert got.endswith(b">"), got


def paste(port, code: bytes) -> Exchange:
    """Send ``code`` by raw-paste as a host does, watching for the board's early CTRL-D."""
    port.write(b"\x05A\x01")
    head = _read_until(port, lambda d: len(d) >= 5, time.monotonic() + DEADLINE_S)
    assert head[:2] == b"R\x01" and head[4:5] == b"\x01", head
    window = head[2] | head[3] << 8
    credit, sent, credits, ended = 2 * window, 0, 0, False
    rx = head[5:]
    while sent < len(code) and not ended:
        if credit:
            piece = code[sent : sent + credit]
            port.write(piece)
            sent += len(piece)
            credit -= len(piece)
        # Every window the board reads earns a CTRL-A; wait for all of them, or its CTRL-D.
        expected = sent // window
        deadline = time.monotonic() + DEADLINE_S
        while rx.count(b"\x01") + credits < expected and b"\x04" not in rx and time.monotonic() < deadline:
            rx += port.read(max(1, port.in_waiting))
        if b"\x04" in rx:
            ended = True
            rx = rx[: rx.index(b"\x04") + 1]
        new = rx.count(b"\x01")
        credits += new
        credit += new * window
        assert rx.replace(b"\x01", b"") in (b"", b"\x04"), rx
        rx = b""
    if not ended:  # all sent: a board that stops now answers at once
        tail = _read_until(port, lambda d: b"\x04" in d, time.monotonic() + NO_EARLY_END_WAIT_S)
        assert tail in (b"", b"\x04"), tail
        ended = tail == b"\x04"
    port.write(b"\x04")
    section = _read_until(port, lambda d: d.endswith(b"\x04>"), time.monotonic() + DEADLINE_S)
    if not ended:
        assert section[:1] == b"\x04", section  # the acknowledgement of the host's CTRL-D
        section = section[1:]
    return Exchange(window, credits, ended, sent, section.replace(b"\r\n", b"\n"))


@pytest.fixture(scope="module")
def exchanges() -> dict[str, dict[str, Exchange]]:
    """Each device's exchanges, computed once per device and program."""
    return {}


def _exchange(cache: dict[str, dict[str, Exchange]], url: str, name: str) -> Exchange:
    if url not in cache:
        port = open_port(url, timeout=0.02)
        try:
            _enter_raw(port)
            cache[url] = {program: paste(port, code) for program, code in PROGRAMS.items()}
        finally:
            port.close()
    return cache[url][name]




@requires_micropython
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_simulated_board_ends_a_paste_where_micropython_does(exchanges, name: str) -> None:
    real = _exchange(exchanges, "spawn://micropython", name)
    sim = _exchange(exchanges, "sim://generic?boot_ms=0", name)
    assert sim == real
    assert real.error_section.startswith(b"\x04Traceback (most recent call last):\n")
    assert real.error_section.endswith(b"\x04>")


def test_the_rule_measured_on_micropython() -> None:
    """Three bytes past the offending token (a NEWLINE token takes the next line's indent)."""
    cases = {
        b"x = 1\nprint(x +)\ny = 2\n": (len(b"x = 1\nprint(x +)") + 3, 2),
        b"for i in range(3)\n    print(i)\n": (len(b"for i in range(3)\n    ") + 3, 1),
        b"x = 1\nif x:\ny = 2\n": (len(b"x = 1\nif x:\ny") + 3, 3),
        b"def f():\n    return 1\n  x = 2\n": (len(b"def f():\n    return 1\n  ") + 3, 2),
    }
    for code, (consumed, line) in cases.items():
        compiler = PasteCompiler()
        found = [(n, compiler.check(code[:n])) for n in range(1, len(code) + 1)]
        first = next((n, error) for n, error in found if error is not None)
        assert first[0] == consumed and first[1].consumed == consumed, code
        assert first[1].lineno == line, code


def test_valid_code_arriving_in_pieces_never_ends_a_paste() -> None:
    """A wrong early end would refuse working code: every prefix of valid programs is fine."""
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parents[2].joinpath("workbench", "sim").glob("*.py")):
        data = path.read_bytes()
        compiler = PasteCompiler()
        for end in [*range(61, len(data), 61), len(data)]:
            assert compiler.check(data[:end]) is None, (path.name, end)


def test_text_that_only_looks_like_an_error_when_cut_never_ends_a_paste() -> None:
    """Cut inside a string, ``04x`` or ``1mbold`` looks like a number run into a name; inside
    brackets, ``x = 1`` looks like a misplaced assignment. Neither is an error in the whole."""
    programs = [
        b"print(f'{value:04x} {other:06d}')\nx = 1\n",
        b"print('\\x1b[1mbold\\x1b[0m')\nprint('9A')\n",
        b"print(\n    end='',\n    sep=' ',\n)\nx = (1,\n     2)\n",
        b"if 1:\n\tx = 1\n        y = 2\n",  # tabs and spaces: MicroPython takes the mix
    ]
    for code in programs:
        compiler = PasteCompiler()
        for end in range(1, len(code) + 1):
            assert compiler.check(code[:end]) is None, (code, end)


@pytest.mark.parametrize("url", ["sim://generic?boot_ms=0", "sim://esp32?boot_ms=0&window=32"])
def test_a_long_program_with_an_early_error_is_not_read_to_the_end(url: str) -> None:
    """Without the real interpreter too: the board stops within the first two windows."""
    port = open_port(url, timeout=0.02)
    try:
        _enter_raw(port)
        exchange = paste(port, b"x = = 1\n" + _BODY * 3)
    finally:
        port.close()
    assert exchange.stopped_early and exchange.credits_before_end == 0
    assert exchange.sent_before_end == 2 * exchange.window
    assert exchange.error_section == (b'\x04Traceback (most recent call last):\n  File "<stdin>", line 1\n'
                                      b"SyntaxError: invalid syntax\n\x04>")


def test_legacy_firmware_reads_everything_in_plain_raw_mode() -> None:
    """Boards without raw-paste are unaffected: plain raw mode reads up to CTRL-D, then says OK."""
    port = open_port("sim://legacy?boot_ms=0", timeout=0.02)
    try:
        _enter_raw(port)
        port.write(b"x = = 1\n" + _BODY + b"\x04")
        got = _read_until(port, lambda d: d.endswith(b"\x04>"), time.monotonic() + DEADLINE_S)
    finally:
        port.close()
    assert got.startswith(b"OK\x04Traceback")
    assert b"line 1\r\nSyntaxError: invalid syntax\r\n\x04>" in got
