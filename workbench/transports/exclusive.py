"""One program per serial port: the port is claimed when it opens, and a refused open says who
has it.

Two programs writing to one board interleave their bytes and both see garbage (in a lab: two
browser tabs on one board). pyserial's ``exclusive=True`` takes an ``flock`` on the device,
which other pyserial programs asking for it (another workbench, esptool) respect; on top of
that the tty is marked exclusive (``TIOCEXCL``), so programs that take no lock (screen,
minicom, mpremote) cannot open it either, and their open fails *before* the kernel raises DTR
and RTS (which on an ESP32's auto-reset wiring could reset the board under its owner). Root
is not stopped by ``TIOCEXCL``; the ``flock`` still is.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import serial

try:
    import fcntl
    import termios
except ImportError:  # pragma: no cover - Windows opens serial ports exclusively anyway
    fcntl = None  # type: ignore[assignment]
    termios = None  # type: ignore[assignment]

#: Where Linux lists who holds which lock: ``1: FLOCK ADVISORY WRITE <pid> <maj>:<min>:<inode> 0 EOF``.
PROC_LOCKS = Path("/proc/locks")


def claim(port: serial.SerialBase) -> None:
    """Mark an opened tty exclusive; a port that is not a local tty is left as it is."""
    fd = getattr(port, "fd", None)
    if fcntl is None or not isinstance(fd, int) or not hasattr(termios, "TIOCEXCL"):
        return
    with contextlib.suppress(OSError):  # not a tty, or a driver without it: the flock stays
        fcntl.ioctl(fd, termios.TIOCEXCL)


def holder(device: str) -> str | None:
    """Who holds the lock on ``device``: ``"process 4711 (python3 -m workbench)"``; None when
    that cannot be found (no /proc/locks, a lock of another kind, a process gone meanwhile)."""
    pid = holder_pid(device)
    return None if pid is None else f"process {pid}{_command(pid)}"


def other_holder(device: str) -> str | None:
    """:func:`holder`, unless it is this process (a board this app has open is not "in use")."""
    pid = holder_pid(device)
    return None if pid is None or pid == os.getpid() else f"process {pid}{_command(pid)}"


def holder_pid(device: str) -> int | None:
    """The process holding the ``flock`` on ``device`` (Linux's /proc/locks), else None."""
    try:
        info = os.stat(device)
        lines = PROC_LOCKS.read_text().splitlines()
    except OSError:
        return None
    wanted = f"{os.major(info.st_dev):02x}:{os.minor(info.st_dev):02x}:{info.st_ino}"
    for line in lines:
        words = line.split()
        if len(words) >= 6 and words[1] == "FLOCK" and words[5] == wanted and words[4].isdigit():
            return int(words[4])
    return None


def _command(pid: int) -> str:
    """`` (python3 -m workbench ...)``, shortened; empty when the process cannot be read."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    words = [os.path.basename(word) if i == 0 else word
             for i, word in enumerate(raw.decode("utf-8", "replace").split("\0")) if word]
    text = " ".join(words)
    if not text:
        return ""
    return f" ({text[:57]}...)" if len(text) > 60 else f" ({text})"
