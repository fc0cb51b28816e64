"""The raw REPL engine: drives the protocol core over a pyserial port.

Every method runs on the session's worker thread, the only thread that touches the port
(see :mod:`workbench.engine.session`). The one exception is ``interrupt_requested`` and
``closing``, two events other threads set and the read loop checks between reads.

Every wait has a deadline taken from the protocol core (which takes it from the profile);
a missed deadline raises :class:`DeviceTimeout` naming the step, what was expected and the
bytes that arrived since the last request (older ones answered something else and would
mislead), and leaves the engine able to re-enter the raw REPL.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

import serial

from workbench.engine import verify
from workbench.engine.code_check import (
    PASTE_CONTROL_BYTES,
    RAW_CONTROL_BYTES,
    check_control_bytes,
    encode_code,
)
from workbench.engine.profile import Profile
from workbench.engine.result import ExecResult
from workbench.engine.stepping import StepController, StepKind
from workbench.errors import (
    DeviceDisconnected,
    DeviceTimeout,
    ExecTimeout,
    NotSupported,
    OutputCallbackError,
    ProtocolError,
    RawPasteBroken,
    SessionClosed,
    TransferError,
    WorkbenchError,
)
from workbench.protocol import (
    RUNNING_STATES,
    CodeSent,
    DeviceRebooted,
    EndOfCode,
    EnterRaw,
    Event,
    ExecAccepted,
    ExecFinished,
    FriendlyPrompt,
    HostEvent,
    Interrupt,
    InterruptReason,
    LeaveRaw,
    Output,
    OwedEndOfPaste,
    PasteAcknowledged,
    PasteEndedEarly,
    RawPasteAccepted,
    RawPasteRefused,
    RawPasteRequest,
    RawReady,
    RawReplConnection,
    RemoteException,
    SoftReboot,
    SoftReset,
    SourceNamer,
    State,
    StdoutEnded,
    StreamReplacer,
    Timeouts,
    UnexpectedBytes,
    WindowCredit,
)
from workbench.protocol.connection import EARLY_END_STEP
from workbench.protocol.constants import END_OF_INPUT
from workbench.protocol.events import Event as _EventBase
from workbench.protocol.host_events import CodeMode
from workbench.trace.record import TraceRecorder
from workbench.transports import has_modem_lines
from workbench.transports.port_io import POLL_SLICE_S, PortIO

if TYPE_CHECKING:
    from workbench.engine.conversation import Conversation

OutputCallback = Callable[[str, str], None]
T = TypeVar("T")

#: Resend CTRL-C if a run has not ended this long after the last one.
INTERRUPT_RETRY_S = 0.5
INTERRUPT_ATTEMPTS = 4
_RECENT = 256
_PASTE_STATES = frozenset({State.PASTE_NEGOTIATING, State.PASTE_WINDOW, State.PASTE_SENDING, State.PASTE_ENDING})


#: Said with a timeout waiting for 'OK' after code sent in plain raw mode, where nothing paces
#: the host: the usual cause is a board that read too slowly and lost bytes, CTRL-D included.
PLAIN_RAW_LOSS_HINT = (
    "The code went in plain raw mode, which has no flow control: bytes were probably lost on "
    "the way to the board, the CTRL-D that ends the code included. Slow down (chunk_size / "
    "chunk_delay_s in the device's profile) or run `workbench probe`"
)

#: How often a raw-paste request that got the raw banner back is made before the device is
#: taken for firmware without raw-paste (a lost CTRL-E looks the same once).
RAW_PASTE_ASKS = 2


class UploadStopped(_EventBase):
    """The engine stopped a plain-raw upload (Stop pressed): the device dropped the code.

    The engine's own signal to its run loop; it never goes into the trace.
    """


class Engine:
    """Protocol driver for one open port. Not thread-safe: one thread calls it."""

    def __init__(
        self,
        port: serial.SerialBase,
        profile: Profile,
        trace: TraceRecorder,
        *,
        url: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.port = port
        self.io = PortIO(port)
        self.url = url or str(getattr(port, "portstr", ""))
        self.trace = trace
        self.clock = clock
        self.profile = profile
        self.conn = RawReplConnection(self._timeouts(profile), now=clock())
        self.raw_paste_supported: bool | None = None
        #: Set when the board broke raw-paste (see _paste_broken): what it did, in words.
        self.raw_paste_broken = ""
        self.interrupt_requested = threading.Event()
        self.closing = threading.Event()
        self._events: deque[Event] = deque()
        #: What the device sent since our last write (its tail): the answer a timeout lacks.
        self._recent = b""
        self._interrupts_sent = 0
        self._interrupt_retry_at: float | None = None
        #: Step mode (None: off). Set from any thread via Session.set_step_mode.
        self.stepper: StepController | None = None
        self._stepping_suspended = False
        #: Something went wrong in the last command (a timeout, bytes out of place): the next
        #: command first gets the device back to a known raw prompt (see ensure_raw).
        self.needs_resync = False
        #: An on_output callback is running (exec from inside it would wait for itself).
        self.in_callback = False

    @staticmethod
    def _timeouts(profile: Profile) -> Timeouts:
        return Timeouts(response_s=profile.response_timeout_s, reset_s=profile.reset_timeout_s)

    def set_profile(self, profile: Profile) -> None:
        """Use new settings from the next step on, without reconnecting.

        A new baud rate or DTR/RTS level is applied to the open port at once (pyserial
        reconfigures a live port); the trace budget stays that of the recorder in use.
        """
        old, self.profile = self.profile, profile
        self.conn.timeouts = self._timeouts(profile)
        port = self.port
        if not has_modem_lines(port):
            return  # sockets and pipes have no line settings
        try:
            if profile.baudrate != old.baudrate:
                port.baudrate = profile.baudrate
            if profile.rts is not None and profile.rts != old.rts:  # RTS first: see Session
                port.rts = profile.rts
            if profile.dtr is not None and profile.dtr != old.dtr:
                port.dtr = profile.dtr
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceDisconnected(f"{self.url}: applying the new port settings failed: {exc}") from exc

    # ------------------------------------------------------------------ step mode
    @property
    def stepping(self) -> bool:
        """Whether the next protocol step will wait for the person watching."""
        stepper = self.stepper
        return stepper is not None and stepper.enabled and not self._stepping_suspended

    def _gate(self, kind: StepKind, data: bytes = b"", detail: str = "") -> None:
        """In step mode, wait for go before ``kind``; the pause does not count as device time."""
        stepper = self.stepper
        if stepper is None or self._stepping_suspended:
            return
        paused = stepper.wait(kind, data, detail, cancelled=self._step_cancelled, clock=self.clock)
        self.conn.postpone(paused)

    def _step_cancelled(self) -> str | None:
        if self.closing.is_set():
            return "the session is closing"
        if self.interrupt_requested.is_set():
            return "Stop was pressed"
        return None

    def recover_after_stop(self) -> None:
        """After :class:`StepStopped`: interrupt whatever runs and get back to the raw prompt,
        without stopping at each step (the person asked to stop, not to watch the recovery)."""
        self.interrupt_requested.clear()
        self._stepping_suspended = True
        try:
            self.enter_raw()
        finally:
            self._stepping_suspended = False

    def _send_core_output(self, out: bytes, *, owed: bool = False) -> None:
        """Write what the protocol core allows now; in step mode code and CTRL-D are two steps.

        ``owed``: ``out`` is the CTRL-D the host owes a board that ended a paste early.
        """
        from workbench.trace.wording import note_of  # the words, only for step mode: import time

        conn = self.conn
        if owed:
            self._gate("end_paste", out, note_of((OwedEndOfPaste(),)))
            self._write(out, OwedEndOfPaste())
            return
        paste = conn.state in _PASTE_STATES
        if not self.stepping:
            self._write(out, *_sent_events(out, conn))
            return
        body, eof = (out[:-1], out[-1:]) if out.endswith(END_OF_INPUT) else (out, b"")
        # One window per step (the first credit covers two), so each can be watched.
        size = conn.window if paste and conn.window else len(body) or 1
        for start in range(0, len(body), size):
            piece = body[start : start + size]
            events = _sent_events(piece, conn)
            self._gate("paste_window" if paste else "send_code", piece, note_of(events))
            self._write(piece, *events)
        if eof:
            events = _sent_events(eof, conn)
            self._gate("end_paste" if paste else "execute", eof, note_of(events))
            self._write(eof, *events)

    # ------------------------------------------------------------------ port I/O
    def _write(self, data: bytes, *events: HostEvent) -> None:
        """Write ``data``; the trace records it with what it means (``events``)."""
        self._recent = b""  # a new request: what came before answered the earlier ones
        try:
            self.io.write(data)
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(f"{self.url}: writing to the device failed: {exc}") from exc
        if self.trace.enabled:
            aside = self._reasoning() if self.profile.verbose_trace else ""
            self.trace.record_events("tx", data, events, aside)

    def _write_interrupt(self, reason: InterruptReason, now: float | None = None) -> None:
        """CTRL-C as the core says (see RawReplConnection.interrupt), for ``reason``."""
        running = self.conn.state in RUNNING_STATES
        data = self.conn.interrupt(self.clock() if now is None else now)
        self._write(data, Interrupt.of(data, running=running, reason=reason))

    def _reasoning(self) -> str:
        """The engine's next expectation in words, for a verbose trace (profile.verbose_trace)."""
        conn = self.conn
        expect = conn.expectation
        if expect.deadline is None:
            return f"now {conn.state.value}; no reply awaited yet"
        return (
            f"now {conn.state.value}; {expect.step}: expecting {expect.expected} "
            f"within {max(0.0, expect.deadline - self.clock()):.2f} s"
        )

    def _read(self, wait_s: float) -> bytes:
        """Whatever the device has sent, waiting up to ``wait_s`` for the first byte."""
        try:
            return self.io.read(wait_s)
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(f"{self.url}: reading from the device failed: {exc}") from exc

    def _feed(self, data: bytes) -> None:
        conn = self.conn
        conn.receive_data(data, self.clock())
        events = conn.events()
        self._recent = (self._recent + data)[-_RECENT:]
        self._events.extend(events)
        if self.trace.enabled:
            aside = f"state {conn.state.value}" if self.profile.verbose_trace else ""
            self.trace.record_events("rx", data, tuple(events), aside)

    # ------------------------------------------------------------------ the loop
    def _next(self, on_event: Callable[[Event], None] | None = None) -> Event:
        """Run the protocol until the core reports an event; send what it allows meanwhile."""
        conn = self.conn
        while not self._events:
            if self.closing.is_set():
                self._stop_code_before_close()
                raise SessionClosed(f"{self.url}: session closed")
            now = self.clock()
            owed = conn.end_of_paste_owed
            out = conn.data_to_send(now)
            if out:
                self._send_core_output(out, owed=owed)
                continue
            if self.interrupt_requested.is_set():
                self.interrupt_requested.clear()
                self._interrupt_running(now)
            elif self._interrupt_retry_at is not None and now >= self._interrupt_retry_at:
                self._interrupt_running(now)
            wait = POLL_SLICE_S
            expect = conn.expectation
            if expect.deadline is not None:
                if now >= expect.deadline:
                    raise self._timeout_error(now)
                wait = min(wait, expect.deadline - now)
            send_at = conn.next_send_at
            if send_at is not None:
                wait = min(wait, max(0.0, send_at - now))
            data = self._read(wait)
            if data:
                self._feed(data)
        event = self._events.popleft()
        if self.stepper is not None:
            if isinstance(event, ExecAccepted | PasteAcknowledged):
                self._gate("stdout_section")
            elif isinstance(event, StdoutEnded):
                self._gate("stderr_section")
        if on_event is not None:
            on_event(event)
        return event

    def _wait_for(
        self, wanted: tuple[type[Event], ...], on_event: Callable[[Event], None] | None = None
    ) -> Event:
        while True:
            event = self._next(on_event)
            if isinstance(event, wanted):
                return event

    def _timeout_error(self, now: float) -> DeviceTimeout:
        expect = self.conn.expectation
        # Bytes the core still holds (a possible pattern start) are already in _recent when
        # they came after the request; before it, they are as stale as the rest.
        received = self._recent
        waited = now - expect.since
        self.needs_resync = True
        if expect.overall:
            return ExecTimeout(expect.step, f"{expect.expected} within the exec timeout", received, waited)
        if expect.step == EARLY_END_STEP:
            return DeviceTimeout(expect.step, expect.expected, received, waited)
        if self.conn.state in (State.STDOUT, State.STDERR):
            return ExecTimeout("running code", "the end of the run (exec timeout)", received, waited)
        hint = PLAIN_RAW_LOSS_HINT if self.conn.state is State.AWAIT_OK else ""
        return DeviceTimeout(expect.step, expect.expected, received, waited, hint)

    def _interrupt_running(self, now: float) -> None:
        if self.conn.state in (State.PASTE_NEGOTIATING, State.PASTE_WINDOW):
            self._interrupt_retry_at = now + 0.005  # the answer is on its way; interrupt then
            return
        if self.conn.state is State.RAW_SENDING:
            # Plain raw mode, code half sent: CTRL-C empties the device's line, nothing runs.
            self._write_interrupt(InterruptReason.STOP_UPLOAD, now)
            self._interrupt_retry_at = None
            self._events.append(UploadStopped())
            return
        if self.conn.state not in RUNNING_STATES:
            self._interrupt_retry_at = None
            return
        if self._interrupts_sent >= INTERRUPT_ATTEMPTS:
            self._interrupt_retry_at = None
            return
        self._write_interrupt(InterruptReason.RUNNING_CODE, now)
        self._interrupts_sent += 1
        self._interrupt_retry_at = now + INTERRUPT_RETRY_S

    def _stop_code_before_close(self) -> None:
        """Closing mid-run: leave the board idle rather than running our code unattended."""
        if self.conn.state in RUNNING_STATES:
            try:
                self._write_interrupt(InterruptReason.SESSION_CLOSING)
            except DeviceDisconnected:
                pass

    def _drain_quiet(self, quiet_s: float, limit_s: float, *, until_prompt: bool = False) -> int:
        """Read until the device has been silent for ``quiet_s`` (at most ``limit_s``), or, with
        ``until_prompt``, until the friendly prompt is the last thing it sent; the number of
        bytes that came."""
        end = self.clock() + limit_s
        last = self.clock()
        received = 0
        while True:
            now = self.clock()
            if now - last >= quiet_s or now >= end:
                return received
            data = self._read(min(quiet_s - (now - last), end - now))
            if data:
                received += len(data)
                self._feed(data)
                if until_prompt and self._ends_at_prompt() and not self.conn.pending_bytes:
                    return received
                last = self.clock()

    # ------------------------------------------------------------------ operations
    def poll_idle(self) -> None:
        """Take in whatever an idle device printed (so the trace shows every byte)."""
        data = self._read(0.0)
        if data:
            self._feed(data)
        self._note_leftovers()

    def _note_leftovers(self) -> None:
        """Events no command took (bytes after the prompt that ended the last one: the rest of
        a run whose output held CTRL-D CTRL-D '>', noise): drop them, resync if they were
        bytes out of place."""
        if any(isinstance(event, UnexpectedBytes) for event in self._events):
            self.needs_resync = True
        self._events.clear()

    def ensure_raw(self) -> None:
        """Enter the raw REPL unless we know we are at its prompt.

        After an anomaly in an earlier command (a timeout, bytes where none belong, output
        holding CTRL-D) the raw prompt we believe in may be wrong, and the device may still
        be sending what belonged to that command: enter again (interrupt, wait until quiet,
        CTRL-A, the prompt), so no command ever sees another's bytes.
        """
        self._note_leftovers()
        if self.conn.state is State.RAW_READY and not self.needs_resync:
            self.poll_idle()  # bytes that came while idle are an anomaly too
        if self.conn.state is not State.RAW_READY or self.needs_resync:
            self.enter_raw()

    def enter_raw(self) -> None:
        """Get to the raw prompt from any state: friendly REPL, running code, raw-paste left
        open by another tool, boot noise, a board printing without pause.
        """
        profile = self.profile
        last: DeviceTimeout | None = None
        for attempt in range(profile.retries + 1):
            self._events.clear()
            self.conn.mark_unknown()
            heard = self._stop_whatever_runs()
            data = self.conn.enter_raw(self.clock())
            self._gate("enter_raw", data)
            self._write(data, EnterRaw(cr=data.startswith(b"\r")))
            try:
                self._wait_for((RawReady,))
            except ExecTimeout:
                raise  # the caller's whole budget is spent: no time for another attempt
            except DeviceTimeout as exc:
                last = exc
                if not heard and not exc.received:
                    break  # not a byte in answer: another attempt would hear nothing either
                continue
            if attempt:
                # An earlier attempt's CTRL-A may still be on its way: let its banner arrive
                # now, not in answer to the next request (where it would read as old firmware).
                self._drain_quiet(profile.interrupt_delay_s, profile.response_timeout_s)
                self._events.clear()
            self.needs_resync = False
            return
        assert last is not None
        tries = attempt + 1
        raise DeviceTimeout(
            "entering the raw REPL",
            f"{last.expected} (tried {tries} time{'s' if tries > 1 else ''})",
            last.received,
            last.waited_s,
        )

    def _stop_whatever_runs(self) -> int:
        """CTRL-C and a quiet wait; then, unless the board came back to its ``>>> `` prompt,
        one more CTRL-C and wait. Returns how many bytes the board sent meanwhile.

        One CTRL-C stops a program and cancels a half-typed line (a CR would run it instead).
        CTRL-Cs that arrive together set the same pending KeyboardInterrupt, so the second
        is its own write, after the first was handled: it stops a program that caught the
        first. No prompt can also mean an idle raw REPL, which answers CTRL-C with nothing
        and takes the second just as quietly.
        """
        profile = self.profile
        heard = 0
        for reason in (InterruptReason.STOP_WHATEVER_RUNS, InterruptReason.NO_PROMPT_YET):
            data = self.conn.interrupt(self.clock())
            self._gate("interrupt", data)
            self._write(data, Interrupt.of(data, running=False, reason=reason))
            received, at_prompt = self._settle(profile.interrupt_delay_s, profile.response_timeout_s)
            heard += received
            self._events.clear()
            if at_prompt:
                break
        return heard

    def _settle(self, quiet_s: float, limit_s: float) -> tuple[int, bool]:
        """After a CTRL-C: read until the friendly prompt ``>>> `` is the last thing the board
        sent, or until it has been quiet for ``quiet_s`` (at most ``limit_s``). Returns the
        bytes that came and whether it ended at the prompt.

        Why a prompt ends the wait at once: the REPL prints it when it waits for a line, so
        nothing follows it; only a board that sent no prompt (an idle raw REPL, a program
        still printing, a CircuitPython banner) costs the full quiet time. This is what makes
        a command-line call on an idle board quick.
        """
        received = self._drain_quiet(quiet_s, limit_s, until_prompt=True)
        return received, self._ends_at_prompt()

    def _ends_at_prompt(self) -> bool:
        return bool(self._events) and isinstance(self._events[-1], FriendlyPrompt)

    def interrupt(self) -> None:
        """CTRL-C while idle: stop anything the device runs on its own (main.py, a loop)."""
        self._write_interrupt(InterruptReason.ASKED)
        self._drain_quiet(self.profile.interrupt_delay_s, self.profile.response_timeout_s)
        self._events.clear()

    def exec(
        self,
        code: str | bytes,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        source_name: str | None = None,
        profile: Profile | None = None,
    ) -> ExecResult:
        """Run ``code`` in the raw REPL; see :meth:`Session.exec`.

        ``timeout`` (else the profile's exec timeout) bounds the whole call: entering the raw
        REPL, the upload and the run. ``profile``: settings for this call only.
        """
        if profile is None:
            return self._exec_call(code, timeout, on_output, source_name)
        saved = self.profile
        self.profile = profile
        self.conn.timeouts = self._timeouts(profile)
        try:
            return self._exec_call(code, timeout, on_output, source_name)
        finally:
            self.profile = saved
            self.conn.timeouts = self._timeouts(saved)

    def converse(self, code: str | bytes, talk: Callable[[Conversation], T]) -> T:
        """Start ``code`` on the board and hand the running program to ``talk``, which writes
        to its stdin and reads its stdout (see :mod:`workbench.engine.conversation`); then
        wait for the program's end and the raw prompt. ``talk``'s value is returned.

        When ``talk`` raises (a timeout, a cancel, a lost cable), the program is stopped with
        CTRL-C and the board brought back to the raw prompt, best effort, before the error
        goes on. The code goes as any exec does (raw-paste where the board has it), but is
        never verified: it is the workbench's own small program, not the user's.
        """
        from workbench.engine.conversation import Conversation, ProgramEnded

        payload = encode_code(code, self.profile.encoding)
        check_control_bytes(payload, PASTE_CONTROL_BYTES, "raw-paste or plain raw mode")
        self.conn.set_budget(None)
        try:
            self.ensure_raw()
            raw_paste = self._negotiate_raw_paste()
            if not raw_paste:
                check_control_bytes(payload, RAW_CONTROL_BYTES, "plain raw mode")
            elif self.conn.state is State.STDOUT:
                self._paste_broken(before_code=True)
            self._interrupts_sent = 0
            self._interrupt_retry_at = None
            self.conn.send_code(
                payload,
                self.clock(),
                chunk_size=self.profile.chunk_size,
                chunk_delay_s=self.profile.chunk_delay_s,
                paste_write_limit=self.profile.window_size_override or 0,
            )
            conversation = Conversation(self)
            started = self._wait_for((ExecAccepted, PasteAcknowledged, PasteEndedEarly, ExecFinished, DeviceRebooted))
            if isinstance(started, PasteEndedEarly):
                started = self._wait_for((ExecFinished, DeviceRebooted))
            if isinstance(started, ExecFinished):
                conversation.finished = started
            elif isinstance(started, DeviceRebooted):
                conversation.rebooted = True
            try:
                if conversation.finished is not None or conversation.rebooted:
                    raise conversation._ended()
                value = talk(conversation)
                exception = conversation.finish(self.profile.response_timeout_s + 5.0)
            except BaseException:
                conversation.abandon()
                raise
            if exception is not None:
                raise ProgramEnded(exception, b"")
            return value
        except WorkbenchError:
            self.needs_resync = self.needs_resync or self.conn.state is not State.RAW_READY
            raise
        finally:
            self._interrupt_retry_at = None

    def _exec_call(
        self,
        code: str | bytes,
        timeout: float | None,
        on_output: OutputCallback | None,
        source_name: str | None,
    ) -> ExecResult:
        started = self.clock()
        payload = encode_code(code, self.profile.encoding)
        if not payload.strip():
            payload = b"\n"  # an empty raw line + CTRL-D would soft-reset the board
        check_control_bytes(payload, PASTE_CONTROL_BYTES, "raw-paste or plain raw mode")
        run_timeout = timeout if timeout is not None else self.profile.exec_timeout_s
        budget = None if run_timeout is None else started + run_timeout
        self.conn.set_budget(budget, "running code", started)
        try:
            if self.profile.soft_reset_before_run:
                self.soft_reset()  # a fresh interpreter: no variables or imports left from earlier runs
            verify_mode = self.profile.verify_mode
            if verify_mode == "always" or (verify_mode == "auto" and self._plain_raw_known()):
                return self._exec_verified(payload, started, on_output, source_name)
            return self._exec(payload, started, on_output, source_name, verify_if_plain=verify_mode == "auto")
        except WorkbenchError:
            self.needs_resync = True
            raise
        finally:
            self.conn.set_budget(None)
            self._interrupt_retry_at = None

    def _plain_raw_known(self) -> bool:
        """Whether the next run will go in plain raw mode without asking the board."""
        mode = self.profile.raw_paste
        return mode == "never" or (mode == "auto" and self.raw_paste_supported is False)

    def _exec_verified(
        self, payload: bytes, started: float, on_output: OutputCallback | None, source_name: str | None
    ) -> ExecResult:
        """Profile ``verify_code``: the board holds the code and reports its length and sum;
        it runs only when they match what was sent (see :mod:`workbench.engine.verify`)."""
        stage = self._exec(verify.stage_code(payload), started, None, None)
        if stage.exception is not None and stage.exception.type_name == "KeyboardInterrupt":
            return stage  # stopped during the upload: nothing of the user's ran
        problem = verify.check_problem(stage, payload)
        if problem is not None:
            self._drop_held_copy(started)
            raise TransferError(
                f"{self.url}: {problem}; nothing ran. Slow down (chunk_size / chunk_delay_s in the "
                "device's profile) or run `workbench probe` to measure what the link can carry"
            )
        self.trace.mark(f"verify_code: the board holds all {len(payload)} bytes of the code, as sent; running it")
        result = self._exec(verify.RUN_HELD, started, on_output, source_name, verified_run=True)
        return dataclasses.replace(
            result,
            bytes_sent=stage.bytes_sent + result.bytes_sent,
            send_s=stage.send_s + stage.run_s + result.send_s,
            total_s=self.clock() - started,
        )

    def _drop_held_copy(self, started: float) -> None:
        """After a failed check: the damaged copy need not stay in the board's RAM (best effort)."""
        with contextlib.suppress(WorkbenchError):
            self._exec(verify.DROP_HELD, started, None, None)

    def _exec(
        self,
        payload: bytes,
        started: float,
        on_output: OutputCallback | None,
        source_name: str | None,
        *,
        verified_run: bool = False,
        verify_if_plain: bool = False,
    ) -> ExecResult:
        """One exec. ``verify_if_plain`` (verify_code auto): if the board turns out to have no
        raw-paste, the code goes as a verified run instead (nothing has been sent yet then)."""
        self.ensure_raw()
        if self._plain_raw_known() and not verify_if_plain:
            check_control_bytes(payload, RAW_CONTROL_BYTES, "plain raw mode")  # before asking anything
        raw_paste = self._negotiate_raw_paste()
        if not raw_paste and verify_if_plain:
            return self._exec_verified(payload, started, on_output, source_name)
        if not raw_paste:
            check_control_bytes(payload, RAW_CONTROL_BYTES, "plain raw mode")
        elif self.conn.state is State.STDOUT:
            # The board ended the paste before a byte of code was sent: not a compile error
            # (there is nothing to compile) but a broken raw-paste (see _paste_broken).
            self._paste_broken(before_code=True)
        sent = payload
        audit = _PasteAudit(self.conn.window, len(payload)) if raw_paste else None
        if audit is not None:
            sent = audit.padded(payload)
        collector = _OutputCollector(
            self.profile.encoding, on_output, source_name, self._callback_failed, verified_run=verified_run
        )
        marks: dict[str, float] = {}
        anomalies: list[bytes] = []

        def on_event(event: Event) -> None:
            if isinstance(event, Output):
                collector.add(event)
            elif isinstance(event, WindowCredit) and audit is not None:
                audit.credits += 1
            elif isinstance(event, SoftReboot):
                marks.setdefault("rebooted", self.clock())  # boot output may follow: not ours
            elif isinstance(event, UnexpectedBytes) and "rebooted" not in marks:
                if event.state == State.AWAIT_PROMPT.value:
                    anomalies.append(event.data)  # between the run's last CTRL-D and '>'
                else:
                    self.needs_resync = True  # out of place; the next command starts afresh
            elif isinstance(event, RawPasteRefused):
                self.conn.mark_unknown()
                raise ProtocolError(
                    f"{self.url}: the device refused raw-paste after accepting it earlier on this "
                    "connection (was it replaced or reflashed?); reconnect to start afresh"
                )
            elif isinstance(event, ExecAccepted | PasteAcknowledged | PasteEndedEarly):
                marks.setdefault("accepted", self.clock())
                if isinstance(event, PasteEndedEarly) and audit is not None:
                    # The board stopped reading on its own (a syntax error while compiling):
                    # fewer credits is expected then, not a sign of lost bytes.
                    audit.enabled = False
                if self._interrupts_sent and audit is not None:
                    audit.enabled = False  # stopped on purpose: the device read no further
            elif (
                isinstance(event, ExecFinished)
                and audit is not None
                and audit.damaged()
                and audit.explained_by(event.exception, payload)
            ):
                audit.enabled = False  # the board stopped reading at the program's own error

        self._interrupts_sent = 0
        self._interrupt_retry_at = None
        send_start = self.clock()
        self.conn.send_code(
            sent,
            send_start,
            chunk_size=self.profile.chunk_size,
            chunk_delay_s=self.profile.chunk_delay_s,
            paste_write_limit=self.profile.window_size_override or 0,
        )
        try:
            finished = self._wait_for((ExecFinished, DeviceRebooted, UploadStopped), on_event)
        except ExecTimeout:
            self._recover_after_timeout()
            raise
        except DeviceTimeout as exc:
            if exc.step == EARLY_END_STEP:
                self._paste_broken(before_code=False)
            raise
        ended = self.clock()
        rebooted = False
        if isinstance(finished, UploadStopped):
            exception: RemoteException | None = RemoteException(
                "KeyboardInterrupt", "interrupted during the upload: the code did not run"
            )
        elif isinstance(finished, DeviceRebooted):
            # The board reset under the code; it comes up in the friendly REPL, and the next
            # command enters the raw REPL again.
            message = (
                f"the board rebooted during the run (machine.reset(), a crash, a watchdog or "
                f"brown-out); it came back with {finished.text!r}"
            )
            exception = RemoteException("DeviceReset", message, (), f"DeviceReset: {message}\n")
            collector.note("stderr", exception.text)  # say so where a traceback would be
            rebooted = True
        else:
            assert isinstance(finished, ExecFinished)
            exception = finished.exception
            if verified_run:
                exception = verify.unwrapped(exception)
            if exception is not None and source_name:
                exception = exception.renamed(source_name)
            rebooted = self._back_to_prompt(on_event)
            if rebooted and exception is not None and not exception.frames:
                # Only SystemExit reboots after a run; the unix port prints its value (not a
                # traceback: "Done: x" is no exception of type Done).
                message = exception.text.strip("\r\n")
                exception = RemoteException("SystemExit", message, (), exception.text)
        if audit is not None and audit.damaged():
            raise TransferError(
                f"{self.url}: raw-paste damaged: the device acknowledged {audit.credits - 1} of "
                f"{audit.expected} windows, so bytes were lost on the way to the board; the run "
                "was interrupted. Try a lower baud rate, a smaller window or plain raw mode."
            )
        if anomalies:
            raise ProtocolError(
                f"{self.url}: the device sent {b''.join(anomalies)[:64]!r} where only the raw REPL's "
                "markers belong: the program's output probably held a CTRL-D byte (0x04), which "
                "the raw REPL uses to end each section, so its output and exception cannot be told "
                "apart. Print repr() of such data instead. The board was brought back to the raw prompt."
            )
        collector.raise_if_failed()
        accepted = marks.get("accepted", ended)
        return ExecResult(
            stdout=collector.text("stdout"),
            stderr=collector.text("stderr"),
            exception=exception,
            raw_paste=raw_paste,
            bytes_sent=len(payload),
            send_s=accepted - send_start,
            run_s=ended - accepted,
            total_s=self.clock() - started,
            rebooted=rebooted,
        )

    def _callback_failed(self) -> None:
        """An on_output callback raised: stop the code now rather than let it run unwatched."""
        if self.conn.state in RUNNING_STATES or self.conn.state is State.RAW_SENDING:
            self._interrupt_running(self.clock())

    def _negotiate_raw_paste(self) -> bool:
        mode = self.profile.raw_paste
        if mode == "never" or (mode == "auto" and self.raw_paste_supported is False):
            return False
        if self.raw_paste_supported and self.conn.window and not self.stepping:
            # Known to work on this connection: send the code right behind the request
            # (see RawReplConnection.request_raw_paste) and save a round trip.
            request = self.conn.request_raw_paste(self.clock(), known_window=self.conn.window)
            self._write(request, RawPasteRequest(code_follows=True))
            return True
        for attempt in range(1, RAW_PASTE_ASKS + 1):
            data = self.conn.request_raw_paste(self.clock())
            self._gate("raw_paste_request", data)
            self._write(data, RawPasteRequest(attempt=attempt))
            answer = self._wait_for((RawPasteAccepted, RawPasteRefused))
            if isinstance(answer, RawPasteAccepted):
                self.raw_paste_supported = True
                return True
            self._wait_for((RawReady,))
            if not answer.old_firmware:
                break  # 'R' NUL is the firmware's own word: no reason to ask twice
            # The raw banner again is what old firmware answers, but also what any firmware
            # answers when the CTRL-E was lost on the way: one more question tells them apart.
        self.raw_paste_supported = False
        if mode == "always":
            raise NotSupported(f"{self.url}: the device refused raw-paste (profile says always)")
        # Said where a person looks: every run from now on is plain raw mode, no flow control.
        from workbench.trace.wording import phrase

        self.trace.mark(
            f"raw-paste off for this connection: {phrase(answer)} (asked {attempt} time"
            f"{'s' if attempt > 1 else ''}); code goes in plain raw mode, paced by the profile's "
            "chunk_size / chunk_delay_s, with no flow control"
        )
        return False

    def _paste_broken(self, *, before_code: bool) -> NoReturn:
        """The board accepted raw-paste, then ended the paste by itself: before any code, or
        early and then silent (a compile error would have followed at once). Seen on builds
        whose raw-paste is broken, which then answer nothing until restarted. Raw-paste is off
        for this connection; :meth:`findings` tells the caller, who remembers the board."""
        window = self.conn.window
        self.raw_paste_supported = False
        self.needs_resync = True
        how = "before any code arrived" if before_code else "early"
        self.raw_paste_broken = (
            f"accepted raw-paste (window {window} bytes), then ended the paste {how}"
            + ("" if before_code else " and sent nothing more")
        )
        if before_code:
            with contextlib.suppress(WorkbenchError):
                self._write(self.conn.data_to_send(self.clock()), OwedEndOfPaste())  # its paste, ended
        self.conn.mark_unknown()
        self._events.clear()
        self.trace.mark(f"raw-paste broken on this board: it {self.raw_paste_broken}; plain raw mode from now on")
        raise RawPasteBroken(
            f"{self.url}: this board's raw-paste is broken: it {self.raw_paste_broken}. Nothing ran. "
            "Restart the board (reset button or unplug it); from then on the workbench sends it "
            "code in plain raw mode"
        )

    def findings(self) -> dict[str, object]:
        """What this connection learned about the board's protocol, for the caller to remember:
        ``raw_paste`` ("works", "absent" or "broken", missing when not asked yet), ``window``
        and ``raw_paste_detail``."""
        found: dict[str, object] = {}
        if self.raw_paste_broken:
            found.update(raw_paste="broken", raw_paste_detail=self.raw_paste_broken)
        elif self.raw_paste_supported:
            found.update(raw_paste="works", window=self.conn.window or None)
        elif self.raw_paste_supported is False and self.profile.raw_paste != "never":
            found.update(raw_paste="absent")
        return found

    def _back_to_prompt(self, on_event: Callable[[Event], None] | None = None) -> bool:
        """After a run: the raw prompt, or (SystemExit on a board) a soft reboot first; a
        board may come back in the friendly REPL then, and the next command enters raw again."""
        rebooted = False
        while True:
            event = self._wait_for((RawReady, SoftReboot, FriendlyPrompt), on_event)
            if isinstance(event, RawReady):
                return rebooted
            if isinstance(event, SoftReboot):
                rebooted = True
            elif rebooted and self.conn.state is State.FRIENDLY:
                return rebooted

    def _recover_after_timeout(self) -> None:
        """Stop the code that ran too long and get back to the prompt, best effort (else the
        next command resynchronises: needs_resync is set)."""
        self.conn.set_budget(None)
        try:
            if self.conn.state in (State.STDOUT, State.STDERR, State.AWAIT_OK, State.PASTE_ENDING, State.PASTE_SENDING):
                now = self.clock()
                self._write_interrupt(InterruptReason.EXEC_TIMEOUT, now)
                # Code that catches this KeyboardInterrupt gets another CTRL-C, in its own
                # write, INTERRUPT_RETRY_S later (see _interrupt_running).
                self._interrupts_sent = 1
                self._interrupt_retry_at = now + INTERRUPT_RETRY_S
                self.conn.set_run_deadline(now + self.profile.response_timeout_s)
                self._wait_for((ExecFinished,))
                self._back_to_prompt()
                self.needs_resync = False
            elif self.conn.state is State.RAW_SENDING:
                # Plain raw mode, code half sent: CTRL-C empties the line, nothing runs.
                self._write_interrupt(InterruptReason.EXEC_TIMEOUT_UPLOAD)
            # Otherwise nothing of ours runs yet (entering the raw REPL, asking for raw-paste):
            # the next command resynchronises (needs_resync is set).
        except WorkbenchError:
            self.conn.mark_unknown()

    def soft_reset(self) -> None:
        """CTRL-D at the raw prompt; returns at the raw prompt of the rebooted board."""
        self.ensure_raw()
        data = self.conn.soft_reset(self.clock())
        self._gate("soft_reset", data)
        self._write(data, SoftReset())
        try:
            self._wait_for((SoftReboot,))
            if isinstance(self._wait_for((RawReady, FriendlyPrompt)), FriendlyPrompt):
                self.enter_raw()  # it came back in the friendly REPL
        except WorkbenchError:
            self.needs_resync = True
            raise

    def hard_reset(self) -> bool:
        """Pulse the reset line (RTS on ESP32-style bridges), then enter the raw REPL.

        Returns whether the board answered the pulse at all: a board that restarts prints its
        boot banner, one whose DTR/RTS are not wired to reset (native USB) stays silent.
        """
        port = self.port
        restart = getattr(port, "reset_device", None)
        if callable(restart):
            restart()
        elif has_modem_lines(port):
            try:
                port.dtr = False
                port.rts = True
                time.sleep(0.1)
                port.rts = False
            except (serial.SerialException, OSError) as exc:
                raise DeviceDisconnected(f"{self.url}: DTR/RTS reset failed: {exc}") from exc
        else:
            raise NotSupported(
                f"{self.url}: this transport has no DTR/RTS lines for a hard reset; "
                "use a soft reset, or machine.reset() on the device"
            )
        # A restarted board may have new firmware, but a broken raw-paste stays broken.
        self.raw_paste_supported = False if self.raw_paste_broken else None
        self.conn.mark_unknown()
        self._events.clear()
        answered = self._drain_quiet(0.2, self.profile.reset_timeout_s) > 0
        self.enter_raw()
        return answered

    def leave_raw(self) -> None:
        """CTRL-B: back to the friendly REPL."""
        if self.conn.state in RUNNING_STATES or self.conn.state is State.UNKNOWN:
            self.enter_raw()
        if self.conn.state is State.FRIENDLY:
            return
        data = self.conn.leave_raw(self.clock())
        self._gate("leave_raw", data)
        self._write(data, LeaveRaw())
        self._wait_for((FriendlyPrompt,))


