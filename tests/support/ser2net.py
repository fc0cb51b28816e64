"""Serve a local serial-like device over RFC 2217 with ser2net, for tests.

Typical use with a pty pair::

    master_fd, slave_fd = os.openpty()
    tty.setraw(slave_fd)
    with Ser2NetServer(os.ttyname(slave_fd)) as server:
        port = serial.serial_for_url(server.pty_url, timeout=2)  # + "?ign_set_control"

ser2net opens the device path itself when a client connects, so the test
talks to the *master* side of the pty.  Keep ``slave_fd`` open for the
lifetime of the server: on Linux, once the last slave descriptor is closed,
reads on the master fail with EIO between ser2net sessions.

Notes established by experiment against ser2net 4.3.11 / pyserial 3.5:

* A pty does not support modem-control ioctls (TIOCMGET/TIOCMBIS fail with
  ENOTTY), so ser2net never acknowledges RFC 2217 SET-CONTROL requests for
  DTR/RTS.  pyserial's rfc2217 client waits for that acknowledgement while
  opening the port and fails with "timeout while waiting for option
  'control'" unless the URL carries ``?ign_set_control``.  Use
  :attr:`Ser2NetServer.pty_url` for pty-backed servers.
* The readiness check connects to the port and waits for ser2net's telnet
  negotiation (so a foreign process that grabbed the port is not mistaken
  for ser2net); this makes ser2net open and close the device once.
  Harmless for a pty; with real USB serial hardware that open/close can
  toggle DTR/RTS.  Because tearing down that probe session takes ser2net a
  moment, the config sets ``kickolduser: true``: without it a client
  connecting right after startup was intermittently refused ("Port already
  in use").  It also means a second concurrent client kicks the first.
* ser2net's first SIGTERM starts a graceful shutdown that can hang (e.g.
  after a failed bind), hence SIGKILL after a grace period.

Only 127.0.0.1 is ever bound or connected to.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

HOST = "127.0.0.1"

_BIND_FAILED_MARKER = "Unable to startup network port"
_BIND_ATTEMPTS = 3


def ser2net_path() -> str | None:
    """Return the path of the ser2net executable, or None if not installed."""
    found = shutil.which("ser2net")
    if found:
        return found
    fallback = "/usr/sbin/ser2net"
    if os.path.isfile(fallback) and os.access(fallback, os.X_OK):
        return fallback
    return None


def _free_port() -> int:
    """Pick a currently unused TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Ser2NetServer:
    """Run ser2net in the foreground, bridging ``device_path`` to RFC 2217.

    On ``__enter__`` a free port on 127.0.0.1 is chosen, a YAML config is
    written to a temporary directory and ser2net is started; the call
    returns once the port accepts connections and speaks telnet (bounded by
    ``startup_timeout``, RuntimeError with ser2net's output otherwise).  ``__exit__`` stops ser2net (SIGTERM, then SIGKILL
    after ``stop_timeout`` seconds), reaps it and removes the directory.

    ``chardelay=False`` turns off ser2net's small batching delay on data
    coming from the device, for lower round-trip latency.
    """

    def __init__(
        self,
        device_path: str,
        baud: int = 115200,
        *,
        chardelay: bool = True,
        kickolduser: bool = True,
        startup_timeout: float = 5.0,
        stop_timeout: float = 2.0,
    ) -> None:
        if any(ch in device_path for ch in ",\n\r\"'*#"):
            raise ValueError(f"unsupported character in device path: {device_path!r}")
        if baud <= 0:
            raise ValueError(f"invalid baud rate: {baud!r}")
        self.device_path = device_path
        self.baud = int(baud)
        self.chardelay = chardelay
        self.kickolduser = kickolduser
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.port: int | None = None
        self.config_text: str | None = None
        self.command: list[str] | None = None
        self._tmpdir: str | None = None
        self._log_path: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    # -- public helpers -------------------------------------------------

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("Ser2NetServer is not running")
        return f"rfc2217://{HOST}:{self.port}"

    @property
    def pty_url(self) -> str:
        """URL for pyserial when the device is a pty (see module notes)."""
        return self.url + "?ign_set_control"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def output(self) -> str:
        """Everything ser2net has written to stdout/stderr so far."""
        if self._log_path is None:
            return ""
        try:
            with open(self._log_path, "rb") as fh:
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    # -- context manager ------------------------------------------------

    def __enter__(self) -> Self:
        exe = ser2net_path()
        if exe is None:
            raise RuntimeError("ser2net not installed: apt-get install ser2net")
        self._tmpdir = tempfile.mkdtemp(prefix="workbench-ser2net-")
        try:
            for attempt in range(1, _BIND_ATTEMPTS + 1):
                if self._start_once(exe, attempt == _BIND_ATTEMPTS):
                    return self
            raise AssertionError("unreachable")  # pragma: no cover
        except BaseException:
            self.close()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop ser2net and remove the temporary directory (idempotent)."""
        self._stop_process()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
            self._log_path = None

    # -- internals ------------------------------------------------------

    def _write_config(self, port: int) -> str:
        assert self._tmpdir is not None
        self.config_text = (
            "%YAML 1.1\n"
            "---\n"
            "connection: &workbench\n"
            f"  accepter: telnet(rfc2217),tcp,{HOST},{port}\n"
            f"  connector: serialdev,{self.device_path},{self.baud}n81,local\n"
            "  options:\n"
            # A new client replaces a lingering session (e.g. the readiness
            # probe still being torn down) instead of being refused with
            # "Port already in use" (max-connections defaults to 1).
            f"    kickolduser: {'true' if self.kickolduser else 'false'}\n"
        )
        if not self.chardelay:
            # ser2net normally holds device->network data back for ~2
            # character times (>= 1 ms) to batch it; measured ~3.2 ms per
            # 1-byte round trip with it on, ~0.1 ms with it off.
            self.config_text += "    chardelay: false\n"
        path = os.path.join(self._tmpdir, "ser2net.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.config_text)
        return path

    def _start_once(self, exe: str, last_attempt: bool) -> bool:
        """Start ser2net on a fresh port; False means "port taken, retry"."""
        assert self._tmpdir is not None
        port = _free_port()
        config_path = self._write_config(port)
        self._log_path = os.path.join(self._tmpdir, f"ser2net-{port}.log")
        # -n: stay in the foreground; -d: also log to stdout instead of
        # syslog; -u: no UUCP lock files; -c: our config only.  No -P, so
        # no pid file is written.
        self.command = [exe, "-n", "-d", "-u", "-c", config_path]
        with open(self._log_path, "wb") as log:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                close_fds=True,
            )

        deadline = time.monotonic() + self.startup_timeout
        while True:
            code = self._proc.poll()
            if code is not None:
                self._proc = None
                raise RuntimeError(f"ser2net exited early with status {code}: {self.output().strip()}")
            output = self.output()
            if _BIND_FAILED_MARKER in output:
                # Someone grabbed the port between _free_port() and bind().
                # ser2net stays alive without a listener and its SIGTERM
                # shutdown hangs in that state, so kill it outright.
                self._stop_process(graceful=False)
                if last_attempt:
                    raise RuntimeError(f"ser2net could not listen on {HOST}:{port}: {output.strip()}")
                return False
            if config_path + ":" in output:
                # Config errors are reported as "<file>:<line>(column N): ..."
                # and ser2net keeps running without that connection.
                self._stop_process(graceful=False)
                raise RuntimeError(f"ser2net rejected its config: {output.strip()}")
            if _accepts_connections(port):
                self.port = port
                return True
            if time.monotonic() >= deadline:
                self._stop_process()
                raise RuntimeError(
                    f"ser2net did not accept connections on {HOST}:{port} within "
                    f"{self.startup_timeout} s: {output.strip()}"
                )
            time.sleep(0.02)

    def _stop_process(self, graceful: bool = True) -> None:
        proc, self._proc = self._proc, None
        self.port = None
        if proc is None:
            return
        if proc.poll() is None:
            if graceful:
                try:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
            else:
                proc.kill()
        proc.wait()


def _accepts_connections(port: int, timeout: float = 0.2) -> bool:
    """True if a telnet server (i.e. our ser2net) answers on ``port``.

    ser2net's telnet accepter starts option negotiation (IAC = 0xff) right
    after accepting, which tells it apart from some other process that
    grabbed the port between _free_port() and ser2net's bind().
    """
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            return sock.recv(1) == b"\xff"
    except OSError:
        return False
