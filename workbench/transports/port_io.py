"""How the engine reads and writes a port opened by ``serial_for_url``.

pyserial's ``read(size)`` blocks until ``size`` bytes or its timeout, so taking "whatever has
arrived" costs ``read(1)``, ``in_waiting`` and ``read(n)``: three or four system calls and a
select inside each. On a 0.2 ms exec that is a third of the time. For ports that are a
plain file descriptor (pyserial's POSIX serial class) and for our own handlers, this adapter
does one ``select`` and one ``read`` per answer; anything else gets the portable path.
"""

from __future__ import annotations

import os
import select
import sys
from collections.abc import Callable

import serial

_READ_SIZE = 65536
#: The longest any worker blocks in one wait (a read, an idle queue, a paused step), so a
#: Stop, an interrupt or a close is seen within this long. The one value for all of them:
#: the engine, the session worker and step mode import it from here, the lowest layer.
POLL_SLICE_S = 0.05


class PortIO:
    """``read(wait_s)`` returns what has arrived (waiting up to ``wait_s`` for the first
    byte); ``write(data)`` writes it all or raises. Both raise ``serial.SerialException``
    (or OSError) when the device is gone, as pyserial does.
    """

    def __init__(self, port: serial.SerialBase) -> None:
        self.port = port
        self._fd: int | None = _posix_fd(port)
        self._read_available: Callable[[float], bytes] | None = getattr(port, "read_available", None)
        self._timeout_now = port.timeout

    def read(self, wait_s: float) -> bytes:
        """What the device has sent, waiting at most ``wait_s`` for its first byte."""
        if self._read_available is not None:
            return self._read_available(max(0.0, wait_s))
        if self._fd is not None:
            return self._read_fd(self._fd, wait_s)
        return self._read_portable(wait_s)

    def write(self, data: bytes) -> None:
        """All of ``data``, or an exception."""
        if self._fd is not None:
            try:
                written = os.write(self._fd, data)
            except BlockingIOError:
                written = 0
            if written == len(data):
                return
            data = data[written:]
        self.port.write(data)  # the rest, with pyserial's own waiting and write timeout

    def _read_fd(self, fd: int, wait_s: float) -> bytes:
        ready, _, _ = select.select([fd], [], [], max(0.0, wait_s))
        if not ready:
            return b""
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return b""
        if not data:
            raise serial.SerialException("the device reports data but sends none (disconnected?)")
        return data

    def _read_portable(self, wait_s: float) -> bytes:
        port = self.port
        if wait_s <= 0:
            waiting = port.in_waiting
            return port.read(waiting) if waiting else b""
        slice_s = min(wait_s, POLL_SLICE_S)
        if self._timeout_now is None or abs(self._timeout_now - slice_s) > 0.002:
            port.timeout = self._timeout_now = slice_s
        first = port.read(1)
        if not first:
            return b""
        waiting = port.in_waiting
        return first + port.read(waiting) if waiting else first


def _posix_fd(port: serial.SerialBase) -> int | None:
    """The file descriptor of a real (or pty) serial port on POSIX, else None."""
    if sys.platform == "win32":
        return None
    posix = sys.modules.get("serial.serialposix")
    if posix is None or not isinstance(port, posix.Serial):
        return None
    fd = getattr(port, "fd", None)
    return fd if isinstance(fd, int) and fd >= 0 else None