class _PasteAudit:
    """Checks that a raw-paste arrived whole, from the device's own window credits.

    The device sends CTRL-A each time it has read a full window, so after reading N bytes
    it has sent N // window of them (plus one with its answer). Padding a multi-window
    paste to a whole number of windows makes every lost byte cost one CTRL-A.
    """

    def __init__(self, window: int, size: int) -> None:
        self.window = window
        self.enabled = window > 0 and size > window
        self.credits = 0
        self.expected = 0

    def padded(self, payload: bytes) -> bytes:
        """``payload`` filled to whole windows with spaces at the end of its last line: no line
        is added, so an error at the end of the code keeps the line number it would have."""
        if not self.enabled:
            return payload
        body = payload.rstrip(b"\r\n")
        ending = payload[len(body) :]
        padded = body + b" " * (-len(payload) % self.window) + ending
        self.expected = len(padded) // self.window
        return padded

    def damaged(self) -> bool:
        # One CTRL-A comes with the device's answer, before any code; the rest are windows.
        return self.enabled and self.credits - 1 < self.expected

    def explained_by(self, exception: RemoteException | None, payload: bytes) -> bool:
        """Whether a compile error explains the missing credits.

        MicroPython parses a raw-paste as it reads it; at a syntax error it stops reading
        (pyexec.c, mp_reader_stdin_close), so the windows after the error are never granted.
        When the device's early CTRL-D crossed the host's own, it reads like the normal
        acknowledgement. It did stop early, rather than lose bytes, when the error is a
        compile error and the device cannot have read much past the error's line: it had read
        at least ``(credits - 1) * window`` bytes, and a parser needs only the rest of the
        line and the next token (which may sit after blank or comment lines) to decide.
        """
        if exception is None or exception.type_name not in _COMPILE_ERRORS:
            return False
        if exception.type_name == "MemoryError":
            return True  # out of memory while compiling: the device may stop anywhere
        line = next((frame.line for frame in exception.frames if frame.function is None), None)
        if line is None:
            return False
        read_at_least = (self.credits - 1) * self.window
        return read_at_least <= _end_of_next_token_line(payload, line)


