"""Diagnostics: what every open board's session holds, and what the whole process holds.

Why: with a classroom of boards open, a leaked thread or a forgotten interpreter process is
invisible until the machine slows down. This view lists, per board, its state, its worker
thread, its port and whatever its transport holds (a child process and pty for the local
interpreter, a board thread and code process for a simulated board), and the totals of the
process, refreshed every second. Reading them costs a few /proc reads on the UI thread.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from workbench.manager import SessionManager, snapshot


def describe_sessions(manager: SessionManager) -> str:
    """The text of the view: process totals, then one block per board."""
    lines = [f"This process: {snapshot().describe()}.", ""]
    sessions = manager.sessions()
    if not sessions:
        lines.append("No board is open.")
    for managed in sessions:
        reconnect = "reconnects automatically" if managed.auto_reconnect else "no automatic reconnect"
        detail = f" ({managed.detail})" if managed.detail and managed.state.value in ("lost", "ready") else ""
        lines.append(f"{managed.url}: {managed.state.value}{detail}; {reconnect}")
        held = managed.resources()
        if not held:
            lines.append("    holds nothing")
        for kind, what in held:
            lines.append(f"    {kind:8} {what}")
        lines.append(f"    trace    {managed.trace.total_records} records ({managed.trace.dropped_records} dropped)")
    return "\n".join(lines)


class DiagnosticsScreen(ModalScreen[None]):
    """A live list of every open board's resources; Esc closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "Close", priority=True)]

    DEFAULT_CSS = """
    DiagnosticsScreen {
        align: center middle;
    }
    DiagnosticsScreen > VerticalScroll {
        width: 90%;
        height: 80%;
        border: round $accent;
        background: $panel;
        padding: 0 1;
    }
    DiagnosticsScreen #diagnostics-text {
        color: $text;
    }
    """

    def __init__(self, manager: SessionManager) -> None:
        super().__init__()
        self._manager = manager

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "diagnostics (Esc closes)"
            yield Static(describe_sessions(self._manager), id="diagnostics-text")

    def on_mount(self) -> None:
        self.set_interval(1.0, self._refresh_text)

    def _refresh_text(self) -> None:
        self.query_one("#diagnostics-text", Static).update(describe_sessions(self._manager))
