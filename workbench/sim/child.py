"""The simulated board's code process: runs user code the way a MicroPython board does.

User code must never run inside the workbench, so :class:`~workbench.sim.runner.CodeRunner`
starts this file as ``python -I -S -u child.py CMD EVT LIFE name=value...``: ``CMD`` is the
pipe it reads commands from, ``EVT`` the pipe it reports on, ``LIFE`` a pipe the parent never
writes to (end of file there means the parent is gone), then the board identity.

Both pipes carry frames: one kind byte, a 4-byte big-endian payload length, the payload.
Every frame this process writes fits in ``PIPE_BUF``, so each one is a single atomic write:
a KeyboardInterrupt or a user thread can never leave half a frame in the pipe.

What makes CPython look like a board lives in modules beside this one, loaded by path:
``micro_modules.py`` (``machine``, ``time``...), ``micro_files.py`` (the board's files: its
``os``, ``open`` and ``import``, in the folder the process starts in), ``micro_errors.py``
(MicroPython's words for exceptions), ``builtin_slots.py`` (its ``str()``/``repr()`` of
exceptions and strings), ``code_rewrite.py`` (``except ... as e`` and ``raise ... from``)
and, only when compiling fails, ``compile_errors.py``. The code's stdin is the host's bytes, asked for from the
firmware while the code waits (``EVT_WANT_INPUT``, answered by ``CMD_INPUT``); its memory is
capped from the board's RAM (:class:`MemoryCap`); CPython's warnings are never shown.

Start-up imports only ``os``, ``importlib.machinery``, ``_ctypes`` and builtin modules
(``_signal``, not ``signal`` with its enums; no ``json``; ``re``, ``ast`` and ``opcode`` only
once a run needs them): the process is ready in about 15 ms, which is what makes soft resets
cheap.
"""

from __future__ import annotations

import _signal
import _thread
import builtins
import os
import select
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import CodeType, ModuleType
    from typing import Any, NoReturn

# Commands, parent -> child.
CMD_EXEC = b"X"  # payload: source; run as a module ("exec" mode)
CMD_SINGLE = b"I"  # payload: source; run as one REPL input ("single" mode: expressions are printed)
CMD_INPUT = b"K"  # payload: host bytes for the code's stdin (the answer to EVT_WANT_INPUT)
# Reports, child -> parent.
EVT_READY = b"Y"  # setup finished
EVT_STARTED = b"S"  # the code is running now: from here a SIGINT becomes a KeyboardInterrupt
EVT_STDOUT = b"O"  # payload: output bytes (the firmware cooks "\n" to "\r\n", as mp_hal does)
EVT_RAW_OUTPUT = b"E"  # payload: bytes for the UART as they are (input()'s prompt and echo)
EVT_WANT_INPUT = b"W"  # payload: 4-byte count; the code waits for up to that many bytes of stdin
EVT_TRACEBACK = b"T"  # payload: a piece of the traceback text; the rest follows in EVT_DONE
EVT_DONE = b"D"  # payload: the end of the traceback text (empty: no exception)
EVT_RESET = b"R"  # payload: b"hard" or b"soft"
EVT_KBD_INTR = b"C"  # payload: 4-byte signed interrupt character set by micropython.kbd_intr()

#: CPython's own, before the board's stand in for the user's code (see ``Board.compile_builtin``).
_HOST_COMPILE, _HOST_EXEC, _HOST_EVAL = builtins.compile, builtins.exec, builtins.eval
#: CPython's ``open``: the board's ``open`` (its files only) replaces the builtin.
_HOST_OPEN = builtins.open

HEADER_SIZE = 5
#: The smallest PIPE_BUF POSIX allows; used if the real one cannot be asked.
_MIN_PIPE_BUF = 512

STDIN = "<stdin>"
_BOM = b"\xef\xbb\xbf"
#: MicroPython's lexer takes a UTF-8 BOM into the identifier after it (``name '\ufeffprint'
#: isn't defined``); CPython refuses it. The BOM is swapped for this letter (a Yi syllable,
#: three bytes in UTF-8 like the BOM), which CPython takes in an identifier, and swapped back
#: in messages. paste_compiler.py does the same.
BOM_STAND_IN = "\ua000"
#: Frames the user's code may nest before ``maximum recursion depth exceeded``: the unix port's
#: traceback of ``def f(n): return f(n+1)`` has 199 frames (the module and 198 calls) when its
#: stack check stops it.
RECURSION_FRAMES = 199


