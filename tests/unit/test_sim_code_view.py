"""What code on a simulated board sees, without the real interpreter at hand (issue 14).

``test_sim_differential.py`` compares the simulated board with the MicroPython unix port
byte for byte; it skips where that interpreter cannot run. These tests pin the same
behaviour on the simulated board alone, with the texts measured on the unix port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.support.port_reading import read_while_not
from tests.unit.test_sim_runner import ESP32, collect, execute, wait_for_output
from workbench.sim.runner import CodeRunner
from workbench.transports import open_port

DEADLINE_S = 5.0


@pytest.fixture
def runner() -> Iterator[CodeRunner]:
    board = CodeRunner(ESP32)
    board.start()
    yield board
    board.close()


def last_line(traceback: bytes) -> bytes:
    return traceback.splitlines()[-1]


# ---------------------------------------------------------------------------- exceptions
@pytest.mark.parametrize(
    ("raising", "printed"),
    [
        ("1/0", b"divide by zero\nZeroDivisionError('divide by zero',)\n('divide by zero',)"),
        ("nosuch", (b"name 'nosuch' isn't defined\nNameError(\"name 'nosuch' isn't defined\",)\n"
                   b"(\"name 'nosuch' isn't defined\",)")),
        ("{}['k']", b"k\nKeyError('k',)\n('k',)"),
        ("int('x')", (b"invalid syntax for integer with base 10: 'x'\n"
                     b"ValueError(\"invalid syntax for integer with base 10: 'x'\",)\n"
                     b"(\"invalid syntax for integer with base 10: 'x'\",)")),
        ("open('/no/such/file')", b"[Errno 2] ENOENT\nOSError(2,)\n(2,)"),
        ("'a' + 1", (b"unsupported types for __add__: 'str', 'int'\n"
                    b"TypeError(\"unsupported types for __add__: 'str', 'int'\",)\n"
                    b"(\"unsupported types for __add__: 'str', 'int'\",)")),
        ("raise ValueError('is not defined', 2)", (b"('is not defined', 2)\nValueError('is not defined', 2)\n"
                                                  b"('is not defined', 2)")),
    ],
)
def test_a_caught_exception_reads_as_on_a_board(runner: CodeRunner, raising: str, printed: bytes) -> None:
    code = f"try:\n    {raising}\nexcept Exception as e:\n    print(e)\n    print(repr(e))\n    print(e.args)\n"
    assert execute(runner, code) == (printed + b"\n", b"")


def test_a_missing_module_is_a_plain_import_error(runner: CodeRunner) -> None:
    # MicroPython has no ModuleNotFoundError (found by the differential test)
    code = "try:\n    import nosuchmod\nexcept Exception as e:\n    print(type(e).__name__, e)\n"
    assert execute(runner, code) == (b"ImportError no module named 'nosuchmod'\n", b"")


@pytest.mark.parametrize(
    ("code", "last"),
    [
        ("'a' * 'b'", b"TypeError: unsupported types for __mul__: 'str', 'str'"),
        ("min([])", b"ValueError: arg is an empty sequence"),
        ("{[]: 1}", b"TypeError: unsupported type for __hash__: 'list'"),
        ("'{}{}'.format(1)", b"IndexError: tuple index out of range"),
        ("from sys import nope", b"ImportError: can't import name nope"),
        ("2 in 2", b"TypeError: unsupported types for : 'int', 'int'"),
        ("def f(a, b=1):\n    pass\nf()", b"TypeError: f() takes 1 positional arguments but 0 were given"),
        ("len()", b"TypeError: function takes 1 positional arguments but 0 were given"),
    ],
)
def test_uncaught_messages_are_micropythons(runner: CodeRunner, code: str, last: bytes) -> None:
    assert last_line(execute(runner, code)[1]) == last


def test_reprs_of_exceptions_and_strings_are_micropythons(runner: CodeRunner) -> None:
    out, _ = execute(runner, "class E(Exception):\n    pass\n"
                             "print(repr(E('x')), [KeyError('k')], str(OSError(2, 'x')), repr('caf\\u00e9 \\u20ac'))")
    assert out == b"E('x',) [KeyError('k',)] [Errno 2] ENOENT: x 'caf\\xe9 \\u20ac'\n"


def test_raise_from_warns_that_micropython_has_no_chaining(runner: CodeRunner) -> None:
    out, tb = execute(runner, "try:\n    1/0\nexcept Exception as e:\n    raise ValueError('x') from e")
    assert out == b"Warning: exception chaining not supported\n"
    assert tb.endswith(b'  File "<stdin>", line 4, in <module>\nValueError: x\n')
    assert execute(runner, "raise ValueError('y') from None")[0] == b""


def test_circuitpython_chains_exceptions_without_a_warning() -> None:
    with CodeRunner(replace(ESP32, implementation="circuitpython", warns_chaining=False)) as board:
        out, _ = execute(board, "try:\n    1/0\nexcept Exception as e:\n    raise ValueError('x') from e")
    assert out == b""


# ---------------------------------------------------------------------------- compiling
@pytest.mark.parametrize(
    ("code", "report"),
    [
        ("x = 0\nx = (1,", b'  File "<stdin>", line 3\nSyntaxError: invalid syntax'),
        ("x = [\n1,\n2\n\n", b'  File "<stdin>", line 5\nSyntaxError: invalid syntax'),
        ("def f():\n    return 1\n  x = 2", (b"  File \"<stdin>\", line 2\n"
                                           b"IndentationError: unindent doesn't match any outer indent level")),
        ("def g():\n    x = 1\n    f() = 1", b"  File \"<stdin>\", line 3, in g\nSyntaxError: can't assign to expression"),
        ("x = 1\ndel x, 1", b"  File \"<stdin>\", line 2, in <module>\nSyntaxError: can't delete expression"),
        ("def f(\n  a,\n  a):\n    pass", b'  File "<stdin>", line 1, in f\nSyntaxError: argument name reused'),
        ("x = 1if 1else 2", b"  File \"<stdin>\", line 1\nSyntaxError: invalid syntax for integer with base 10: '1if'"),
        ("x = 1e", b'  File "<stdin>", line 1\nSyntaxError: invalid syntax for number'),
        ("f(a=1, 2)", b'  File "<stdin>", line 1, in <module>\nSyntaxError: positional arg after keyword arg'),
    ],
)
def test_syntax_errors_have_micropythons_line_and_words(runner: CodeRunner, code: str, report: bytes) -> None:
    _, tb = execute(runner, code)
    assert tb == b"Traceback (most recent call last):\n" + report + b"\n"


def test_a_bom_is_part_of_the_first_name_and_tabs_mix_with_spaces(runner: CodeRunner) -> None:
    runner.run(b"\xef\xbb\xbfprint(1)")
    assert last_line(collect(runner)[-1].data) == "NameError: name '\ufeffprint' isn't defined".encode()
    assert execute(runner, "if 1:\n\tx = 1\n        y = 2\nprint(x, y)") == (b"1 2\n", b"")


def test_cpython_warnings_never_reach_the_board(runner: CodeRunner) -> None:
    assert execute(runner, "x = 1\nprint(x is 1)\nprint('\\d')\nassert (x, 'm')\nprint((1, 2) == (1, 2))") == (
        b"True\n\\d\nTrue\n", b"")


# ---------------------------------------------------------------------------- streams, memory, depth
def test_stdout_takes_bytes_and_counts_bytes(runner: CodeRunner) -> None:
    out, _ = execute(runner, "import sys\nn = sys.stdout.write(b'ab')\nm = sys.stdout.write(bytearray(b'c'))\n"
                             "k = sys.stdout.write('\\u00e9')\nprint(n, m, k)")
    assert out == "abcé2 1 2\n".encode()
    assert last_line(execute(runner, "import sys\nsys.stdout.write(5)")[1]) == (
        b"TypeError: object with buffer protocol required")


def test_memory_runs_out_where_a_board_would(runner: CodeRunner) -> None:
    _, tb = execute(runner, "x = [0] * 10 ** 7")
    assert last_line(tb) == b"MemoryError: "
    assert execute(runner, "x = [0] * 1000\nimport json\nprint(len(x))") == (b"1000\n", b"")


def test_recursion_stops_as_deep_as_on_the_unix_port(runner: CodeRunner) -> None:
    _, tb = execute(runner, "def f(n):\n    return f(n + 1)\nf(0)")
    assert tb.count(b", in f\n") == 198  # and the module: 199 frames
    assert last_line(tb) == b"RuntimeError: maximum recursion depth exceeded"


def test_an_interrupted_loop_names_the_loop_body(runner: CodeRunner) -> None:
    """CPython's jump back carries the ``while`` line (2); MicroPython's the body's (3).

    The body prints once, and the CTRL-C goes when that output is in: wherever it lands
    (in the print, at the jump), the board names line 3.
    """
    runner.run(b"n = 0\nwhile True:\n    n = n or print('go') or 1")
    wait_for_output(runner, b"go\n")
    runner.interrupt()
    tb = collect(runner)[-1].data
    assert tb.endswith(b'  File "<stdin>", line 3, in <module>\nKeyboardInterrupt: \n')


# ---------------------------------------------------------------------------- input
def _read_until(port, done, deadline_s: float = DEADLINE_S) -> bytes:
    return read_while_not(port, done, time.monotonic() + deadline_s)


@pytest.fixture
def raw_port():
    port = open_port("sim://generic?boot_ms=0", timeout=0.01)
    _read_until(port, lambda d: d.endswith(b">>> "))
    port.write(b"\x01")
    assert _read_until(port, lambda d: d.endswith(b"raw REPL; CTRL-B to exit\r\n>")).endswith(b">")
    yield port
    port.close()


def test_input_reads_what_the_host_sends_and_echoes_it(raw_port) -> None:
    raw_port.write(b"x = input('? ')\nprint(repr(x))\x04")
    assert _read_until(raw_port, lambda d: d.endswith(b"? ")) == b"OK? "
    raw_port.write(b"ab\x08c\r")
    assert _read_until(raw_port, lambda d: d.endswith(b"\x04>")) == b"ab\x08\x1b[Kc\r\n'ac'\r\n\x04\x04>"


def test_bytes_the_code_does_not_read_stay_for_the_repl(raw_port) -> None:
    raw_port.write(b"import sys\nprint('go')\nx = sys.stdin.read(1)\nprint(repr(x))\x04")
    assert _read_until(raw_port, lambda d: b"go\r\n" in d) == b"OKgo\r\n"
    raw_port.write(b"abc")
    assert _read_until(raw_port, lambda d: d.endswith(b"\x04>")) == b"'a'\r\n\x04\x04>"
    raw_port.write(b"=1\nprint(bc)\x04")
    assert _read_until(raw_port, lambda d: d.endswith(b"\x04>")) == b"OK1\r\n\x04\x04>"


def test_code_waiting_for_input_waits_until_ctrl_c(raw_port) -> None:
    raw_port.write(b"import sys\nx = sys.stdin.read(1)\x04")
    assert _read_until(raw_port, lambda d: d.endswith(b"\x04>"), 0.3) == b"OK"  # still waiting
    raw_port.write(b"\x03")
    assert _read_until(raw_port, lambda d: d.endswith(b"\x04>")) == (
        b'\x04Traceback (most recent call last):\r\n  File "<stdin>", line 2, in <module>\r\n'
        b"KeyboardInterrupt: \r\n\x04>")
