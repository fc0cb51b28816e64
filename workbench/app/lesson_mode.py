"""Lessons in the app: a lesson's own simulated board, one step per F5 (or Space), restart with F3.

A mixin of :class:`~workbench.app.app.WorkbenchApp`. The lesson runs on a worker thread
(:class:`~workbench.lessons.LessonRun`); its bytes reach the trace through the app's lesson
bridge and its outcomes go to the lesson's own output document. The devices stay connected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.widgets import Static

from workbench.app.messages import LessonOpened, LessonStepDone
from workbench.app.step_mode import GO_ON_KEYS
from workbench.app.widgets.output_pane import OutputPane
from workbench.app.widgets.status_bar import StatusBar
from workbench.app.widgets.trace_view import TraceView
from workbench.errors import WorkbenchError
from workbench.lessons import Lesson, LessonRun

if TYPE_CHECKING:
    from workbench.app.app import WorkbenchApp

    _Base = WorkbenchApp
else:
    _Base = object

#: The output document (and bridge tag) of a lesson, which has its own simulated board.
LESSON_DOCUMENT = "lesson:"


class LessonMode(_Base):
    """Palette "Lesson: ...", F5 / Space, F3."""

    def start_lesson(self, lesson: Lesson) -> None:
        """Leave the device and walk through ``lesson`` on its own simulated board."""
        self._leave_lesson_run()
        self._lesson_busy = True
        self.refresh_bindings()
        self.query_one("#trace", TraceView).set_records([])
        self._viewing_file = None
        self._show_trace()
        self.query_one("#explain", Static).update(f"Opening {lesson.url} for the lesson '{lesson.title}'...")
        self._set_step_mode_on(self.device_url, False)
        output = self.query_one("#output", OutputPane)
        output.show_document(LESSON_DOCUMENT)
        output.border_title = f"output: lesson {lesson.name}"
        output.run_started(f"lesson: {lesson.title}")
        output.write("stdout", lesson.summary + "\n")
        self._open_lesson(LessonRun(lesson))

    @work(thread=True, group="lesson", exit_on_error=False)
    def _open_lesson(self, run: LessonRun) -> None:
        """(worker) Open the lesson's own board; the devices stay connected meanwhile."""
        try:
            run.open()
        except WorkbenchError as exc:
            run.close()
            self.post_message(LessonStepDone(run, None, f"the lesson's board did not open: {exc}"))
            return
        if run.trace is not None:
            run.trace.listeners.append(self.bridge.add_trace)
        self.post_message(LessonOpened(run, run.opening_records))

    def on_lesson_opened(self, message: LessonOpened) -> None:
        self._lesson = message.run
        self._lesson_busy = False
        self.query_one("#trace", TraceView).add_records(message.records)
        status = self.query_one("#status", StatusBar)
        status.set_device(message.run.lesson.url)
        status.set_mode(f"lesson {message.run.lesson.name}")
        self.default_screen.add_class("-stepping")  # room for the step's explanation
        status.set_profile(None)
        self._show_lesson_step()
        self.refresh_bindings()

    def _show_lesson_step(self) -> None:
        run = self._lesson
        if run is None:
            return
        lesson = run.lesson
        explain = self.query_one("#explain", Static)
        if run.finished:
            explain.update(
                f"Lesson '{lesson.title}' done: all {len(lesson.steps)} steps ran.\n"
                "F3 runs it again; the palette (Ctrl+P, 'Lesson') has the others; F2 goes back to the device."
            )
            return
        step = lesson.steps[run.next_index]
        explain.update(
            f"Lesson '{lesson.title}', step {run.next_index + 1} of {len(lesson.steps)}: {step.title}\n\n"
            f"{step.explanation}\n\n{GO_ON_KEYS}: run this step · F3: restart the lesson · F2: back to the device"
        )

    def _next_lesson_step(self) -> None:
        run = self._lesson
        if run is None or self._lesson_busy or run.finished:
            return
        self._lesson_busy = True
        self.refresh_bindings()
        self._run_lesson_step(run)

    @work(thread=True, group="lesson", exit_on_error=False)
    def _run_lesson_step(self, run: LessonRun) -> None:
        try:
            outcome = run.run_next()
        except WorkbenchError as exc:
            self.post_message(LessonStepDone(run, None, str(exc)))
            return
        self.post_message(LessonStepDone(run, outcome))

    def on_lesson_step_done(self, message: LessonStepDone) -> None:
        self._flush_bridge(LESSON_DOCUMENT)
        output = self.query_one("#output", OutputPane)
        if message.run is not self._lesson and message.outcome is not None:
            return  # a step of a lesson the user has left since
        self._lesson_busy = False
        self.refresh_bindings()
        if message.outcome is None:
            output.error(message.error or "the lesson step failed", document=LESSON_DOCUMENT)
            self.notify(message.error or "the lesson step failed", severity="error", timeout=8)
            return
        outcome = message.outcome
        output.write("stdout", f"step {outcome.index + 1}: {outcome.step.title}\n", document=LESSON_DOCUMENT)
        if outcome.ok:
            output.write("stdout", f"  {outcome.outcome}\n", document=LESSON_DOCUMENT)
        else:
            output.error(f"  this step failed: {outcome.error} (F3 restarts the lesson)", document=LESSON_DOCUMENT)
        self._show_lesson_step()

    def action_restart_lesson(self) -> None:
        run = self._lesson
        if run is not None:
            self.start_lesson(run.lesson)

    def _leave_lesson_run(self) -> None:
        """Close the lesson's board (if any); the device connection is the caller's business."""
        run, self._lesson = self._lesson, None
        if run is not None:
            self._close_lesson(run)
            self.query_one("#status", StatusBar).set_mode("step mode" if self._step_mode else None)
            self.default_screen.set_class(self._step_mode, "-stepping")
        self.refresh_bindings()

    @work(thread=True, group="lesson-close", exit_on_error=False)
    def _close_lesson(self, run: LessonRun) -> None:
        run.close()