class CompileFailure(Exception):
    """The code does not compile; ``report`` is what MicroPython says (see ``compile_errors.Report``)."""

    def __init__(self, report: tuple[str, str, int, str | None]) -> None:
        super().__init__(report)
        self.report = report

    def as_exception(self, compile_errors: Any, filename: str) -> SyntaxError:
        """The SyntaxError the code's own ``compile()`` raises: MicroPython's message, and the
        ``File ..., line N`` line its traceback prints (``micro_errors.frame_lines``)."""
        name = self.report[0]
        error = IndentationError(self.report[1]) if name == "IndentationError" else SyntaxError(self.report[1])
        error.micropython_where = compile_errors.where(self.report, filename)  # type: ignore[attr-defined]
        return error


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


def read_frame(fd: int) -> tuple[bytes, bytes]:
    """One command frame: (kind, payload)."""
    header = read_exact(fd, HEADER_SIZE)
    return header[:1], read_exact(fd, int.from_bytes(header[1:], "big"))


def _as_bytes(data: object) -> bytes:
    """Text as UTF-8 (a lone surrogate as MicroPython stores it), or any bytes-like object."""
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    try:
        return bytes(memoryview(data))  # type: ignore[arg-type]
    except TypeError:
        raise TypeError("object with buffer protocol required") from None


# ---------------------------------------------------------------------------- output
class BoardOutput:
    """``sys.stdout`` and ``sys.stderr``: a board has one UART, so both go to the one stream.

    Every write is forwarded at once (nothing is buffered), so a ``print()`` in a loop
    reaches the host while the loop runs. Like MicroPython's, ``write`` takes text or any
    bytes-like object and returns the number of bytes written; its ``\n`` reach the host as
    ``\r\n`` (``mp_hal_stdout_tx_strn_cooked``). ``buffer`` writes bytes as they are, on
    firmware that has it (``MICROPY_PY_SYS_STDIO_BUFFER``).
    """

    encoding = "utf-8"
    errors = "surrogatepass"

    def __init__(self, board: Board, buffered: bool = True) -> None:
        self._board = board
        if buffered:
            self.buffer = _BinaryOutput(board)

    def write(self, data: object) -> int:
        raw = _as_bytes(data)
        self._board.output(raw)
        return len(raw)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True


BoardOutput.__name__ = BoardOutput.__qualname__ = "FileIO"  # what MicroPython's errors call sys.stdout


class _BinaryOutput:
    """``sys.stdout.buffer``: bytes to the UART as they are, ``\n`` not cooked (``mp_hal_stdout_tx_strn``)."""

    def __init__(self, board: Board) -> None:
        self._board = board

    def write(self, data: object) -> int:
        raw = _as_bytes(data)
        self._board.raw_output(raw)
        return len(raw)

    def flush(self) -> None:
        pass


class BoardInput:
    """``sys.stdin``: the host's bytes, as they reach the board's UART while the code runs.

    A read waits for the host, as on a board (until CTRL-C, or the host's exec timeout).
    ``read(n)`` counts characters of text; ``sys.stdin.buffer.read(n)`` bytes, on firmware
    that has it.
    """

    encoding = "utf-8"

    def __init__(self, board: Board, buffered: bool = True) -> None:
        self._board = board
        if buffered:
            self.buffer = _BinaryInput(board)

    def read(self, size: int | None = -1) -> str:
        if size is None or size < 0:
            while True:  # to the end of a stream that never ends: until CTRL-C
                self._board.read_stdin(1)
        data = b""
        while len(data.decode("utf-8", "surrogateescape")) < size:
            data += self._board.read_stdin(1)
        return data.decode("utf-8", "surrogateescape")

    def readline(self, size: int = -1) -> str:
        data = b""
        while not data.endswith(b"\n") and (size < 0 or len(data) < size):
            data += self._board.read_stdin(1)
        return data.decode("utf-8", "surrogateescape")

    def readable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False


BoardInput.__name__ = BoardInput.__qualname__ = "FileIO"  # what MicroPython's errors call sys.stdin


