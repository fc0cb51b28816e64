"""Step mode: the engine stops before each protocol step until the person watching says go.

Why it lives in the engine: only the engine knows what it is about to send and what it will
wait for, and only the worker thread that owns the port may pause the protocol. The UI gets a
:class:`PendingStep` (what, which bytes, what is expected back, why) through a callback and
answers with :meth:`StepController.release`. A pause is not a protocol timeout: the engine
moves its deadlines by the time spent waiting (``RawReplConnection.postpone``), and the
board itself has no timeouts in the raw REPL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

from workbench.errors import WorkbenchError
from workbench.protocol.records import Record, record
from workbench.transports.port_io import POLL_SLICE_S

StepKind = Literal[
    "interrupt",
    "enter_raw",
    "raw_paste_request",
    "send_code",
    "execute",
    "paste_window",
    "end_paste",
    "stdout_section",
    "stderr_section",
    "soft_reset",
    "leave_raw",
]



@record
class _StepText(Record):
    title: str
    expect: str
    explanation: str


STEP_TEXT: dict[StepKind, _StepText] = {
    "interrupt": _StepText(
        "interrupt (CTRL-C)",
        "the output to go quiet: a KeyboardInterrupt traceback and a prompt, or nothing at all",
        "CTRL-C (0x03) raises KeyboardInterrupt in whatever the board is running: a loop in "
        "main.py, code left over from another tool. At an idle friendly prompt it cancels the "
        "line typed so far (a CR would run it, so none is sent) and brings a fresh '>>> '; an "
        "idle raw REPL answers nothing. The host reads until the friendly prompt '>>> ' is the last "
        "thing the board sent (a REPL waiting for a line sends nothing more), else until the board "
        "has been quiet for the profile's interrupt delay, so no stale output is mistaken for an "
        "answer to what comes next. When no '>>> ' came, a second CTRL-C follows as a step of its own: a program may "
        "have caught the first, and CTRL-Cs sent together count as one.",
    ),
    "enter_raw": _StepText(
        "enter the raw REPL (CTRL-A)",
        "the banner 'raw REPL; CTRL-B to exit' and the raw prompt '>'",
        "CTRL-A (0x01) on an empty friendly line switches the board to the raw REPL, the mode "
        "made for programs: no echo, no '>>> ' prompts, no auto-indent (on a half-typed line "
        "CTRL-A only moves the cursor, which is why the CTRL-C came first; the CR before it "
        "only brings one more '>>> '). The board collects whatever it receives as code until "
        "CTRL-D. If the board is already in the raw REPL it prints the banner again, which is "
        "just as good. The host sends nothing more until the '>' has come.",
    ),
    "raw_paste_request": _StepText(
        "ask for raw-paste (CTRL-E 'A' CTRL-A)",
        "'R' 0x01, the window size as two bytes (little-endian) and a CTRL-A; or 'R' 0x00 "
        "(refused); or, on firmware before 1.14, the raw banner again",
        "Raw-paste (MicroPython 1.14 and later) adds flow control to the raw REPL: the board "
        "announces a window (half its input buffer) and grants it twice at the start, so the "
        "host may send that much before it must wait. Boards without it either refuse with "
        "'R' 0x00 or, on older firmware, treat the bytes as raw input and reprint the banner; "
        "the host then falls back to plain raw mode.",
    ),
    "send_code": _StepText(
        "send the code (plain raw mode)",
        "nothing: the board stores the code silently until CTRL-D",
        "In plain raw mode there is no flow control, so the host writes the code in pieces of "
        "the profile's chunk size, a chunk delay apart, giving a slow board time to empty its "
        "receive buffer.",
    ),
    "execute": _StepText(
        "execute (CTRL-D)",
        "'OK', then the code's output",
        "CTRL-D (0x04) ends the code. The board answers 'OK' at once, compiles the code and "
        "runs it; what it prints follows the OK.",
    ),
    "paste_window": _StepText(
        "send code within the window (raw-paste)",
        "a CTRL-A from the board each time it has read a whole window (more credit)",
        "The host sends only as much code as its credit allows. Each CTRL-A (0x01) from the "
        "board grants one more window, so its input buffer can never overflow however slow "
        "the board or the link is.",
    ),
    "end_paste": _StepText(
        "end the paste (CTRL-D)",
        "CTRL-D from the board (paste received; after an early end it came already), then the code's output",
        "CTRL-D (0x04) tells the board the paste is complete. It answers with its own CTRL-D "
        "the moment it reads it, then compiles and runs the code (a compile error comes after "
        "that CTRL-D); there is no 'OK' in raw-paste mode. If the board already ended the paste "
        "early (its lexer or parser met an error), this is the one CTRL-D it waits for; the "
        "host never sends a second, which would soft-reset the board.",
    ),
    "stdout_section": _StepText(
        "read the output section",
        "what the code prints, up to a CTRL-D (0x04)",
        "The board is running the code. Everything it writes arrives now, sys.stderr included "
        "(a board has one serial stream), and ends with CTRL-D (0x04), whether the code "
        "finishes normally or raises.",
    ),
    "stderr_section": _StepText(
        "read the error section",
        "a traceback or nothing, a CTRL-D, then the raw prompt '>'",
        "The output section has ended. What comes before the next CTRL-D is the error section: "
        "empty when no exception escaped the code, else its traceback, and nothing else. The raw "
        "prompt '>' follows: the board is ready for the next program (after sys.exit() it "
        "soft-reboots instead).",
    ),
    "soft_reset": _StepText(
        "soft reset (CTRL-D at the raw prompt)",
        "'OK', 'MPY: soft reboot' (CircuitPython: 'soft reboot'), anything boot.py prints, then "
        "the raw REPL banner and '>'",
        "CTRL-D on an empty raw line restarts the interpreter: variables, imports and the heap "
        "are gone. MicroPython runs boot.py again (not main.py: it is in the raw REPL); "
        "CircuitPython runs boot.py only at power-up, never on a soft reboot. Then the board "
        "comes back to the raw prompt.",
    ),
    "leave_raw": _StepText(
        "leave the raw REPL (CTRL-B)",
        "the board's banner and the friendly prompt '>>> '",
        "CTRL-B (0x02) returns to the friendly REPL, the one made for people: echo, '>>> ' "
        "prompts, line editing and auto-indent.",
    ),
}


@record
class PendingStep(Record):
    """What the engine is about to do, waiting for the person to say go."""

    number: int
    kind: StepKind
    title: str
    data: bytes
    """Bytes about to be sent (empty for the output sections, which are read, not sent)."""
    expect: str
    explanation: str
    detail: str = ""
    """The engine's own note (sizes, credit left), as the trace will show it."""


