"""The simulated board against the real interpreter, byte for byte (issue 14, "Keep it true").

The same code goes to ``sim://generic`` and to the MicroPython unix port (``spawn://micropython``),
in plain raw mode and by raw-paste, and what each device sends back must be the same bytes:
chosen snippets (output of every kind, exceptions caught and uncaught, syntax errors
anywhere, window-boundary sizes, input, interrupts, soft resets, ``sys.exit``) and programs
that hypothesis puts together from the same pieces.

One normalisation only: a board cooks every ``\\n`` its code prints into ``\\r\\n``
(``mp_hal_stdout_tx_strn_cooked``) and the unix port does not, so the unix port's output is
cooked before comparing. Banners and versions never reach the compared bytes (the devices
are in the raw REPL before the first step, and the unix port's soft reboot prints what a
board prints).

Where the simulation differs on purpose (it runs CPython underneath), the snippet names its
entry in :data:`ACCEPTED`, and docs/simulated-boards.md lists every entry in its table of
differences. Such a snippet must still differ: when the simulation catches up, the entry
goes.

``bench/bench_sim_differential.py`` runs the generated programs by the thousand.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import requires_micropython
from tests.support.port_reading import read_while_not
from workbench.transports import open_port

REAL_URL = "spawn://micropython"
SIM_URL = "sim://generic?boot_ms=0"
MODES = ("raw", "paste")
RAW_PROMPT = b"raw REPL; CTRL-B to exit\r\n>"
#: How long a step may run before the driver does what a host's exec timeout does: CTRL-C.
STEP_TIMEOUT_S = 2.0
#: For the interrupt snippets: long enough for any loop to be running.
INTERRUPT_AFTER_S = 0.3
#: Generated programs per mode in the test (the bench runs more).
GENERATED_PER_MODE = 500
DOCS = Path(__file__).resolve().parents[2] / "docs" / "simulated-boards.md"


# ---------------------------------------------------------------------------- the driver
@dataclass(frozen=True)
class Step:
    """One thing the host does: run code (or soft-reset, when ``code`` is None)."""

    code: bytes | None
    when: bytes | None = None  # once the device's answer holds this (LF line ends)...
    send: bytes = b"\x03"  # ...the host sends this (CTRL-C, or bytes for the code's stdin)
    abort_paste: bool = False  # end the raw-paste with CTRL-C instead of CTRL-D
    timeout_s: float = STEP_TIMEOUT_S


class Device:
    """A port in the raw REPL, driven as a host drives it, recording every byte the device sends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.port = open_port(url, timeout=0.01)
        try:
            self._enter_raw()
        except BaseException:
            self.port.close()
            raise

    def close(self) -> None:
        self.port.close()

    def _read_until(self, done, deadline: float) -> bytes:
        return read_while_not(self.port, done, deadline)

    def _enter_raw(self) -> None:
        self._read_until(lambda d: d.endswith(b">>> "), time.monotonic() + 5)
        self.port.write(b"\r\x03")
        self._read_until(lambda d: d.endswith(b">>> "), time.monotonic() + 5)
        self.port.write(b"\r\x01")
        got = self._read_until(lambda d: d.endswith(RAW_PROMPT), time.monotonic() + 5)
        assert got.endswith(RAW_PROMPT), (self.url, got)

    def run(self, step: Step, mode: str) -> bytes:
        """Everything the device sends for ``step``, up to its prompt (``<timeout>`` marks a host CTRL-C)."""
        if step.code is None:
            self.port.write(b"\x04")
            return self._read_until(lambda d: d.endswith(RAW_PROMPT), time.monotonic() + 5)
        if mode == "raw":
            self.port.write(step.code + b"\x04")
            return self._finish(b"", step, ends=2)
        return self._paste(step)

    def _paste(self, step: Step) -> bytes:
        assert step.code is not None
        port = self.port
        port.write(b"\x05A\x01")
        got = self._read_until(lambda d: len(d) >= 5, time.monotonic() + 5)
        if got[:2] != b"R\x01":  # not at an empty raw prompt (input left over from a run): no paste
            return got + self._read_until(lambda d: d.endswith(b">"), time.monotonic() + 1)
        window = got[2] | got[3] << 8
        credit, sent, code = 2 * window, 0, step.code
        while sent < len(code):
            if credit:
                piece = code[sent : sent + credit]
                port.write(piece)
                sent += len(piece)
                credit -= len(piece)
                continue
            more = self._read_until(lambda d: b"\x01" in d or b"\x04" in d, time.monotonic() + 5)
            got += more
            if b"\x04" in more or not more:  # the device ended the paste early (or went silent)
                break
            credit += more.count(b"\x01") * window
        port.write(b"\x03" if step.abort_paste else b"\x04")
        return self._finish(got, step, ends=2 if step.abort_paste else 3)

    def _finish(self, got: bytes, step: Step, ends: int) -> bytes:
        deadline = time.monotonic() + step.timeout_s
        waiting_for = step.when
        timed_out = False
        while not ((got.endswith(b"\x04>") and got.count(b"\x04") >= ends) or got.endswith(RAW_PROMPT)):
            if waiting_for is not None and waiting_for in got.replace(b"\r\n", b"\n"):
                self.port.write(step.send)
                waiting_for = None
            if time.monotonic() > deadline:
                if timed_out:
                    return got + b"<no prompt>"
                self.port.write(b"\x03")  # the host's exec timeout
                got += b"<timeout>"
                timed_out = True
                deadline = time.monotonic() + step.timeout_s
            got += self.port.read(max(1, self.port.in_waiting))
        return got


