"""Guided lessons: short scripted scenarios on simulated boards that teach the raw REPL.

Each :class:`Lesson` is a list of :class:`LessonStep` (an explanation and an action on the
session). A :class:`LessonRun` opens the lesson's board and runs one step at a time (the
app's way), and :func:`render_walkthrough` runs a whole lesson into a plain-text handout
(``workbench lesson NAME``). The boards are simulated so every student sees the same bytes.
"""

from workbench.lessons.catalog import LESSONS, get_lesson, lesson_names
from workbench.lessons.model import (
    Lesson,
    LessonContext,
    LessonError,
    LessonStep,
    StepAction,
    StepOutcome,
    UnknownLesson,
)
from workbench.lessons.run import LessonRun
from workbench.lessons.walkthrough import iter_walkthrough, render_walkthrough

__all__ = [
    "LESSONS",
    "Lesson",
    "LessonContext",
    "LessonError",
    "LessonRun",
    "LessonStep",
    "StepAction",
    "StepOutcome",
    "UnknownLesson",
    "get_lesson",
    "iter_walkthrough",
    "lesson_names",
    "render_walkthrough",
]