class _BinaryInput:
    """``sys.stdin.buffer``: the host's bytes as they are."""

    def __init__(self, board: Board) -> None:
        self._board = board

    def read(self, size: int = -1) -> bytes:
        """Exactly ``size`` bytes: waits until they have all arrived, as MicroPython's does."""
        if size < 0:
            while True:
                self._board.read_stdin(1)
        data = self._board.read_stdin(size) if size else b""
        if len(data) == size:
            return data
        parts = bytearray(data)
        while len(parts) < size:
            parts += self._board.read_stdin(size - len(parts))
        return bytes(parts)


# ---------------------------------------------------------------------------- memory
class MemoryCap:
    """The board's RAM as a limit on the process's data segment (``RLIMIT_DATA``).

    A board runs out of heap where its RAM says; CPython would take gigabytes. The code may
    grow the process's data by ``allowance`` bytes beyond what it held when the board booted,
    then allocations fail with MemoryError, as on the board. CPython's objects are larger
    than MicroPython's, so the allowance is a multiple of the board's heap plus a margin for
    CPython itself: an approximation, not the board's exact limit. Where the limit cannot be
    set (not Linux), nothing is capped. Our own work while reporting (imports, tracebacks)
    runs with the cap lifted and does not count against the board.
    """

    def __init__(self, allowance: int) -> None:
        self.allowance = allowance
        self.limit: int | None = None
        #: How many ``lifted()`` blocks are open: the cap comes back when the outermost ends.
        self.depth = 0
        try:
            import resource
        except ImportError:
            self._resource = None
        else:
            self._resource = resource

    def arm(self) -> None:
        used = _data_size()
        if self._resource is None or used is None:
            return
        self.limit = used + self.allowance
        self._set(self.limit)

    def _set(self, limit: int | None) -> None:
        resource = self._resource
        if resource is None:
            return
        try:
            soft = resource.RLIM_INFINITY if limit is None else limit
            resource.setrlimit(resource.RLIMIT_DATA, (soft, resource.getrlimit(resource.RLIMIT_DATA)[1]))
        except (ValueError, OSError):
            self.limit = None

    def lifted(self) -> _Lifted:
        return _Lifted(self)


class _Lifted:
    """``with cap.lifted():`` our own work; what it allocates is added to the limit afterwards."""

    def __init__(self, cap: MemoryCap) -> None:
        self.cap = cap
        self.before: int | None = None

    def __enter__(self) -> None:
        self.cap.depth += 1
        if self.cap.depth == 1 and self.cap.limit is not None:
            self.before = _data_size()
            self.cap._set(None)

    def __exit__(self, *exc_info: object) -> None:
        cap = self.cap
        cap.depth -= 1
        if cap.depth or cap.limit is None:  # an inner lift (an import while we analyse) keeps it off
            return
        after = _data_size()
        if self.before is not None and after is not None and after > self.before:
            cap.limit += after - self.before
        cap._set(cap.limit)