_PROTOCOL_TEXT = re.compile(rb"(OK\r\nMPY: soft reboot\r\n|MPY: soft reboot\r\n|raw REPL; CTRL-B to exit\r\n)")


def cook(unix_output: bytes, *, echo: bool = False) -> bytes:
    """The unix port's answer as a board sends it: every ``\\n`` the code printed as ``\\r\\n``.

    The protocol's own texts already end in ``\\r\\n``. With ``echo`` (``input()`` was
    answered), a ``\\r\\n`` is left alone: readline's echo is sent as it is, on a board too.
    """
    parts = _PROTOCOL_TEXT.split(unix_output)
    lone_newline = re.compile(rb"(?<!\r)\n") if echo else re.compile(rb"\n")
    return b"".join(part if index % 2 else lone_newline.sub(b"\r\n", part) for index, part in enumerate(parts))


# ---------------------------------------------------------------------------- accepted differences
@dataclass(frozen=True)
class Accepted:
    """A difference kept on purpose; ``name`` is its row in docs/simulated-boards.md."""

    name: str
    why: str


ACCEPTED: dict[str, Accepted] = {entry.name: entry for entry in (
    Accepted("memory-error-detail", "CPython's MemoryError does not say how many bytes were asked for"),
    Accepted("oserror-subclass", "CPython raises FileNotFoundError and friends; type(e) shows it"),
    Accepted("dict-set-order", "CPython's dicts keep insertion order; MicroPython's do not"),
    Accepted("object-repr", "CPython's reprs of objects, classes and builtins"),
    Accepted("cpython-only-features", "methods and arguments CPython has and MicroPython lacks work"),
    Accepted("unmapped-error-message", "a runtime error without a rule keeps CPython's words"),
    Accepted("float-rounding", "CPython's round() and float formatting"),
    Accepted("number-underscore", "MicroPython accepts a trailing '_' in a number; CPython refuses it"),
    Accepted("class-call-arguments", "MicroPython ignores arguments to a class without __init__"),
    Accepted("unix-port-exit-value", "the unix port prints sys.exit()'s message; boards do not"),
    Accepted("compile-error-line", "a few compiler errors are reported on another line"),
    Accepted("big-numbers", "an int too big for a float: OverflowError on CPython, inf on MicroPython"),
    Accepted("recursion-depth", "a recursion stops 199 frames deep; MicroPython's C stack, a frame more or less"),
)}


def frames_elided(answer: bytes) -> bytes:
    """A traceback with only its first frame: how deep a recursion gets is not the same every run."""
    lines = answer.split(b"\r\n")
    frames = [i for i, line in enumerate(lines) if line.startswith(b'  File "<stdin>"')]
    return b"\r\n".join(line for i, line in enumerate(lines) if i not in frames[2:])


@dataclass(frozen=True)
class Snippet:
    """Steps to run on both devices; an accepted difference either shows (the answers differ)
    or is hidden by ``normalise`` (the answers are equal once both are normalised)."""

    steps: tuple[Step, ...]
    accepted: str | None = None  # the ACCEPTED entry this snippet shows
    echo: bool = False  # input() is answered: readline's echo in the output
    normalise: Callable[[bytes], bytes] | None = None

    @classmethod
    def of(cls, *steps: Step | bytes | None, accepted: str | None = None, echo: bool = False,
           normalise: Callable[[bytes], bytes] | None = None) -> Snippet:
        return cls(tuple(s if isinstance(s, Step) else Step(s) for s in steps), accepted, echo, normalise)


