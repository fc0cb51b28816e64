"""All live sessions: open, look up, close, reconnect, run on several at once.

Why a manager: a classroom has a board per student, a lab a rack behind ser2net. Each board
gets its own :class:`~workbench.engine.session.Session` (its own worker thread, port, trace
and profile), so a board that hangs or floods only ever blocks its own worker. The manager
adds what one session cannot know: which boards are open, in which :class:`SessionState`,
what each holds (threads, ports, processes, ptys), and what to do when one disappears
(release everything; reopen it when it comes back if the user asked for that).

Threads: callers use the manager from any thread. One watcher thread per manager closes lost
sessions (a session cannot close itself from its own worker) and retries the reconnects; it
ends in :meth:`SessionManager.close_all`. Subscribers are called on whichever thread made
the change and must only hand the event on (the app posts a message).
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Self

from workbench.discovery.ports import PortInfo
from workbench.engine.profile import DEFAULT_PROFILE, Profile
from workbench.engine.result import ExecResult
from workbench.engine.session import OutputCallback, Session, connect
from workbench.engine.stepping import PendingStep
from workbench.errors import ConnectError, DeviceDisconnected, SessionClosed, WorkbenchError
from workbench.manager.badges import busy_state
from workbench.manager.lifecycle import OPEN_STATES, SessionEvent, SessionState, allowed
from workbench.profiles.matching import device_key
from workbench.trace.record import TraceRecorder

Subscriber = Callable[[SessionEvent], None]
StepCallback = Callable[[PendingStep], None]

#: How often lost sessions that should reconnect try again.
RECONNECT_INTERVAL_S = 1.0


class ManagerError(WorkbenchError):
    """A request the manager cannot carry out (unknown URL, session not ready)."""


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """One board's part of a run on several: its result, or why it has none, and how long."""

    url: str
    result: ExecResult | None
    error: str | None
    duration_s: float

    @property
    def status(self) -> str:
        """'ok', 'raised' (the code raised on the board) or 'failed' (no result: timeout, lost)."""
        if self.result is None:
            return "failed"
        return "ok" if self.result.ok else "raised"


