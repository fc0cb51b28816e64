"""The simulated board's code runner: user code runs in a separate Python process.

Code typed at a simulated board must never run inside the workbench (an endless loop or
``os._exit()`` would take the UI with it), so :class:`CodeRunner` keeps one child process
(``child.py``) per board. The board's device thread talks to it without blocking:
:meth:`CodeRunner.run` hands code over, :meth:`CodeRunner.poll` collects what happened and
:meth:`CodeRunner.fileno` lets the thread ``select()`` on the runner with its other inputs.

Two pipes carry frames (kind byte, 4-byte length, payload): commands to the child, reports
from it. One ordered pipe for all reports is what keeps every ``stdout`` of a run before its
``done``. CTRL-C is a real SIGINT, because only a signal stops ``while True: pass``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Literal, NamedTuple, Self

from workbench.sim import child as wire
from workbench.sim.folders import make_folder

_CHILD_SCRIPT = str(Path(__file__).with_name("child.py"))
#: How long start() waits for the child's "ready" (a cold disk and a loaded machine included).
STARTUP_TIMEOUT_S = 10.0
#: After the report pipe closes, how long the process may take to exit before it is killed.
_EXIT_GRACE_S = 1.0
_READ_SIZE = 1 << 16
_STDERR_TAIL = 4096
_MAX_PAYLOAD = 1 << 26

EventKind = Literal["stdout", "raw", "input", "done", "reset", "kbd_intr"]


class RunnerError(Exception):
    """The code process could not be started, used, or has died."""


@dataclass(frozen=True)
class BoardIdentity:
    """What the code on the board can find out about the board it runs on."""

    platform: str  # sys.platform on the board, e.g. "esp32", "rp2", "pyboard", "linux"
    machine: str  # e.g. "Generic ESP32 module with ESP32"
    implementation: str  # "micropython" or "circuitpython"
    version: tuple[int, int, int]  # e.g. (1, 22, 2)
    release: str  # os.uname().release, e.g. "1.22.2"
    version_string: str  # os.uname().version, e.g. "v1.22.2 on 2024-02-22"
    nodename: str  # os.uname().nodename, e.g. "esp32"
    unique_id: bytes  # machine.unique_id()
    mem_total: int  # gc.mem_free() + gc.mem_alloc() in bytes, e.g. 111168
    freq_hz: int  # machine.freq()
    warns_chaining: bool = True  # MICROPY_WARNINGS: ``raise X from Y`` prints a warning
    #: The host folder that holds the board's files ("": the runner makes a temporary one).
    fs_root: str = ""
    filesystem: str = "littlefs"  # "littlefs", "fat" or "flat" (see workbench.sim.micro_files)
    mount: str = "/"  # where the files are on the board; the current folder at start
    read_only: bool = False  # CircuitPython's drive while the host has it mounted
    sys_path: tuple[str, ...] = ("", ".frozen", "/lib")
    missing_modules: tuple[str, ...] = ()  # imports that fail on this firmware
    stdio_buffer: bool = True  # sys.stdin.buffer / sys.stdout.buffer exist


class RunnerEvent(NamedTuple):
    """One thing the code process reported.

    ``stdout``: output bytes (stdout and stderr together, as a board has one UART; ``\\n``
    line ends, not yet cooked to ``\\r\\n``). ``raw``: bytes the firmware sends as they are
    (``input()``'s prompt and echo). ``input``: the code waits for stdin; the data is the
    most it takes now (4 bytes, big-endian), to be answered with :meth:`CodeRunner.feed_input`.
    ``done``: the run is over; the data is the
    MicroPython-format traceback, ``b""`` when there was no exception. ``reset``: ``b"hard"``
    (``machine.reset()``) or ``b"soft"`` (SystemExit, ``machine.soft_reset()``); a ``done``
    with ``b""`` follows it unless the caller restarts first. ``kbd_intr``: the code called
    ``micropython.kbd_intr(c)``; the data is ``c`` (4 bytes, big-endian, signed; -1: CTRL-C is
    ordinary input from now until the run ends).
    """

    kind: EventKind
    data: bytes


#: Separates the items of a tuple of names (``sys_path``) in an identity argument.
LIST_SEPARATOR = "\x1f"


def encode_identity(identity: BoardIdentity) -> list[str]:
    """The identity as ``name=value`` arguments for ``child.decode_identity`` (no JSON: it starts faster)."""
    items = []
    for field in fields(identity):
        value = getattr(identity, field.name)
        if isinstance(value, bytes):
            text = value.hex()
        elif isinstance(value, tuple) and all(isinstance(part, str) for part in value):
            text = LIST_SEPARATOR.join(value)
        elif isinstance(value, tuple):
            text = ".".join(str(part) for part in value)
        else:
            text = str(value)
        items.append(f"{field.name}={text}")
    return items


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


#: Capacity of the child's output pipe. A board's print() blocks once its UART buffer is
#: full; a 64 KB pipe would instead hide a burst of output that keeps arriving long after
#: CTRL-C stopped the code.
OUTPUT_PIPE_BYTES = 4096


def _shrink_pipe(fd: int) -> None:
    """Make the pipe as small as a UART buffer, where the platform allows it (Linux)."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(fd, setsize, OUTPUT_PIPE_BYTES)


class CodeRunner:
    """One simulated board's code process.

    Meant for one thread (the board's device thread); every method takes an internal lock,
    so :meth:`close` from another thread is safe too. :meth:`fileno` stays the same number
    across :meth:`restart`.
    """

    def __init__(self, identity: BoardIdentity, python: str = sys.executable) -> None:
        self.identity = identity
        self.python = python
        #: A folder for the board's files made by the runner itself (identity without
        #: ``fs_root``); removed by :meth:`close`. A device passes its own folder instead.
        self._own_folder: str | None = None
        self._lock = threading.RLock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._cmd_fd = -1
        self._evt_fd = -1
        self._life_fd = -1
        self._poller: select.poll | None = None
        self._clear_state()

    def _clear_state(self) -> None:
        """What belongs to one child process; a restart starts from nothing."""
        self._buffer = bytearray()
        self._events: list[tuple[EventKind, bytearray]] = []
        self._traceback: list[bytes] = []
        self._busy = False
        self._started = False
        self._interrupt_pending = False
        self._ready = False
        self._eof_at: float | None = None
        self._exit_code: int | None = None
        self._stderr_tail = bytearray()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Spawn the child and wait until it is ready; a no-op when it already runs."""
        with self._lock:
            if self._proc is not None:
                return
            self._spawn()
            try:
                self._wait_ready(time.monotonic() + STARTUP_TIMEOUT_S)
            except BaseException:
                self.close()
                raise

    def restart(self) -> None:
        """Soft reset: a fresh process and namespace. Does not wait for "ready": commands queue."""
        with self._lock:
            self._stop_process()
            self._clear_state()
            self._spawn()

    def close(self) -> None:
        """Kill the child (and anything it started), reap it, close the pipes. Idempotent."""
        with self._lock:
            self._stop_process()
            if self._evt_fd >= 0:
                os.close(self._evt_fd)
                self._evt_fd = -1
            self._clear_state()
            if self._own_folder is not None:
                shutil.rmtree(self._own_folder, ignore_errors=True)
                self._own_folder = None
                self.identity = replace(self.identity, fs_root="")

    def _board_folder(self) -> str:
        """The host folder of the board's files, made on first use when the identity has none."""
        if not self.identity.fs_root:
            self._own_folder = str(make_folder())
            self.identity = replace(self.identity, fs_root=self._own_folder)
        return self.identity.fs_root

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The child's process id (None when not started)."""
        return None if self._proc is None else self._proc.pid

    @property
    def busy(self) -> bool:
        """True from :meth:`run` until its ``done`` has been returned by :meth:`poll`."""
        return self._busy

    def fileno(self) -> int:
        """Readable when :meth:`poll` has something (also when the child died)."""
        with self._lock:
            self._require_started()
            return self._evt_fd

    # ------------------------------------------------------------------ running code
    def run(self, code: bytes, single: bool = False) -> None:
        """Hand code to the child without waiting for it to run.

        ``single`` compiles it as one REPL input, so expression values are printed.
        """
        with self._lock:
            self._require_alive()
            if self._busy:
                raise RunnerError("the simulated board is still running code (one run at a time)")
            kind = wire.CMD_SINGLE if single else wire.CMD_EXEC
            try:
                _write_all(self._cmd_fd, wire.frame(kind, bytes(code)))
            except BrokenPipeError:  # it died since the last poll(); keep what it reported before
                self._read_reports()
                self._eof_at = self._eof_at or time.monotonic()
                self._settle_death(time.monotonic() + _EXIT_GRACE_S)
                raise self._death_error() from None
            self._busy = True
            self._started = False
            self._interrupt_pending = False

    def feed_input(self, data: bytes) -> None:
        """Host bytes for the running code's stdin: the answer to an ``input`` event."""
        with self._lock:
            if self._proc is None or not self._busy or self._exit_code is not None or not data:
                return
            try:
                _write_all(self._cmd_fd, wire.frame(wire.CMD_INPUT, bytes(data)))
            except BrokenPipeError:
                pass  # it died; poll() reports that

    def interrupt(self) -> None:
        """CTRL-C: KeyboardInterrupt in the running code; nothing when idle. Never kills the child.

        The SIGINT is held back until the child reports that the code has started, because a
        SIGINT that reaches an idle child is ignored and would be lost.
        """
        with self._lock:
            if self._proc is None or not self._busy or self._exit_code is not None:
                return
            if self._started:
                self._send_sigint()
            else:
                self._interrupt_pending = True

    def poll(self, timeout: float) -> list[RunnerEvent]:
        """Wait up to ``timeout`` seconds for reports; return all that are there, in order.

        Raises RunnerError once the child has died and everything it reported was returned.
        """
        with self._lock:
            self._require_started()
            deadline = time.monotonic() + max(0.0, timeout)
            while True:
                self._read_reports()
                if self._events:
                    return self._take_events()
                if self._eof_at is not None:
                    self._settle_death(deadline)
                    if self._exit_code is not None:
                        raise self._death_error()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                if self._eof_at is None:
                    self._wait_readable(remaining)

    # ------------------------------------------------------------------ process
    def _spawn(self) -> None:
        cmd_r, cmd_w = os.pipe()
        evt_r, evt_w = os.pipe()
        _shrink_pipe(evt_w)
        life_r, life_w = os.pipe()
        argv = [self.python, "-I", "-S", "-u", _CHILD_SCRIPT, str(cmd_r), str(evt_w), str(life_r)]
        try:
            folder = self._board_folder()
            proc = subprocess.Popen(
                [*argv, *encode_identity(self.identity)],
                cwd=folder,  # the board's files: programs the code starts see them too
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(cmd_r, evt_w, life_r),
                start_new_session=True,  # no terminal CTRL-C reaches it; close() kills its group
            )
        except (OSError, ValueError) as exc:
            for fd in (cmd_w, evt_r, life_w):
                os.close(fd)
            raise RunnerError(f"cannot start the simulated board's code process with {self.python}: {exc}") from exc
        finally:
            for fd in (cmd_r, evt_w, life_r):
                os.close(fd)
        if self._evt_fd >= 0:  # a restart: keep the number the device thread selects on
            os.dup2(evt_r, self._evt_fd, inheritable=False)
            os.close(evt_r)
        else:
            self._evt_fd = evt_r
        os.set_blocking(self._evt_fd, False)
        assert proc.stderr is not None
        os.set_blocking(proc.stderr.fileno(), False)
        self._proc, self._cmd_fd, self._life_fd = proc, cmd_w, life_w
        self._poller = select.poll()
        self._poller.register(self._evt_fd, select.POLLIN)
        self._poller.register(proc.stderr.fileno(), select.POLLIN)

    def _wait_ready(self, deadline: float) -> None:
        while not self._ready:
            self._read_reports()
            if self._ready:
                return
            if self._eof_at is not None:
                self._settle_death(deadline + _EXIT_GRACE_S)
                raise RunnerError(f"the simulated board's code process did not start "
                                  f"(exit code {self._exit_code}){self._stderr_detail()}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunnerError(f"the simulated board's code process was not ready after "
                                  f"{STARTUP_TIMEOUT_S:.0f} s{self._stderr_detail()}")
            self._wait_readable(remaining)

    def _stop_process(self) -> None:
        """Kill and reap the child; close every pipe but the report pipe's number."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.returncode is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except OSError:
                    proc.kill()
            proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        for name in ("_cmd_fd", "_life_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        self._poller = None

    def _send_sigint(self) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            try:
                os.kill(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def _settle_death(self, deadline: float) -> None:
        """The report pipe is closed: reap the child, waiting no later than ``deadline``.

        A child that closed the pipe but keeps running (user code can close any fd) is
        killed once the grace time is over: it can report nothing any more.
        """
        proc = self._proc
        if proc is None or self._exit_code is not None or self._eof_at is None:
            return
        grace_end = self._eof_at + _EXIT_GRACE_S
        try:
            proc.wait(timeout=max(0.0, min(deadline, grace_end) - time.monotonic()))
        except subprocess.TimeoutExpired:
            if time.monotonic() < grace_end:
                return
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                proc.kill()
            proc.wait()
        self._exit_code = proc.returncode
        self._busy = False
        self._drain_stderr()

    def _death_error(self) -> RunnerError:
        return RunnerError(f"the simulated board's code process died (exit code {self._exit_code})"
                           f"{self._stderr_detail()}")

    def _stderr_detail(self) -> str:
        lines = bytes(self._stderr_tail).decode("utf-8", "replace").strip().splitlines()
        return f": {lines[-1].strip()}" if lines else ""

    def _require_started(self) -> None:
        if self._proc is None:
            raise RunnerError("the simulated board's code process is not running (call start() first)")

    def _require_alive(self) -> None:
        self._require_started()
        if self._exit_code is not None:
            raise self._death_error()

    # ------------------------------------------------------------------ reports
    def _wait_readable(self, timeout: float) -> None:
        assert self._poller is not None and self._proc is not None and self._proc.stderr is not None
        stderr_fd = self._proc.stderr.fileno()
        for fd, _ in self._poller.poll(max(1, int(timeout * 1000 + 0.999))):
            if fd == stderr_fd:
                self._drain_stderr()

    def _drain_stderr(self) -> None:
        """Keep the end of what the child wrote to stderr: the reason it could not start or died."""
        proc = self._proc
        if proc is None or proc.stderr is None:
            return
        while True:
            try:
                data = os.read(proc.stderr.fileno(), _READ_SIZE)
            except (BlockingIOError, OSError):
                return
            if not data:  # closed: stop asking poll() about it (it would report POLLHUP forever)
                if self._poller is not None:
                    try:
                        self._poller.unregister(proc.stderr.fileno())
                    except KeyError:
                        pass
                return
            self._stderr_tail += data
            del self._stderr_tail[:-_STDERR_TAIL]

    def _read_reports(self) -> None:
        """Read whatever the pipe holds without blocking, and decode the whole frames in it."""
        if self._eof_at is not None:
            return
        while True:
            try:
                data = os.read(self._evt_fd, _READ_SIZE)
            except BlockingIOError:
                break
            if not data:
                self._eof_at = time.monotonic()
                break
            self._buffer += data
            if len(data) < _READ_SIZE:
                break
        self._decode()

    def _decode(self) -> None:
        buffer, pos = self._buffer, 0
        while len(buffer) - pos >= wire.HEADER_SIZE:
            size = int.from_bytes(buffer[pos + 1 : pos + wire.HEADER_SIZE], "big")
            if size > _MAX_PAYLOAD:
                raise RunnerError(f"the simulated board's code process sent a garbled report ({size} bytes)")
            end = pos + wire.HEADER_SIZE + size
            if len(buffer) < end:
                break
            self._handle(bytes(buffer[pos : pos + 1]), bytes(buffer[pos + wire.HEADER_SIZE : end]))
            pos = end
        del buffer[:pos]

    def _handle(self, kind: bytes, payload: bytes) -> None:
        if kind == wire.EVT_STDOUT:
            if self._events and self._events[-1][0] == "stdout":
                self._events[-1][1].extend(payload)  # one event for output that is already waiting
            else:
                self._events.append(("stdout", bytearray(payload)))
        elif kind == wire.EVT_RAW_OUTPUT:
            if self._events and self._events[-1][0] == "raw":
                self._events[-1][1].extend(payload)
            else:
                self._events.append(("raw", bytearray(payload)))
        elif kind == wire.EVT_WANT_INPUT:
            self._events.append(("input", bytearray(payload)))
        elif kind == wire.EVT_TRACEBACK:
            self._traceback.append(payload)
        elif kind == wire.EVT_DONE:
            text = b"".join(self._traceback) + payload
            self._traceback.clear()
            self._busy = self._started = self._interrupt_pending = False
            self._events.append(("done", bytearray(text)))
        elif kind == wire.EVT_RESET:
            self._events.append(("reset", bytearray(payload)))
        elif kind == wire.EVT_KBD_INTR:
            self._events.append(("kbd_intr", bytearray(payload)))
        elif kind == wire.EVT_STARTED:
            self._started = True
            if self._interrupt_pending:
                self._interrupt_pending = False
                self._send_sigint()
        elif kind == wire.EVT_READY:
            self._ready = True
        else:
            raise RunnerError(f"the simulated board's code process sent an unknown report {kind!r}")

    def _take_events(self) -> list[RunnerEvent]:
        events = [RunnerEvent(kind, bytes(data)) for kind, data in self._events]
        self._events.clear()
        return events
