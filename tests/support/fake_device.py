"""Scripted devices on 127.0.0.1 sockets, for failures a real interpreter cannot show.

Each server accepts one connection and answers from a small script; every loop is bounded
by a deadline so a test can never hang on it.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from typing import Self


class SocketDevice:
    """A TCP server on 127.0.0.1; subclasses decide what to answer.

    ``url`` is ``socket://127.0.0.1:PORT``. The server thread ends at ``close()`` or after
    ``lifetime_s``, whichever comes first.
    """

    def __init__(self, lifetime_s: float = 30.0) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self.url = f"socket://127.0.0.1:{self.port}"
        self.received = bytearray()
        self._stop = threading.Event()
        self._deadline = time.monotonic() + lifetime_s
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self._server.close()

    def _serve(self) -> None:
        self._server.settimeout(0.05)
        conn = None
        while conn is None and not self._stopped():
            with contextlib.suppress(TimeoutError):
                conn, _ = self._server.accept()
        if conn is None:
            return
        with conn:
            self.on_connect(conn)
            while not self._stopped():
                ready, _, _ = select.select([conn], [], [], 0.05)
                if not ready:
                    continue
                data = conn.recv(65536)
                if not data:
                    return
                self.received += data
                if not self.on_data(conn, data):
                    return

    def _stopped(self) -> bool:
        return self._stop.is_set() or time.monotonic() > self._deadline

    def on_connect(self, conn: socket.socket) -> None:
        """Called once when the host connects."""

    def on_data(self, conn: socket.socket, data: bytes) -> bool:
        """Answer ``data``; return False to drop the connection."""
        return True


class SilentDevice(SocketDevice):
    """Accepts the connection and never says a word (a board that hangs)."""


class NoisyOldFirmware(SocketDevice):
    """Garbage before the banner, no raw-paste (answers with the banner, as before 1.14)."""

    def on_connect(self, conn: socket.socket) -> None:
        conn.sendall(b"\x00\xff\xfe ets Jun  8 2016 rst:0x1 boot noise >\r\n>>> garbage>")

    def on_data(self, conn: socket.socket, data: bytes) -> bool:
        self._line = getattr(self, "_line", b"") + data
        line = self._line
        if line.endswith(b"\x01"):
            self._line = b""
            conn.sendall(b"\r\n>>> \r\nraw REPL; CTRL-B to exit\r\n>")
        elif line.endswith(b"\x04"):
            self._line = b""
            code = line[:-1]
            conn.sendall(b"OK" + b"ran " + str(len(code)).encode() + b" bytes\r\n\x04\x04>")
        return True


class DiesMidRun(SocketDevice):
    """Enters raw, accepts code, prints a little, then drops the connection."""

    def on_data(self, conn: socket.socket, data: bytes) -> bool:
        if data.endswith(b"\x01") and not data.endswith(b"\x05A\x01"):
            conn.sendall(b"raw REPL; CTRL-B to exit\r\n>")
        elif data == b"\x05A\x01":
            conn.sendall(b"R\x00>")
        elif data.endswith(b"\x04"):
            conn.sendall(b"OKpartial out")
            return False
        return True
