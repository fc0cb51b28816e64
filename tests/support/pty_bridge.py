"""Expose any device URL as a local pty path, for programs that open a path themselves
(ser2net, mpremote). A thread copies bytes both ways until ``close()``.
"""

from __future__ import annotations

import os
import select
import threading
import tty
from typing import Self

import serial

from workbench.transports import open_port


class PtyBridge:
    """``path`` is a pty another program can open; its bytes go to and from ``url``."""

    def __init__(self, url: str) -> None:
        self.port: serial.SerialBase = open_port(url, timeout=0.01)
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"bridge {url}")
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.002)
            if ready:
                try:
                    data = os.read(self._master, 65536)
                except OSError:
                    data = b""
                if data:
                    self.port.write(data)
            waiting = self.port.in_waiting
            if waiting:
                os.write(self._master, self.port.read(waiting))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self.port.close()
        os.close(self._master)
        os.close(self._slave)
