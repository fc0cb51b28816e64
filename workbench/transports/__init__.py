"""Opening devices: every URL goes through ``serial.serial_for_url``.

Real ports (``/dev/ttyACM0``, ``COM3``), ``socket://``, ``rfc2217://`` and ``loop://`` come
with pyserial; ``spawn://`` (a local MicroPython interpreter on a pty) is ours and is found
by pyserial through ``serial.protocol_handler_packages``.
"""

from __future__ import annotations

import serial

from workbench.host_code import HOST_CODE_REFUSED, host_code_refused
from workbench.transports.exclusive import claim
from workbench.transports.reader_threads import install as _quiet_reader_threads

_PACKAGE = "workbench.transports"
#: A write that cannot complete in this time means the device stopped reading.
WRITE_TIMEOUT_S = 5.0
if _PACKAGE not in serial.protocol_handler_packages:
    serial.protocol_handler_packages.append(_PACKAGE)
_quiet_reader_threads()


def open_port(url: str, *, baudrate: int = 115200, timeout: float = 0.05) -> serial.SerialBase:
    """Open ``url`` with pyserial; ``timeout`` is the poll slice of each read.

    Raises ``serial.SerialException`` (or ``ValueError`` for a malformed URL) unchanged: the
    session turns them into a ConnectError with the URL in the message. A local serial port
    is opened exclusively (:mod:`workbench.transports.exclusive`): a second program gets an
    error, never a share of the board.
    """
    if host_code_refused(url):
        raise serial.SerialException(HOST_CODE_REFUSED)
    # pyserial's RFC 2217 client refuses a write timeout (NotImplementedError); its writes
    # go to a socket with its own buffering, so it is left out there.
    write_timeout = None if url.lower().startswith("rfc2217://") else WRITE_TIMEOUT_S
    port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout, write_timeout=write_timeout,
                                 exclusive=True)
    claim(port)
    return port


def has_modem_lines(port: serial.SerialBase) -> bool:
    """Whether DTR/RTS exist on this transport (a real port or RFC 2217, not a socket)."""
    explicit = getattr(port, "supports_modem_lines", None)
    if explicit is not None:
        return bool(explicit)
    module = type(port).__module__
    return module.startswith(("serial.serialposix", "serial.serialwin32", "serial.rfc2217"))
