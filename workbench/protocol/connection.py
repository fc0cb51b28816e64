"""The host side of the raw REPL and raw-paste protocols as a pure state machine.

Modelled on h11: the caller feeds device bytes with :meth:`RawReplConnection.receive_data`,
pulls :mod:`events <workbench.protocol.events>` with :meth:`next_event`, and asks for the
bytes of a request (``interrupt()``, ``enter_raw()``, ...), which it then writes itself.
No I/O, no threads, no clocks: the current time is an argument, and the next deadline is a
value (:attr:`deadline`) that the caller checks. That keeps the protocol testable with
recorded transcripts and makes the same code drive real ports, simulated boards and the
offline trace viewer.

What the device does is ``shared/runtime/pyexec.c`` in MicroPython (the friendly REPL's
keys are ``shared/readline/readline.c``, the reboot text each port's ``main.c``):

* raw REPL: no echo; code then CTRL-D; ``OK``; the output section (called stdout here:
  everything the code printed, ``sys.stderr`` included); CTRL-D; the error section (called
  stderr: only an uncaught exception's report); CTRL-D; ``>``;
* raw-paste: ``CTRL-E A CTRL-A`` answered by ``R\\x01`` + u16 window (or ``R\\x00``, or the
  raw banner on firmware older than 1.14); the host never sends beyond its credit; the
  device grants a window with CTRL-A each time it has read one, and sends CTRL-D the moment
  it reads the host's CTRL-D (compile errors follow it) or when an error found while
  reading stops it early: the same byte, so a host that already sent its CTRL-D never
  sends another (an extra one would land on the empty raw line and soft-reset the board);
* CTRL-D on an empty raw line: ``OK``, then a soft reboot.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

from workbench.protocol import constants as c
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
from workbench.protocol.reboot import find_reboot
from workbench.protocol.records import Record, record
from workbench.protocol.scanner import scan
from workbench.protocol.tracebacks import parse_traceback


class State(enum.Enum):
    """What the host believes the device is doing; values read well in error messages."""

    UNKNOWN = "state unknown"
    FRIENDLY = "friendly REPL"
    ENTERING_RAW = "entering the raw REPL"
    AWAIT_PROMPT = "waiting for the raw prompt"
    RAW_READY = "raw REPL, ready"
    RAW_SENDING = "sending code (raw mode)"
    AWAIT_OK = "waiting for OK"
    PASTE_NEGOTIATING = "asking for raw-paste"
    PASTE_WINDOW = "reading the raw-paste window size"
    PASTE_SENDING = "sending code (raw-paste)"
    PASTE_ENDING = "waiting for the end-of-paste acknowledgement"
    STDOUT = "running (stdout)"
    STDERR = "running (stderr)"
    SOFT_RESETTING = "soft reset"
    LEAVING_RAW = "leaving the raw REPL"

    # Members are singletons compared by identity, so the identity hash is theirs too, and it
    # is computed in C: Enum's own hashes the name in Python, several times per read and write
    # (the sets and tables of states below), a fifth of the core's time during a paste.
    __hash__ = object.__hash__


#: States in which code may be running on the device: only an interrupt makes sense.
RUNNING_STATES = frozenset(
    {State.AWAIT_OK, State.PASTE_SENDING, State.PASTE_ENDING, State.STDOUT, State.STDERR}
)

_BANNERS = ((c.RAW_BANNER, "banner"), (c.RAW_BANNER_LF, "banner"))
_REBOOTS = tuple((line, "reboot") for line in c.SOFT_REBOOT_LINES)
_IDLE_PATTERNS = ((c.FRIENDLY_PROMPT, "friendly"), *_BANNERS, *_REBOOTS)
_PROMPT_PATTERNS = ((c.RAW_PROMPT, "prompt"), *_BANNERS, *_REBOOTS)
_PASTE_PATTERNS = ((c.RAW_PASTE_ACCEPTED, "accepted"), (c.RAW_PASTE_REFUSED, "refused"), *_BANNERS)
_RESET_PATTERNS = ((c.OK, "ok"), *_IDLE_PATTERNS)

_PASTE_WRITABLE = frozenset({State.PASTE_SENDING, State.PASTE_NEGOTIATING, State.PASTE_WINDOW})

#: Keep at most this much of a traceback for parsing; output itself streams through.
_STDERR_KEEP = 64 * 1024


@record
class Timeouts(Record):
    """How long the host waits for each kind of answer, in seconds.

    ``response_s`` bounds every wait for a protocol reply (banner, ``OK``, window credit,
    prompt); ``reset_s`` a soft reboot, which runs ``boot.py`` and may take longer.
    """

    response_s: float = 2.0
    reset_s: float = 10.0


@record
class Expectation(Record):
    """What the host waits for: the step, the bytes expected, and until when."""

    step: str
    expected: str
    deadline: float | None
    since: float = 0.0
    overall: bool = False
    """True when the caller's budget for the whole operation (an exec timeout) is what ends
    the wait, rather than the step's own response timeout."""