def _sized(size: int, last: bytes = b"print('end')\n") -> bytes:
    """Valid code of exactly ``size`` bytes ending in ``last`` (window-boundary programs)."""
    body = b""
    n = 0
    while len(body) + len(last) + 12 < size:
        body += b"v%d = %d\n" % (n, n)
        n += 1
    pad = size - len(body) - len(last)
    return body + b"#" * (pad - 1) + b"\n" + last if pad > 0 else (body + last)[:size]


_CATCH = b"try:\n    %s\nexcept Exception as e:\n    print(e)\n    print(repr(e))\n    print(e.args)\n"

SNIPPETS: dict[str, Snippet] = {
    # -- output of every kind
    "print-int-str": Snippet.of(b"print(1, 'a', -7 // 2, 2 ** 100, 'x' * 3)"),
    "print-sep-end": Snippet.of(b"print(1, 2, sep='-', end='|')\nprint()\nprint('a', end='')"),
    "print-control-chars": Snippet.of(b"print('a\\rb\\tc\\x1b[31mred\\x1b[0m\\x07\\x00\\x7f')"),
    "print-cr-before-newline": Snippet.of(b"print('x\\r')\nprint('\\r\\n')"),
    "print-ctrl-d-in-output": Snippet.of(b"print('a\\x04b')"),
    "print-unicode": Snippet.of(b"print('\\u00e9', '\\u20ac', '\\U0001F600', len('\\u00e9'))"),
    "print-lone-surrogate": Snippet.of(b"print('\\ud800')"),
    "print-str-repr": Snippet.of("print(repr('\u20ac'), ['caf\u00e9', '\U0001F600'], repr(\"it's\"), repr('a\\x7f'))"
                                 .encode()),
    "print-bytes-repr": Snippet.of(b"print(b'\\x00\\xff', bytearray(b'ab'), repr('\\x00\\x7f'))"),
    "print-floats": Snippet.of(b"print(1/3, 0.1 + 0.2, 1e100, 2.5, -0.0, 1e-7, float('inf'))"),
    "print-long-output": Snippet.of(b"for i in range(300):\n    print('line', i)"),
    "print-no-newline": Snippet.of(b"print('no newline', end='')"),
    "no-output": Snippet.of(b"x = 1"),
    "stderr-goes-first-section": Snippet.of(b"import sys\nprint('out')\nprint('err', file=sys.stderr)\n"
                                            b"sys.stderr.write('raw\\n')\nprint('out again')"),
    "stdout-write-bytes": Snippet.of(b"import sys\nn = sys.stdout.write(b'ab')\nm = sys.stdout.write(bytearray(b'cd'))\n"
                                     b"k = sys.stdout.write(memoryview(b'ef'))\nprint(n, m, k)"),
    "stdout-write-text-count": Snippet.of(b"import sys\nprint(sys.stdout.write('caf\\u00e9'))"),
    "stdout-write-int": Snippet.of(b"import sys\nsys.stdout.write(5)"),
    "file-name": Snippet.of(b"print(__name__, __file__)"),
    "utf8-bom": Snippet.of(b"\xef\xbb\xbfprint(1)"),
    "utf8-bom-assignment": Snippet.of(b"\xef\xbb\xbfx = 1\nprint(2)"),
    # -- uncaught exceptions: MicroPython's words
    "zero-division": Snippet.of(b"1/0"),
    "name-error": Snippet.of(b"nosuch"),
    "key-error": Snippet.of(b"{}['k']"),
    "index-error": Snippet.of(b"[1, 2][5]"),
    "type-error-add": Snippet.of(b"1 + 'a'"),
    "type-error-concat": Snippet.of(b"'a' + 1"),
    "type-error-repeat": Snippet.of(b"'a' * 'b'"),
    "type-error-repeat-names": Snippet.of(b"s = [1]\nt = 'x'\ns * t"),
    "type-error-compare": Snippet.of(b"1 < 'a'"),
    "type-error-sort": Snippet.of(b"sorted([1, 'a'])"),
    "type-error-call": Snippet.of(b"x = 5\nx()"),
    "type-error-subscript": Snippet.of(b"x = None\nx[0]"),
    "type-error-item-assign": Snippet.of(b"t = (1, 2)\nt[0] = 5"),
    "type-error-unhashable": Snippet.of(b"{[]: 1}"),
    "type-error-in-int": Snippet.of(b"2 in 2"),
    "type-error-in-str": Snippet.of(b"'a' in 2"),
    "type-error-unary": Snippet.of(b"-'a'"),
    "type-error-len": Snippet.of(b"len(5)"),
    "type-error-arity-builtin": Snippet.of(b"len()"),
    "type-error-arity-method": Snippet.of(b"[1].append()"),
    "type-error-missing-arg": Snippet.of(b"def f(a, b=1):\n    pass\nf()"),
    "type-error-too-many-args": Snippet.of(b"def f(a, b=1):\n    pass\nf(1, 2, 3)"),
    "type-error-method-arg": Snippet.of(b"class A:\n    def m(self, a):\n        pass\nA().m()"),
    "type-error-keyword": Snippet.of(b"def f():\n    pass\nf(x=1)"),
    "type-error-format": Snippet.of(b"'%d %d' % (1,)"),
    "type-error-format-extra": Snippet.of(b"'%s' % (1, 2)"),
    "type-error-format-type": Snippet.of(b"'%d' % 'a'"),
    "type-error-unpack": Snippet.of(b"a, b = 1"),
    "value-error-int": Snippet.of(b"int('12a')"),
    "value-error-int-spaces": Snippet.of(b"int('  x ')"),
    "value-error-float": Snippet.of(b"float('abc')"),
    "value-error-remove": Snippet.of(b"[1].remove(5)"),
    "value-error-min-empty": Snippet.of(b"min([])"),
    "value-error-unpack": Snippet.of(b"a, b = [1]"),
    "index-error-format": Snippet.of(b"'{}{}'.format(1)"),
    "import-error": Snippet.of(b"import nosuchmodule"),
    "import-error-name": Snippet.of(b"from sys import nope"),
    "attribute-error": Snippet.of(b"None.x"),
    "os-error": Snippet.of(b"open('/no/such/file')"),
    "raise-plain": Snippet.of(b"raise ValueError"),
    "raise-message": Snippet.of(b"raise ValueError('bad', 2)"),
    "raise-user-words-kept": Snippet.of(b"raise NameError(\"name 'x' is not defined\")"),
    "raise-user-class": Snippet.of(b"class MyError(Exception):\n    pass\nraise MyError('mine')"),
    "raise-from": Snippet.of(b"try:\n    1/0\nexcept Exception as e:\n    raise ValueError('x') from e"),
    "raise-from-none": Snippet.of(b"raise ValueError('x') from None"),
    "traceback-frames": Snippet.of(b"def f():\n    return g()\ndef g():\n    return 1 / 0\n\nf()"),
    "recursion": Snippet.of(b"def f(n):\n    return f(n + 1)\nf(0)", accepted="recursion-depth",
                            normalise=frames_elided),
    "recursion-two-functions": Snippet.of(b"def g(n):\n    return h(n)\ndef h(n):\n    return g(n + 1)\ng(0)",
                                          accepted="recursion-depth", normalise=frames_elided),
    "exec-compile-syntax-error": Snippet.of(b"exec(compile('x = 1\\nx = = 1', '<stdin>', 'exec'))"),
    "exec-compile-runtime-error": Snippet.of(b"exec(compile('x = 1\\n1/0', '<stdin>', 'exec'))"),
    "exec-caught-syntax-error": Snippet.of(b"try:\n    exec('x = = 1')\nexcept SyntaxError as e:\n    print(repr(e), e.args)"),
    "eval-syntax-error": Snippet.of(b"eval('1 +')"),
    "eval-and-exec-namespace": Snippet.of(b"def f():\n    y = 2\n    return eval('y + 1')\nexec('z = f()')\nprint(z)"),
    "recursion-caught": Snippet.of(b"def f(n):\n    return f(n + 1)\ntry:\n    f(0)\nexcept RuntimeError as e:\n"
                                   b"    print(repr(e))"),
    "assert": Snippet.of(b"assert 1 == 2, 'no'"),
    "stop-iteration": Snippet.of(b"next(iter([]))"),
    "exception-in-generator": Snippet.of(b"def g():\n    yield 1\n    1/0\nfor x in g():\n    print(x)"),
    # -- caught exceptions: the handler sees MicroPython's words
    "caught-zero-division": Snippet.of(_CATCH % b"1/0"),
    "caught-name-error": Snippet.of(_CATCH % b"nosuch"),
    "caught-key-error": Snippet.of(b"try:\n    {}['k']\nexcept KeyError as e:\n    print(e, repr(e), e.args, str(e))"),
    "caught-value-error": Snippet.of(_CATCH % b"int('x')"),
    "caught-type-error": Snippet.of(_CATCH % b"'a' + 1"),
    "caught-os-error": Snippet.of(b"try:\n    open('/no/such/file')\nexcept OSError as e:\n    print(e, repr(e), e.args, e.errno)"),
    "caught-import-error": Snippet.of(_CATCH % b"import nope"),
    "caught-user-raise": Snippet.of(_CATCH % b"raise ValueError('x', 'y')"),
    "caught-nested": Snippet.of(b"try:\n    try:\n        1/0\n    except ZeroDivisionError as e:\n"
                                b"        print('inner', e)\n        raise\nexcept Exception as e:\n    print('outer', e)"),
    "caught-in-function": Snippet.of(b"def f():\n    try:\n        [][0]\n    except IndexError as e:\n"
                                     b"        return str(e)\nprint(f())"),
    "caught-print-exception": Snippet.of(b"import sys\ntry:\n    1/0\nexcept Exception as e:\n    sys.print_exception(e)"),
    "exception-reprs": Snippet.of(b"print(repr(ValueError()), repr(ValueError('a', 'b')), repr(KeyError('k')), "
                                  b"str(KeyError('k')), [ValueError(1)], repr(OSError(2)), str(OSError(2, 'x')))"),
    "user-exception-repr": Snippet.of(b"class E(Exception):\n    pass\nprint(repr(E('x')), E('x'), E(1, 2))"),
    "caught-type-name": Snippet.of(b"try:\n    open('/no/such/file')\nexcept OSError as e:\n    print(type(e))",
                                   accepted="oserror-subclass"),
    # -- syntax errors anywhere
    "syntax-first-line": Snippet.of(b"x = = 1\nprint(1)"),
    "syntax-middle": Snippet.of(b"x = 1\ny = 2\nprint(x +)\nz = 3"),
    "syntax-last-line": Snippet.of(b"x = 1\ny = 2\nz = 1 1"),
    "syntax-missing-colon": Snippet.of(b"for i in range(3)\n    print(i)"),
    "syntax-unexpected-indent": Snippet.of(b"x = 1\n    y = 2"),
    "syntax-unindent": Snippet.of(b"def f():\n    return 1\n  x = 2"),
    "syntax-unclosed-bracket": Snippet.of(b"x = 0\nx = (1,"),
    "syntax-unclosed-bracket-newline": Snippet.of(b"x = [\n1,\n2\n\n"),
    "syntax-bracket-then-error": Snippet.of(b"x = (1 +\n 2\ny = 3"),
    "syntax-block-at-end": Snippet.of(b"x = 1\nif x:"),
    "syntax-try-at-end": Snippet.of(b"try:\n    pass"),
    "syntax-unterminated-string": Snippet.of(b"x = 'abc\nprint(1)"),
    "syntax-number-hex": Snippet.of(b"x = 0xg1"),
    "syntax-number-end": Snippet.of(b"x = 1e"),
    "syntax-number-leading-zero": Snippet.of(b"x = 09"),
    "syntax-number-glued": Snippet.of(b"x = 1if 1else 2"),
    "syntax-assign-call": Snippet.of(b"f() = 1"),
    "syntax-assign-in-function": Snippet.of(b"def g():\n    x = 1\n    f() = 1"),
    "syntax-assign-literal": Snippet.of(b"x = 1\n1 = x"),
    "syntax-augassign": Snippet.of(b"f() += 1"),
    "syntax-delete": Snippet.of(b"x = 1\ndel x, 1"),
    "syntax-argument-reused": Snippet.of(b"def f(a, b, a):\n    pass"),
    "syntax-argument-reused-lines": Snippet.of(b"def f(\n  a,\n  a):\n    pass"),
    "syntax-default-order": Snippet.of(b"def f(a=1, b):\n    pass"),
    "syntax-keyword-order": Snippet.of(b"f(a=1, 2)"),
    "syntax-star-after-kwargs": Snippet.of(b"f(**a, *b)"),
    "syntax-return-outside": Snippet.of(b"x = 1\nreturn 5"),
    "syntax-break-in-function": Snippet.of(b"def g():\n    break"),
    "syntax-break-in-class": Snippet.of(b"class A:\n    x = 1\n    break"),
    "syntax-nonlocal": Snippet.of(b"nonlocal x"),
    "syntax-fstring": Snippet.of(b"print(f'{}')"),
    "syntax-tabs-mixed": Snippet.of(b"if 1:\n\tx = 1\n        y = 2\nprint(x, y)"),
    "syntax-then-compile-error": Snippet.of(b"f() = 1\nx = 1\ny = 1 1\n"),
    "syntax-warnings-silent": Snippet.of(b"x = 1\nprint(x is 1)\nprint('\\d')\nassert (x, 'm')"),
    "syntax-del-leaf-in-method": Snippet.of(b"class A:\n    def g(self):\n        del 1", accepted="compile-error-line"),
    "number-underscore": Snippet.of(b"print(1_)", accepted="number-underscore"),
    # -- window-boundary sizes (the raw-paste window is 128 bytes)
    **{f"size-{size}": Snippet.of(_sized(size)) for size in (127, 128, 129, 255, 256, 257)},
    **{f"size-{size}-error-at-end": Snippet.of(_sized(size, b"x = (1 +\n")) for size in (128, 129, 256, 257)},
    "size-300-error-on-line-1": Snippet.of(b"x = = 1\n" + _sized(292)),
    # -- state, soft resets, sys.exit
    "state-between-runs": Snippet.of(b"counter = 41", b"counter += 1\nprint(counter)"),
    "soft-reset-clears-state": Snippet.of(b"kept = 5", None, b"print(kept)"),
    "sys-exit": Snippet.of(b"import sys\nprint('bye')\nsys.exit()", b"print('after')"),
    "sys-exit-number": Snippet.of(b"import sys\nsys.exit(3)", b"print('after')"),
    "raise-system-exit": Snippet.of(b"raise SystemExit", b"print('after')"),
    "sys-exit-message": Snippet.of(b"import sys\nsys.exit('msg')", b"print('after')", accepted="unix-port-exit-value"),
    # -- interrupts
    # The host's exec timeout sends the CTRL-C once the loop surely runs: a CTRL-C sent as soon
    # as the code prints lands in the unix port's write() of that print (EINTR), which a
    # board's UART never sees. One statement in each loop: with more (or in a for loop)
    # MicroPython names the jump's line or the line jumped to, not the same every run.
    "interrupt-loop": Snippet.of(Step(b"while True:\n    pass", timeout_s=INTERRUPT_AFTER_S)),
    "interrupt-while-condition": Snippet.of(Step(b"x = 1\nwhile x:\n    pass", timeout_s=INTERRUPT_AFTER_S)),
    "interrupt-loop-one-statement": Snippet.of(Step(b"x = 0\nwhile True:\n    x += 1", timeout_s=INTERRUPT_AFTER_S)),
    "interrupt-in-function": Snippet.of(Step(b"def f():\n    while True:\n        pass\nf()",
                                             timeout_s=INTERRUPT_AFTER_S)),
    "interrupt-in-print-loop": Snippet.of(Step(b"n = 0\nwhile True:\n    n = n or print('go') or 1",
                                               when=b"go\n")),
    "interrupt-sleep": Snippet.of(Step(b"import time\nx = 1\ntime.sleep(10)", timeout_s=INTERRUPT_AFTER_S)),
    "interrupt-caught": Snippet.of(Step(b"try:\n    while True:\n        pass\n"
                                        b"except KeyboardInterrupt as e:\n    print('caught', repr(e))",
                                        timeout_s=INTERRUPT_AFTER_S)),
    "paste-aborted": Snippet.of(Step(b"print(1)\n" * 40, abort_paste=True)),
    # -- input: the code reads the host's bytes
    "input-line": Snippet.of(Step(b"x = input('? ')\nprint(repr(x))", when=b"? ", send=b"abc\r"), echo=True),
    "input-backspace": Snippet.of(Step(b"print('go')\nx = input()\nprint(repr(x))", when=b"go\n", send=b"ab\x08c\r"),
                                  echo=True),
    "stdin-read": Snippet.of(Step(b"import sys\nprint('go')\nx = sys.stdin.read(3)\nprint(repr(x))", when=b"go\n",
                                  send=b"xyz")),
    "stdin-read-bytes": Snippet.of(Step(b"import sys\nprint('go')\nx = sys.stdin.buffer.read(2)\nprint(x)", when=b"go\n",
                                        send=b"\xc3\xa9")),
    "stdin-leftover-reaches-repl": Snippet.of(Step(b"import sys\nprint('go')\nx = sys.stdin.read(1)\nprint(repr(x))",
                                                   when=b"go\n", send=b"abc"), b"print(1)"),
    "input-waits-until-timeout": Snippet.of(Step(b"x = input('? ')", timeout_s=0.5)),
    # -- memory
    "memory-error": Snippet.of(b"x = [0] * 10 ** 7", None, accepted="memory-error-detail"),
    # -- kept on purpose
    "dict-order": Snippet.of(b"print({1: 2, 'a': 3, (1, 2): 4})", accepted="dict-set-order"),
    "object-repr": Snippet.of(b"class A:\n    pass\nprint(A, print)", accepted="object-repr"),
    "cpython-only-method": Snippet.of(b"print('x'.center(5, '*'))", accepted="cpython-only-features"),
    "unmapped-message": Snippet.of(b"print(1, sep=5)", accepted="unmapped-error-message"),
    "round-half": Snippet.of(b"print(round(2.675, 2))", accepted="float-rounding"),
    "class-arguments": Snippet.of(b"class A:\n    pass\nA(1)", accepted="class-call-arguments"),
    "int-to-float-overflow": Snippet.of(b"print(10 ** 400 * 1.0)", accepted="big-numbers"),
}


