"""Step mode in the app: F7 toggles it, F5 (or Space outside the editor) lets the waiting step go.

A mixin of :class:`~workbench.app.app.WorkbenchApp`. The engine announces each step on its
worker thread (:class:`~workbench.engine.stepping.PendingStep`); the app shows what will be
sent, what is expected back and why in the explanation panel under the trace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from workbench.app.messages import StepPending
from workbench.app.widgets.status_bar import StatusBar
from workbench.engine.stepping import PendingStep
from workbench.trace.explain import spell_bytes

if TYPE_CHECKING:
    from workbench.app.app import WorkbenchApp

    _Base = WorkbenchApp
else:
    _Base = object


class StepMode(_Base):
    """F7, and F5 / Space while a step waits."""

    def action_toggle_step_mode(self) -> None:
        """F7: stop before every protocol step (F5 goes on), or run freely again."""
        self._step_mode = not self._step_mode
        session = self.session
        if session is not None:
            session.set_step_mode(self._announce_step if self._step_mode else None)
        self.default_screen.set_class(self._step_mode, "-stepping")
        explain = self.query_one("#explain", Static)
        if self._step_mode:
            self._show_trace()
            explain.update(
                "Step mode: the next command stops before each protocol step and shows what it "
                f"will send and what it expects back. {GO_ON_KEYS} goes on, F6 stops, F7 leaves step mode."
            )
        else:
            self._pending_step = None
            explain.update("Step mode off.")
        self.refresh_bindings()
        self.query_one("#status", StatusBar).set_mode("step mode" if self._step_mode else None)

    def _announce_step(self, step: PendingStep) -> None:
        """(worker thread) The engine waits before ``step``: tell the UI."""
        self.post_message(StepPending(step))

    def on_step_pending(self, message: StepPending) -> None:
        if not self._step_mode:
            return
        self._pending_step = message.step
        self._flush_bridge(self.device_url)  # the bytes so far are in the trace before the step is shown
        self.query_one("#explain", Static).update(format_step(message.step))
        self.refresh_bindings()

    def action_step(self) -> None:
        if self._pending_step is None and self._lesson is not None:
            self._next_lesson_step()
            return
        session = self.session
        if self._pending_step is None or session is None:
            return
        self._pending_step = None
        self.refresh_bindings()
        session.step()

    def _step_run_ended(self) -> None:
        """The stepped run on the selected board is over: the panel stops offering a step."""
        if self._step_mode and self._lesson is None:
            self.query_one("#explain", Static).update(
                "The run is over. Step mode is still on: F5 steps through the next run; F7 leaves step mode."
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F5 and Space go on only while a protocol or lesson step waits (F5 runs otherwise;
        Space is the editor's then)."""
        if action == "step":
            lesson = self._lesson
            return self._pending_step is not None or (
                lesson is not None and not self._lesson_busy and not lesson.finished
            )
        if action == "restart_lesson":
            return self._lesson is not None
        return True


#: How the panels name the key that lets a waiting step go: F5 works from every pane; Space
#: only where it is not typed (the editor and the REPL line take it as text).
GO_ON_KEYS = "F5 (or Space outside the editor)"


def format_step(step: PendingStep) -> str:
    """The explanation panel's text for a waiting step: what, which bytes, what comes back, why."""
    if step.data:
        spelled = spell_bytes(step.data)
        if spelled is None:
            preview = step.data[:40].decode("utf-8", "replace")
            spelled = f"{len(step.data)} bytes: {preview!r}" + ("…" if len(step.data) > 40 else "")
        action = f"About to send: {spelled}   [{step.data[:16].hex(' ')}{' …' if len(step.data) > 16 else ''}]"
    else:
        action = "About to read from the board."
    return (
        f"Step {step.number}: {step.title}\n{action}\nExpecting: {step.expect}\n\n{step.explanation}\n\n"
        f"{GO_ON_KEYS}: go on · F6: stop · F7: leave step mode"
    )
