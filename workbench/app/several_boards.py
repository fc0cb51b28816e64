"""Several boards at once: run the editor's code on every marked board, and diagnostics.

A mixin of :class:`~workbench.app.app.WorkbenchApp`. Each board runs on its own session worker
(through :meth:`SessionManager.run_on`), its output goes to its own output document, and one
summary says which boards succeeded, which raised and how long each took.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual import work

from workbench.app.bridge import SessionBridge
from workbench.app.messages import SeveralRunFinished
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.app.widgets.diagnostics_screen import DiagnosticsScreen
from workbench.app.widgets.editor_pane import EditorPane
from workbench.app.widgets.output_pane import OutputPane
from workbench.manager.manager import RunOutcome
from workbench.profiles import device_key

if TYPE_CHECKING:
    from workbench.app.app import WorkbenchApp

    _Base = WorkbenchApp
else:
    _Base = object


class SeveralBoards(_Base):
    """Shift+F5 (run on marked boards), automatic reconnect, diagnostics."""

    def action_run_marked(self) -> None:
        """Shift+F5: the editor's code on every marked board at once, each output apart."""
        urls = self.query_one("#devices", DevicesPane).marked_urls
        if not urls:
            self.notify("Mark boards with m in the devices pane first; Shift+F5 then runs on all of them.",
                        severity="warning")
            return
        busy = [url for url in urls if url in self._busy_boards]
        if busy:
            self.notify(f"Still running on {', '.join(busy)}: stop it first (F6).", severity="warning")
            return
        code = self.query_one("#editor", EditorPane).selected_or_all()
        self._run_count += 1
        label = f"run {self._run_count} on {len(urls)} board{'s' if len(urls) != 1 else ''}"
        output = self.query_one("#output", OutputPane)
        bridges = {url: self._bridge_for(url) for url in urls}
        for url in urls:
            self._busy_boards.add(url)
            output.run_started(label, document=url)
        self._run_several(urls, code, bridges, label)

    @work(thread=True, group="run", exit_on_error=False)
    def _run_several(self, urls: list[str], code: str, bridges: dict[str, SessionBridge], label: str) -> None:
        for url in urls:
            if self.manager.get(url) is None:
                self._open_session(url, bridges[url])  # marked but not connected yet
        started = time.monotonic()  # the run itself, not the connecting
        outcomes = self.manager.run_on(
            urls, code, on_output=lambda url, stream, text: bridges[url].add_output(stream, text)
        )
        self.post_message(SeveralRunFinished(outcomes, label, time.monotonic() - started))

    def on_several_run_finished(self, message: SeveralRunFinished) -> None:
        output = self.query_one("#output", OutputPane)
        for outcome in message.outcomes:
            self._busy_boards.discard(outcome.url)
            self._flush_bridge(outcome.url)
            if outcome.result is not None:
                output.run_finished(outcome.result, document=outcome.url)
            else:
                output.error(outcome.error or "no result", document=outcome.url)
        summary = several_summary(message.label, message.outcomes, message.wall_s)
        output.write("stdout", summary + "\n", document=self._shown_document)
        worst = "error" if any(o.status == "failed" for o in message.outcomes) else (
            "warning" if any(o.status == "raised" for o in message.outcomes) else "information")
        self.notify(summary.splitlines()[0], severity=worst, timeout=8)

    def action_toggle_auto_reconnect(self) -> None:
        """The selected board reopens by itself after it was lost (cable, reset), or not."""
        url = self.device_url
        managed = self.manager.get(url)
        # An open board knows its serial number; a closed one is named by its URL (no port
        # listing on the UI thread), and a USB board's own key is used once it is connected.
        key = managed.device_key if managed is not None else device_key(url, None)
        on = key not in self._auto_reconnect
        self._auto_reconnect ^= {key}
        if managed is not None:
            self.manager.set_auto_reconnect(url, on)
        self.settings.auto_reconnect = sorted(self._auto_reconnect)
        self.settings.save()  # remembered for the next start; a failure is reported below
        what = "reconnects automatically when it comes back" if on else "stays lost until you connect it"
        self.notify(f"{url} {what}.", timeout=6)
        for problem in self.settings.problems:
            self.notify(problem, severity="warning")
        self.settings.problems.clear()

    def action_diagnostics(self) -> None:
        self.push_screen(DiagnosticsScreen(self.manager))


def several_summary(label: str, outcomes: list[RunOutcome], wall_s: float) -> str:
    """Which boards succeeded, which raised, which failed, and how long each took."""
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "raised", "failed")}
    slowest = max((o.duration_s for o in outcomes), default=0.0)
    head = (
        f"── {label}: {counts['ok']} ok, {counts['raised']} raised, {counts['failed']} failed; "
        f"{wall_s * 1000:.0f} ms in all, slowest board {slowest * 1000:.0f} ms ──"
    )
    lines = [head]
    for outcome in outcomes:
        if outcome.result is not None and outcome.result.exception is not None:
            detail = f": {outcome.result.exception.type_name}"
        elif outcome.error:
            detail = f": {outcome.error}"
        else:
            detail = ""
        lines.append(f"   {outcome.url}  {outcome.status}  {outcome.duration_s * 1000:.0f} ms{detail}")
    return "\n".join(lines)