# ---------------------------------------------------------------------------- generated programs
def _any_of(items: list[str]) -> st.SearchStrategy[str]:
    """One of ``items``, each as likely as the others (``sampled_from`` favours the first ones)."""
    return st.randoms(use_true_random=False).map(lambda chance: chance.choice(items))


_VALUES = _any_of([
    "0", "1", "-7", "42", "2 ** 70", "-(2 ** 65)", "3.5", "0.25", "1e3", "True", "None", "'abc'", "'a\\tb'",
    "'\\x1b[1m'", "'caf\\u00e9'", "'\\u20ac'", "''", "'it\\'s'", "[1, 2]", "(1,)", "()", "[]", "b'xy'",
    "b'\\x00\\xff'", "'\\r'", "'\\n'", "'x' * 3", "[None, 'a']", "range(3)", "{7}", "{'k': 1}",
])
_NUMBERS = st.one_of(st.integers(-1000, 1000), st.sampled_from([2 ** 31, -(2 ** 40), 10 ** 20]))
_OPERATORS = _any_of(["+", "-", "*", "//", "%", "<", "==", "!=", "&", "|", "^", "<<"])
_RAISING = _any_of([
    "1 / 0", "1 // 0", "5 % 0", "int('x')", "int('')", "float('y')", "[1][5]", "(1,)[3]", "'ab'[9]",
    "{}['k']", "{}[1]", "nosuch", "'a' + 1", "1 + 'a'", "None.x", "None()", "len(5)", "'a' * 'b'",
    "[].pop()", "min([])", "{[]: 1}", "2 in 2", "import nosuchmod", "from sys import nope",
    "raise ValueError('v')", "raise RuntimeError", "raise KeyError(3)", "raise OSError(2)",
    "'{}{}'.format(1)", "a, b = 1", "a, b = [1]", "a, b = [1, 2, 3]", "(1, 2)[0] = 1", "[1].remove(9)",
    "'%d' % 'a'", "'%s %s' % (1,)", "x = -'a'", "abs('a')", "int(None)", "iter(5)", "next(iter([]))",
    "'a' < 1", "[1] < 1", "sorted([1, 'a'])", "def f(a): pass\n    f()",
    "x = [1, 2]\n    x[1.5]", "chr(-1)", "range(1, 2, 0)", "assert False", "assert 1 == 2, 'no'",
])
_BROKEN = _any_of([
    "x = = 1", "print(1 +)", "for i in range(3)", "    y = 2", "1 = x", "f() = 1", "del 1, x", "x = 0xg",
    "x = 1if 1else 2", "return 5", "break", "def f(a, a): pass", "x = 'abc", "x = (1,", "y = 1 1", "if x",
    "x = [1,\n2", "f(a=1, 2)", "x = 09", "x = 1e", "print(f'{}')", "nonlocal q", "a, *b, *c = 1, 2",
    "def g(a=1, b): pass", "x += = 1", "lambda: (yield)", "class", "import", "print('a' 'b' 1)",
])
_TEXT = st.text(alphabet=st.sampled_from("ab \t\r\x1b\x00\x07\x7f\u00e9\u20ac'\"\\{}%"), max_size=8)