class ManagedSession:
    """One board the manager keeps: its session (while connected), state, trace and profile."""

    def __init__(
        self,
        manager: SessionManager,
        url: str,
        profile: Profile,
        *,
        auto_reconnect: bool,
        serial_number: str | None,
        trace: TraceRecorder | None = None,
    ) -> None:
        self.manager = manager
        self.url = url
        self.profile = profile
        self.auto_reconnect = auto_reconnect
        self.serial_number = serial_number
        """USB serial number when the board is a USB serial port: it is found again by it."""
        self.trace = trace if trace is not None else TraceRecorder(profile.trace_budget_bytes)
        """The board's trace, kept across reconnects (its budget: the profile's ``trace_budget_bytes``)."""
        self.session: Session | None = None
        self.state = SessionState.CONNECTING
        self.detail = ""
        self._lock = threading.Lock()
        self._holds: dict[int, str] = {}
        """What keeps the board RUNNING now (runs and file actions), by ticket: their labels
        ("" for a run). Emptied when the session is lost or closed: those holders are done."""
        self._tickets = itertools.count()

    # ------------------------------------------------------------------ what the user does
    def exec(
        self,
        code: str | bytes,
        timeout: float | None = None,
        on_output: OutputCallback | None = None,
        *,
        source_name: str | None = None,
    ) -> ExecResult:
        """Run code on this board (see :meth:`Session.exec`, also for ``source_name``); the
        state shows RUNNING meanwhile."""
        with self._running("") as session:
            return session.exec(code, timeout=timeout, on_output=on_output, source_name=source_name)

    @contextmanager
    def busy(self, label: str) -> Iterator[Session]:
        """Hold the board RUNNING, with ``label`` ("uploading main.py") as its detail, for the
        length of a ``with`` block that uses the yielded session for several commands (a file
        transfer, a listing).

        Why: between the execs of a file action the protocol state says "ready", and a person
        watching the devices pane would take the board for idle. The board goes back to READY
        when the block ends, however it ends (error, cancel); a board lost meanwhile stays LOST.
        Runs and busy blocks may overlap (the session runs their commands one after another):
        the board is READY again only when the last of them ends. A board that is not open
        raises :class:`ManagerError` before the block starts.
        """
        if not label:
            raise ValueError("a busy board needs a label that says what it is doing")
        with self._running(label) as session:
            yield session

    @property
    def state_text(self) -> str:
        """What the board is doing, in the words a badge is chosen from: the label of a busy
        block while one holds it ("running: uploading main.py"), else the session's protocol
        state, else the manager's state."""
        with self._lock:
            session, state, detail, busy = self.session, self.state, self.detail, bool(self._holds)
        if state is SessionState.RUNNING and busy and detail:
            return busy_state(detail)
        if session is not None and state in OPEN_STATES:
            return session.snapshot.state
        return state.value

    def interrupt(self) -> None:
        """CTRL-C (from any thread, also while a run is going)."""
        session = self.session
        if session is not None:
            session.interrupt()

    def soft_reset(self) -> None:
        """CTRL-D at the raw prompt: the board restarts its interpreter (see :meth:`Session.soft_reset`)."""
        self._ready_session().soft_reset()

    def hard_reset(self) -> bool:
        """Pulse DTR/RTS; whether the board answered (see :meth:`Session.hard_reset`)."""
        return self._ready_session().hard_reset()

    # ------------------------------------------------------------------ step mode
    def set_step_mode(self, on_step: StepCallback | None) -> None:
        """Step mode on (``on_step`` is told each step, on the session's worker) or off (None),
        for the session open now (a reconnected one starts without). Any thread may call it."""
        session = self.session
        if session is not None:
            session.set_step_mode(on_step)

    @property
    def waiting_step(self) -> PendingStep | None:
        """The protocol step waiting for go right now (step mode), else None."""
        session = self.session
        return session.waiting_step if session is not None else None

    def step(self) -> None:
        """Go ahead with the step that waits (harmless when none does)."""
        session = self.session
        if session is not None:
            session.step()

    def set_profile(self, profile: Profile) -> None:
        """New settings from the next command on; also used for reconnects. The trace keeps
        at most the new profile's ``trace_budget_bytes`` from its next record on."""
        self.profile = profile
        self.trace.budget_bytes = profile.trace_budget_bytes
        session = self.session
        if session is not None:
            session.set_profile(profile)

    @property
    def device_key(self) -> str:
        """The board's USB serial number key, else its URL key (see ``profiles.device_key``)."""
        return device_key(self.url, self.serial_number)

    def resources(self) -> list[tuple[str, str]]:
        """What this board's session holds now (empty once lost or closed)."""
        session = self.session
        return session.resources() if session is not None else []

    # ------------------------------------------------------------------ internals
    def _ready_session(self) -> Session:
        with self._lock:
            session, state = self.session, self.state
        if session is None or state in (SessionState.LOST, SessionState.CLOSED, SessionState.CONNECTING):
            raise ManagerError(self._not_open_text(state))
        return session

    def _not_open_text(self, state: SessionState) -> str:
        return f"{self.url} is {state.value}" + (f": {self.detail}" if self.detail else "")

    @contextmanager
    def _running(self, label: str) -> Iterator[Session]:
        """The one path to RUNNING and back, for :meth:`exec` and :meth:`busy`.

        Taking a ticket and moving to RUNNING happen under the lock in one step, so a run and
        a file action that start at the same moment cannot leave the board READY while one of
        them still goes on: READY comes back with the last ticket returned.
        """
        with self._lock:
            session, state = self.session, self.state
            if session is None or state not in OPEN_STATES:
                raise ManagerError(self._not_open_text(state))
            ticket = next(self._tickets)
            self._holds[ticket] = label
            event = self._change(SessionState.RUNNING, self._busy_detail())
        self._announce(event)
        try:
            yield session
        except DeviceDisconnected as exc:
            self._lost(session, exc)
            raise
        finally:
            with self._lock:
                event = None
                # A ticket is gone when its session was lost or closed meanwhile: nothing to undo.
                if self._holds.pop(ticket, None) is not None and self.session is session:
                    if self._holds:
                        event = self._change(SessionState.RUNNING, self._busy_detail())
                    else:
                        event = self._change(SessionState.READY, "")
            self._announce(event)

    def _busy_detail(self) -> str:
        """(lock held) The label of the latest busy block still going ("" for runs only)."""
        return next((label for label in reversed(self._holds.values()) if label), "")

    def _move(self, new: SessionState, detail: str = "") -> None:
        with self._lock:
            event = self._change(new, detail)
        self._announce(event)

    def _change(self, new: SessionState, detail: str) -> SessionEvent | None:
        """(lock held) Go to ``new`` if :func:`allowed`; the event to announce once the lock
        is released (None when nothing was announced: same state, or not allowed)."""
        old = self.state
        if old is SessionState.CLOSED or not allowed(old, new):
            return None  # e.g. a run ending after the board was already marked lost
        self.state = new
        if detail or new in (SessionState.READY, SessionState.RUNNING):
            self.detail = detail
        if new not in OPEN_STATES:
            self._holds.clear()  # their session is gone: what they hold ends with it
        return SessionEvent(self.url, old, new, detail) if old is not new else None

    def _announce(self, event: SessionEvent | None) -> None:
        if event is not None:
            self.manager._emit(event)

    def _lost(self, session: Session, error: WorkbenchError) -> None:
        """The device went away: release its session (on the watcher thread) and say so."""
        with self._lock:
            if self.session is not session:
                return  # already handed over (the worker and a failed exec both report it)
            self.session = None
        self._move(SessionState.LOST, str(error))
        self.manager._release(session)

    def _connect(self, detail: str = "", *, first: bool = False) -> None:
        """(any thread but the session's) Open the board and enter the raw REPL.

        A failed reconnect leaves the board LOST (it may come back); a failed ``first`` open
        is never called lost, since it never was connected: the caller closes it.
        """
        self._move(SessionState.CONNECTING)
        try:
            session = connect(self.url, self.profile, trace=self.trace)
        except ConnectError as exc:
            if not first:
                self._move(SessionState.LOST, str(exc))
            raise
        session.on_lost = lambda error: self._lost(session, error)
        try:
            session.enter_raw()
        except WorkbenchError as exc:
            session.close()
            if not first:
                self._move(SessionState.LOST, str(exc))
            raise ConnectError(f"{self.url}: opened but the raw REPL did not answer: {exc}") from exc
        with self._lock:
            self.session = session
        self._move(SessionState.READY, detail)

    def __repr__(self) -> str:
        return f"ManagedSession({self.url!r}, {self.state.value})"


