"""Sans-I/O core of the raw REPL protocol: bytes in, events out, bytes to send.

Nothing in this package touches a port, a thread or a clock; see :mod:`.connection`.
"""

from workbench.protocol.connection import (
    RUNNING_STATES,
    Expectation,
    RawReplConnection,
    State,
    Timeouts,
)
from workbench.protocol.errors import LocalProtocolError
from workbench.protocol.events import (
    NEED_DATA,
    DeviceRebooted,
    Event,
    ExecAccepted,
    ExecFinished,
    FriendlyPrompt,
    NeedData,
    Output,
    PasteAcknowledged,
    PasteEndedEarly,
    RawPasteAccepted,
    RawPasteRefused,
    RawReady,
    SoftReboot,
    StdoutEnded,
    UnexpectedBytes,
    WindowCredit,
)
from workbench.protocol.tracebacks import Frame, RemoteException, SourceNamer, StreamReplacer, parse_traceback

__all__ = [
    "NEED_DATA",
    "RUNNING_STATES",
    "DeviceRebooted",
    "Event",
    "ExecAccepted",
    "ExecFinished",
    "Expectation",
    "Frame",
    "FriendlyPrompt",
    "LocalProtocolError",
    "NeedData",
    "Output",
    "PasteAcknowledged",
    "PasteEndedEarly",
    "RawPasteAccepted",
    "RawPasteRefused",
    "RawReady",
    "RawReplConnection",
    "RemoteException",
    "SoftReboot",
    "SourceNamer",
    "State",
    "StdoutEnded",
    "StreamReplacer",
    "Timeouts",
    "UnexpectedBytes",
    "WindowCredit",
    "parse_traceback",
]
