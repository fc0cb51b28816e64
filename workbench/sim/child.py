"""The simulated board's code process: runs user code the way a MicroPython board does.

User code must never run inside the workbench, so :class:`~workbench.sim.runner.CodeRunner`
starts this file as ``python -I -S -u child.py CMD EVT LIFE name=value...``: ``CMD`` is the
pipe it reads commands from, ``EVT`` the pipe it reports on, ``LIFE`` a pipe the parent never
writes to (end of file there means the parent is gone), then the board identity.

Both pipes carry frames: one kind byte, a 4-byte big-endian payload length, the payload.
Every frame this process writes fits in ``PIPE_BUF``, so each one is a single atomic write:
a KeyboardInterrupt or a user thread can never leave half a frame in the pipe.

Start-up imports only ``os``, ``importlib.machinery`` and builtin modules (``_signal``, not
``signal`` with its enums; no ``json``; ``re`` only once a traceback needs it): the process
is ready in about 10 ms, which is what makes soft resets cheap.
"""

from __future__ import annotations

import _signal
import _thread
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType
    from typing import Any, NoReturn

# Commands, parent -> child.
CMD_EXEC = b"X"  # payload: source; run as a module ("exec" mode)
CMD_SINGLE = b"I"  # payload: source; run as one REPL input ("single" mode: expressions are printed)
# Reports, child -> parent.
EVT_READY = b"Y"  # setup finished
EVT_STARTED = b"S"  # the code is running now: from here a SIGINT becomes a KeyboardInterrupt
EVT_STDOUT = b"O"  # payload: output bytes
EVT_TRACEBACK = b"T"  # payload: a piece of the traceback text; the rest follows in EVT_DONE
EVT_DONE = b"D"  # payload: the end of the traceback text (empty: no exception)
EVT_RESET = b"R"  # payload: b"hard" or b"soft"

HEADER_SIZE = 5
#: The smallest PIPE_BUF POSIX allows; used if the real one cannot be asked.
_MIN_PIPE_BUF = 512

STDIN = "<stdin>"


class HardReset(BaseException):
    """Unwinds the user's code after ``machine.reset()``; BaseException so ``except Exception`` misses it."""


# ---------------------------------------------------------------------------- wire
def frame(kind: bytes, payload: bytes) -> bytes:
    """One frame: kind, length, payload."""
    return kind + len(payload).to_bytes(4, "big") + payload


