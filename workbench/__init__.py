"""workbench: a terminal workbench for MicroPython boards over the raw REPL.

The library surface is small: ``connect(url)`` gives a :class:`Session` whose ``exec``
returns an :class:`ExecResult`; everything it sent and received is in ``session.trace``.

The engine's names load on first use (:mod:`workbench._lazy`): every command imports this
package, and only the ones that talk to a board need the engine.
"""

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports
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

if TYPE_CHECKING:
    from workbench.engine import DEFAULT_PROFILE, ExecResult, Profile, Session, connect

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

__getattr__, __dir__ = lazy_exports(
    __name__,
    dict.fromkeys(("DEFAULT_PROFILE", "ExecResult", "Profile", "Session", "connect"), "workbench.engine"),
    globals(),
)
