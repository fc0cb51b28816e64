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
    InvalidCode,
    NotSupported,
    OutputCallbackError,
    ProtocolError,
    SessionClosed,
    TransferError,
    UsageError,
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
    "InvalidCode",
    "NotSupported",
    "OutputCallbackError",
    "Profile",
    "ProtocolError",
    "Session",
    "SessionClosed",
    "TransferError",
    "UsageError",
    "WorkbenchError",
    "__version__",
    "connect",
]