class Wire:
    """The report pipe, written in atomic frames."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        try:
            pipe_buf = os.fpathconf(fd, "PC_PIPE_BUF")
        except (OSError, ValueError):
            pipe_buf = _MIN_PIPE_BUF
        self.chunk = max(_MIN_PIPE_BUF, pipe_buf) - HEADER_SIZE

    def send(self, kind: bytes, payload: bytes = b"") -> None:
        """Write one frame whose payload fits in a chunk; exit quietly if the parent is gone."""
        data = frame(kind, payload)
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except BrokenPipeError:
            os._exit(0)

    def send_pieces(self, kind: bytes, payload: bytes, last_kind: bytes | None = None) -> None:
        """Send ``payload`` as frames of ``kind``; the final piece as ``last_kind`` if given."""
        step = self.chunk
        pieces = [payload[i : i + step] for i in range(0, len(payload), step)] or [b""]
        for piece in pieces[:-1]:
            self.send(kind, piece)
        self.send(last_kind or kind, pieces[-1])


def read_exact(fd: int, size: int) -> bytes:
    """Read exactly ``size`` bytes; end of file means the parent closed us: exit."""
    parts = []
    while size:
        data = os.read(fd, min(size, 1 << 20))
        if not data:
            os._exit(0)
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


# ---------------------------------------------------------------------------- output
class BoardOutput:
    """``sys.stdout`` and ``sys.stderr``: a board has one UART, so both go to the one stream.

    Every write is forwarded at once (nothing is buffered), so a ``print()`` in a loop
    reaches the host while the loop runs.
    """

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, board: Board) -> None:
        self._board = board
        self.buffer = _BinaryOutput(board)

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._board.output(text.encode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


class _BinaryOutput:
    """``sys.stdout.buffer``: bytes straight to the stream."""

    def __init__(self, board: Board) -> None:
        self._board = board

    def write(self, data: bytes) -> int:
        self._board.output(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


# ---------------------------------------------------------------------------- tracebacks
#: CPython names MicroPython does not have, mapped to what MicroPython raises instead.
_TYPE_NAMES = {"RecursionError": "RuntimeError", "ModuleNotFoundError": "ImportError",
               "UnboundLocalError": "NameError"}
_OPERATORS = {
    "+": "add", "-": "sub", "*": "mul", "@": "matmul", "/": "truediv", "//": "floordiv", "%": "mod",
    "**": "pow", "** or pow()": "pow", "<<": "lshift", ">>": "rshift", "&": "and", "|": "or", "^": "xor",
    "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "divmod()": "divmod",
}
_UNARY = {"unary -": "neg", "unary +": "pos", "unary ~": "invert", "abs()": "abs"}


def _binary_op(match: Any) -> str:
    op = match.group(1)
    name = _OPERATORS.get(op) or _OPERATORS.get(op.rstrip("="), op)
    return f"unsupported types for __{name}__: '{match.group(2)}', '{match.group(3)}'"


def _unary_op(match: Any) -> str:
    return f"unsupported type for __{_UNARY.get(match.group(1), match.group(1))}__: '{match.group(2)}'"


#: (MicroPython type name, CPython message pattern, MicroPython message): common teaching errors.
_MESSAGES: tuple[tuple[str, str, Any], ...] = (
    ("ZeroDivisionError", r".*", "divide by zero"),
    ("NameError", r"name '(.*)' is not defined", r"name '\1' isn't defined"),
    ("NameError", r"(cannot access local variable|local variable) .*", "local variable referenced before assignment"),
    ("TypeError", r"'(.*)' object is not (callable|subscriptable|iterable)", r"'\1' object isn't \2"),
    ("TypeError", r"'(.*)' object does not support item (assignment|deletion)", r"'\1' object doesn't support item \2"),
    ("TypeError", r"unsupported operand type\(s\) for (.+): '(.+)' and '(.+)'", _binary_op),
    ("TypeError", r"'(.+)' not supported between instances of '(.+)' and '(.+)'", _binary_op),
    ("TypeError", r'can only concatenate (\w+) \(not "(\w+)"\) to \w+', r"unsupported types for __add__: '\1', '\2'"),
    ("TypeError", r"bad operand type for (.+): '(.+)'", _unary_op),
    ("TypeError", r"(.*) takes (\d+) positional argument but (.*)", r"\1 takes \2 positional arguments but \3"),
    ("TypeError", r"(\w+) indices must be integers or slices, not (.*)", r"\1 indices must be integers, not \2"),
    ("ImportError", r"No module named (.*)", r"no module named \1"),
    ("ValueError", r"invalid literal for int\(\) with base (\d+): (.*)", r"invalid syntax for integer with base \1: \2"),
    ("ValueError", r"could not convert string to float: .*", "invalid syntax for number"),
    ("ValueError", r"list\.(remove|index)\(x\): x not in list|.* is not in list", "object not in sequence"),
    ("RuntimeError", r"maximum recursion depth exceeded.*", "maximum recursion depth exceeded"),
)


def type_name(exc: BaseException) -> str:
    """The exception's name as MicroPython prints it (it has one OSError, no RecursionError...)."""
    cls = type(exc)
    if cls.__module__ != "builtins":
        return cls.__name__
    if isinstance(exc, OSError):
        return "OSError"
    return _TYPE_NAMES.get(cls.__name__, cls.__name__)