@st.composite
def _statement(draw) -> str:
    kind = draw(_any_of(["print", "assign", "caught", "loop", "function", "format", "arith", "text", "write",
                         "while", "uncaught-in-function", "stderr"]))
    value = draw(_VALUES)
    if kind == "print":
        return f"print({value})"
    if kind == "assign":
        return f"v = {value}\nprint(repr(v), type(v).__name__)"
    if kind == "caught":
        seen = draw(st.sampled_from(["e", "repr(e)", "e.args", "str(e)", "type(e).__name__"]))
        exc = draw(st.sampled_from(["Exception", "ZeroDivisionError", "(TypeError, ValueError)", "BaseException"]))
        return f"try:\n    {draw(_RAISING)}\nexcept {exc} as e:\n    print({seen})"
    if kind == "loop":
        return f"for i in range({draw(st.integers(0, 4))}):\n    print(i, {value})"
    if kind == "function":
        return f"def f(x):\n    return [x, {value}]\nprint(f({value}))"
    if kind == "arith":
        a, b, op = draw(_NUMBERS), draw(_NUMBERS), draw(_OPERATORS)
        if op == "<<":
            b = abs(b) % 70
        return f"print({a} {op} {b})"
    if kind == "text":
        return f"print({draw(_TEXT)!r}, end={draw(st.sampled_from(['', '!', '|']))!r})\nprint()"
    if kind == "write":
        return f"import sys\nsys.stdout.write({draw(_TEXT)!r})\nsys.stdout.write(b'.\\n')"
    if kind == "stderr":
        return f"import sys\nprint('e', {value}, file=sys.stderr)"
    if kind == "while":
        return f"n = {draw(st.integers(0, 3))}\nwhile n:\n    n -= 1\n    print('n', n)"
    return f"def g():\n    {draw(_RAISING)}\ntry:\n    g()\nexcept Exception as e:\n    print(repr(e))"


