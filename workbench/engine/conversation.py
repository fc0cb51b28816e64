"""A conversation with a program running on the board: the host writes to its stdin and reads
its stdout while it runs, block by block (a file transfer's receiver and sender).

Why not an exec with ``on_output``: an exec sends all its input up front, as code, and the
board answers once. A transfer streams a file through a small program that acknowledges each
block, so the host must write while the program runs and wait for its answers, with a
deadline for each. This class is that loop, on the engine's thread (it owns the port). The
protocol core checks each write (:meth:`RawReplConnection.program_input`: only while the
code runs) and reads the program's output as always, so the run's end (CTRL-D, the
traceback, the prompt) is found as for any exec.

Each block is a named row in the trace (``note`` for what the host sent, ``meaning`` for
what came back), so a transfer reads as "file data 2,048 B of main.py, 34 %" rows instead of
thousands of unexplained bytes.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import serial

from workbench.errors import DeviceDisconnected, DeviceTimeout, SessionClosed, WorkbenchError
from workbench.protocol import DeviceRebooted, ExecFinished, Output, RemoteException, StdoutEnded
from workbench.transports.port_io import POLL_SLICE_S

if TYPE_CHECKING:
    from workbench.engine.engine import Engine


class ProgramEnded(WorkbenchError):
    """The program on the board ended while the host still expected its answer; ``exception``
    is what it raised (None: it ended normally), ``stdout`` what it printed last."""

    def __init__(self, exception: RemoteException | None, stdout: bytes, rebooted: bool = False) -> None:
        self.exception = exception
        self.stdout = stdout
        self.rebooted = rebooted
        what = exception.summary() if exception is not None else "no exception"
        super().__init__(f"the program on the board ended early ({what})")


class Conversation:
    """The host's side of a running program's stdin and stdout (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.finished: ExecFinished | None = None
        self.rebooted = False
        self.stderr = b""
        self._stdout_ended = False
        #: Words for the device's bytes read from now on (their trace rows' meaning).
        self.label = ""

    # -- what the program is told
    @property
    def cancel_requested(self) -> bool:
        """Stop was asked for (:meth:`Session.interrupt` from another thread)."""
        return self._engine.interrupt_requested.is_set()

    def clear_cancel(self) -> None:
        self._engine.interrupt_requested.clear()

    def send(self, data: bytes, note: str) -> None:
        """Write ``data`` to the program's stdin; ``note`` names it in the trace."""
        engine = self._engine
        if self.finished is not None:
            raise self._ended()
        out = engine.conn.program_input(data, engine.clock())
        engine._recent = b""
        try:
            engine.io.write(out)
        except (serial.SerialException, OSError) as exc:
            raise DeviceDisconnected(f"{engine.url}: writing to the device failed: {exc}") from exc
        if engine.trace.enabled:
            engine.trace.record("tx", out, note)

    def interrupt(self) -> None:
        """CTRL-C to the program (a download is stopped this way: its stdin is not read)."""
        from workbench.protocol import InterruptReason

        if self.finished is None:
            self._engine._write_interrupt(InterruptReason.RUNNING_CODE)

    # -- what the program says
    def receive(self, timeout_s: float, step: str, expected: str) -> bytes:
        """The program's next stdout bytes, waiting up to ``timeout_s`` for the first.

        Raises :class:`ProgramEnded` when the program ended first, :class:`DeviceTimeout`
        naming ``step`` and ``expected`` when nothing came in time.
        """
        engine = self._engine
        clock = engine.clock
        started = clock()
        deadline = started + timeout_s
        while True:
            data = self._take()
            if data:
                return data
            if self.finished is not None or self.rebooted:
                raise self._ended()
            if engine.closing.is_set():
                raise SessionClosed(f"{engine.url}: session closed")
            now = clock()
            if now >= deadline:
                raise DeviceTimeout(step, expected, engine._recent, now - started)
            wait = min(POLL_SLICE_S, deadline - now)
            if self.cancel_requested:
                return b""  # let the caller see the cancel between blocks
            chunk = engine._read(wait)
            if chunk:
                self._feed(chunk)

    def finish(self, timeout_s: float) -> RemoteException | None:
        """Wait for the program's end and the raw prompt; what it raised (None: nothing).
        Output it still printed is dropped (the caller has read what it needed)."""
        engine = self._engine
        clock = engine.clock
        started = clock()
        while self.finished is None and not self.rebooted:
            self._take()
            if self.finished is not None or self.rebooted:
                break
            now = clock()
            if now - started >= timeout_s:
                raise DeviceTimeout("ending the file transfer", "the end of the program's run", engine._recent, now - started)
            chunk = engine._read(min(POLL_SLICE_S, started + timeout_s - now))
            if chunk:
                self._feed(chunk)
        if self.rebooted:
            engine.needs_resync = True
            return None
        engine._back_to_prompt()
        assert self.finished is not None
        return self.finished.exception

    def abandon(self) -> None:
        """After a failure or a cancel: stop the program (CTRL-C; its ``finally`` removes a
        half-written temporary file) and get back to the raw prompt, best effort. The next
        command then enters the raw REPL afresh, always: input sent to the program that it never
        read (blocks in flight when CTRL-C stopped it) lands in the raw REPL's line buffer after
        the prompt, and only the CTRL-C of a fresh entry clears it before the next code."""
        engine = self._engine
        with contextlib.suppress(WorkbenchError):
            if self.finished is not None:
                engine._back_to_prompt()
            elif not self.rebooted:
                engine._recover_after_timeout()  # (it clears needs_resync on reaching the prompt)
        engine.needs_resync = True

    # -- internals
    def _feed(self, data: bytes) -> None:
        engine = self._engine
        if not self.label:
            engine._feed(data)
            return
        conn = engine.conn
        conn.receive_data(data, engine.clock())
        events = conn.events()
        engine._recent = (engine._recent + data)[-256:]
        engine._events.extend(events)
        if engine.trace.enabled:
            engine.trace.record("rx", data, meaning=self.label, events=tuple(events))

    def _take(self) -> bytes:
        """Stdout bytes among the events the core found; notes the end of the run."""
        events = self._engine._events
        out = bytearray()
        while events:
            event = events.popleft()
            if isinstance(event, Output):
                if event.stream == "stdout":
                    out += event.data
                else:
                    self.stderr += event.data
            elif isinstance(event, StdoutEnded):
                self._stdout_ended = True
            elif isinstance(event, ExecFinished):
                self.finished = event
                break
            elif isinstance(event, DeviceRebooted):
                self.rebooted = True
                break
        return bytes(out)

    def _ended(self) -> ProgramEnded:
        exception = self.finished.exception if self.finished is not None else None
        return ProgramEnded(exception, b"", rebooted=self.rebooted)
