"""The boards the app shows, one object each: what the app knows of a board besides its session.

Why a model of its own: the app keeps several boards open at once and can show a lesson's
board instead of them. Per board it needs its session (through the session manager), the
bridge carrying its output and trace to the screen, the profile in force and why, an edit
applied in the settings screen, the last detection report, whether code runs on it (and
which worker runs it), and the protocol step waiting for the person in step mode. Keeping
these on one object per board means a message from a worker names its board, and no handler
can clear the flag of the board that happens to be selected instead of the one the message is
about.

Two kinds of board: a :class:`DeviceBoard` is a device the session manager keeps open; a
:class:`LessonBoard` is a lesson's own simulated board, whose runs are the lesson's steps. The
app asks the board on screen (:attr:`Boards.shown`) what it can do (run code, go on with a
step) rather than checking whether a lesson is on.

Threads: boards are read and changed on the UI thread. Workers are handed a board and read
its ``url``, ``bridge`` and ``applied`` (each replaced whole, never changed in place); what
they find out comes back as messages the app applies to the board.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from textual.message import Message
from textual.worker import Worker

from workbench.app.bridge import SessionBridge
from workbench.engine.session import Session
from workbench.engine.state import DeviceState
from workbench.engine.stepping import PendingStep
from workbench.lessons import Lesson, LessonRun
from workbench.manager import SessionManager
from workbench.manager.lifecycle import OPEN_STATES
from workbench.manager.manager import ManagedSession, StepCallback
from workbench.profiles import PRESETS, DeviceProfile
from workbench.profiles.choice import ProfileChoice
from workbench.profiles.probe import ProbeReport
from workbench.trace.record import TraceRecord

__all__ = ["LESSON_DOCUMENT", "Board", "Boards", "DeviceBoard", "LessonBoard"]

#: The output document (and bridge tag) of a lesson, which has its own simulated board.
LESSON_DOCUMENT = "lesson:"


class Board:
    """What every board on screen has: an output document, a bridge, and the work running on it."""

    def __init__(self, document: str, bridge: SessionBridge) -> None:
        self.document = document
        """The output pane's document for this board, and its bridge's tag."""
        self.bridge = bridge
        self.busy_with: Worker[None] | None = None
        """The worker running code (or a lesson step) on this board; None while it is idle."""

    @property
    def busy(self) -> bool:
        """Whether code (or a lesson step, or opening a lesson) is running on this board."""
        return self.busy_with is not None

    @property
    def session(self) -> Session | None:
        """The session the user's commands go to (None: none now, or not the user's)."""
        return None

    @property
    def can_go_on(self) -> bool:
        """Whether F5 (or Space) has a step to go on with now."""
        return False

    def refuses_runs(self) -> str | None:
        """Why the editor's code cannot run here, in words for a toast (None: it may)."""
        return None

    def trace_records(self) -> list[TraceRecord]:
        """The records of this board's trace, oldest first."""
        return []

    @property
    def trace_dropped(self) -> int | None:
        """How many trace records this board's recorder dropped (None: it has no live one)."""
        return None

    def set_step_mode(self, on_step: StepCallback | None) -> None:
        """Stop before each protocol step (``on_step`` is told of each), or not (None). A
        lesson's board walks through its own steps: F7 leaves it alone."""