_COMPILE_ERRORS = frozenset({"SyntaxError", "IndentationError", "MemoryError"})


def _end_of_next_token_line(payload: bytes, line: int) -> int:
    """Offset just past the first line after ``line`` that holds a token (not blank, not
    only a comment), or the end of the code: how far a parser may have read at ``line``."""
    lines = payload.split(b"\n")
    offset = sum(len(text) + 1 for text in lines[:line])
    for text in lines[line:]:
        offset += len(text) + 1
        stripped = text.strip()
        if stripped and not stripped.startswith(b"#"):
            break
    return min(offset, len(payload))


class _OutputCollector:
    """Keeps both streams and hands decoded text to the caller as it arrives; with a source
    name, stderr's ``File "<stdin>"`` frames name it instead, and in a verified run the
    wrapper's frame is left out (in pieces, see StreamReplacer)."""

    def __init__(
        self,
        encoding: str,
        on_output: OutputCallback | None,
        source_name: str | None = None,
        on_failure: Callable[[], None] | None = None,
        *,
        verified_run: bool = False,
    ) -> None:
        factory = codecs.getincrementaldecoder(encoding)
        self._decoders = {"stdout": factory("replace"), "stderr": factory("replace")}
        self._parts: dict[str, list[str]] = {"stdout": [], "stderr": []}
        self._on_output = on_output
        self._on_failure = on_failure
        self._filters: list[StreamReplacer] = [
            *(verify.wrapper_filters() if verified_run else ()),
            *((SourceNamer(source_name),) if source_name else ()),
        ]
        self.failure: BaseException | None = None

    def _filter(self, text: str, *, final: bool = False) -> str:
        """stderr through each filter in turn (at the end, each gives up what it held)."""
        for stream_filter in self._filters:
            text = stream_filter.feed(text)
            if final:
                text += stream_filter.flush()
        return text

    def add(self, event: Output) -> None:
        text = self._decoders[event.stream].decode(event.data)
        if text and event.stream == "stderr":
            text = self._filter(text)
        if text:
            self._parts[event.stream].append(text)
            self._deliver(event.stream, text)

    def _deliver(self, stream: str, text: str) -> None:
        """Hand text to the caller's callback; when it raises, stop calling it and stop the
        code (the run then ends as usual and the error is raised at its end)."""
        if self._on_output is None or self.failure is not None:
            return
        try:
            self._on_output(stream, text)
        except Exception as exc:  # noqa: BLE001 - the caller's code; reported at the end
            self.failure = exc
            if self._on_failure is not None:
                self._on_failure()

    def raise_if_failed(self) -> None:
        if self.failure is not None:
            raise OutputCallbackError(
                f"the on_output callback raised {type(self.failure).__name__}: {self.failure}; "
                "the code on the board was interrupted"
            ) from self.failure

    def note(self, stream: str, text: str) -> None:
        """Text of the workbench's own in a stream (a reset has no traceback of its own)."""
        self._parts[stream].append(text)
        self._deliver(stream, text)

    def text(self, stream: str) -> str:
        tail = self._decoders[stream].decode(b"", final=True)
        if stream == "stderr":
            tail = self._filter(tail, final=True)
        if tail:
            self._parts[stream].append(tail)
            self._deliver(stream, tail)
        return "".join(self._parts[stream])


def _sent_events(data: bytes, conn: RawReplConnection) -> tuple[HostEvent, ...]:
    """What a write the core produced (code, CTRL-D) means, for the trace."""
    ends = data.endswith(END_OF_INPUT)
    body = len(data) - ends
    mode: CodeMode = "raw-paste" if conn.state in _PASTE_STATES else "raw"  # (pipelined: still negotiating)
    ahead = conn.state in (State.PASTE_NEGOTIATING, State.PASTE_WINDOW)
    events: list[HostEvent] = [CodeSent(body, mode, ahead=ahead)] if body else []
    if ends:
        events.append(EndOfCode(mode, ahead=ahead))
    return tuple(events)
