"""The ser2net test helper bridges a pty to RFC 2217 that pyserial can use."""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator

import pytest
import serial

from tests.support.ser2net import Ser2NetServer, ser2net_path


class PtyEcho:
    """A pty pair whose master side answers every chunk with b"echo:" + chunk.

    ser2net opens the slave path itself; the slave fd is kept open here only
    so that reads on the master do not fail with EIO between sessions.
    """

    def __init__(self) -> None:
        import tty

        self.master_fd, self.slave_fd = os.openpty()
        tty.setraw(self.slave_fd)
        self.slave_path = os.ttyname(self.slave_fd)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pty-echo", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master_fd], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(self.master_fd, 1024)
            except OSError:
                return
            if not data:
                return
            os.write(self.master_fd, b"echo:" + data)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self.master_fd)
        os.close(self.slave_fd)


@pytest.fixture
def pty_echo() -> Iterator[PtyEcho]:
    if ser2net_path() is None:
        pytest.skip("ser2net not installed: apt-get install ser2net")
    if not hasattr(os, "openpty"):
        pytest.skip("needs a POSIX pty")
    echo = PtyEcho()
    try:
        yield echo
    finally:
        echo.close()


def test_rfc2217_round_trip_through_ser2net(pty_echo: PtyEcho) -> None:
    with Ser2NetServer(pty_echo.slave_path) as server:
        assert server.port is not None
        assert server.url == f"rfc2217://127.0.0.1:{server.port}"
        # A pty has no modem lines, so ser2net never acknowledges DTR/RTS
        # changes; pyserial must be told not to wait for that answer.
        assert server.pty_url == server.url + "?ign_set_control"

        port = serial.serial_for_url(server.pty_url, timeout=2)
        try:
            port.write(b"hello")
            assert port.read(len(b"echo:hello")) == b"echo:hello"

            port.dtr = False
            port.rts = False
            port.dtr = True
            port.rts = True

            port.write(b"!")
            assert port.read(len(b"echo:!")) == b"echo:!"
        finally:
            port.close()

        proc = server._proc
        tmpdir = server._tmpdir

    assert proc is not None and proc.returncode is not None
    assert tmpdir is not None and not os.path.exists(tmpdir)