@dataclass(slots=True)
class _Command:
    """The request in flight and what completes it; see RawReplConnection.expectation."""

    kind: str
    step: str
    expected: str
    progress: str = ""


#: States where the device waits for the host: no answer will come on its own.
_IDLE_STATES = frozenset({State.UNKNOWN, State.FRIENDLY, State.RAW_READY})


class RawReplConnection:
    """Host-side raw REPL protocol state; see the module docstring."""

    def __init__(self, timeouts: Timeouts | None = None, *, now: float = 0.0) -> None:
        self.timeouts = timeouts or Timeouts()
        self.state = State.UNKNOWN
        self.window = 0
        self.credit = 0
        self._buf = bytearray()
        self._events: deque[Event] = deque()
        self._stderr = bytearray()
        self._code = b""
        self._offset = 0
        self._raw_paste = False
        self._pipelined_window = 0
        self._paste_eof_sent = False
        self._chunk_size = 0
        self._chunk_delay = 0.0
        self._paste_limit = 0
        self._next_chunk_at = 0.0
        self._eof_owed = False
        self._run_deadline: float | None = None
        self._now = now
        self._expect = Expectation("connect", "anything", None, now)
        self._last_reboot = b""
        self._line_start = True
        self._command: _Command | None = None
        self._budget: float | None = None
        self._budget_since = now
        self._budget_step = ""

    # ------------------------------------------------------------------ device side
    def receive_data(self, data: bytes, now: float) -> None:
        """Feed bytes read from the device; events become available from next_event()."""
        self._now = now
        if not data:
            return
        self._buf += data
        self._process()

    def next_event(self) -> Event | NeedData:
        """The next event, or NEED_DATA when the buffered bytes decide nothing more."""
        if self._events:
            return self._events.popleft()
        return NEED_DATA

    def events(self) -> list[Event]:
        """Drain every available event (convenience for tests and the annotator)."""
        out = list(self._events)
        self._events.clear()
        return out

    @property
    def deadline(self) -> float | None:
        """When the device must next have answered, or None when no answer is due."""
        return self.expectation.deadline

    @property
    def expectation(self) -> Expectation:
        """The step and expected bytes, for a timeout message that names them.

        While a request is in flight every state has a deadline: a device that falls back to
        an idle prompt before answering it (a raw banner printed by the code, a reset in the
        middle of an upload) will never answer on its own, so the wait ends one response
        timeout after it went idle. The caller's budget (:meth:`set_budget`) caps it all.
        """
        expect = self._expect
        command = self._command
        if command is not None and expect.deadline is None and self.state in _IDLE_STATES:
            expect = Expectation(
                command.step,
                f"{command.expected} (the device went idle instead: {self.state.value})",
                expect.since + self.timeouts.response_s,
                expect.since,
            )
        budget = self._budget
        if budget is not None and (expect.deadline is None or budget < expect.deadline):
            return Expectation(
                f"{self._budget_step} ({expect.step})", expect.expected, budget, self._budget_since, overall=True
            )
        return expect

    @property
    def in_flight(self) -> str | None:
        """The step of the request the device has not fully answered yet, or None."""
        return None if self._command is None else self._command.step

    def set_budget(self, deadline: float | None, step: str = "", now: float | None = None) -> None:
        """Bound everything from now on by ``deadline`` (None: no bound): the caller's whole
        operation (an exec with its timeout: entering the raw REPL, the upload and the run)."""
        self._budget = deadline
        self._budget_step = step
        if now is not None:
            self._budget_since = now

    @property
    def pending_bytes(self) -> bytes:
        """Bytes held back because they may start a pattern (shown in timeout errors)."""
        return bytes(self._buf)

    @property
    def end_of_paste_owed(self) -> bool:
        """The device ended a paste early and :meth:`data_to_send` will next give the one
        CTRL-D the host owes it (never a second: see the module docstring)."""
        return self._eof_owed

    @property
    def code_remaining(self) -> int:
        """Code bytes not yet handed out by :meth:`data_to_send`."""
        return len(self._code) - self._offset

    # ------------------------------------------------------------------ host requests
    def interrupt(self, now: float) -> bytes:
        """CTRL-C: stop running code, or stop whatever runs and cancel a half-typed line.

        While code runs, a CTRL-C raises KeyboardInterrupt and the run ends normally with its
        traceback. In other states the host does not know what runs: the same single CTRL-C
        cancels a line typed at the friendly prompt (no CR before it: a CR would run that
        line) and stops a program. Several CTRL-Cs in one write would count as one interrupt,
        so a host that wants a second (a program may catch the first) asks for it again once
        the first was handled.
        """
        self._now = now
        if self.state in (State.STDOUT, State.STDERR, State.AWAIT_OK, State.PASTE_ENDING):
            # A device that ended a paste early waits for CTRL-C or CTRL-D: this one will do,
            # and a CTRL-D sent later would land on an empty raw line and soft-reset it.
            self._eof_owed = False
            return c.INTERRUPT_RUNNING
        if self.state is State.PASTE_SENDING:
            # The device's reader takes CTRL-C as end of input and answers with CTRL-D.
            self._drop_code()
            self._set_state(State.PASTE_ENDING, now + self.timeouts.response_s)
            return c.INTERRUPT_RUNNING
        if self.state in (State.RAW_READY, State.RAW_SENDING):
            self._drop_code()
            self._set_state(State.RAW_READY, None)
            return c.INTERRUPT_RUNNING  # CTRL-C on a raw line just clears it
        if self.state is not State.FRIENDLY:
            self._set_state(State.UNKNOWN, None)
        self._command = None
        return c.INTERRUPT_IDLE

    def enter_raw(self, now: float) -> bytes:
        """CR CTRL-A: enter the raw REPL (or re-print its banner when already there).

        Sent after :meth:`interrupt` emptied the line: CTRL-A is a command only on an empty
        friendly line, and there the CR only brings one more ``>>> ``.
        """
        self._now = now
        self._refuse_while_running("enter the raw REPL")
        self._drop_code()
        self._set_state(State.ENTERING_RAW, now + self.timeouts.response_s)
        self._begin("enter_raw")
        return c.ENTER_RAW

    def request_raw_paste(self, now: float, *, known_window: int = 0) -> bytes:
        """CTRL-E A CTRL-A at the raw prompt: ask whether raw-paste is available.

        ``known_window``: the window this device announced earlier on this connection. The
        host may then queue code at once (send_code) and send up to one window of it right
        behind the request: the device reads the request, answers, and finds those bytes in
        its input buffer, exactly as if they had been sent after the answer. That saves a
        round trip per run; the credit is corrected when the answer arrives.
        """
        self._now = now
        self._require(State.RAW_READY, "ask for raw-paste")
        self._set_state(State.PASTE_NEGOTIATING, now + self.timeouts.response_s)
        self._begin("raw_paste")
        self._pipelined_window = max(0, known_window)
        self._paste_eof_sent = False
        self._raw_paste = False
        self.credit = self._pipelined_window
        return c.RAW_PASTE_REQUEST

    def send_code(
        self,
        code: bytes,
        now: float,
        *,
        chunk_size: int = 0,
        chunk_delay_s: float = 0.0,
        run_timeout_s: float | None = None,
        paste_write_limit: int = 0,
    ) -> None:
        """Queue code for :meth:`data_to_send`; raw-paste if it was just accepted.

        Plain raw mode hands the code out in ``chunk_size`` pieces at most every
        ``chunk_delay_s`` (slow boards lose bytes otherwise); raw-paste never beyond the
        window credit, and with ``paste_write_limit`` > 0 in pieces of at most that many bytes,
        also ``chunk_delay_s`` apart (a USB bridge that loses bytes in bursts).
        ``run_timeout_s`` bounds the whole run (None: code may run forever).
        """
        self._now = now
        if not code:
            raise LocalProtocolError("empty code: CTRL-D on an empty raw line would soft-reset")
        negotiating = self.state in (State.PASTE_NEGOTIATING, State.PASTE_WINDOW)
        if not self._raw_paste and (
            self.state is State.PASTE_SENDING or (negotiating and self._pipelined_window)
        ):
            self._raw_paste = True
            self._paste_eof_sent = False
        elif self.state is State.RAW_READY:
            self._raw_paste = False
            self._set_state(State.RAW_SENDING, None)
        else:
            raise LocalProtocolError(
                f"cannot send code while {self.state.value}: enter the raw REPL first"
            )
        self._begin("exec")
        self._code = bytes(code)
        self._offset = 0
        self._chunk_size = chunk_size if chunk_size > 0 else len(code)
        self._chunk_delay = max(0.0, chunk_delay_s)
        self._paste_limit = max(0, paste_write_limit)
        self._next_chunk_at = now
        self._run_deadline = None if run_timeout_s is None else now + run_timeout_s

    def data_to_send(self, now: float) -> bytes:
        """Bytes the host may write now: code within credit or pacing, then CTRL-D.

        Returns b"" when it must wait (no credit, or the next plain-raw chunk is not due:
        see :attr:`next_send_at`).
        """
        self._now = now
        if self._eof_owed:
            self._eof_owed = False
            return c.END_OF_INPUT
        if self._raw_paste and self.state in _PASTE_WRITABLE and not self._paste_eof_sent:
            return self._paste_data(now)
        if self.state is State.RAW_SENDING:
            return self._raw_data(now)
        return b""

    @property
    def next_send_at(self) -> float | None:
        """When :meth:`data_to_send` will next have something (plain raw pacing)."""
        if self._eof_owed:
            return self._now
        if self.state is State.RAW_SENDING:
            return self._next_chunk_at
        if self._raw_paste and self.state in _PASTE_WRITABLE and not self._paste_eof_sent and self.credit > 0:
            return max(self._now, self._next_chunk_at) if self._paste_limit else self._now
        return None

    def program_input(self, data: bytes, now: float) -> bytes:
        """``data`` for the running code's stdin (the blocks of a file transfer, read by a small
        program on the board): allowed only while the code runs and prints its first section.

        No state changes: the bytes go to the program, not to the REPL. The caller must keep
        out the bytes the board acts on while code runs (CTRL-C raises KeyboardInterrupt) and
        those the raw REPL would act on should the program end early (the file transfer
        escapes them, see :mod:`workbench.files.codec`).
        """
        self._now = now
        self._require(State.STDOUT, "send input to the running code")
        return data

    def soft_reset(self, now: float) -> bytes:
        """CTRL-D on an empty line: soft reboot (raw REPL: the board stays in raw mode)."""
        self._now = now
        if self.state not in (State.RAW_READY, State.FRIENDLY):
            raise LocalProtocolError(
                f"cannot soft-reset while {self.state.value}: enter the raw REPL first"
            )
        self._set_state(State.SOFT_RESETTING, now + self.timeouts.reset_s)
        self._begin("soft_reset")
        return c.END_OF_INPUT

    def leave_raw(self, now: float) -> bytes:
        """CTRL-B: back to the friendly REPL and its banner."""
        self._now = now
        self._refuse_while_running("leave the raw REPL")
        self._set_state(State.LEAVING_RAW, now + self.timeouts.response_s)
        self._begin("leave_raw")
        return c.LEAVE_RAW

    def set_run_deadline(self, deadline: float | None) -> None:
        """Move the deadline of the current run (the engine's exec timeout and recovery)."""
        self._run_deadline = deadline
        if self.state in (State.STDOUT, State.STDERR, State.AWAIT_OK, State.PASTE_ENDING):
            self._expect = Expectation(self._expect.step, self._expect.expected, deadline, self._now)

    def postpone(self, seconds: float) -> None:
        """The host paused on purpose (step mode) for ``seconds``: move every deadline that
        much later, so time spent waiting for a person is not taken for a silent device."""
        if seconds <= 0:
            return
        if self._expect.deadline is not None:
            self._expect = Expectation(
                self._expect.step, self._expect.expected, self._expect.deadline + seconds, self._expect.since + seconds
            )
        if self._run_deadline is not None:
            self._run_deadline += seconds
        if self._budget is not None:
            self._budget += seconds

    def mark_unknown(self) -> None:
        """Forget what we believed (after a timeout or a reconnect); buffered bytes go too."""
        self._drop_code()
        self._buf.clear()
        self._stderr.clear()
        self._command = None
        self._set_state(State.UNKNOWN, None)

    # ------------------------------------------------------------------ internals
    def _begin(self, kind: str) -> None:
        step, expected = _COMMANDS[kind]
        self._command = _Command(kind, step, expected)

    def _track(self, event: Event) -> None:
        """Follow the request in flight to its end (see :attr:`expectation`)."""
        command = self._command
        if command is None:
            return
        done = False
        if isinstance(event, ExecFinished | SoftReboot):
            command.progress = "ended"
        if isinstance(event, RawReady):
            done = command.kind in ("enter_raw", "raw_paste") or command.progress == "ended"
        elif isinstance(event, FriendlyPrompt) and self.state is State.FRIENDLY:
            # After a reboot a board may come back in the friendly REPL (sys.exit, a reset).
            done = command.kind == "leave_raw" or command.progress == "ended"
        elif isinstance(event, RawPasteAccepted):
            done = command.kind == "raw_paste"
        elif isinstance(event, DeviceRebooted):
            done = True
        if done:
            self._command = None
    def _refuse_while_running(self, what: str) -> None:
        if self.state in RUNNING_STATES:
            raise LocalProtocolError(f"cannot {what} while {self.state.value}: interrupt first")

    def _require(self, state: State, what: str) -> None:
        if self.state is not state:
            raise LocalProtocolError(f"cannot {what} while {self.state.value}")

    def _drop_code(self) -> None:
        self._code = b""
        self._offset = 0
        self._eof_owed = False

    def _set_state(self, state: State, deadline: float | None) -> None:
        if state is not self.state and state in (State.STDOUT, State.STDERR):
            self._line_start = True  # a section starts a line: a reboot may print at once
        self.state = state
        self._expect = Expectation(state.value, _EXPECTED[state], deadline, self._now)

    def _after_early_end(self) -> None:
        """STDOUT after the device ended a paste early: nothing of the code runs (the early end
        is a compile error, or memory ran out while compiling), so the error and the prompt
        follow the host's CTRL-D at once. A device that stays silent is not running a program
        but stuck (a build whose raw-paste is broken): the response timeout applies, not the
        run's."""
        deadline = self._now + self.timeouts.response_s
        if self._run_deadline is not None:
            deadline = min(deadline, self._run_deadline)
        self._set_state(State.STDOUT, deadline)
        self._expect = Expectation(
            EARLY_END_STEP,
            "CTRL-D, the compile error, CTRL-D and the raw prompt '>'",
            deadline,
            self._now,
        )

    def _raw_data(self, now: float) -> bytes:
        if now < self._next_chunk_at:
            return b""
        end = min(len(self._code), self._offset + self._chunk_size)
        chunk = self._code[self._offset : end]
        self._offset = end
        self._next_chunk_at = now + self._chunk_delay
        if self._offset >= len(self._code):
            self._drop_code()
            self._set_state(State.AWAIT_OK, now + self.timeouts.response_s)
            return chunk + c.END_OF_INPUT
        return chunk

    def _paste_data(self, now: float) -> bytes:
        n = min(self.credit, len(self._code) - self._offset)
        if n <= 0 and self._offset < len(self._code):
            return b""  # still waiting for credit: the deadline set when it ran out stands
        if self._paste_limit:
            if now < self._next_chunk_at:
                return b""  # paced: see next_send_at
            n = min(n, self._paste_limit)
            self._next_chunk_at = now + self._chunk_delay
        chunk = self._code[self._offset : self._offset + n]
        self._offset += n
        self.credit -= n
        if self._offset >= len(self._code):
            self._drop_code()
            self._paste_eof_sent = True
            if self.state is State.PASTE_SENDING:
                self._set_state(State.PASTE_ENDING, now + self.timeouts.response_s)
            # (pipelined: still negotiating; the answer moves on to PASTE_ENDING)
            return chunk + c.END_OF_INPUT
        if self.credit == 0 and self.state is State.PASTE_SENDING:
            self._expect = Expectation(
                "sending code (raw-paste)",
                "CTRL-A (window credit) from the device",
                now + self.timeouts.response_s,
                now,
            )
        return chunk

    def _emit(self, event: Event) -> None:
        self._events.append(event)
        self._track(event)

    def _stray(self, data: bytes | bytearray) -> None:
        if data:
            self._emit(UnexpectedBytes(bytes(data), self.state.value))

    def _process(self) -> None:
        """Turn as much of the buffer as possible into events."""
        while self._buf:
            handler = _HANDLERS.get(self.state, RawReplConnection._on_idle)
            if not handler(self):
                return

    # Each handler consumes from self._buf and returns True when it made progress.
    def _on_common(self, key: str | None) -> bool:
        """Patterns that mean the same thing in every waiting state."""
        if key == "banner":
            self._set_state(State.AWAIT_PROMPT, self._now + self.timeouts.response_s)
            return True
        if key == "reboot":
            self._emit(SoftReboot(_REBOOT_TEXT[self._last_reboot]))
            # After a reboot the board prints boot output, then a banner and prompt.
            self._set_state(State.UNKNOWN, self._now + self.timeouts.reset_s)
            return True
        if key == "friendly":
            if self.state is not State.ENTERING_RAW:
                self._set_state(State.FRIENDLY, None)
            self._emit(FriendlyPrompt())
            return True
        return key is not None

    def _scan_common(self, patterns: tuple[tuple[bytes, str], ...]) -> str | None:
        match, safe = scan(self._buf, patterns)
        if safe:
            self._stray(self._buf[:safe])
        if match is None:
            del self._buf[:safe]
            return None
        if match.key == "reboot":
            self._last_reboot = bytes(self._buf[match.start : match.end])
        del self._buf[: match.end]
        return match.key

    def _on_idle(self) -> bool:
        key = self._scan_common(_IDLE_PATTERNS)
        return self._on_common(key)

    def _on_await_prompt(self) -> bool:
        key = self._scan_common(_PROMPT_PATTERNS)
        if key == "prompt":
            self._set_state(State.RAW_READY, None)
            self._emit(RawReady())
            return True
        return self._on_common(key)

    def _on_await_ok(self) -> bool:
        key = self._scan_common(((c.OK, "ok"), *_BANNERS, *_REBOOTS))
        if key == "ok":
            self._set_state(State.STDOUT, self._run_deadline)
            self._emit(ExecAccepted())
            return True
        return self._on_common(key)

    def _on_paste_negotiating(self) -> bool:
        key = self._scan_common(_PASTE_PATTERNS)
        if key == "accepted":
            self._set_state(State.PASTE_WINDOW, self._now + self.timeouts.response_s)
            return True
        if key == "refused":
            self._emit(RawPasteRefused(old_firmware=False))
            self._set_state(State.AWAIT_PROMPT, self._now + self.timeouts.response_s)
            return True
        if key == "banner":
            # Old firmware put CTRL-E and 'A' in its line buffer and took CTRL-A as "print
            # the banner again"; the buffer is empty again and a '>' follows.
            self._emit(RawPasteRefused(old_firmware=True))
        return self._on_common(key)

    def _on_paste_window(self) -> bool:
        if len(self._buf) < 2:
            return False
        self.window = self._buf[0] | (self._buf[1] << 8)
        del self._buf[:2]
        # The size itself grants one window (CTRL-A grants another). Code sent ahead of
        # the answer already used part of it.
        if self._raw_paste and self._pipelined_window:
            self.credit += self.window - self._pipelined_window
        else:
            self.credit = self.window
            self._raw_paste = False
        self._pipelined_window = 0
        if self._paste_eof_sent:
            self._set_state(State.PASTE_ENDING, self._now + self.timeouts.response_s)
        else:
            self._set_state(State.PASTE_SENDING, None)
            if self._raw_paste and self.credit <= 0 and self.code_remaining > 0:
                # Code sent ahead of the answer used up the credit: the next CTRL-A is due.
                self._expect = Expectation(
                    "sending code (raw-paste)",
                    "CTRL-A (window credit) from the device",
                    self._now + self.timeouts.response_s,
                    self._now,
                )
        self._emit(RawPasteAccepted(self.window))
        return True

    def _on_paste_flow(self) -> bool:
        """PASTE_SENDING / PASTE_ENDING: single control bytes from the device."""
        buf = self._buf
        i = 0
        while i < len(buf):
            byte = buf[i]
            if byte == c.CTRL_A:
                self.credit += self.window
                self._emit(WindowCredit(self.window, self.credit))
                if self.state is State.PASTE_SENDING and self._raw_paste:
                    self._set_state(State.PASTE_SENDING, None)
                i += 1
                continue
            if byte == c.CTRL_D:
                if self.state is State.PASTE_SENDING:
                    # The device stopped reading (its lexer or parser met an error, or it ran
                    # out of memory) and now discards input until the host's CTRL-D or
                    # CTRL-C: exactly one is owed. Once the host's CTRL-D is sent (state
                    # PASTE_ENDING, even when the device stopped early and its CTRL-D crossed
                    # ours) the same byte is the acknowledgement and nothing is owed: pyexec.c,
                    # mp_reader_stdin_readbyte / mp_reader_stdin_close.
                    self._drop_code()
                    self._eof_owed = True
                    self._emit(PasteEndedEarly())
                    del buf[: i + 1]
                    self._stderr.clear()
                    self._after_early_end()
                    return True
                self._emit(PasteAcknowledged())
                del buf[: i + 1]
                self._stderr.clear()
                self._set_state(State.STDOUT, self._run_deadline)
                return True
            j = i
            while j < len(buf) and buf[j] not in (c.CTRL_A, c.CTRL_D):
                j += 1
            self._stray(buf[i:j])
            i = j
        buf.clear()
        return False

    def _run_output(self, stream: str) -> str | None:
        """Emit output up to the next CTRL-D or reboot shape; return which one ended it.

        A reboot shape never holds CTRL-D, so bytes held back as a possible one are settled
        as output once a CTRL-D follows them.
        """
        buf = self._buf
        eof = buf.find(c.END_OF_INPUT)
        region = buf if eof < 0 else buf[:eof]
        reboot, safe = find_reboot(region, self._line_start)
        if reboot is None and eof >= 0:
            safe = eof
        self._emit_output(stream, bytes(buf[:safe]))
        if reboot is not None:
            at_prompt = bytes(buf[: reboot.end]).endswith(c.FRIENDLY_PROMPT)
            del buf[: reboot.end]
            self._stderr.clear()
            self._set_state(State.FRIENDLY if at_prompt else State.UNKNOWN, None)
            self._emit(DeviceRebooted(reboot.banner.decode("utf-8", "replace")))
            if at_prompt:
                self._emit(FriendlyPrompt())
            return "boot"
        if eof < 0:
            del buf[:safe]
            return None
        del buf[: eof + 1]
        return "eof"

    def _emit_output(self, stream: str, chunk: bytes) -> None:
        if not chunk:
            return
        self._line_start = chunk.endswith(b"\n")
        self._emit(Output(stream, chunk))  # type: ignore[arg-type]
        if stream == "stderr" and len(self._stderr) < _STDERR_KEEP:
            self._stderr += chunk[: _STDERR_KEEP - len(self._stderr)]

    def _on_stdout(self) -> bool:
        ended = self._run_output("stdout")
        if ended != "eof":
            return ended is not None
        self._stderr.clear()
        self._set_state(State.STDERR, self._run_deadline)
        self._emit(StdoutEnded())
        return True

    def _on_stderr(self) -> bool:
        ended = self._run_output("stderr")
        if ended != "eof":
            return ended is not None
        exception = parse_traceback(self._stderr.decode("utf-8", "replace"))
        self._stderr.clear()
        self._set_state(State.AWAIT_PROMPT, self._now + self.timeouts.response_s)
        self._emit(ExecFinished(exception))
        return True

    def _on_soft_resetting(self) -> bool:
        key = self._scan_common(_RESET_PATTERNS)
        if key == "ok":
            return True  # CTRL-D accepted on an empty line: the reboot follows
        return self._on_common(key)


