"""Sessions: one device, one worker thread that owns its port, a queue of commands.

Callers (the CLI, the app's widgets, tests) call the methods here from any thread. Each
call becomes a job on the worker's queue and the caller waits for its result; the worker
is the only thread that reads or writes the port, so a slow or flooding device can never
block a UI thread, and two callers can never interleave bytes. ``interrupt()`` is the
exception that proves the rule: it must reach a run in progress, so it sets a flag the
worker's read loop checks between reads (every 50 ms at most).

What other threads may read (the state, the raw-paste credit) comes from a
:class:`~workbench.engine.state.SessionSnapshot` the worker publishes after every job, idle
poll and trace record; it is replaced whole, never changed in place.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from threading import get_ident
from typing import TYPE_CHECKING, Any, Self, TypeVar

import serial

from workbench.engine.engine import Engine, OutputCallback
from workbench.engine.profile import DEFAULT_PROFILE, Profile
from workbench.engine.result import ExecResult
from workbench.engine.state import DeviceState, SessionSnapshot, device_state
from workbench.engine.stepping import PendingStep, StepController, StepStopped
from workbench.errors import (
    ConnectError,
    DeviceDisconnected,
    PortInUse,
    SessionClosed,
    UsageError,
    WorkbenchError,
)
from workbench.trace.record import TraceRecord, TraceRecorder
from workbench.transports import has_modem_lines, open_port
from workbench.transports.exclusive import holder
from workbench.transports.port_io import POLL_SLICE_S

if TYPE_CHECKING:
    from workbench.engine.conversation import Conversation

T = TypeVar("T")
_STOP = object()
#: Bound on how long close() waits for the worker to let go of the port.
CLOSE_WAIT_S = 5.0


class _Job:
    """One call handed to the worker; a bare lock is the cheapest cross-thread signal
    (a Future's condition variable costs a noticeable share of a 0.2 ms exec).
    """

    __slots__ = ("args", "done", "error", "fn", "result")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        self.fn = fn
        self.args = args
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = threading.Lock()
        self.done.acquire()

    def finish(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result = result
        self.error = error
        self.done.release()

    def wait(self) -> Any:
        # Unbounded here, bounded in the worker: every step it runs has a deadline, and
        # close() fails whatever is still queued.
        self.done.acquire()
        if self.error is not None:
            raise self.error
        return self.result


class Session:
    """A connection to one device; use :func:`connect` to make one."""

    def __init__(
        self,
        url: str,
        profile: Profile | None = None,
        *,
        trace: TraceRecorder | None = None,
    ) -> None:
        self.url = url
        profile = profile or DEFAULT_PROFILE
        self.trace = trace or TraceRecorder(profile.trace_budget_bytes)
        try:
            port = open_port(url, baudrate=profile.baudrate)
        except (serial.SerialException, ValueError, OSError) as exc:
            problem = _open_problem(url, exc)
            error = PortInUse if _in_use(url, exc) else ConnectError
            raise error(f"could not open {url}: {problem}") from exc
        try:
            self._apply_lines(port, profile)
        except (serial.SerialException, OSError) as exc:
            port.close()
            raise ConnectError(f"could not set DTR/RTS on {url}: {exc}") from exc
        self._engine = Engine(port, profile, self.trace, url=url)
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._busy = False
        self._closed = False
        self.lost: WorkbenchError | None = None
        #: Called once (on the worker thread) when the device is found gone; must only hand on.
        self.on_lost: Callable[[WorkbenchError], None] | None = None
        self._started_at = time.monotonic() + profile.startup_delay_s
        self._thread = threading.Thread(target=self._run, name=f"workbench port {url}", daemon=True)
        # Built here, before the worker exists (so no other thread is in the core yet); from
        # now on only the worker replaces it.
        self._snapshot = self._take_snapshot()
        self._snapshot_key: tuple[object, ...] = ()
        self._thread_ident: int | None = None  # set by the worker as it starts
        self.trace.listeners.append(self._publish_after_record)
        self._thread.start()

    @staticmethod
    def _apply_lines(port: serial.SerialBase, profile: Profile) -> None:
        if not has_modem_lines(port):
            return
        # RTS before DTR: on the usual ESP32/ESP8266 auto-reset wiring, RTS on with DTR off
        # holds the chip in reset, which setting DTR first would pass through on the way.
        if profile.rts is not None:
            port.rts = profile.rts
        if profile.dtr is not None:
            port.dtr = profile.dtr

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ public API
    @property
    def profile(self) -> Profile:
        """The settings in force."""
        return self._engine.profile

    @property
    def snapshot(self) -> SessionSnapshot:
        """What the device is doing, as the worker last published it (safe from any thread).

        Closed or lost, it says so at once (no credit then), whatever the worker saw last.
        """
        snapshot = self._snapshot
        if self._closed:
            return replace(snapshot, state=DeviceState.CLOSED, paste_credit=None)
        if self.lost is not None:
            return replace(snapshot, state=DeviceState.DISCONNECTED, paste_credit=None)
        return snapshot

    @property
    def state(self) -> DeviceState:
        """What the device is doing: 'raw REPL, ready', 'running (stdout)', ... (see
        :attr:`snapshot`; a call that returned has published the state it left)."""
        return self.snapshot.state

    @property
    def paste_credit(self) -> int | None:
        """Raw-paste window credit while a paste is in flight (for the status bar), else None."""
        return self.snapshot.paste_credit

    @property
    def raw_paste_window(self) -> int:
        """The raw-paste window the board announced on this connection (0: not asked yet, or
        no raw-paste): half its input buffer, which sizes a file transfer's blocks."""
        return self._engine.conn.window or 0

    @property
    def raw_paste_supported(self) -> bool | None:
        """What the device answered to raw-paste (None: not asked yet on this connection)."""
        return self.snapshot.raw_paste_supported

    def findings(self) -> dict[str, object]:
        """What this connection learned about the board's protocol (raw-paste works, absent or
        broken; its window), for the caller to remember: see :meth:`Engine.findings`.

        Also after the session closed or was lost (that is when a broken board is found):
        the worker is gone then, so reading the engine's flags here is safe."""
        if self._closed or self.lost is not None:
            return self._engine.findings()
        try:
            return self._call(self._engine.findings)
        except WorkbenchError:
            return self._engine.findings()

    @property
    def port(self) -> serial.SerialBase:
        """The pyserial object (for diagnostics; only the worker thread may use it)."""
        return self._engine.port

    def set_profile(self, profile: Profile) -> None:
        """Apply new settings from the next command on, without reconnecting."""
        self._call(self._engine.set_profile, profile)

    @property
    def stepping(self) -> bool:
        """Whether step mode is on."""
        stepper = self._engine.stepper
        return stepper is not None and stepper.enabled

    def set_step_mode(self, on_step: Callable[[PendingStep], None] | None) -> None:
        """Step mode on (``on_step`` is told each step, on the worker thread) or off (None).

        Takes effect at once, even in the middle of a run: leaving step mode lets the step
        that waits now, and every later one, go ahead. Any thread may call it.
        """
        old = self._engine.stepper
        self._engine.stepper = StepController(on_step) if on_step is not None else None
        if old is not None:
            old.disable()

    @property
    def waiting_step(self) -> PendingStep | None:
        """The protocol step waiting for go right now (step mode), else None."""
        stepper = self._engine.stepper
        return stepper.waiting if stepper is not None else None

    def step(self) -> None:
        """Go ahead with the step that waits (step mode); harmless when none waits."""
        stepper = self._engine.stepper
        if stepper is not None:
            stepper.release()

    def exec(
        self,
        code: str | bytes,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        *,
        source_name: str | None = None,
        profile: Profile | None = None,
    ) -> ExecResult:
        """Run code in the raw REPL and return its output, exception and timings.

        Uses raw-paste when the device has it (asked once per connection), else plain raw
        mode in profile-sized chunks. ``on_output(stream, text)`` is called on the worker
        thread as output arrives. ``timeout`` bounds the run (default: the profile's exec
        timeout, none); a run that exceeds it is interrupted and ExecTimeout raised.

        ``source_name`` (``"blink.py"``): where the code came from. Tracebacks then name it
        instead of ``<stdin>``: in the stderr passed to ``on_output``, in ``result.stderr``
        and in ``result.exception`` (whose ``stdin_line`` still gives the line in the code).
        The bytes on the wire, and so the trace, are unchanged.

        ``profile``: settings for this run only (the workbench's own small execs, such as the
        fingerprint, go in plain raw mode with small writes). Unlike :meth:`set_profile` before
        and after, no other command can run in between with the wrong settings.
        """
        return self._call(self._engine.exec, code, timeout, on_output, source_name, profile)

    def converse(self, code: str | bytes, talk: Callable[[Conversation], T]) -> T:
        """Run ``code`` and talk to it while it runs: ``talk(conversation)`` is called on the
        worker thread, writes to the program's stdin and reads its stdout (see
        :mod:`workbench.engine.conversation`; the file transfers use it). :meth:`interrupt`
        from another thread sets ``conversation.cancel_requested``."""
        return self._call(self._engine.converse, code, talk)

    def interrupt(self) -> None:
        """CTRL-C: stop the running exec (from any thread), or whatever the device runs."""
        with self._lock:
            if self._busy:
                self._engine.interrupt_requested.set()
                return
        self._call(self._engine.interrupt)

    def enter_raw(self) -> None:
        """Enter the raw REPL from whatever state the device is in."""
        self._call(self._engine.enter_raw)

    def soft_reset(self) -> None:
        """Soft-reboot the device; returns at the raw prompt."""
        self._call(self._engine.soft_reset)

    def hard_reset(self) -> bool:
        """Reset with DTR/RTS (NotSupported where the transport has no such lines); whether
        the board answered the pulse (False: its lines are probably not wired to reset)."""
        return self._call(self._engine.hard_reset)

    def leave_raw(self) -> None:
        """Back to the friendly REPL."""
        self._call(self._engine.leave_raw)

    def close(self) -> None:
        """Stop the worker, release the port; pending calls get SessionClosed. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._engine.closing.set()
        self._jobs.put(_STOP)
        if threading.current_thread() is self._thread:
            return  # from inside on_output: the worker ends the run and stops by itself
        self._thread.join(CLOSE_WAIT_S)

    # ------------------------------------------------------------------ worker side
    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        if self._closed:
            raise SessionClosed(f"{self.url}: session is closed")
        if threading.current_thread() is self._thread:
            # Called from an on_output callback or a trace listener: the worker would wait
            # for its own job, for ever.
            raise UsageError(
                f"{self.url}: a Session method was called from inside on_output (or a trace "
                "listener), which runs on the session's worker; hand the work to another thread"
            )
        if self.lost is not None:
            raise DeviceDisconnected(str(self.lost))
        job = _Job(fn, args)
        self._jobs.put(job)
        return job.wait()  # type: ignore[no-any-return]

    def _run(self) -> None:
        self._thread_ident = get_ident()
        engine = self._engine
        delay = self._started_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)  # profile's startup delay: boards that reset when opened
        try:
            while True:
                try:
                    job = self._jobs.get(timeout=POLL_SLICE_S)
                except queue.Empty:
                    self._poll_idle()
                    continue
                if job is _STOP:
                    break
                with self._lock:
                    self._busy = True
                    engine.interrupt_requested.clear()
                # The snapshot is published before the caller is let go: what it reads
                # next (``state``) is what its call left behind.
                try:
                    result = job.fn(*job.args)
                except DeviceDisconnected as exc:
                    self._mark_lost(exc)
                    self._publish()
                    job.finish(error=exc)
                except StepStopped as exc:
                    self._recover_after_stop()
                    self._publish()
                    job.finish(error=exc)
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    self._publish()
                    job.finish(error=exc)
                else:
                    self._publish()
                    job.finish(result)
                finally:
                    with self._lock:
                        self._busy = False
                        engine.interrupt_requested.clear()
        finally:
            if self._publish_after_record in self.trace.listeners:
                self.trace.listeners.remove(self._publish_after_record)  # the recorder outlives us
            self._fail_pending()
            try:
                engine.port.close()
            except (serial.SerialException, OSError):
                pass

    # ------------------------------------------------------------------ the snapshot (worker side)
    def _take_snapshot(self) -> SessionSnapshot:
        """(worker) The state as the protocol core and the engine have it now."""
        conn = self._engine.conn
        state = device_state(conn.state)
        return SessionSnapshot(
            state,
            conn.credit if state.pasting else None,
            self._engine.raw_paste_supported,
            self.trace.dropped_records,
        )

    def _publish(self) -> None:
        """(worker) Replace the snapshot, when something in it changed.

        Called after every trace record, so it first compares the few plain values a snapshot
        is made of and builds a new one only when they changed (most records change nothing)."""
        engine = self._engine
        conn = engine.conn
        key = (conn.state, conn.credit, engine.raw_paste_supported, self.trace.dropped_records)
        if key == self._snapshot_key:
            return
        self._snapshot_key = key
        snapshot = self._take_snapshot()
        if snapshot != self._snapshot:
            self._snapshot = snapshot

    def _publish_after_record(self, _record: TraceRecord) -> None:
        """(trace listener) Every byte sent or read is recorded, after the core took note of
        it: the moment to publish. Records of other threads (a probe's session on the same
        recorder) are not ours to describe."""
        if get_ident() == self._thread_ident:
            self._publish()

    def _recover_after_stop(self) -> None:
        """Stop pressed in step mode: back to the raw prompt (unless the session is closing)."""
        if self._engine.closing.is_set():
            return
        try:
            self._engine.recover_after_stop()
        except DeviceDisconnected as exc:
            self._mark_lost(exc)
        except WorkbenchError:
            pass  # state stays unknown: the next command enters the raw REPL again

    def _mark_lost(self, error: WorkbenchError) -> None:
        if self.lost is not None:
            return
        self.lost = error
        callback = self.on_lost
        if callback is not None:
            callback(error)

    def resources(self) -> list[tuple[str, str]]:
        """What this session holds now, as (kind, description): its worker thread, the open
        port, and whatever the transport holds (a child process, a pty, a board thread)."""
        held: list[tuple[str, str]] = []
        if self._thread.is_alive():
            held.append(("thread", self._thread.name))
        port = self._engine.port
        if port.is_open:
            held.append(("port", self.url))
            extra = getattr(port, "resources", None)
            if callable(extra):
                held.extend(extra())
        return held

    def _poll_idle(self) -> None:
        if self.lost is not None or self._closed:
            return
        try:
            self._engine.poll_idle()
        except DeviceDisconnected as exc:
            self._mark_lost(exc)
        self._publish()

    def _fail_pending(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP:
                job.finish(error=SessionClosed(f"{self.url}: session closed"))


def connect(url: str, profile: Profile | None = None, *, trace: TraceRecorder | None = None) -> Session:
    """Open ``url`` (any pyserial URL, ``spawn://`` for the local interpreter, ``sim://`` for a
    simulated board) and start its worker."""
    return Session(url, profile, trace=trace)


def _in_use(url: str, exc: BaseException) -> bool:
    """Whether the open failed because another program has the device (see :func:`_open_problem`)."""
    code = getattr(exc, "errno", None)
    if code in (errno.EPIPE, errno.ECONNRESET):
        return url.lower().startswith(("rfc2217://", "socket://"))
    return code in (errno.EBUSY, errno.EAGAIN)


def _open_problem(url: str, exc: BaseException) -> str:
    """Why a port did not open, in words that say what to do (pyserial nests the OS error
    in its own text: "[Errno 2] could not open port X: [Errno 2] No such file ...")."""
    code = getattr(exc, "errno", None)
    if code == errno.ENOENT:
        return "no such port (is the board plugged in? `workbench ports` lists what is there)"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied (on Linux, join the group that owns the port, e.g. dialout, and log in again)"
    if code in (errno.EPIPE, errno.ECONNRESET) and _in_use(url, exc):
        return ("the far end closed the connection at once: ser2net lets one client at a time have a port, so "
                "the board is probably in use by another program (another workbench window or browser tab); "
                "close it there, then connect again")
    if code in (errno.EBUSY, errno.EAGAIN):
        # EAGAIN: pyserial's flock refused (workbench/transports/exclusive.py); EBUSY: TIOCEXCL.
        who = holder(url)
        return (f"in use: {who or 'another program'} has it open (another workbench window or browser tab, "
                "mpremote, a serial monitor); close it there, then connect again")
    return str(exc)
