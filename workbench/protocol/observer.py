"""Reading someone else's traffic: both directions of a trace the workbench did not make.

The engine *drives* a :class:`~workbench.protocol.connection.RawReplConnection`: it asks for
the bytes of a request and writes them. A saved trace, a reference transcript or another
tool's session is the other way round: the host's bytes are given, and the reader must work
out what they meant and follow the protocol state they lead to. :class:`TrafficObserver` is a
connection that does that for the host's writes (:meth:`TrafficObserver.observe_sent`) while
reading the device's bytes exactly as the engine does, so a trace reads the same whoever made
it. Unlike the request methods it never refuses: it is a reader's view, not a host.
"""

from __future__ import annotations

from workbench.protocol import constants as c
from workbench.protocol.connection import RUNNING_STATES, RawReplConnection, State
from workbench.protocol.events import Event
from workbench.protocol.host_events import (
    CodeSent,
    EndOfCode,
    EnterRaw,
    FriendlyPasteEnd,
    FriendlyPasteMode,
    HostEvent,
    Interrupt,
    LeaveRaw,
    OwedEndOfPaste,
    RawPasteRequest,
    SoftReset,
    Typed,
    UnplacedWrite,
)

#: Keys that are commands on an empty friendly line and editing keys on a half-typed one.
_LINE_EDIT_KEYS = frozenset({c.CTRL_A, c.CTRL_B, c.CTRL_D, c.CTRL_E})


class TrafficObserver(RawReplConnection):
    """A connection that follows a host's writes instead of making them (see the module)."""

    def __init__(self) -> None:
        super().__init__()
        #: The friendly REPL's own paste mode (CTRL-E ... CTRL-D) is on.
        self._friendly_paste = False
        #: Something is typed on the friendly input line (no Enter, no CTRL-C since): there
        #: CTRL-A, B, D and E are editing keys, not commands (readline.c).
        self._line_typed = False

    def observe_received(self, data: bytes, now: float) -> tuple[Event, ...]:
        """Feed bytes the device sent; the events they completed."""
        self.receive_data(data, now)
        return tuple(self.events())

    def observe_sent(self, data: bytes, now: float) -> tuple[HostEvent, ...]:
        """Follow bytes that *some* host wrote and say what they meant (empty for no bytes)."""
        self._now = now
        if not data:
            return ()
        stripped = data.lstrip(b"\r")
        cr = len(stripped) < len(data)
        if stripped and set(stripped) == {c.CTRL_C}:
            self._friendly_paste = False
            self._line_typed = False
            running = self.state in RUNNING_STATES
            self.interrupt(now)
            return (Interrupt(len(stripped), cr, running),)
        if self.state is State.UNKNOWN:
            self._assume_state_from_host(data)
        if self.state is not State.FRIENDLY:
            self._line_typed = False
        elif self._line_typed and len(data) == 1 and data[0] in _LINE_EDIT_KEYS:
            return (Typed(1, key=data[0]),)  # CTRL-A moves the cursor on a half-typed line, and so on
        if stripped == b"\x01" and self.state not in RUNNING_STATES:
            self.enter_raw(now)
            return (EnterRaw(cr),)
        if data == c.RAW_PASTE_REQUEST and self.state is State.RAW_READY:
            self.request_raw_paste(now)
            return (RawPasteRequest(),)
        if data == c.LEAVE_RAW and self.state not in RUNNING_STATES:
            self.leave_raw(now)
            return (LeaveRaw(),)
        if self.state is State.FRIENDLY:
            return (self._observe_friendly(data, now),)
        if data == c.END_OF_INPUT and self.state is State.RAW_READY:
            self.soft_reset(now)
            return (SoftReset(),)
        if self.state in (State.PASTE_NEGOTIATING, State.PASTE_WINDOW) and self.window:
            # Code right behind the request: a host that remembered the window.
            if not self._raw_paste:
                self._raw_paste = True
                self._pipelined_window = self.window
                self.credit = self.window
            return self._observe_paste(data, now, ahead=True)
        if self.state is State.PASTE_SENDING:
            return self._observe_paste(data, now, ahead=False)
        if self.state in (State.RAW_READY, State.RAW_SENDING):
            ends = data.endswith(c.END_OF_INPUT)
            body = len(data) - ends
            if ends:
                self._set_state(State.AWAIT_OK, now + self.timeouts.response_s)
            else:
                self._set_state(State.RAW_SENDING, None)
            events: list[HostEvent] = [CodeSent(body, "raw")] if body else []
            if ends:
                events.append(EndOfCode("raw"))
            return tuple(events)
        if self._eof_owed and data == c.END_OF_INPUT:
            self._eof_owed = False
            return (OwedEndOfPaste(),)
        return (UnplacedWrite(len(data), self.state.value),)

    def _assume_state_from_host(self, data: bytes) -> None:
        """A trace that starts mid-session: what the host sent tells where it believed the
        device was (a line typed with CR: friendly REPL; code or a raw-paste request: raw).
        """
        if data.endswith(b"\r") or data == b"\x05":
            self._set_state(State.FRIENDLY, None)
        elif data[:1] not in (b"\x01", b"\x03"):
            self._set_state(State.RAW_READY, None)

    def _observe_friendly(self, data: bytes, now: float) -> HostEvent:
        """The friendly REPL: typed lines, its own paste mode (CTRL-E ... CTRL-D), CTRL-D."""
        if data == b"\x05":
            self._friendly_paste = True
            return FriendlyPasteMode()
        if data == c.END_OF_INPUT:
            if self._friendly_paste:
                self._friendly_paste = False
                return FriendlyPasteEnd()
            self.soft_reset(now)
            return SoftReset()
        if not self._friendly_paste:
            line = data.rsplit(b"\r", 1)[-1]
            self._line_typed = any(0x20 <= byte < 0x7F for byte in line)
        return Typed(len(data))

    def _observe_paste(self, data: bytes, now: float, *, ahead: bool) -> tuple[HostEvent, ...]:
        ends = data.endswith(c.END_OF_INPUT)
        body = len(data) - ends
        self.credit -= body
        self._raw_paste = True
        events: list[HostEvent] = []
        if body:
            events.append(CodeSent(body, "raw-paste", max(self.credit, 0), max(-self.credit, 0), ahead))
        if ends:
            self._paste_eof_sent = True
            if self.state is State.PASTE_SENDING:
                self._set_state(State.PASTE_ENDING, now + self.timeouts.response_s)
            events.append(EndOfCode("raw-paste", ahead))
        return tuple(events)