@st.composite
def programs(draw) -> bytes:
    """Statements from the pieces above, maybe a syntax error anywhere, maybe an uncaught error at the end,
    padded so that sizes around the raw-paste window's boundaries come up."""
    lines = draw(st.lists(_statement(), min_size=1, max_size=8))
    ending = draw(st.sampled_from(["none", "raise", "broken", "raise-in-function"]))
    if ending == "raise":
        lines.append(draw(_RAISING).replace("\n    ", "\n"))
    elif ending == "raise-in-function":
        lines.append(f"def h():\n    {draw(_RAISING)}\nh()")
    elif ending == "broken":
        lines.insert(draw(st.integers(0, len(lines))), draw(_BROKEN))
    code = "\n".join(lines) + "\n"
    size = len(code.encode())
    target = draw(st.sampled_from([0, 127, 128, 129, 255, 256, 257, 383, 384, 385]))
    if target > size + 2:
        code += "#" * (target - size - 1) + "\n"
    return code.encode()


# ---------------------------------------------------------------------------- the comparison
@pytest.fixture(scope="module")
def devices() -> Iterator[tuple[Device, Device]]:
    real = Device(REAL_URL)
    try:
        sim = Device(SIM_URL)
    except BaseException:
        real.close()
        raise
    yield real, sim
    real.close()
    sim.close()


