"""The built-in lessons, in teaching order, and lookup by name."""

from __future__ import annotations

from workbench.lessons.basics import EXCEPTION, INTERRUPT, RAW_REPL, RUN_CODE, SOFT_RESET
from workbench.lessons.model import Lesson, UnknownLesson
from workbench.lessons.transfer import FLAKY_BRIDGE, LEGACY, RAW_PASTE

#: Every built-in lesson, in the order a class would take them.
LESSONS: tuple[Lesson, ...] = (
    RAW_REPL,
    RUN_CODE,
    EXCEPTION,
    RAW_PASTE,
    LEGACY,
    INTERRUPT,
    SOFT_RESET,
    FLAKY_BRIDGE,
)


def lesson_names() -> list[str]:
    """The names ``workbench lesson NAME`` accepts, in teaching order."""
    return [lesson.name for lesson in LESSONS]


def get_lesson(name: str) -> Lesson:
    """The lesson called ``name``; :class:`UnknownLesson` (naming the known ones) if none."""
    for lesson in LESSONS:
        if lesson.name == name:
            return lesson
    raise UnknownLesson(name, lesson_names())
