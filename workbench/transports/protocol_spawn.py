"""pyserial URL handler ``spawn://``: a local MicroPython interpreter that behaves like a board.

``spawn://micropython`` runs that command from PATH, ``spawn:///abs/path/micropython`` a
file; ``?arg=-X&arg=heapsize=1M`` passes arguments. The interpreter sits on its own pty
(see :mod:`pty_process`).

**Its files.** The unix port's files are the host's, relative to its current folder: code
that writes ``open('main.py', 'w')`` on the "board" writes there. So the interpreter runs in
a new temporary folder of its own, made when the port opens and removed (with what the code
wrote) when it closes, and kept across the soft-reset restarts below, as a board keeps its
flash. ``?cwd=DIR`` runs it in ``DIR`` instead, which is never removed. ``DIR`` must exist:
a folder the user names is their own, and one that is missing is far more often a typo than
a wish, so opening fails with a line naming it rather than quietly running the interpreter
in a new empty folder. (Absolute paths still reach the whole host: the unix port has no
filesystem of its own to confine it to.)

Things a board does and the unix port does not are added here:

* **Soft reset.** The unix port exits where a board reboots. The handler starts it again,
  writes ``MPY: soft reboot\\r\\n`` and, when the old process was in the raw REPL, takes the
  new one into the raw REPL so that the host reads the raw banner, as from a board.
* **An interpreter that exits by itself is not restarted.** Only a process that was sent
  input since it booted counts as soft-reset; one that exits before its ``>>> `` prompt, or
  with nobody having written to it (``?arg=-c&arg=print(1)``, a script argument), ends the
  port with one line saying so, its exit status and its last output: restarting it would
  only loop.
* **CTRL-C while code runs.** Code that arrived by raw-paste runs with the terminal in raw
  mode, where CTRL-C is an ordinary byte; plain-raw code runs with ISIG on, where every
  CTRL-C becomes a SIGINT, and one arriving just after the run ended kills the interpreter.
  So while code may run, the handler sends one SIGINT itself (only while the interpreter
  has a handler installed) instead of writing CTRL-C to the pty.

pyserial finds this module through ``serial.protocol_handler_packages`` (registered by
:mod:`workbench.transports`).
"""

from __future__ import annotations

import errno
import os
import select
import shutil
import subprocess
import time
import urllib.parse

from serial.serialutil import PortNotOpenError, SerialBase, SerialException, Timeout

from workbench.protocol.constants import FRIENDLY_PROMPT, RAW_BANNER
from workbench.sim.folders import make_folder
from workbench.transports.pty_process import PtyProcess, resolve_executable

_READ_SIZE = 65536
_SOFT_REBOOT = b"MPY: soft reboot\r\n"
_TAIL = 32  # bytes of output kept to find a banner split across reads
_RECENT = 80  # bytes of output quoted when the interpreter exits by itself
BOOT_TIMEOUT_S = 5.0


