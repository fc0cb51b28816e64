"""Events the protocol state machine reports about what the device said.

They are plain frozen dataclasses so they compare by value: the property tests feed the same
bytes split in different ways and compare the resulting event lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from workbench.protocol.tracebacks import RemoteException

Stream = Literal["stdout", "stderr"]


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of everything :meth:`RawReplConnection.next_event` returns."""

    def describe(self) -> str:
        """One short phrase for the trace's annotation column."""
        return type(self).__name__


@dataclass(frozen=True, slots=True)
class FriendlyPrompt(Event):
    """The friendly REPL printed its ``>>> `` prompt."""

    def describe(self) -> str:
        return "friendly prompt '>>> '"


@dataclass(frozen=True, slots=True)
class RawReady(Event):
    """The raw REPL banner and its ``>`` prompt arrived: the device waits for code."""

    def describe(self) -> str:
        return "raw prompt '>': ready for code"


@dataclass(frozen=True, slots=True)
class ExecAccepted(Event):
    """``OK``: the device took the code (plain raw mode) and starts compiling it."""

    def describe(self) -> str:
        return "OK: code accepted, running"


@dataclass(frozen=True, slots=True)
class Output(Event):
    """A chunk of program output; ``stderr`` holds the traceback section."""

    stream: Stream
    data: bytes

    def describe(self) -> str:
        return f"{self.stream} {len(self.data)} B"


@dataclass(frozen=True, slots=True)
class StdoutEnded(Event):
    """The first ``CTRL-D`` after the code ran: stdout is complete, stderr follows."""

    def describe(self) -> str:
        return "CTRL-D: end of stdout"


@dataclass(frozen=True, slots=True)
class ExecFinished(Event):
    """The second ``CTRL-D``: the run is over; ``exception`` is parsed from stderr."""

    exception: RemoteException | None

    def describe(self) -> str:
        if self.exception is None:
            return "CTRL-D: end of stderr, run finished"
        return f"CTRL-D: end of stderr, run raised {self.exception.type_name}"


@dataclass(frozen=True, slots=True)
class RawPasteAccepted(Event):
    """``R\\x01`` + little-endian window size: raw-paste is on."""

    window: int

    def describe(self) -> str:
        return f"R CTRL-A: raw-paste accepted, window {self.window} bytes"


@dataclass(frozen=True, slots=True)
class RawPasteRefused(Event):
    """The device cannot do raw-paste; ``old_firmware`` when it re-printed the banner."""

    old_firmware: bool

    def describe(self) -> str:
        if self.old_firmware:
            return "raw banner instead of 'R': firmware before raw-paste (< 1.14), use raw mode"
        return "R NUL: raw-paste understood but not supported, use raw mode"


@dataclass(frozen=True, slots=True)
class WindowCredit(Event):
    """``CTRL-A`` during raw-paste: the device freed one window of its input buffer."""

    granted: int
    credit: int

    def describe(self) -> str:
        return f"CTRL-A: window credit +{self.granted} (now {self.credit})"


@dataclass(frozen=True, slots=True)
class PasteAcknowledged(Event):
    """The device's ``CTRL-D`` answering the host's end of paste: it compiles and runs."""

    def describe(self) -> str:
        return "CTRL-D: device read the whole paste, compiling"


@dataclass(frozen=True, slots=True)
class PasteEndedEarly(Event):
    """The device sent ``CTRL-D`` before the host finished: it stopped reading (an error)."""

    def describe(self) -> str:
        return "CTRL-D: device ended the paste early (it stops reading; host must send CTRL-D)"


@dataclass(frozen=True, slots=True)
class SoftReboot(Event):
    """``MPY: soft reboot`` (MicroPython) or ``soft reboot`` (CircuitPython)."""

    text: str

    def describe(self) -> str:
        return f"soft reboot: {self.text!r}"


@dataclass(frozen=True, slots=True)
class DeviceRebooted(Event):
    """A whole boot banner and prompt in the middle of a run (see :mod:`.reboot`): the board
    reset under the running code; ``text`` is the banner line."""

    text: str

    def describe(self) -> str:
        return f"boot banner during the run: the board reset ({self.text!r})"


@dataclass(frozen=True, slots=True)
class UnexpectedBytes(Event):
    """Bytes outside any frame: boot noise, echo, banners, or a protocol problem."""

    data: bytes
    state: str

    def describe(self) -> str:
        if self.state == "friendly REPL":
            return f"{len(self.data)} B of friendly REPL text (echo, output, banner)"
        return f"{len(self.data)} B outside a frame (while {self.state})"


@dataclass(frozen=True, slots=True)
class NeedData:
    """Sentinel: nothing more can be decided until more bytes arrive (h11's NEED_DATA)."""


NEED_DATA = NeedData()
