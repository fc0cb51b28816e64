"""The workbench app: an editor, the device's output and a status line.

All device I/O runs on the session's worker thread; Textual thread workers only wait for
session calls and post messages back, so the UI never blocks on the device.
"""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, RichLog, Static, TextArea

from workbench.app.messages import DeviceOutput, DeviceStatus, RunFinished
from workbench.errors import WorkbenchError

DEFAULT_CODE = 'import sys\nprint("Hello from", sys.implementation.name, sys.platform)\n'


class WorkbenchApp(App[None]):
    """Write code, run it on the device (F5), stop it (F6)."""

    CSS_PATH = "app.tcss"
    TITLE = "workbench"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "run", "Run", priority=True),
        Binding("f6", "stop", "Stop", priority=True),  # over TextArea's select-line
        Binding("f8", "soft_reset", "Soft reset", priority=True),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    def __init__(self, device_url: str) -> None:
        super().__init__()
        self.device_url = device_url
        self.session = None
        self._partial_line = ""  # output arrives in arbitrary pieces; the log shows lines

    def compose(self) -> ComposeResult:
        yield Header()
        editor = TextArea.code_editor(DEFAULT_CODE, language="python", id="editor")
        editor.border_title = "editor"
        yield editor
        yield RichLog(id="output", wrap=True, markup=False)
        yield Static(f"{self.device_url}: connecting...", id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#output", RichLog).border_title = "output"
        self._connect()

    @work(thread=True, exclusive=True, group="device")
    def _connect(self) -> None:
        from workbench.engine import connect

        try:
            session = connect(self.device_url)
            session.enter_raw()
        except WorkbenchError as exc:
            self.post_message(DeviceStatus(f"{self.device_url}: {exc}", error=True))
            return
        self.session = session
        self.post_message(DeviceStatus(f"{self.device_url}: {session.state}"))

    def action_run(self) -> None:
        if self.session is None:
            self.notify("No device connected", severity="error")
            return
        self._run(self.query_one("#editor", TextArea).text)

    @work(thread=True, group="run")
    def _run(self, code: str) -> None:
        session = self.session
        assert session is not None
        try:
            result = session.exec(code, on_output=lambda s, t: self.post_message(DeviceOutput(s, t)))
        except WorkbenchError as exc:
            self.post_message(RunFinished(None, str(exc)))
            return
        self.post_message(RunFinished(result))

    def action_stop(self) -> None:
        if self.session is not None:
            self.session.interrupt()

    @work(thread=True, group="device")
    def action_soft_reset(self) -> None:
        if self.session is None:
            return
        try:
            self.session.soft_reset()
        except WorkbenchError as exc:
            self.post_message(DeviceStatus(str(exc), error=True))
            return
        self.post_message(DeviceStatus(f"{self.device_url}: soft reset, {self.session.state}"))

    def on_device_output(self, message: DeviceOutput) -> None:
        text = self._partial_line + message.text.replace("\r\n", "\n")
        *complete, self._partial_line = text.split("\n")
        log = self.query_one("#output", RichLog)
        for line in complete:
            log.write(line)

    def _flush_partial_line(self) -> None:
        if self._partial_line:
            self.query_one("#output", RichLog).write(self._partial_line)
            self._partial_line = ""

    def on_run_finished(self, message: RunFinished) -> None:
        self._flush_partial_line()
        status = self.query_one("#status", Static)
        if message.result is None:
            self.notify(message.error or "run failed", severity="error")
            status.update(f"{self.device_url}: {message.error}")
            return
        r = message.result
        mode = "raw-paste" if r.raw_paste else "raw"
        status.update(
            f"{self.device_url}: {mode}, {r.bytes_sent} B sent, {r.total_s * 1000:.1f} ms"
            + (f", raised {r.exception.type_name}" if r.exception else "")
        )

    def on_device_status(self, message: DeviceStatus) -> None:
        self.query_one("#status", Static).update(message.text)
        if message.error:
            self.notify(message.text, severity="error", timeout=10)

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.close()


def default_device() -> str:
    """One board plugged in: use it; otherwise the embedded default (a simulated board)."""
    from workbench.devices import EMBEDDED_DEFAULT, available_devices

    boards = [entry for entry in available_devices() if entry.kind == "serial" and entry.board]
    if len(boards) == 1:
        return boards[0].url
    return EMBEDDED_DEFAULT


def run_app(device: str | None = None) -> int:
    """Start the app on ``device`` (or the embedded default) and return the exit status."""
    WorkbenchApp(device or default_device()).run()
    return 0