def answers(devices: tuple[Device, Device], steps: tuple[Step, ...], mode: str, echo: bool = False) -> tuple[list[bytes], list[bytes]]:
    """What each device sent for each step, the unix port's cooked as a board's."""
    real, sim = devices
    real_answers = [cook(real.run(step, mode), echo=echo) for step in steps]
    sim_answers = [sim.run(step, mode) for step in steps]
    return real_answers, sim_answers


@requires_micropython
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", list(SNIPPETS))
def test_chosen_snippet_answers_as_micropython_does(devices, name: str, mode: str) -> None:
    snippet = SNIPPETS[name]
    real, sim = answers(devices, snippet.steps, mode, snippet.echo)
    if snippet.normalise is not None:
        assert [snippet.normalise(answer) for answer in sim] == [snippet.normalise(answer) for answer in real]
    elif snippet.accepted is None:
        assert sim == real
    else:  # still different: when the simulation catches up, the entry goes
        assert sim != real, f"{name} no longer differs: remove '{snippet.accepted}' from ACCEPTED and the docs"


@requires_micropython
@pytest.mark.parametrize("mode", MODES)
def test_generated_programs_answer_as_micropython_does(devices, mode: str) -> None:
    @settings(max_examples=GENERATED_PER_MODE, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(program=programs())
    def check(program: bytes) -> None:
        real, sim = answers(devices, (Step(program),), mode)
        assert sim == real, program

    check()


def test_every_accepted_difference_is_shown_and_documented() -> None:
    shown = {snippet.accepted for snippet in SNIPPETS.values() if snippet.accepted}
    assert shown == set(ACCEPTED)
    docs = DOCS.read_text()
    missing = [name for name in ACCEPTED if f"`{name}`" not in docs]
    assert not missing, f"docs/simulated-boards.md lacks rows for {missing}"
