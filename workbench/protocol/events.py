"""Events the protocol state machine reports about what the device said.

They are plain frozen dataclasses so they compare by value: the property tests feed the same
bytes split in different ways and compare the resulting event lists. They carry no wording:
the trace keeps them as they are (:attr:`workbench.trace.record.TraceRecord.events`) and words
them for people in one table, :mod:`workbench.trace.wording`. The host's side of the trace has
its own events, :mod:`.host_events`.
"""

from __future__ import annotations

from typing import Literal

from workbench.protocol.records import Record, record
from workbench.protocol.tracebacks import RemoteException

Stream = Literal["stdout", "stderr"]


@record
class Event(Record):
    """Base class of everything :meth:`RawReplConnection.next_event` returns."""


@record
class FriendlyPrompt(Event):
    """The friendly REPL printed its ``>>> `` prompt."""


@record
class RawReady(Event):
    """The raw REPL banner and its ``>`` prompt arrived: the device waits for code."""


@record
class ExecAccepted(Event):
    """``OK``: the device took the code (plain raw mode) and starts compiling it."""


@record
class Output(Event):
    """A chunk of a run's output. ``stdout`` is the first section: everything the code
    printed, what it wrote to ``sys.stderr`` included (boards have one serial stream).
    ``stderr`` is the second section: only the report of an uncaught exception."""

    stream: Stream
    data: bytes


@record
class StdoutEnded(Event):
    """The first ``CTRL-D`` after the code ran: the output section is complete, the error
    section (an uncaught exception's report, or nothing) follows."""


@record
class ExecFinished(Event):
    """The second ``CTRL-D``: the run is over; ``exception`` is parsed from the error section."""

    exception: RemoteException | None


@record
class RawPasteAccepted(Event):
    """``R\\x01`` + little-endian window size: raw-paste is on."""

    window: int


@record
class RawPasteRefused(Event):
    """The device cannot do raw-paste; ``old_firmware`` when it re-printed the banner."""

    old_firmware: bool


@record
class WindowCredit(Event):
    """``CTRL-A`` during raw-paste: the device freed one window of its input buffer."""

    granted: int
    credit: int


@record
class PasteAcknowledged(Event):
    """The device's ``CTRL-D`` after the host's end of paste: sent the moment it read the
    host's CTRL-D, before compiling ends (compile errors follow it). An early end that
    crossed the host's CTRL-D reads the same: it is the same byte."""


@record
class PasteEndedEarly(Event):
    """The device sent ``CTRL-D`` before the host finished: an error found while reading
    (lexer, parser, out of memory) stopped it; the host owes it one CTRL-D."""


@record
class SoftReboot(Event):
    """``MPY: soft reboot`` (MicroPython; ``PYB: soft reboot`` in 1.10 and older) or ``soft
    reboot`` (CircuitPython)."""

    text: str


@record
class DeviceRebooted(Event):
    """A whole boot banner and prompt in the middle of a run (see :mod:`.reboot`): the board
    reset under the running code; ``text`` is the banner line."""

    text: str


@record
class UnexpectedBytes(Event):
    """Bytes outside any frame: boot noise, echo, banners, or a protocol problem."""

    data: bytes
    state: str


@record
class NeedData(Record):
    """Sentinel: nothing more can be decided until more bytes arrive (h11's NEED_DATA)."""


NEED_DATA = NeedData()