class Serial(SerialBase):
    """A MicroPython child process on a pty, seen as a serial port."""

    #: The engine asks this before a DTR/RTS reset; a restart of the process stands in.
    supports_modem_lines = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._proc: PtyProcess | None = None
        self._executable = ""
        self._args: tuple[str, ...] = ()
        self._cwd = ""  # the interpreter's current folder
        self._own_folder: str | None = None  # a temporary folder of ours, removed at close
        self._rx = bytearray()
        self._tail = b""
        self._raw_mode = False
        self._code_sent = False
        self._discard_until_banner = False
        self._gone: str | None = None
        self._booting = False
        self._input_since_boot = False
        self._recent = b""  # the current process's last output, for "it exited" messages
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ pyserial API
    def open(self) -> None:
        """Start the interpreter."""
        if self.is_open:
            raise SerialException("Port is already open.")
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        self._executable, self._args, cwd = self._parse_url(self.portstr)
        self._cwd = cwd if cwd is not None else self._make_folder()
        try:
            self._proc = PtyProcess(self._executable, self._args, cwd=self._cwd)
        except OSError as exc:
            self._remove_folder()
            raise SerialException(f"could not start {self._executable}: {exc}") from exc
        self._rx.clear()
        self._tail = b""
        self._raw_mode = False
        self._code_sent = False
        self._gone = None
        self.is_open = True
        try:
            self._wait_until_booted()
        except BaseException:
            self.close()  # pyserial never closes a port whose open() failed: no orphan process
            raise

    def close(self) -> None:
        """Stop the interpreter, free its pty and remove its temporary folder."""
        if self._proc is not None:
            self._proc.close()
            self._proc = None
        self._remove_folder()
        self.is_open = False

    @property
    def cwd(self) -> str:
        """The interpreter's current folder: where the code's relative paths lead."""
        return self._cwd

    def _make_folder(self) -> str:
        try:
            self._own_folder = str(make_folder("spawn"))
        except OSError as exc:
            raise SerialException(f"could not make a temporary folder for the interpreter: {exc}") from exc
        return self._own_folder

    def _remove_folder(self) -> None:
        if self._own_folder is not None:
            shutil.rmtree(self._own_folder, ignore_errors=True)
            self._own_folder = None

    def _reconfigure_port(self) -> None:
        """Baud rate and framing mean nothing on a pty; accepted and ignored."""

    def _update_dtr_state(self) -> None:
        """No modem lines (pyserial calls this on open)."""

    def _update_rts_state(self) -> None:
        """No modem lines (pyserial calls this on open)."""

    def _update_break_state(self) -> None:
        """No break condition on a pty."""

    @property
    def in_waiting(self) -> int:
        """Bytes readable now without blocking."""
        self._check_open()
        if not self._rx:
            self._pump(0.0)
        return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        """Read up to ``size`` bytes, waiting at most ``timeout`` for all of them."""
        self._check_open()
        timeout = Timeout(self._timeout)
        while len(self._rx) < size:
            remaining = timeout.time_left()
            if remaining is not None and remaining <= 0 and not timeout.is_infinite:
                break
            self._pump(None if timeout.is_infinite else remaining)
            if timeout.expired():
                break
        out = bytes(self._rx[:size])
        del self._rx[:size]
        return out

    def read_available(self, wait_s: float) -> bytes:
        """Everything printed so far, waiting up to ``wait_s`` for the first byte (PortIO)."""
        self._check_open()
        if not self._rx:
            self._pump(wait_s)
        out = bytes(self._rx)
        self._rx.clear()
        return out

    def write(self, data: bytes) -> int:
        """Write to the interpreter; CTRL-C becomes SIGINT where the pty would not do it."""
        self._check_open()
        if self._gone:
            raise SerialException(self._gone)
        data = bytes(data)
        self._restart_if_exited()
        proc = self._proc
        assert proc is not None
        if b"\x03" in data:
            data = self._ctrl_c(proc, data)
        if b"\x04" in data:
            self._code_sent = True
        view = memoryview(data)
        deadline = None if self._write_timeout is None else time.monotonic() + self._write_timeout
        while view:
            try:
                written = os.write(proc.master_fd, view)
            except BlockingIOError:
                written = 0
            except OSError as exc:
                raise SerialException(f"write to the interpreter failed: {exc}") from exc
            view = view[written:]
            self._input_since_boot = True
            if view:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                _, ready, _ = select.select([], [proc.master_fd], [], wait)
                if not ready:
                    raise SerialException("write timeout: the interpreter does not read its input")
        return len(data)

    def reset_input_buffer(self) -> None:
        """Discard everything the interpreter has printed and we have not read."""
        self._check_open()
        self._pump(0.0)
        self._rx.clear()

    def reset_output_buffer(self) -> None:
        """Nothing is buffered on our side of the pty."""

    def reset_device(self) -> None:
        """Stand-in for a DTR/RTS reset pulse: restart the interpreter (friendly REPL)."""
        self._check_open()
        self._restart(announce=b"", to_raw=False)

    @property
    def slave_path(self) -> str:
        """The interpreter's side of the pty (for diagnostics)."""
        return self._proc.slave_path if self._proc else ""

    @property
    def pid(self) -> int | None:
        """The interpreter's process id, while it runs."""
        return self._proc.pid if self._proc else None

    def resources(self) -> list[tuple[str, str]]:
        """What this interpreter holds, as (kind, description) pairs, for diagnostics."""
        proc = self._proc
        if proc is None:
            return []
        return [
            ("process", f"pid {proc.pid} ({self._executable})"),
            ("pty", f"{proc.slave_path} (master fd {proc.master_fd})"),
            ("folder", f"{self._cwd} ({'temporary' if self._own_folder else 'cwd='})"),
        ]

    # ------------------------------------------------------------------ internals
    def _check_open(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()

    @staticmethod
    def _parse_url(url: str) -> tuple[str, tuple[str, ...], str | None]:
        """The executable, its arguments and ``?cwd=`` (None: a temporary folder)."""
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "spawn":
            raise SerialException(f"expected a spawn:// URL, got {url!r}")
        target = parts.netloc + parts.path if parts.netloc else parts.path
        if not target:
            raise SerialException("spawn:// needs a command or an absolute path, e.g. spawn://micropython")
        query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
        args = tuple(query.get("arg", []))
        cwd = _folder(query.get("cwd"))
        try:
            return resolve_executable(target), args, cwd
        except FileNotFoundError as exc:
            raise SerialException(str(exc)) from exc

    def _pump(self, timeout: float | None) -> None:
        """Move what the interpreter printed into our buffer, waiting up to ``timeout``."""
        proc = self._proc
        if proc is None:
            raise PortNotOpenError()
        if self._gone:
            if self._rx:
                return
            raise SerialException(self._gone)
        ready, _, _ = select.select([proc.master_fd], [], [], timeout)
        if not ready:
            return
        try:
            data = os.read(proc.master_fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError as exc:
            if exc.errno != errno.EIO:
                raise SerialException(f"read from the interpreter failed: {exc}") from exc
            data = b""
        if data:
            self._receive(data)
        else:
            self._on_exit()

    def _ctrl_c(self, proc: PtyProcess, data: bytes) -> bytes:
        """Deliver CTRL-C as a board would: it interrupts running code and never kills.

        Two cases need help. With ISIG on (plain raw mode code) the line discipline would
        send SIGINT for *each* CTRL-C, and one landing just after the code ended, when the
        default disposition is back, kills the interpreter; raw-paste code runs with ISIG
        off, where CTRL-C is only a byte. So whenever code may run, at most one SIGINT per
        write goes to the interpreter, and only while it has a handler installed.
        """
        isig = proc.terminal_isig()
        if not isig and not self._code_sent:
            return data  # idle REPL: CTRL-C is an ordinary input byte there
        if not isig and not proc.catches_sigint():
            return data  # raw REPL between runs: the byte clears the line, as on a board
        if proc.catches_sigint():
            proc.send_sigint()
        return data.replace(b"\x03", b"")

    def _restart_if_exited(self) -> None:
        """A write must reach the running interpreter, not one that exited unnoticed."""
        proc = self._proc
        assert proc is not None
        if proc.exit_code() is None:
            return
        while self._proc is proc and not self._gone:
            self._pump(0.0)  # drain what it printed last; the EIO restarts it

    def _receive(self, data: bytes) -> None:
        window = self._tail + data
        raw_at = window.rfind(RAW_BANNER)
        friendly_at = window.rfind(FRIENDLY_PROMPT)
        if raw_at >= 0 or friendly_at >= 0:
            self._raw_mode = raw_at > friendly_at
        self._tail = window[-_TAIL:]
        self._recent = (self._recent + data)[-_RECENT:]
        if self._discard_until_banner:
            start = window.find(RAW_BANNER)
            if start < 0:
                return
            self._discard_until_banner = False
            data = window[start:]
        self._rx += data

    def _on_exit(self) -> None:
        """The interpreter closed its pty: a soft reset, sys.exit(), or a crash.

        Restarted only when it was sent something since it booted (the host's soft reset or
        the user's ``sys.exit()``). One that exits at start or on its own would exit again:
        the port ends instead, saying why, so a restart can never lead to another.
        """
        proc = self._proc
        assert proc is not None
        code = _exit_status(proc)
        if self._booting or not self._input_since_boot:
            self._gone = self._exited_by_itself(code)
            raise SerialException(self._gone)
        if code is not None and code < 0:
            self._gone = f"the MicroPython process died (signal {-code})"
            if not self._rx:
                raise SerialException(self._gone)
            return
        self._restart(announce=_SOFT_REBOOT, to_raw=self._raw_mode)

    def _exited_by_itself(self, code: int | None) -> str:
        """One line: when it exited, its status and the last thing it printed."""
        when = "at start, before its '>>> ' prompt" if self._booting else "by itself, with no input"
        if code is None:
            status = "it closed its terminal and was stopped"
        elif code < 0:
            status = f"killed by signal {-code}"
        else:
            status = f"exit status {code}"
        said = self._recent.decode("utf-8", "replace").strip()
        last = f"its last output: {said!r}" if said else "it printed nothing"
        return (
            f"{self._executable} exited {when} ({status}; {last}); "
            "a spawn:// interpreter must stay in its REPL (check the ?arg= arguments)"
        )

    def _restart(self, *, announce: bytes, to_raw: bool) -> None:
        old = self._proc
        if old is not None:
            old.close()
        try:
            self._proc = PtyProcess(self._executable, self._args, cwd=self._cwd)  # the same folder
        except OSError as exc:
            self._proc = None
            self._gone = f"could not restart {self._executable}: {exc}"
            raise SerialException(self._gone) from exc
        self._tail = b""
        self._code_sent = False
        self._raw_mode = False
        self._discard_until_banner = False
        start = len(self._rx)
        self._wait_until_booted()
        if to_raw:
            # A board rebooted in the raw REPL stays there: hide the friendly banner and
            # pass on the raw banner the interpreter prints after CTRL-A.
            del self._rx[start:]
            self._raw_mode = True
            self._discard_until_banner = True
            os.write(self._proc.master_fd, b"\x01")
        self._rx[start:start] = announce

    def _wait_until_booted(self) -> None:
        """Hold writes until the interpreter shows its prompt, as a booted board would.

        Until the unix port puts its terminal in raw mode, ISIG is on and nobody handles
        SIGINT, so a CTRL-C written that early would kill it instead of interrupting.
        An exit meanwhile raises (see :meth:`_on_exit`); it is never restarted from here.
        """
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        start = len(self._rx)
        self._booting, self._input_since_boot, self._recent = True, False, b""
        try:
            while FRIENDLY_PROMPT not in self._rx[start:]:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise SerialException(
                        f"{self._executable} printed no '>>> ' prompt within {BOOT_TIMEOUT_S:.0f} s; "
                        f"it said: {bytes(self._rx[start:])[-80:]!r}"
                    )
                self._pump(remaining)
        finally:
            self._booting = False


def _folder(values: list[str] | None) -> str | None:
    """``?cwd=DIR``: an existing folder (see the module docstring for why it is not made)."""
    if not values:
        return None
    if len(values) > 1:
        raise SerialException("spawn:// takes one cwd= folder")
    folder = os.path.abspath(os.path.expanduser(values[0]))
    if not values[0].strip() or not os.path.isdir(folder):
        raise SerialException(f"spawn:// cwd={values[0]!r}: no such folder ({folder})")
    return folder


def _exit_status(proc: PtyProcess) -> int | None:
    """The exit status of a process whose pty closed; None if it lingers (it is then killed)."""
    try:
        return proc.process.wait(timeout=5.0)
    except subprocess.TimeoutExpired:
        proc.close()
        return None