class SessionManager:
    """Owns every live session; see the module docstring. Use as a context manager."""

    def __init__(
        self,
        *,
        profile_for: Callable[[str], Profile] | None = None,
        find_port: Callable[[str], PortInfo | None] | None = None,
        list_ports: Callable[[], list[PortInfo]] | None = None,
        reconnect_interval_s: float = RECONNECT_INTERVAL_S,
    ) -> None:
        self._profile_for = profile_for or (lambda _url: DEFAULT_PROFILE)
        self._find_port = find_port
        self._list_ports = list_ports
        self.reconnect_interval_s = reconnect_interval_s
        self._sessions: dict[str, ManagedSession] = {}
        self._lock = threading.Lock()
        self._subscribers: list[Subscriber] = []
        self._releases: queue.SimpleQueue[Session | None] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close_all()

    # ------------------------------------------------------------------ lookup
    def get(self, url: str) -> ManagedSession | None:
        """The managed session for ``url`` (None when it is not open)."""
        with self._lock:
            return self._sessions.get(url)

    def sessions(self) -> list[ManagedSession]:
        """Every managed session, in the order they were opened."""
        with self._lock:
            return list(self._sessions.values())

    def __contains__(self, url: object) -> bool:
        with self._lock:
            return url in self._sessions

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    # ------------------------------------------------------------------ events
    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Be told of every state change; returns a function that unsubscribes."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: SessionEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(event)

    # ------------------------------------------------------------------ open and close
    def open(
        self,
        url: str,
        profile: Profile | None = None,
        *,
        auto_reconnect: bool = False,
        trace: TraceRecorder | None = None,
        port: PortInfo | None = None,
    ) -> ManagedSession:
        """Connect to ``url`` (blocking, bounded by the profile's timeouts) and keep it.

        An already open URL is returned as it is (a LOST one is reconnected first). A board
        that cannot be opened raises :class:`ConnectError` and is not kept. ``trace``: the
        recorder to use (kept across reconnects); by default a new one. ``port``: the serial
        port behind ``url`` when the caller has already looked it up (saves listing the ports).
        """
        url = url.strip()
        if not url:
            raise ManagerError("empty device URL")
        with self._lock:
            existing = self._sessions.get(url)
        if existing is not None:
            if existing.state is SessionState.LOST:
                existing._connect()
            return existing
        if port is None and self._find_port is not None:
            port = self._find_port(url)
        serial = port.serial_number.strip() if port is not None and port.serial_number else None
        managed = ManagedSession(
            self,
            url,
            profile or self._profile_for(url),
            auto_reconnect=auto_reconnect,
            serial_number=serial,
            trace=trace,
        )
        with self._lock:
            if url in self._sessions:  # opened meanwhile by another thread
                return self._sessions[url]
            self._sessions[url] = managed
        self._emit(SessionEvent(url, SessionState.CONNECTING, SessionState.CONNECTING, "opening"))
        try:
            managed._connect(first=True)
        except WorkbenchError as exc:
            with self._lock:
                self._sessions.pop(url, None)
            managed._move(SessionState.CLOSED, f"could not be opened: {exc}")
            raise
        self._ensure_watcher()
        return managed

    def close(self, url: str) -> None:
        """Close one board's session and forget it (unknown URLs are ignored)."""
        with self._lock:
            managed = self._sessions.pop(url, None)
        if managed is None:
            return
        with managed._lock:
            session, managed.session = managed.session, None
        if session is not None:
            session.on_lost = None
            session.close()
        managed._move(SessionState.CLOSED, "closed")

    def close_all(self) -> None:
        """Close every session and stop the watcher (on exit). Safe to call twice."""
        for managed in self.sessions():
            self.close(managed.url)
        self._stop.set()
        self._releases.put(None)
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join(5.0)
        self._watcher = None
        self._stop.clear()

    def set_auto_reconnect(self, url: str, on: bool) -> None:
        """Reopen this board by itself when it comes back after being lost."""
        managed = self.get(url)
        if managed is None:
            raise ManagerError(f"{url} is not open")
        managed.auto_reconnect = on

    # ------------------------------------------------------------------ running on several
    def run_on(
        self,
        urls: Iterable[str],
        code: str | bytes,
        *,
        timeout: float | None = None,
        on_output: Callable[[str, str, str], None] | None = None,
        source_name: str | None = None,
    ) -> list[RunOutcome]:
        """Run ``code`` on every board in ``urls`` at once; one outcome per board, in order.

        Each board runs on its own thread (and its own session worker), so the total time is
        that of the slowest board, not the sum. ``on_output(url, stream, text)`` is called on
        the boards' threads. A board that fails (timeout, lost, not open) has an error in its
        outcome; it never stops the others. ``source_name``: tracebacks name it instead of
        ``<stdin>`` (see :meth:`Session.exec`).
        """
        targets = list(dict.fromkeys(urls))
        outcomes: dict[str, RunOutcome] = {}

        def run_one(url: str) -> None:
            started = time.monotonic()
            managed = self.get(url)
            try:
                if managed is None:
                    raise ManagerError(f"{url} is not open")
                callback = None if on_output is None else (lambda stream, text: on_output(url, stream, text))
                result = managed.exec(code, timeout=timeout, on_output=callback, source_name=source_name)
            except WorkbenchError as exc:
                outcomes[url] = RunOutcome(url, None, str(exc), time.monotonic() - started)
            else:
                outcomes[url] = RunOutcome(url, result, None, time.monotonic() - started)

        threads = [threading.Thread(target=run_one, args=(url,), name=f"workbench run {url}") for url in targets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()  # each exec is bounded by its session's deadlines (and ``timeout``)
        return [outcomes[url] for url in targets]

    # ------------------------------------------------------------------ diagnostics
    def resources(self) -> dict[str, list[tuple[str, str]]]:
        """Per URL, what its session holds now (threads, ports, processes, ptys)."""
        return {managed.url: managed.resources() for managed in self.sessions()}

    # ------------------------------------------------------------------ the watcher
    def _release(self, session: Session) -> None:
        """Hand a lost session to the watcher, which closes it (its worker cannot)."""
        self._ensure_watcher()
        self._releases.put(session)

    def _ensure_watcher(self) -> None:
        with self._lock:
            if self._watcher is not None and self._watcher.is_alive():
                return
            self._watcher = threading.Thread(target=self._watch, name="workbench session manager", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._releases.get(timeout=self.reconnect_interval_s)
            except queue.Empty:
                item = None
            if item is not None:
                item.on_lost = None
                item.close()
                continue
            if self._stop.is_set():
                break
            for managed in self.sessions():
                if managed.auto_reconnect and managed.state is SessionState.LOST and not self._stop.is_set():
                    self._try_reconnect(managed)
        # Lost sessions handed over at the very end are closed too.
        while True:
            try:
                item = self._releases.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                item.close()

    def _try_reconnect(self, managed: ManagedSession) -> None:
        """One attempt: a USB board is looked for by serial number (it may be on a new port)."""
        if managed.serial_number and self._list_ports is not None:
            match = next(
                (p for p in self._list_ports() if (p.serial_number or "").strip() == managed.serial_number), None
            )
            if match is None:
                return  # not plugged in yet
            if match.device != managed.url:
                self._rename(managed, match.device)
        try:
            managed._connect("reconnected")
        except (WorkbenchError, SessionClosed):
            return  # still gone: try again next interval

    def _rename(self, managed: ManagedSession, url: str) -> None:
        with self._lock:
            self._sessions.pop(managed.url, None)
            managed.url = url
            self._sessions[url] = managed
