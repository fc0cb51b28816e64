"""What a lesson is made of: steps that each send something and say what came back.

A lesson is data plus small callables, not a script that runs by itself, so the CLI can
run it to the end while the app (later) shows one step at a time, waits for the teacher,
and can start again. Everything a step needs at run time is in :class:`LessonContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.engine.profile import Profile
    from workbench.engine.session import Session
    from workbench.trace.record import TraceRecord


class LessonError(WorkbenchError):
    """A lesson could not go on: a step saw something other than what it teaches."""


class UnknownLesson(LessonError, LookupError):
    """No lesson has that name; the message lists the ones that exist."""

    exit_code = 2  # a usage error, as the CLI counts them

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(f"unknown lesson {name!r}; known lessons: {', '.join(known)}")


@dataclass
class LessonContext:
    """What a step's action works with: the open session, and notes shared between steps.

    ``notes`` lets a later step refer to what an earlier one saw (the flaky-bridge lesson
    keeps the error of the failed run there), and lets tests and the app look at it.
    """

    session: Session
    lesson: Lesson
    notes: dict[str, object] = field(default_factory=dict)


StepAction = Callable[[LessonContext], str]
"""Does one step's I/O through the session and returns a short outcome text for people.

It raises (a :class:`~workbench.errors.WorkbenchError` preferably) when the board did not
answer as the lesson expects; a step that demonstrates a failure catches the failure it
expects and reports it in its outcome text instead.
"""


@dataclass(frozen=True)
class LessonStep:
    """One thing sent to the board, and why."""

    title: str
    explanation: str
    """What is about to be sent, what should come back, and why: one paragraph."""
    action: StepAction


@dataclass(frozen=True)
class Lesson:
    """A guided scenario on a simulated board, so every student sees the same bytes."""

    name: str
    """Short, lowercase, dash-separated: what ``workbench lesson NAME`` takes."""
    title: str
    summary: str
    """One paragraph: what the lesson shows."""
    url: str
    """The board it runs on (a ``sim://`` URL)."""
    steps: tuple[LessonStep, ...]
    profile: Profile | None = None
    """Engine settings to open the board with (None: the defaults)."""


@dataclass(frozen=True)
class StepOutcome:
    """What running one step gave: its outcome text, or the error that stopped it."""

    index: int
    """0-based position of the step in its lesson."""
    step: LessonStep
    outcome: str
    """The action's text; empty when the step failed."""
    records: list[TraceRecord]
    """Every trace record made while the step ran (and since the step before it ended)."""
    error: str | None = None
    """Why the step failed, in words (None: it did what the lesson expects)."""

    @property
    def ok(self) -> bool:
        """True when the step did what the lesson expects."""
        return self.error is None
