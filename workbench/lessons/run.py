"""Running a lesson one step at a time, on its own session and its own trace.

The app drives a :class:`LessonRun` from a worker thread (a step waits on the board), the
CLI drives it to the end; both get a :class:`StepOutcome` per step with the trace records
that step produced, so each step's bytes can be shown next to its explanation.

Every wait is bounded: steps use the session (whose every wait has a deadline), and opening
waits at most :data:`BOOT_WAIT_S` for the board's first prompt.
"""

from __future__ import annotations

import threading
from typing import Self

from workbench.engine.profile import DEFAULT_PROFILE
from workbench.engine.session import Session, connect
from workbench.lessons.model import Lesson, LessonContext, LessonError, StepOutcome
from workbench.trace.record import TraceRecord, TraceRecorder

#: Longest wait, after opening, for the board to finish booting (its friendly prompt).
BOOT_WAIT_S = 5.0
#: What a freshly booted MicroPython board prints last: the friendly prompt.
FRIENDLY_PROMPT = b">>> "


class LessonRun:
    """One pass through a lesson: open the board, run steps in order, restart, close.

    Meant to be driven by one thread at a time (the app's worker); a lock makes overlapping
    calls wait their turn rather than interleave bytes, so ``close()`` from another thread
    waits for a running step to end (every step is bounded). ``close()`` is idempotent.
    """

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.outcomes: list[StepOutcome] = []
        self.opening_records: list[TraceRecord] = []
        """What the board sent while it was being opened (its boot banner), before step 1."""
        self._lock = threading.RLock()
        self._session: Session | None = None
        self._trace: TraceRecorder | None = None
        self._context: LessonContext | None = None
        self._closed = False
        # Every record of this run, appended by a trace listener on the session's worker
        # thread (so the recorder's ring buffer and its drops do not matter here).
        self._log: list[TraceRecord] = []
        self._log_lock = threading.Lock()
        self._seen = 0  # records of _log already handed out (opening or a step)

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------------ state
    @property
    def next_index(self) -> int:
        """0-based index of the step :meth:`run_next` will run."""
        return len(self.outcomes)

    @property
    def finished(self) -> bool:
        """True when every step has run."""
        return self.next_index >= len(self.lesson.steps)

    @property
    def is_open(self) -> bool:
        """True while the board is open."""
        return self._session is not None

    @property
    def session(self) -> Session | None:
        """The open session (None before the first step and after close)."""
        return self._session

    @property
    def trace(self) -> TraceRecorder | None:
        """This run's trace recorder (None before opening)."""
        return self._trace

    @property
    def context(self) -> LessonContext | None:
        """What the steps share (None before opening)."""
        return self._context

    # ------------------------------------------------------------------ operations
    def open(self) -> None:
        """Open the lesson's board and wait (bounded) until it has booted.

        Done by the first :meth:`run_next` if not called; raises
        :class:`~workbench.errors.ConnectError` when the board cannot be opened.
        """
        with self._lock:
            if self._closed:
                raise LessonError(f"lesson {self.lesson.name!r} was closed; restart it to run it again")
            self._open()

    def _open(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            profile = self.lesson.profile or DEFAULT_PROFILE
            trace = TraceRecorder(profile.trace_budget_bytes)
            booted = threading.Event()
            received = bytearray()

            def watch_boot(record: TraceRecord) -> None:
                if record.dir == "rx":
                    received.extend(record.data)
                    if received.endswith(FRIENDLY_PROMPT):
                        booted.set()

            with self._log_lock:
                self._log = []
                self._seen = 0
            trace.listeners.append(self._keep)
            trace.listeners.append(watch_boot)
            try:
                session = connect(self.lesson.url, profile, trace=trace)
                # The idle worker reads the boot banner on its own; waiting for the prompt
                # keeps it out of step 1, so every run shows the same bytes in each step.
                # A board that never shows it (busy in main.py) is left to step 1 to stop.
                booted.wait(BOOT_WAIT_S)
            finally:
                trace.listeners.remove(watch_boot)
            self._session = session
            self._trace = trace
            self._context = LessonContext(session=session, lesson=self.lesson)
            self.opening_records = self._new_records()

    def run_next(self) -> StepOutcome:
        """Run the next step and return what it gave (a failed step is an outcome too).

        Raises :class:`LessonError` when every step has run (see :meth:`restart`), and
        :class:`~workbench.errors.ConnectError` if the board cannot be opened.
        """
        with self._lock:
            if self._closed:
                raise LessonError(f"lesson {self.lesson.name!r} was closed; restart it to run it again")
            if self.finished:
                raise LessonError(
                    f"lesson {self.lesson.name!r} has no step {self.next_index + 1} "
                    f"(it has {len(self.lesson.steps)}); restart it to run it again"
                )
            self.open()
            assert self._context is not None
            index = self.next_index
            step = self.lesson.steps[index]
            error: str | None = None
            outcome = ""
            try:
                outcome = step.action(self._context)
            except Exception as exc:  # noqa: BLE001 - a failed step is shown, not raised
                error = f"{type(exc).__name__}: {exc}"
            result = StepOutcome(index, step, outcome, self._new_records(), error)
            self.outcomes.append(result)
            return result

    def run_all(self) -> list[StepOutcome]:
        """Run every remaining step; returns the outcomes of all steps run so far."""
        with self._lock:
            while not self.finished:
                self.run_next()
            return list(self.outcomes)

    def restart(self) -> None:
        """Close the board, open it afresh, and go back to step 1."""
        with self._lock:
            self.close()
            self.outcomes = []
            self.opening_records = []
            self._closed = False
            self._open()

    def close(self) -> None:
        """Release the board; the outcomes so far stay readable. Idempotent."""
        with self._lock:
            session, self._session = self._session, None
            self._context = None
            if session is not None:
                self._closed = True
                session.close()

    # ------------------------------------------------------------------ helpers
    def _keep(self, record: TraceRecord) -> None:
        with self._log_lock:
            self._log.append(record)

    def _new_records(self) -> list[TraceRecord]:
        """Records made since the last call."""
        with self._log_lock:
            new = self._log[self._seen :]
            self._seen = len(self._log)
        return new
