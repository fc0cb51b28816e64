"""Events that say what the host's bytes meant: the other direction of the trace.

The device's side is :mod:`.events` (what the state machine reads in the device's bytes).
These are their counterpart for writes: an interrupt, entering the raw REPL, a chunk of code,
the CTRL-D that ends it. Two places make them: the engine, for the writes it makes itself
(it knows why it wrote, hence :attr:`Interrupt.reason` and the raw-paste request's fields),
and :class:`~workbench.protocol.observer.TrafficObserver`, for the writes of another host in a
saved trace (it knows only what the bytes and the protocol state tell).

Like the device events they are frozen dataclasses that compare by value, hold no wording
(the words are in :mod:`workbench.trace.wording`), and their fields are plain values
(``int``, ``bool``, ``str``, enums), so a trace file can store them as JSON.
"""

from __future__ import annotations

import enum
from typing import Literal

from workbench.protocol import constants as c
from workbench.protocol.records import Record, record

CodeMode = Literal["raw", "raw-paste"]
"""How code goes to the device: plain raw mode (code, then CTRL-D) or raw-paste (flow controlled)."""


class InterruptReason(enum.Enum):
    """Why the workbench sent CTRL-C; a reader of someone else's trace cannot know (None)."""

    STOP_WHATEVER_RUNS = "stop_whatever_runs"
    """First step of entering the raw REPL from any state: one CTRL-C stops running code and
    cancels a half-typed line."""
    NO_PROMPT_YET = "no_prompt_yet"
    """Entering the raw REPL, when the first CTRL-C brought no friendly prompt: once more, in
    its own write, for a program that caught the first KeyboardInterrupt (an idle raw REPL,
    which answers CTRL-C with nothing, gets this one too and ignores it)."""
    ASKED = "asked"
    """An interrupt asked for while idle (stop something the board runs on its own)."""
    RUNNING_CODE = "running_code"
    """Stop the code the workbench is running (Stop pressed, or an output callback failed)."""
    STOP_UPLOAD = "stop_upload"
    """Stop a plain raw upload half way: the device drops the code, nothing runs."""
    SESSION_CLOSING = "session_closing"
    """The session closes while code runs: leave the board idle."""
    EXEC_TIMEOUT = "exec_timeout"
    """The run took longer than its exec timeout."""
    EXEC_TIMEOUT_UPLOAD = "exec_timeout_upload"
    """The exec timeout ended a plain raw upload half way: the device drops the code."""


@record
class HostEvent(Record):
    """Base class of what a host's write meant (see the module docstring)."""


@record
class Interrupt(HostEvent):
    """CTRL-C (``ctrl_c`` of them), after a CR when ``cr``: stop what runs, cancel the line.

    ``running``: code was running, so one CTRL-C raises KeyboardInterrupt in it; otherwise the
    host does not know what runs and interrupts to get a prompt. ``cr``: another host's habit
    (the workbench sends none): at a friendly prompt that CR runs a half-typed line.
    """

    ctrl_c: int
    cr: bool
    running: bool
    reason: InterruptReason | None = None

    @classmethod
    def of(cls, data: bytes, *, running: bool, reason: InterruptReason | None = None) -> Interrupt:
        """The interrupt ``data`` (``CTRL-C``, or another host's ``CR CTRL-C`` ...) makes."""
        return cls(data.count(c.CTRL_C), data.startswith(b"\r"), running, reason)


@record
class EnterRaw(HostEvent):
    """CTRL-A (after a CR when ``cr``): enter the raw REPL, or re-print its banner."""

    cr: bool


@record
class RawPasteRequest(HostEvent):
    """CTRL-E A CTRL-A at the raw prompt: ask for raw-paste.

    ``attempt``: the workbench asks a second time when the raw banner came back (a lost
    CTRL-E looks like old firmware once). ``code_follows``: the workbench knows the window
    from an earlier answer and sends the code right behind the request, without waiting.
    """

    attempt: int = 1
    code_follows: bool = False


@record
class CodeSent(HostEvent):
    """``size`` bytes of program text, in plain raw mode or raw-paste.

    Raw-paste only: ``credit_left`` is the window credit after these bytes (None when not
    counted), ``beyond`` how many bytes went past the credit (a host bug: the device may lose
    them), ``ahead`` that they went right behind the request, before the device answered it.
    """

    size: int
    mode: CodeMode
    credit_left: int | None = None
    beyond: int = 0
    ahead: bool = False


@record
class EndOfCode(HostEvent):
    """The host's CTRL-D after the code: run it (raw mode) or end of the paste (raw-paste).

    ``ahead``: raw-paste, sent right behind the request, before the device answered it.
    """

    mode: CodeMode
    ahead: bool = False


@record
class OwedEndOfPaste(HostEvent):
    """The host's CTRL-D after the device ended a paste early: the end of paste it still owed."""


@record
class SoftReset(HostEvent):
    """CTRL-D on an empty line: soft reset."""


@record
class LeaveRaw(HostEvent):
    """CTRL-B: leave the raw REPL for the friendly one."""


@record
class FriendlyPasteMode(HostEvent):
    """CTRL-E at the friendly REPL: its own paste mode (not raw-paste)."""


@record
class FriendlyPasteEnd(HostEvent):
    """CTRL-D in the friendly REPL's paste mode: run the pasted lines."""


@record
class Typed(HostEvent):
    """``size`` bytes typed at the friendly REPL, as a person would.

    ``key``: the write is one of CTRL-A, B, D, E typed on a half-typed line, where readline
    takes it as an editing key (CTRL-A: cursor to the start) rather than a command; 0 else.
    """

    size: int
    key: int = 0


@record
class UnplacedWrite(HostEvent):
    """``size`` bytes sent while no protocol step expects any (``state`` as the host saw it)."""

    size: int
    state: str
