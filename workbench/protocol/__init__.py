"""Sans-I/O core of the raw REPL protocol: bytes in, events out, bytes to send.

Nothing in this package touches a port, a thread or a clock; see :mod:`.connection`. The
device's bytes become :mod:`.events`; what a host's bytes meant is :mod:`.host_events`, read
from someone else's traffic by :mod:`.observer`.
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
from workbench.protocol.host_events import (
    CodeSent,
    EndOfCode,
    EnterRaw,
    FriendlyPasteEnd,
    FriendlyPasteMode,
    HostEvent,
    Interrupt,
    InterruptReason,
    LeaveRaw,
    OwedEndOfPaste,
    RawPasteRequest,
    SoftReset,
    Typed,
    UnplacedWrite,
)
from workbench.protocol.observer import TrafficObserver
from workbench.protocol.tracebacks import Frame, RemoteException, SourceNamer, StreamReplacer, parse_traceback

__all__ = [
    "NEED_DATA",
    "RUNNING_STATES",
    "CodeSent",
    "DeviceRebooted",
    "EndOfCode",
    "EnterRaw",
    "Event",
    "ExecAccepted",
    "ExecFinished",
    "Expectation",
    "Frame",
    "FriendlyPasteEnd",
    "FriendlyPasteMode",
    "FriendlyPrompt",
    "HostEvent",
    "Interrupt",
    "InterruptReason",
    "LeaveRaw",
    "LocalProtocolError",
    "NeedData",
    "Output",
    "OwedEndOfPaste",
    "PasteAcknowledged",
    "PasteEndedEarly",
    "RawPasteAccepted",
    "RawPasteRefused",
    "RawPasteRequest",
    "RawReady",
    "RawReplConnection",
    "RemoteException",
    "SoftReboot",
    "SoftReset",
    "SourceNamer",
    "State",
    "StdoutEnded",
    "StreamReplacer",
    "Timeouts",
    "TrafficObserver",
    "Typed",
    "UnexpectedBytes",
    "UnplacedWrite",
    "WindowCredit",
    "parse_traceback",
]