def _data_size() -> int | None:
    """The process's data segment now (``VmData``), as ``RLIMIT_DATA`` counts it; None off Linux."""
    try:
        with _HOST_OPEN("/proc/self/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmData:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


# ---------------------------------------------------------------------------- the board
class Board:
    """The user's namespace and one run at a time, reported over the wire."""

    def __init__(self, wire: Wire, identity: dict[str, Any], command_fd: int = -1) -> None:
        self.wire = wire
        self.identity = identity
        self.command_fd = command_fd
        main = type(sys)("__main__")
        main.__file__ = STDIN
        self.namespace: dict[str, Any] = main.__dict__
        self.main_module = main
        buffered = identity.get("stdio_buffer", "True") == "True"
        self.output_stream = BoardOutput(self, buffered)
        self.input_stream = BoardInput(self, buffered)
        self.running = False
        #: A command frame is half read: a CTRL-C now waits for its end (see :meth:`_input_frame`).
        self._in_frame = False
        self._interrupt_deferred = False
        self.silenced = False
        self.memory = MemoryCap(4 * 1024 * 1024 + 8 * int(identity.get("mem_total", 0)))
        self.errors: Any = None
        self._translation_loaded = False
        self.files: Any = None  # the board's filesystem (micro_files.Volume)
        self.finder: Any = None  # micro_files.BoardFinder
        self.os_module: Any = None  # the board's ``os``
        self.missing_modules: frozenset[str] = frozenset()

    def install(self, micro_modules: Any, micro_errors: Any, builtin_slots: Any, micro_files: Any = None) -> None:
        """Make the process look like the board; ``__main__`` becomes the user's namespace."""
        self.errors = micro_errors
        micro_modules.install(self.identity, self.namespace, self.hard_reset, self.print_exception, self.kbd_intr)
        if self.identity.get("implementation") == "circuitpython":
            micro_errors.use_circuitpython_words()
        if micro_files is not None:
            self._install_files(micro_files)
        exceptions = micro_errors.BUILTIN_EXCEPTIONS
        builtin_slots.install(
            [(exceptions, "__str__", micro_errors.exception_str), (exceptions, "__repr__", micro_errors.exception_repr),
             ([str], "__repr__", builtin_slots.str_repr)],
            lambda: repr(KeyError("\xe9")) == "KeyError('\\xe9',)" and str(KeyError("k")) == "k",
        )
        builtins.__dict__["__wb_caught__"] = self.caught
        builtins.__dict__["__wb_chained__"] = self.chained
        builtins.input = self.input
        self._host_import = builtins.__import__
        builtins.__import__ = self.import_module
        builtins.compile, builtins.exec, builtins.eval = self.compile_builtin, self.exec_builtin, self.eval_builtin
        sys.modules["__main__"] = self.main_module
        import warnings  # already loaded by importlib; no warning reaches a board's output

        warnings.simplefilter("ignore")
        _thread.stack_size(256 * 1024)  # user threads must fit in the board's memory cap
        self._restore_streams()

    def _install_files(self, micro_files: Any) -> None:
        """The board's files: its ``os``, ``open``, ``sys.path`` and imports of its modules."""
        ident = self.identity
        flavour = ident.get("filesystem", "littlefs")
        volume_class = micro_files.FlatVolume if flavour == "flat" else micro_files.Volume
        self.files = volume = volume_class(ident.get("fs_root") or os.getcwd(), flavour, ident.get("mount", "/"),
                                          ident.get("read_only") == "True")
        volume.chdir(volume.mount)
        self.os_module = micro_files.os_module(volume, os.uname, os, ident.get("implementation") == "circuitpython")
        sys.modules["uos"] = self.os_module
        builtins.open = volume.open
        self.missing_modules = frozenset(name for name in ident.get("missing_modules", "").split(_LIST) if name)
        # A board file's frames show in tracebacks, and its ``raise`` keeps its words.
        self.finder = micro_files.BoardFinder(volume, self._compile_file, self.errors.USER_FILES.add)
        paths = ident.get("sys_path")
        micro_files.install_imports(self.finder, paths.split(_LIST) if paths is not None else ["", ".frozen", "/lib"])

    def _compile_file(self, source: bytes, filename: str) -> CodeType:
        """A board file imported as a module: compiled as the board compiles (its errors)."""
        return self._board_compile(source, filename, "exec")

    def _restore_streams(self) -> None:
        sys.stdout = sys.stderr = self.output_stream
        sys.stdin = self.input_stream

    # -- hooks for the stand-in modules, the rewritten code and the signal handler
    def output(self, data: bytes) -> None:
        """User output; dropped after ``machine.reset()`` (the board is rebooting)."""
        if self.silenced or not data:
            return
        self.wire.send_pieces(EVT_STDOUT, data)

    def raw_output(self, data: bytes) -> None:
        """Bytes the firmware sends as they are (not cooked): a prompt and readline's echo."""
        if not self.silenced and data:
            self.wire.send_pieces(EVT_RAW_OUTPUT, data)

    def hard_reset(self) -> NoReturn:
        self.wire.send(EVT_RESET, b"hard")
        self.silenced = True
        raise HardReset

    def kbd_intr(self, char: int) -> None:
        """``micropython.kbd_intr(char)``: the firmware interrupts on ``char`` (-1: never) until
        the run ends; it is told at once, before any output that follows."""
        self.wire.send(EVT_KBD_INTR, int(char).to_bytes(4, "big", signed=True))

    def print_exception(self, exc: BaseException, file: Any) -> None:
        with self.memory.lifted():
            text = self.errors.format_exception(exc, always_header=exc.__traceback__ is not None)
        file.write(text)

    def import_module(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """``import``: a module new to the process loads outside the memory cap.

        On a board, ``asyncio``, ``json`` and friends are frozen into flash and cost little
        RAM; CPython's take megabytes. Only what the code itself allocates counts.

        An import made by the code on the board (not by CPython's library or the simulation)
        gets the board's ``os``, finds the board's files first (``micro_files.BoardFinder``)
        and fails for modules the firmware lacks.
        """
        importer = args[0] if args else kwargs.get("globals")
        user = self._imported_by_code(importer)
        finder = self.finder
        was_active = finder.active if finder is not None else False
        try:
            level = args[3] if len(args) > 3 else kwargs.get("level", 0)
            if user and not level and finder is not None:
                base = name.partition(".")[0]
                if base in self.missing_modules or name == "os.path" or name == "uos.path":
                    raise ModuleNotFoundError(f"No module named '{name}'")
                if name in ("os", "uos"):
                    return self.os_module
                finder.active = True
            elif finder is not None:
                finder.active = False
            if name in sys.modules:
                return self._host_import(name, *args, **kwargs)
            with self.memory.lifted():
                return self._host_import(name, *args, **kwargs)
        except ModuleNotFoundError as exc:
            # MicroPython has no ModuleNotFoundError: a missing module is a plain ImportError
            # (``type(e).__name__`` in a handler says so too).
            raise ImportError(*exc.args) from None
        finally:
            if finder is not None:
                finder.active = was_active

    def _imported_by_code(self, importer: Any) -> bool:
        """Whether an ``import`` comes from the code on the board: its namespace, text it ran
        with ``exec``, a module loaded from the board's files, or ``__import__`` called bare."""
        if importer is None or importer is self.namespace:
            return True
        if not isinstance(importer, dict):
            return False
        if "__name__" not in importer or importer.get("__file__") == STDIN:
            return True
        loader = importer.get("__loader__")
        return self.finder is not None and type(loader).__name__ == "BoardLoader"

    def caught(self, exc: BaseException) -> None:
        """Start of an ``except ... as e:`` handler: the exception in MicroPython's words."""
        if not self._translation_loaded:  # its modules load once, outside the memory cap
            with self.memory.lifted():
                import opcode  # noqa: F401
                import re  # noqa: F401
            self._translation_loaded = True
        limit = sys.getrecursionlimit()
        try:
            sys.setrecursionlimit(limit + 50)  # a handler deep in a recursion still has room
            self.errors.translate(exc)
        finally:
            sys.setrecursionlimit(limit)

    def chained(self, exc: Any, cause: object) -> Any:
        """``raise exc from cause``: MicroPython warns that it has no chaining, and raises ``exc``."""
        self.output(b"Warning: exception chaining not supported\n")
        return exc

    def on_sigint(self, signum: int, interrupted: Any) -> None:
        """CTRL-C from the parent: an interrupt while code runs, nothing while idle."""
        if self.running:
            if self._in_frame:
                self._interrupt_deferred = True
                return
            raise KeyboardInterrupt

    # -- stdin
    def read_stdin(self, count: int) -> bytes:
        """Wait for 1 to ``count`` bytes from the host; CTRL-C interrupts the wait."""
        self.wire.send(EVT_WANT_INPUT, max(1, count).to_bytes(4, "big"))
        while True:
            kind, payload = self._input_frame()
            if kind == CMD_INPUT and payload:
                return payload

    def _input_frame(self) -> tuple[bytes, bytes]:
        """The next command frame, read whole. CTRL-C interrupts the wait for its first byte;
        from then on it is noted and raised once the frame has been read to its end: half a
        frame left in the pipe (a big block of input, interrupted) would garble every read
        after it, and the board would answer nothing, CTRL-C included."""
        # The wait: a CTRL-C here consumes nothing (not even a returned byte's worth: a
        # KeyboardInterrupt may be raised just after a read returns).
        select.select([self.command_fd], [], [])
        self._in_frame = True
        try:
            header = read_exact(self.command_fd, HEADER_SIZE)
            frame = header[:1], read_exact(self.command_fd, int.from_bytes(header[1:], "big"))
        finally:
            self._in_frame = False
        if self._interrupt_deferred:
            self._interrupt_deferred = False
            raise KeyboardInterrupt
        return frame

    def input(self, prompt: object = "") -> str:
        """``input()`` as MicroPython's ``readline``: the prompt, echo, backspace, CR or LF to end."""
        if prompt:
            self.raw_output(_as_bytes(str(prompt)))
        line = bytearray()
        escape = 0
        while True:
            byte = self.read_stdin(1)[0]
            if escape:
                escape -= 1
            elif byte in (0x0D, 0x0A):
                self.raw_output(b"\r\n")
                return line.decode("utf-8", "surrogateescape")
            elif byte in (0x08, 0x7F):
                if line:
                    while line and line[-1] & 0xC0 == 0x80:  # a whole UTF-8 character goes
                        line.pop()
                    line.pop()
                    self.raw_output(b"\x08\x1b[K")
            elif byte == 0x04 and not line:
                raise EOFError
            elif byte == 0x1B:
                escape = 2  # cursor keys: not simulated
            elif byte >= 0x20:
                line.append(byte)
                self.raw_output(bytes((byte,)))

    # -- running code
    def serve(self, fd: int) -> NoReturn:
        """Read commands until the parent closes the pipe."""
        while True:
            kind, source = read_frame(fd)
            if kind in (CMD_EXEC, CMD_SINGLE):  # stdin bytes for a run that ended are dropped
                self.execute(source, "single" if kind == CMD_SINGLE else "exec")

    def execute(self, source: bytes, mode: str) -> None:
        """Compile, run, report: stdout while it runs, then an optional reset, then done."""
        self.silenced = False
        self._restore_streams()
        try:
            code = self.compile_code(source, mode)
        except CompileFailure as failure:
            self.finish(self._compile_errors().traceback_text(failure.report))
            return
        failure = self.run_code(code)
        if failure is None or isinstance(failure, HardReset):
            self.finish("")
        elif isinstance(failure, SystemExit):
            self.wire.send(EVT_RESET, b"soft")
            self.finish("")
        else:
            with self.memory.lifted():
                text = self.errors.format_exception(failure)
            failure.__traceback__ = None
            self.finish(text)

    def compile_code(self, source: bytes, mode: str, filename: str = STDIN) -> CodeType:
        """The code, compiled as MicroPython would take it; raises :class:`CompileFailure` with its report."""
        if source.startswith(_BOM):
            source = BOM_STAND_IN.encode() + source[len(_BOM):]
        with self.memory.lifted():
            try:
                try:
                    code = self._compile(source, mode, filename)
                except TabError:
                    code = self._compile(self._compile_errors().tabs_expanded(source) or source, mode, filename)
            except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:  # ValueError: NUL
                raise CompileFailure(self._compile_errors().analyse(source, exc)) from None
            if _may_glue_number(source):
                glued = self._compile_errors().glued_number(source)
                if glued is not None:
                    raise CompileFailure(glued)
            if filename != "<string>":  # the user's code and the board's files (their error words)
                self.errors.remember_source(code, source.decode("utf-8", "replace"))
        return code

    def _compile(self, source: bytes, mode: str, filename: str) -> CodeType:
        if b"except" in source or (b"raise" in source and b"from" in source):  # what code_rewrite.py changes
            warn = self.identity.get("warns_chaining") == "True"
            return load_sibling("code_rewrite").compile_rewritten(source, filename, mode, warn_chaining=warn)
        return _HOST_COMPILE(source, filename, mode, dont_inherit=True)

    def _compile_errors(self) -> ModuleType:
        return load_sibling("compile_errors")

    # -- compile(), exec() and eval() called by the code: the board's compiler too
    def compile_builtin(self, source: Any, filename: str, mode: str, flags: int = 0, dont_inherit: bool = False,
                        optimize: int = -1, **kwargs: Any) -> Any:
        """``compile()``: text compiles as the board's own code does (MicroPython's errors, no cap).

        Only for the user's code: the host library's own calls (``dataclasses``, ``ast``...) go
        straight to CPython's.
        """
        if flags or kwargs or not isinstance(source, (str, bytes, bytearray)) or not _called_by_code():
            with self.memory.lifted():
                return _HOST_COMPILE(source, filename, mode, flags, dont_inherit, optimize, **kwargs)
        return self._board_compile(source, filename, mode)

    def _board_compile(self, source: str | bytes | bytearray, filename: str, mode: str) -> CodeType:
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
        try:
            return self.compile_code(data, mode, filename)
        except CompileFailure as failure:
            raise failure.as_exception(self._compile_errors(), filename) from None

    def exec_builtin(self, source: Any, globals_: Any = None, locals_: Any = None, /, **kwargs: Any) -> None:
        """``exec()``: text through the board's compiler; see :func:`_namespaces` for where it runs."""
        globals_, locals_ = _namespaces(sys._getframe(1), globals_, locals_)
        if isinstance(source, (str, bytes, bytearray)) and _called_by_code():
            source = self._board_compile(source, "<string>", "exec")
        return _HOST_EXEC(source, globals_, locals_, **kwargs)

    def eval_builtin(self, source: Any, globals_: Any = None, locals_: Any = None, /) -> Any:
        """``eval()``: text through the board's compiler; see :func:`_namespaces` for where it runs."""
        globals_, locals_ = _namespaces(sys._getframe(1), globals_, locals_)
        if isinstance(source, (str, bytes, bytearray)) and _called_by_code():
            source = self._board_compile(source, "<string>", "eval")
        return _HOST_EVAL(source, globals_, locals_)

    def run_code(self, code: CodeType) -> BaseException | None:
        """Run with CTRL-C armed; whatever is raised, even by the signal at the last moment, is caught."""
        limit = sys.getrecursionlimit()
        try:
            try:
                sys.setrecursionlimit(_depth() + RECURSION_FRAMES)
                self.running = True
                self.wire.send(EVT_STARTED)
                _HOST_EXEC(code, self.namespace)  # running the user's code is this process's job
            finally:
                self.running = False
                sys.setrecursionlimit(limit)
        except BaseException as exc:  # noqa: BLE001 - everything, KeyboardInterrupt too, is the board's to report
            return exc
        return None

    def finish(self, traceback_text: str) -> None:
        self.wire.send_pieces(EVT_TRACEBACK, traceback_text.encode("utf-8", "surrogatepass"), EVT_DONE)


def _namespaces(caller: Any, globals_: Any, locals_: Any) -> tuple[Any, Any]:
    """Where ``exec``/``eval`` without namespaces run: MicroPython's see the caller's globals
    only (a function's local names are not there); the host library keeps CPython's rule."""
    if globals_ is not None:
        return globals_, locals_
    if caller.f_code.co_filename in (STDIN, "<string>"):
        return caller.f_globals, caller.f_globals if locals_ is None else locals_
    return caller.f_globals, caller.f_locals if locals_ is None else locals_


def _called_by_code(depth: int = 2) -> bool:
    """Whether the caller of our caller is the user's code (``<stdin>``, or text it ran with ``exec``)."""
    return sys._getframe(depth).f_code.co_filename in (STDIN, "<string>")


def _depth() -> int:
    """Frames on the stack here: the user's frames count from this depth."""
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


_GLUE_KEYWORDS = (b"and", b"else", b"for", b"if", b"in", b"is", b"not", b"or")


def _may_glue_number(source: bytes) -> bool:
    """A cheap test for ``1if``-like text (a digit run into a keyword), before the careful one."""
    for keyword in _GLUE_KEYWORDS:
        at = source.find(keyword, 1)
        while at != -1:
            if 0x30 <= source[at - 1] <= 0x39:
                return True
            at = source.find(keyword, at + 1)
    return False


# ---------------------------------------------------------------------------- start-up
#: Separates the names of a list in an identity argument (``runner.LIST_SEPARATOR``).
_LIST = "\x1f"


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


def load_sibling(name: str) -> ModuleType:
    """``NAME.py`` from beside this file, by path (``-I`` keeps this directory off sys.path), once."""
    key = f"_workbench_sim_{name}"
    module = sys.modules.get(key)
    if module is not None:
        return module
    from importlib.machinery import SourceFileLoader

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"{name}.py")
    loader = SourceFileLoader(key, path)
    module = type(sys)(key)
    module.__file__ = path
    module.__loader__ = loader
    sys.modules[key] = module
    try:
        loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
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
    board = Board(wire, decode_identity(argv[4:]), cmd_fd)
    board.install(load_sibling("micro_modules"), load_sibling("micro_errors"), load_sibling("builtin_slots"),
                  load_sibling("micro_files"))
    start_watchdog(life_fd)
    _signal.signal(_signal.SIGINT, board.on_sigint)
    board.memory.arm()
    wire.send(EVT_READY)
    board.serve(cmd_fd)


if __name__ == "__main__":
    main(sys.argv)
