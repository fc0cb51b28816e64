"""Sans-I/O core of the raw REPL protocol: bytes in, events out, bytes to send.

Nothing in this package touches a port, a thread or a clock; see :mod:`.connection`. The
device's bytes become :mod:`.events`; what a host's bytes meant is :mod:`.host_events`, read
from someone else's traffic by :mod:`.observer`.

The names below load on first use (:mod:`workbench._lazy`): a layer that needs one module of
the core (the trace's wording, a profile) does not pay for all of them.
"""

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:
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
    from workbench.protocol.tracebacks import (
        Frame,
        RemoteException,
        SourceNamer,
        StreamReplacer,
        parse_traceback,
    )

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

_MODULES = {
    "workbench.protocol.connection": ("RUNNING_STATES", "Expectation", "RawReplConnection", "State", "Timeouts"),
    "workbench.protocol.errors": ("LocalProtocolError",),
    "workbench.protocol.events": (
        "NEED_DATA", "DeviceRebooted", "Event", "ExecAccepted", "ExecFinished", "FriendlyPrompt", "NeedData",
        "Output", "PasteAcknowledged", "PasteEndedEarly", "RawPasteAccepted", "RawPasteRefused", "RawReady",
        "SoftReboot", "StdoutEnded", "UnexpectedBytes", "WindowCredit",
    ),
    "workbench.protocol.host_events": (
        "CodeSent", "EndOfCode", "EnterRaw", "FriendlyPasteEnd", "FriendlyPasteMode", "HostEvent", "Interrupt",
        "InterruptReason", "LeaveRaw", "OwedEndOfPaste", "RawPasteRequest", "SoftReset", "Typed", "UnplacedWrite",
    ),
    "workbench.protocol.observer": ("TrafficObserver",),
    "workbench.protocol.tracebacks": ("Frame", "RemoteException", "SourceNamer", "StreamReplacer", "parse_traceback"),
}
__getattr__, __dir__ = lazy_exports(
    __name__, {name: module for module, names in _MODULES.items() for name in names}, globals()
)
