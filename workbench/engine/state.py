"""What a session's device is doing, typed, and the snapshot of it the worker publishes.

Why a type of its own: the protocol core's :class:`~workbench.protocol.connection.State` says
where the raw REPL conversation is; a session adds two states the core cannot know (closed by
us, gone from under us). One enum for all of them lets the UI compare and map states without
parsing text, and, being a :class:`~enum.StrEnum`, it still reads as the same words in an
f-string, a log line or a comparison with a string.

Why a snapshot: only the session's worker thread may touch the protocol core, but the app
wants to show the state, the raw-paste credit and the trace drops every quarter second. The
worker builds a :class:`SessionSnapshot` after each step and read and swaps it in whole;
reading one attribute that is replaced atomically is safe from any thread.
"""

from __future__ import annotations

import enum

from workbench.protocol.connection import State
from workbench.protocol.records import Record, record

__all__ = ["DeviceState", "SessionSnapshot", "device_state"]


class DeviceState(enum.StrEnum):
    """The protocol core's states (same names, same words), plus closed and disconnected."""

    UNKNOWN = State.UNKNOWN.value
    FRIENDLY = State.FRIENDLY.value
    ENTERING_RAW = State.ENTERING_RAW.value
    AWAIT_PROMPT = State.AWAIT_PROMPT.value
    RAW_READY = State.RAW_READY.value
    RAW_SENDING = State.RAW_SENDING.value
    AWAIT_OK = State.AWAIT_OK.value
    PASTE_NEGOTIATING = State.PASTE_NEGOTIATING.value
    PASTE_WINDOW = State.PASTE_WINDOW.value
    PASTE_SENDING = State.PASTE_SENDING.value
    PASTE_ENDING = State.PASTE_ENDING.value
    STDOUT = State.STDOUT.value
    STDERR = State.STDERR.value
    SOFT_RESETTING = State.SOFT_RESETTING.value
    LEAVING_RAW = State.LEAVING_RAW.value
    CLOSED = "closed"
    """The session was closed by the workbench."""
    DISCONNECTED = "disconnected"
    """The device went away (cable pulled, process ended, socket closed)."""

    @property
    def pasting(self) -> bool:
        """Whether a raw-paste is in flight (the window credit means something)."""
        return self in _PASTING


_PASTING = frozenset(
    {DeviceState.PASTE_NEGOTIATING, DeviceState.PASTE_WINDOW, DeviceState.PASTE_SENDING, DeviceState.PASTE_ENDING}
)
#: The core's state to the session's, by a dict lookup: asked after every trace record.
_OF_CORE: dict[State, DeviceState] = {state: DeviceState[state.name] for state in State}


def device_state(state: State) -> DeviceState:
    """The session state for the protocol core's ``state``."""
    return _OF_CORE[state]


@record
class SessionSnapshot(Record):
    """What the status bar shows of a session, as the worker last saw it."""

    state: DeviceState
    paste_credit: int | None = None
    """Raw-paste window credit while a paste is in flight, else None."""
    raw_paste_supported: bool | None = None
    """What the device answered to raw-paste (None: not asked yet on this connection)."""
    trace_drops: int = 0
    """Trace records the recorder dropped to stay within its budget."""