_REBOOT_TEXT = {
    line: line.decode().strip() for line in c.SOFT_REBOOT_LINES
} | {b"": "soft reboot"}

_HANDLERS = {
    State.AWAIT_PROMPT: RawReplConnection._on_await_prompt,
    State.AWAIT_OK: RawReplConnection._on_await_ok,
    State.PASTE_NEGOTIATING: RawReplConnection._on_paste_negotiating,
    State.PASTE_WINDOW: RawReplConnection._on_paste_window,
    State.PASTE_SENDING: RawReplConnection._on_paste_flow,
    State.PASTE_ENDING: RawReplConnection._on_paste_flow,
    State.STDOUT: RawReplConnection._on_stdout,
    State.STDERR: RawReplConnection._on_stderr,
    State.SOFT_RESETTING: RawReplConnection._on_soft_resetting,
}

_COMMANDS = {
    "enter_raw": ("entering the raw REPL", "the banner 'raw REPL; CTRL-B to exit' and '>'"),
    "raw_paste": ("asking for raw-paste", "'R' CTRL-A + window size, 'R' NUL, or the raw banner"),
    "exec": ("running code", "the end of the run: CTRL-D, CTRL-D and the raw prompt '>'"),
    "soft_reset": ("soft reset", "'MPY: soft reboot' (or 'soft reboot') and a prompt"),
    "leave_raw": ("leaving the raw REPL", "the friendly prompt '>>> '"),
}