def _text(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a user's __str__ may raise anything; the traceback must still print
        return f"<{type(value).__name__} object>"


def _os_error_message(exc: OSError) -> str | None:
    """``[Errno 2] ENOENT`` as a board prints it; the host's own error text is dropped."""
    import errno

    number = exc.errno
    if number is None and len(exc.args) == 1 and isinstance(exc.args[0], int):
        number = exc.args[0]
    if not isinstance(number, int):
        return None
    head = f"[Errno {number}] {errno.errorcode.get(number, number)}"
    if exc.strerror is None or exc.strerror == os.strerror(number):
        return head
    return f"{head}: {exc.strerror}"


def _micropython_message(name: str, text: str) -> str:
    import re

    for rule_name, pattern, replacement in _MESSAGES:
        if rule_name == name:
            new, count = re.subn(rf"^(?:{pattern})$", replacement, text)
            if count:
                return new
    return text


def message(exc: BaseException) -> str:
    """The text after ``Type: ``: args[0] alone, the args tuple if several, empty if none."""
    if isinstance(exc, OSError):
        text = _os_error_message(exc)
        if text is not None:
            return text
    args = exc.args
    if not args:
        return ""
    if len(args) == 1 or isinstance(exc, SyntaxError):
        text = _text(args[0])
    elif type(exc).__str__ is not BaseException.__str__:
        text = _text(exc)
    else:
        text = _text(args)
    return _micropython_message(type_name(exc), text) if type(exc).__module__ == "builtins" else text


def frame_lines(exc: BaseException) -> list[str]:
    """``File "<stdin>", line N, in name`` for the user's frames only, outermost first."""
    lines = []
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == STDIN:
            lines.append(f'  File "{STDIN}", line {tb.tb_lineno or 0}, in {code.co_name}')
        tb = tb.tb_next
    return lines


def format_exception(exc: BaseException, always_header: bool = True) -> str:
    """MicroPython's traceback text; the header alone is left out for a never-raised exception."""
    lines = frame_lines(exc)
    if not lines and always_header and isinstance(exc, KeyboardInterrupt):
        # CTRL-C landed just before the user's first line ran: a board raises it there.
        lines = [f'  File "{STDIN}", line 1, in <module>']
    head = ["Traceback (most recent call last):"] if lines or always_header else []
    try:
        text = message(exc)
    except Exception:  # noqa: BLE001 - a broken message must not lose the traceback
        text = ""
    return "\n".join([*head, *lines, f"{type_name(exc)}: {text}"]) + "\n"


def _syntax_message(exc: BaseException) -> tuple[str, str, bool]:
    """(type name, message, whether MicroPython names ``<module>``) for a compile error.

    MicroPython's parser says little: "invalid syntax" for nearly everything, except the
    indentation errors and the checks its compiler makes after parsing.
    """
    msg = _text(getattr(exc, "msg", ""))
    if isinstance(exc, IndentationError):
        if "unindent" in msg:
            return "IndentationError", "unindent doesn't match any outer indent level", False
        if msg.startswith("unexpected indent"):
            return "IndentationError", "unexpected indent", False
        return "SyntaxError", "invalid syntax", False
    if msg in ("'break' outside loop", "'continue' not properly in loop"):
        return "SyntaxError", "'break'/'continue' outside loop", True
    if msg in ("'return' outside function", "'yield' outside function", "'await' outside function"):
        return "SyntaxError", msg, True
    return "SyntaxError", "invalid syntax", False


def format_compile_error(exc: BaseException) -> str:
    """A compile error: ``File "<stdin>", line N`` and no frames, as MicroPython prints it."""
    name, text, in_module = _syntax_message(exc)
    lineno = getattr(exc, "lineno", None) or 1
    where = f'  File "{STDIN}", line {lineno}' + (", in <module>" if in_module else "")
    return f"Traceback (most recent call last):\n{where}\n{name}: {text}\n"


# ---------------------------------------------------------------------------- the board
class Board:
    """The user's namespace and one run at a time, reported over the wire."""

    def __init__(self, wire: Wire, identity: dict[str, Any]) -> None:
        self.wire = wire
        self.identity = identity
        main = type(sys)("__main__")
        self.namespace: dict[str, Any] = main.__dict__
        self.main_module = main
        self.output_stream = BoardOutput(self)
        self.running = False
        self.silenced = False

    def install(self, micro_modules: Any) -> None:
        """Make the process look like the board; ``__main__`` becomes the user's namespace."""
        micro_modules.install(self.identity, self.namespace, self.hard_reset, self.print_exception)
        sys.modules["__main__"] = self.main_module
        self._restore_streams()

    def _restore_streams(self) -> None:
        sys.stdout = sys.stderr = self.output_stream

    # -- hooks for the stand-in modules and the signal handler
    def output(self, data: bytes) -> None:
        """User output; dropped after ``machine.reset()`` (the board is rebooting)."""
        if self.silenced or not data:
            return
        self.wire.send_pieces(EVT_STDOUT, data)

    def hard_reset(self) -> NoReturn:
        self.wire.send(EVT_RESET, b"hard")
        self.silenced = True
        raise HardReset

    def print_exception(self, exc: BaseException, file: Any) -> None:
        file.write(format_exception(exc, always_header=exc.__traceback__ is not None))

    def on_sigint(self, signum: int, interrupted: Any) -> None:
        """CTRL-C from the parent: an interrupt while code runs, nothing while idle."""
        if self.running:
            raise KeyboardInterrupt

    # -- running code
    def serve(self, fd: int) -> NoReturn:
        """Read commands until the parent closes the pipe."""
        while True:
            header = read_exact(fd, HEADER_SIZE)
            source = read_exact(fd, int.from_bytes(header[1:], "big"))
            self.execute(source, "single" if header[:1] == CMD_SINGLE else "exec")

    def execute(self, source: bytes, mode: str) -> None:
        """Compile, run, report: stdout while it runs, then an optional reset, then done."""
        self.silenced = False
        self._restore_streams()
        try:
            code = compile(source, STDIN, mode, dont_inherit=True)
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:  # ValueError: NUL
            self.finish(format_compile_error(exc))
            return
        failure = self.run_code(code)
        if failure is None or isinstance(failure, HardReset):
            self.finish("")
        elif isinstance(failure, SystemExit):
            self.wire.send(EVT_RESET, b"soft")
            self.finish("")
        else:
            text = format_exception(failure)
            failure.__traceback__ = None
            self.finish(text)

    def run_code(self, code: CodeType) -> BaseException | None:
        """Run with CTRL-C armed; whatever is raised, even by the signal at the last moment, is caught."""
        try:
            try:
                self.running = True
                self.wire.send(EVT_STARTED)
                exec(code, self.namespace)  # noqa: S102 - running the user's code is this process's job
            finally:
                self.running = False
        except BaseException as exc:  # noqa: BLE001 - everything, KeyboardInterrupt too, is the board's to report
            return exc
        return None

    def finish(self, traceback_text: str) -> None:
        self.wire.send_pieces(EVT_TRACEBACK, traceback_text.encode("utf-8", "replace"), EVT_DONE)


# ---------------------------------------------------------------------------- start-up
def decode_identity(items: list[str]) -> dict[str, Any]:
    """``name=value`` arguments back into the board identity (see ``runner.encode_identity``)."""
    identity: dict[str, Any] = {}
    for item in items:
        name, _, value = item.partition("=")
        identity[name] = value
    identity["version"] = tuple(int(part) for part in identity["version"].split(".") if part)
    identity["unique_id"] = bytes.fromhex(identity["unique_id"])
    identity["mem_total"] = int(identity["mem_total"])
    identity["freq_hz"] = int(identity["freq_hz"])
    return identity


def load_micro_modules() -> Any:
    """``micro_modules.py`` from beside this file, by path: ``-I`` keeps this directory off sys.path."""
    from importlib.machinery import SourceFileLoader

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "micro_modules.py")
    loader = SourceFileLoader("_workbench_sim_micro_modules", path)
    module = type(sys)(loader.name)
    module.__file__ = path
    module.__loader__ = loader
    loader.exec_module(module)
    return module


def watch_parent(fd: int) -> None:
    """Exit when the parent is gone, even if user code is in an endless loop."""
    while True:
        try:
            if os.read(fd, 1):
                continue
        except OSError:
            pass
        os._exit(0)


def start_watchdog(fd: int) -> None:
    """The watcher thread must not take SIGINT: only the main thread's sleep is woken by it."""
    previous = _signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGINT})
    try:
        _thread.start_new_thread(watch_parent, (fd,))
    finally:
        _signal.pthread_sigmask(_signal.SIG_SETMASK, previous)


def main(argv: list[str]) -> NoReturn:
    cmd_fd, evt_fd, life_fd = (int(arg) for arg in argv[1:4])
    for fd in (cmd_fd, evt_fd, life_fd):
        os.set_inheritable(fd, False)  # programs the user starts must not hold our pipes open
    wire = Wire(evt_fd)
    board = Board(wire, decode_identity(argv[4:]))
    board.install(load_micro_modules())
    start_watchdog(life_fd)
    _signal.signal(_signal.SIGINT, board.on_sigint)
    wire.send(EVT_READY)
    board.serve(cmd_fd)


if __name__ == "__main__":
    main(sys.argv)
