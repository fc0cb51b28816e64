"""workbench: a terminal workbench for MicroPython boards over the raw REPL.

The library surface is small: ``connect(url)`` gives a :class:`Session` whose ``exec``
returns an :class:`ExecResult`; everything it sent and received is in ``session.trace``.
"""

from workbench.engine import DEFAULT_PROFILE, ExecResult, Profile, Session, connect
from workbench.errors import (
    ConnectError,
    DeviceDisconnected,
    DeviceTimeout,
    ExecTimeout,
    NotSupported,
    ProtocolError,
    SessionClosed,
    TransferError,
    WorkbenchError,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_PROFILE",
    "ConnectError",
    "DeviceDisconnected",
    "DeviceTimeout",
    "ExecResult",
    "ExecTimeout",
    "NotSupported",
    "Profile",
    "ProtocolError",
    "Session",
    "SessionClosed",
    "TransferError",
    "WorkbenchError",
    "__version__",
    "connect",
]