#: The step a timeout names when a device that ended a paste early then stays silent.
EARLY_END_STEP = "waiting for the error after the early end of the paste"

_EXPECTED = {
    State.UNKNOWN: "a prompt or banner",
    State.FRIENDLY: "nothing (friendly REPL idle)",
    State.ENTERING_RAW: "the banner 'raw REPL; CTRL-B to exit' and '>'",
    State.AWAIT_PROMPT: "the raw prompt '>'",
    State.RAW_READY: "nothing (raw REPL idle)",
    State.RAW_SENDING: "nothing while code is written",
    State.AWAIT_OK: "'OK' after the code and CTRL-D",
    State.PASTE_NEGOTIATING: "'R' CTRL-A + window size, 'R' NUL, or the raw banner",
    State.PASTE_WINDOW: "the two bytes of the raw-paste window size",
    State.PASTE_SENDING: "CTRL-A (window credit) from the device",
    State.PASTE_ENDING: "CTRL-D acknowledging the end of the paste",
    State.STDOUT: "program output ending with CTRL-D",
    State.STDERR: "traceback text ending with CTRL-D",
    State.SOFT_RESETTING: "'OK', 'MPY: soft reboot' (or 'soft reboot') and the banner",
    State.LEAVING_RAW: "the friendly prompt '>>> '",
}
