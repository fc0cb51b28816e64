"""A lesson as a plain-text handout: each step's explanation, its bytes, and what came of it.

The handout must read the same every time the lesson runs, so a teacher can print it and
students can compare. Two things in a raw trace change from run to run and are left out:
timestamps, and how the device's bytes happened to be split between reads (a print may
arrive in one read or three). Consecutive reads are therefore joined into one record, and
the whole exchange is annotated afresh by replaying it through the protocol core
(:func:`workbench.trace.annotate`), so the meanings depend on the bytes alone; the engine's
own notes on its writes are left out for the same reason (the replayed meaning says what
each write was).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import replace

from workbench.lessons.actions import profile_changes
from workbench.lessons.model import Lesson, StepOutcome
from workbench.lessons.run import LessonRun
from workbench.trace.annotate import annotate
from workbench.trace.record import TraceRecord
from workbench.trace.render import render_text
from workbench.trace.wording import meaning_parts

WIDTH = 78
_INDENT = "  "


def merge_reads(records: list[TraceRecord]) -> list[TraceRecord]:
    """Join consecutive device-to-host records (how reads split bytes is timing, not protocol).

    Host writes stay as they are: each is one decision of the engine (a chunk, a request).
    """
    merged: list[TraceRecord] = []
    for rec in records:
        if rec.dir == "rx" and merged and merged[-1].dir == "rx":
            last = merged[-1]
            merged[-1] = replace(last, data=last.data + rec.data, meaning="", events=())
        else:
            merged.append(replace(rec, meaning="", events=()))
    return merged


def render_records(records: list[TraceRecord], indent: str = "    ") -> str:
    """Records as :func:`~workbench.trace.render.render_text` lines, without the time column.

    The meaning is given event by event (one per line, under each other), so a read that
    carried OK, output, two CTRL-Ds and the prompt reads as five short lines.
    """
    if not records:
        return f"{indent}(no bytes)"
    prefix = f"{0.0:10.6f} "
    lines: list[str] = []
    for rec in records:
        parts = meaning_parts(rec.events) or [""]
        line = render_text([replace(rec, t=0.0, note="", meaning=parts[0])]).removeprefix(prefix)
        lines.append(indent + line)
        if len(parts) > 1:
            column = len(line) - len(parts[0])
            lines.extend(indent + " " * column + part for part in parts[1:])
    return "\n".join(lines)


def _para(text: str, indent: str = _INDENT) -> str:
    # No breaks at hyphens: 'raw-paste' or 'USB-serial' split over two lines reads badly.
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False)


class _Annotator:
    """Annotates a session's records step by step, replaying everything seen so far."""

    def __init__(self) -> None:
        self._history: list[TraceRecord] = []

    def add(self, records: list[TraceRecord]) -> list[TraceRecord]:
        merged = merge_reads(records)
        annotated = annotate(self._history + merged, overwrite=True)
        self._history = annotated
        return annotated[len(annotated) - len(merged) :]


def header(lesson: Lesson) -> str:
    """Title, board, settings and summary."""
    title = f"Lesson {lesson.name}: {lesson.title}"
    settings = profile_changes(lesson.profile) if lesson.profile is not None else "the defaults"
    return "\n".join(
        [
            title,
            "=" * len(title),
            "",
            f"Board: {lesson.url}",
            f"Settings: {settings}",
            "",
            _para(lesson.summary, indent=""),
        ]
    )


def render_step(outcome: StepOutcome, records: list[TraceRecord], count: int) -> str:
    """One step of the handout (``records`` already merged and annotated)."""
    step = outcome.step
    lines = [
        f"Step {outcome.index + 1} of {count}: {step.title}",
        "-" * len(f"Step {outcome.index + 1} of {count}: {step.title}"),
        _para(step.explanation),
        "",
        f"{_INDENT}Bytes (tx: host to board, rx: board to host):",
        render_records(records),
        "",
    ]
    if outcome.ok:
        lines.append(_para(f"Outcome: {outcome.outcome}"))
    else:
        lines.append(_para(f"STEP FAILED: {outcome.error}"))
    return "\n".join(lines)


def iter_walkthrough(lesson: Lesson) -> Iterator[tuple[str, StepOutcome | None]]:
    """Run ``lesson`` and yield the handout part by part as each step finishes.

    Yields ``(text, None)`` for the header and the opening, then ``(text, outcome)`` per
    step, so a caller can print as it goes and still learn which steps failed. Raises
    :class:`~workbench.errors.ConnectError` if the board cannot be opened.
    """
    yield header(lesson), None
    annotator = _Annotator()
    with LessonRun(lesson) as run:
        run.open()
        opening = annotator.add(run.opening_records)
        yield (
            "\n".join(
                [
                    "Opening the board",
                    "-----------------",
                    _para(
                        "The port is opened and the board boots: it prints the friendly banner "
                        "and the '>>> ' prompt of the REPL made for people."
                    ),
                    "",
                    render_records(opening),
                ]
            ),
            None,
        )
        count = len(lesson.steps)
        while not run.finished:
            outcome = run.run_next()
            yield render_step(outcome, annotator.add(outcome.records), count), outcome


def render_walkthrough(lesson: Lesson) -> str:
    """Run ``lesson`` to the end and return the whole handout as one text."""
    return "\n\n".join(text for text, _ in iter_walkthrough(lesson)) + "\n"