class StepStopped(WorkbenchError):
    """Stop was pressed while the engine waited before a step; the board is brought back."""


class StepController:
    """The handshake between the worker (:meth:`wait`) and the UI (:meth:`release`).

    ``on_pending`` is called on the worker thread with each step; it must only hand the step
    on (post a message). Thread-safe: ``release`` and ``disable`` may come from any thread.
    """

    def __init__(self, on_pending: Callable[[PendingStep], None]) -> None:
        self._on_pending = on_pending
        self._go = threading.Event()
        self._enabled = True
        self._count = 0
        self.waiting: PendingStep | None = None
        """The step waiting for go right now (None between steps)."""

    @property
    def enabled(self) -> bool:
        """Whether steps still stop (False once step mode is left)."""
        return self._enabled

    def release(self) -> None:
        """Go: the step waiting now is carried out."""
        self._go.set()

    def disable(self) -> None:
        """Leave step mode: the step waiting now and all later ones go ahead at once."""
        self._enabled = False
        self._go.set()

    def wait(
        self,
        kind: StepKind,
        data: bytes,
        detail: str,
        *,
        cancelled: Callable[[], str | None],
        clock: Callable[[], float],
    ) -> float:
        """(worker) Announce the step and block until released; returns the seconds paused.

        ``cancelled()`` returns a reason when the wait must end without the step (Stop was
        pressed, the session is closing): :class:`StepStopped` is raised with it.
        """
        if not self._enabled:
            return 0.0
        self._count += 1
        text = STEP_TEXT[kind]
        self._go.clear()
        step = PendingStep(self._count, kind, text.title, bytes(data), text.expect, text.explanation, detail)
        self.waiting = step
        self._on_pending(step)
        started = clock()
        try:
            while not self._go.wait(POLL_SLICE_S):
                reason = cancelled()
                if reason is not None:
                    raise StepStopped(f"stopped before step {self._count} ({text.title}): {reason}")
        finally:
            self.waiting = None
        return clock() - started