class DeviceBoard(Board):
    """A device the session manager keeps open (or will, once connected)."""

    def __init__(self, url: str, bridge: SessionBridge, manager: SessionManager) -> None:
        super().__init__(url, bridge)
        self.url = url
        self._manager = manager
        self.choice: ProfileChoice | None = None
        """The profile in force and why it was chosen (None until the board was connected)."""
        self.applied: ProfileChoice | None = None
        """An edit applied (not saved) in the settings screen, kept until the app quits."""
        self.probe_report: ProbeReport | None = None
        """The last detection's findings (shown beside each setting in the settings screen)."""
        self.pending_step: PendingStep | None = None
        """Step mode: the protocol step waiting for the person's go."""
        self.editor_row: int | None = None
        """The editor row the code running now started at (None: not the editor's text)."""

    # ------------------------------------------------------------------ its session
    @property
    def managed(self) -> ManagedSession | None:
        """The session manager's record of this board (None while it is not open)."""
        return self._manager.get(self.url)

    @property
    def session(self) -> Session | None:
        """The board's session while it takes commands (None: not connected, lost, connecting)."""
        managed = self.managed
        if managed is None or managed.state not in OPEN_STATES:
            return None
        return managed.session

    @property
    def state_text(self) -> str:
        """What the status bar says the board is doing: its session's state, else the manager's."""
        managed = self.managed
        if managed is None:
            return DeviceState.DISCONNECTED
        session = managed.session
        return session.snapshot.state if session is not None else managed.state.value

    # ------------------------------------------------------------------ its profile
    @property
    def profile(self) -> DeviceProfile:
        """The profile in force (the generic preset until connected)."""
        return self.choice.profile if self.choice is not None else PRESETS["generic"].profile

    @property
    def reason(self) -> str:
        """Why the board has its profile."""
        return self.choice.reason if self.choice is not None else "not connected yet"

    # ------------------------------------------------------------------ what F5 does
    @property
    def can_go_on(self) -> bool:
        return self.pending_step is not None

    def trace_records(self) -> list[TraceRecord]:
        managed = self.managed
        return managed.trace.records() if managed is not None else []

    @property
    def trace_dropped(self) -> int | None:
        managed = self.managed
        return managed.trace.dropped_records if managed is not None else None

    def set_step_mode(self, on_step: StepCallback | None) -> None:
        managed = self.managed
        if managed is not None:
            managed.set_step_mode(on_step)


class LessonBoard(Board):
    """A lesson's own simulated board: its runs are the lesson's steps, one per F5."""

    def __init__(self, lesson: Lesson, bridge: SessionBridge) -> None:
        super().__init__(LESSON_DOCUMENT, bridge)
        self.lesson = lesson
        self.run = LessonRun(lesson)
        """The pass through the lesson (a restart makes a new board)."""
        self.opened = False
        """Whether the lesson's board is open (steps can run)."""

    @property
    def can_go_on(self) -> bool:
        return self.opened and not self.busy and not self.run.finished

    def refuses_runs(self) -> str:
        if self.busy:
            return "The lesson's step is still running."
        return "The lesson is over: F3 runs it again, F2 goes back to the device."

    def trace_records(self) -> list[TraceRecord]:
        trace = self.run.trace
        return trace.records() if trace is not None else []


class Boards:
    """Every board the app knows, by URL; the selected device; the lesson shown instead, if any."""

    def __init__(self, manager: SessionManager, first_url: str, post: Callable[[Message], object]) -> None:
        self._manager = manager
        self._post = post
        self._devices: dict[str, DeviceBoard] = {}
        self._lesson_bridge = SessionBridge(post, tag=LESSON_DOCUMENT)
        self.selected: DeviceBoard = self.device(first_url)
        """The editor's target: its output and trace are shown unless a lesson is."""
        self.lesson: LessonBoard | None = None
        """The lesson on screen (opening or open), in place of the selected device."""

    def device(self, url: str) -> DeviceBoard:
        """The board for ``url``, made on first use (a board is never forgotten)."""
        board = self._devices.get(url)
        if board is None:
            board = self._devices[url] = DeviceBoard(url, SessionBridge(self._post, tag=url), self._manager)
        return board

    def get(self, url: str) -> DeviceBoard | None:
        """The board for ``url`` if the app has one."""
        return self._devices.get(url)

    def select(self, url: str) -> DeviceBoard:
        """Make ``url`` the selected device."""
        self.selected = self.device(url)
        return self.selected

    @property
    def shown(self) -> Board:
        """The board whose output, trace and state are on screen."""
        return self.lesson if self.lesson is not None else self.selected

    def start_lesson(self, lesson: Lesson) -> LessonBoard:
        """A new board for a pass through ``lesson``, shown from now on (the old one is left)."""
        self.lesson = LessonBoard(lesson, self._lesson_bridge)
        return self.lesson

    def leave_lesson(self) -> LessonBoard | None:
        """Back to the selected device; the lesson board left (its run is the caller's to close)."""
        board, self.lesson = self.lesson, None
        return board

    def bridge(self, document: str) -> SessionBridge | None:
        """The bridge tagged ``document`` (None: no board has it)."""
        if document == LESSON_DOCUMENT:
            return self._lesson_bridge
        board = self._devices.get(document)
        return board.bridge if board is not None else None

    def busy_with(self, worker: Worker[None]) -> list[Board]:
        """The boards ``worker`` runs code on (several for a run on marked boards)."""
        return [board for board in self if board.busy_with is worker]

    def __iter__(self) -> Iterator[Board]:
        yield from self._devices.values()
        if self.lesson is not None:
            yield self.lesson
