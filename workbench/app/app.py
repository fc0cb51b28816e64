"""The workbench app: devices, editor, output, REPL line, live trace, status bar.

Several boards may be open at once (a :class:`~workbench.manager.SessionManager` owns them);
one is selected: the editor's target, whose output document and trace are on screen. All
device I/O happens on each session's worker thread. Textual thread workers only wait for
session calls; what a device prints and every trace record come back through that board's
:class:`~workbench.app.bridge.SessionBridge` in batches, so a device printing as fast as it
can never floods the UI. Widgets are touched on the UI thread only. Profiles, several-board
runs, step mode and lessons live in mixins next to this module.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import SimpleCommand
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.events import Resize
from textual.markup import escape
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, WorkerState

from workbench.app.bridge import BridgeFlush, SessionBridge
from workbench.app.lesson_mode import LESSON_DOCUMENT, LessonMode
from workbench.app.messages import (
    BoardNotice,
    BoardStateChanged,
    DeviceConnected,
    DeviceStatus,
    RunFinished,
    WorkerMessage,
)
from workbench.app.profile_actions import ProfileActions
from workbench.app.recovery import RecoveryStore
from workbench.app.several_boards import SeveralBoards
from workbench.app.step_mode import StepMode
from workbench.app.themes import (
    DEFAULT_THEME,
    apply_saved_theme,
    register_themes,
    remember_theme,
    theme_label,
    workbench_theme_names,
)
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.app.widgets.editor_pane import EditorPane
from workbench.app.widgets.output_pane import OutputPane
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.repl_line import ReplLine
from workbench.app.widgets.settings_screen import SettingsScreen
from workbench.app.widgets.status_bar import StatusBar
from workbench.app.widgets.trace_view import TraceView
from workbench.config import Settings
from workbench.discovery.devices import DeviceEntry, available_devices
from workbench.discovery.ports import PortInfo, list_ports
from workbench.engine.session import Session
from workbench.engine.stepping import PendingStep
from workbench.errors import DeviceDisconnected, WorkbenchError
from workbench.lessons import LESSONS, LessonRun
from workbench.manager import SessionEvent, SessionManager, SessionState
from workbench.manager.manager import ManagedSession
from workbench.profiles import (
    PRESETS,
    DeviceProfile,
    ProfileStore,
    choose_profile,
    device_key,
    find_port,
    saved_profile,
)
from workbench.profiles.probe import ProbeReport, fingerprint
from workbench.trace import TraceFileError, annotate, load_jsonl, save_jsonl
from workbench.trace.record import TraceRecorder

SOFT_RESET_DONE = "Soft reset done: the board restarted its interpreter; variables and imports are gone."
HARD_RESET_DONE = "Hard reset done: the board restarted on the DTR/RTS pulse and is back at the raw prompt."
HARD_RESET_SILENT = (
    "Hard reset did nothing: the board sent nothing after the DTR/RTS pulse, so its reset is "
    "probably not wired to DTR/RTS (boards on native USB are not). Use a soft reset (F8) or "
    "machine.reset() on the board."
)
DEFAULT_CODE = 'import sys\nprint("Hello from", sys.implementation.name, sys.platform)\n'
#: Below this width the side panes are hidden unless toggled on (80x24 stays usable).
NARROW_WIDTH = 120
#: From this width on the trace keeps room for whole hex dump lines (app.tcss, ``-wide``).
WIDE_WIDTH = 160
#: Trace memory budget of the live session (the ring buffer drops the oldest beyond it).
TRACE_BUDGET_BYTES = 16 * 1024 * 1024


class WorkbenchApp(ProfileActions, SeveralBoards, StepMode, LessonMode, App[None]):
    """Write code, run it on a board, watch every byte of the protocol."""

    CSS_PATH = "app.tcss"
    TITLE = "workbench"
    BINDINGS: ClassVar[list[BindingType]] = [
        # While a protocol or lesson step waits, F5 goes on (from every pane: the editor
        # consumes Space, so Space goes on only where no text is typed). The first binding of
        # a key whose check_action allows it wins, in the footer too.
        Binding("f5", "step", "Next step", priority=True),
        Binding("f5", "run", "Run", priority=True),
        Binding("shift+f5", "run_marked", "Run on marked", show=False, priority=True),
        Binding("f6", "stop", "Stop", priority=True),  # over TextArea's select-line
        Binding("f7", "toggle_step_mode", "Step mode", priority=True),
        Binding("space", "step", "Next step", show=False, priority=True),
        Binding("f3", "restart_lesson", "Restart lesson", priority=True),  # only in a lesson
        Binding("f8", "soft_reset", "Soft reset", priority=True),
        Binding("shift+f8", "hard_reset", "Hard reset", show=False, priority=True),
        Binding("f2", "toggle_connection", "Connect", priority=True),
        Binding("f4", "settings", "Settings", priority=True),
        Binding("f9", "toggle_devices", "Devices", priority=True),
        Binding("f10", "toggle_trace", "Trace", priority=True),
        Binding("ctrl+o", "open_file", "Open", show=False, priority=True),
        Binding("ctrl+s", "save_file", "Save", show=False, priority=True),
        Binding("f12", "save_file_as", "Save as", show=False, priority=True),
        Binding("ctrl+t", "save_trace", "Save trace", show=False, priority=True),
        Binding("ctrl+r", "open_trace", "Open trace", show=False, priority=True),
        Binding("ctrl+f", "search_trace", "Search trace", show=False, priority=True),
        Binding("ctrl+e", "focus('editor')", "Editor", show=False, priority=True),
        Binding("ctrl+l", "focus('repl')", "REPL line", show=False, priority=True),
        Binding("ctrl+g", "focus('devices')", "Devices", show=False, priority=True),
        Binding("ctrl+n", "focus('output')", "Output", show=False, priority=True),
        Binding("ctrl+b", "focus('trace')", "Trace", show=False, priority=True),
    ]

    def __init__(
        self,
        device_url: str,
        *,
        discover: Callable[[], list[DeviceEntry]] = available_devices,
        recovery: RecoveryStore | None = None,
        settings: Settings | None = None,
        trace_clock: Callable[[], float] = time.monotonic,
        status_clock: Callable[[], float] = time.monotonic,
        initial_code: str = DEFAULT_CODE,
        profiles: ProfileStore | None = None,
    ) -> None:
        super().__init__()
        self.device_url = device_url
        """The selected board: the editor's target, the output and trace shown."""
        self.manager = SessionManager(find_port=find_port, list_ports=list_ports)
        self._bridges: dict[str, SessionBridge] = {}
        self.bridge = SessionBridge(self.post_message, tag=LESSON_DOCUMENT)
        self._busy_boards: set[str] = set()
        #: Profile in force per board, and why it was chosen.
        self._board_profiles: dict[str, tuple[DeviceProfile, str]] = {}
        self.recovery = recovery if recovery is not None else RecoveryStore()
        self.settings = settings if settings is not None else Settings.load()
        #: Device keys (USB serial number, else URL) that reconnect by themselves when lost.
        self._auto_reconnect: set[str] = set(self.settings.auto_reconnect)
        self.profiles = profiles if profiles is not None else ProfileStore.load()
        #: Profiles applied (not saved) in the settings screen: kept per URL until the app quits.
        self._applied: dict[str, tuple[DeviceProfile, str]] = {}
        self._probe_reports: dict[str, ProbeReport] = {}
        self._step_mode = False
        self._lesson: LessonRun | None = None
        self._lesson_busy = False
        self._pending_step: PendingStep | None = None
        self._discover = discover
        self._trace_clock = trace_clock
        self._status_clock = status_clock
        self._initial_code = initial_code
        self._run_count = 0
        #: Boards running the editor's text, with the editor row the code started at.
        self._editor_runs: dict[str, int] = {}
        self._viewing_file: str | None = None
        self._startup_problems = register_themes(self)
        self.theme = DEFAULT_THEME

    # ------------------------------------------------------------------ the selected board
    @property
    def session(self) -> Session | None:
        """The selected board's session while it is usable (None in a lesson, or not connected)."""
        if self._lesson is not None:
            return None
        managed = self.manager.get(self.device_url)
        if managed is None or managed.state not in (SessionState.READY, SessionState.RUNNING):
            return None
        return managed.session

    @property
    def _code_running(self) -> bool:
        """Whether the selected board is running the editor's code."""
        return self.device_url in self._busy_boards

    @property
    def active_profile(self) -> DeviceProfile:
        """The selected board's profile."""
        return self._board_profiles.get(self.device_url, (PRESETS["generic"].profile, ""))[0]

    @property
    def profile_reason(self) -> str:
        """Why the selected board has its profile."""
        return self._board_profiles.get(self.device_url, (None, "not connected yet"))[1]

    def _refresh_status(self) -> None:
        """(timer) The boards' states in the devices pane and the status bar."""
        if not self.is_running:  # shutting down: the panes are going (or gone)
            return
        try:
            self._show_board_states()
        except NoMatches:  # a pane removed between two checks of a teardown
            return

    def _show_board_states(self) -> None:
        devices = self.query_one("#devices", DevicesPane)
        for managed in self.manager.sessions():
            board = managed.session
            if board is not None and managed.state in (SessionState.READY, SessionState.RUNNING):
                devices.set_state(managed.url, board.state)
        session = self.session
        if session is None:
            return
        status = self.query_one("#status", StatusBar)
        status.set_state(session.state)
        status.set_credit(session.paste_credit)
        status.set_trace_drops(session.trace.dropped_records)
        # The profile asked for raw-paste and the board said no: no flow control from here on.
        downgraded = session.raw_paste_supported is False and self.active_profile.raw_paste != "never"
        status.set_downgrade("plain raw: no raw-paste" if downgraded else None)

    def _bridge_for(self, url: str) -> SessionBridge:
        """(UI thread) The bridge carrying ``url``'s output and trace to the screen."""
        bridge = self._bridges.get(url)
        if bridge is None:
            bridge = self._bridges[url] = SessionBridge(self.post_message, tag=url)
        return bridge

    def select_board(self, url: str) -> None:
        """Make ``url`` the editor's target; show its output, trace and state (others stay open)."""
        self._set_step_mode_on(self.device_url, False)
        self.device_url = url
        self.query_one("#output", OutputPane).show_document(url)
        self._viewing_file = None
        trace = self.query_one("#trace", TraceView)
        trace.border_title = f"trace: {escape(url)}" if len(self.manager) > 1 else "trace"
        managed = self.manager.get(url)
        trace.set_records(managed.trace.records() if managed is not None else [])
        status = self.query_one("#status", StatusBar)
        status.set_device(url)
        status.set_state(managed.session.state if managed is not None and managed.session else
                         (managed.state.value if managed is not None else "disconnected"))
        status.set_profile(self.active_profile.name if url in self._board_profiles else None)
        devices = self.query_one("#devices", DevicesPane)
        devices.highlight(url)
        self._set_step_mode_on(url, self._step_mode)
        self.query_one("#output", OutputPane).border_title = (
            f"output: {escape(url)}" if len(self.manager) > 1 else "output"
        )

    def _set_step_mode_on(self, url: str, on: bool) -> None:
        managed = self.manager.get(url)
        if managed is not None and managed.session is not None:
            managed.session.set_step_mode(self._announce_step if on else None)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            yield DevicesPane(id="devices", discover=self._discover)
            with Vertical(id="center"):
                yield EditorPane(self._initial_code, id="editor", recovery=self.recovery)
                yield OutputPane(id="output")
                yield ReplLine(id="repl")
            with Vertical(id="trace-column"):
                yield Input(placeholder="search the trace (Enter; n / N repeat)", id="trace-search")
                yield TraceView(id="trace")
                # Text from devices and files: never read as markup ("[/]" in a note crashed it).
                yield Static("Select a trace row to see what it means.", id="explain", markup=False)
        yield StatusBar(id="status", clock=self._status_clock)
        yield Footer()

    def on_mount(self) -> None:
        problems = [
            *self._startup_problems,
            *apply_saved_theme(self, self.settings),
            *self.settings.problems,
            *self.profiles.problems,
        ]
        self.theme_changed_signal.subscribe(self, lambda theme: self._remember_theme(theme.name))
        for problem in problems:
            self.notify(problem, severity="warning", timeout=10)
        self.query_one("#output", OutputPane).border_title = "output"
        self.query_one("#trace", TraceView).border_title = "trace"
        self._apply_width(self.size.width)
        # A person starts by typing code: the keyboard is in the editor (not the first
        # focusable widget, the devices list, which is hidden on a narrow terminal).
        self.query_one("#editor", EditorPane).focus()
        self.set_interval(0.25, self._refresh_status)
        self._offer_recovery()
        self.query_one("#status", StatusBar).set_device(self.device_url)
        self.query_one("#output", OutputPane).show_document(self.device_url)
        self.manager.subscribe(lambda event: self.post_message(BoardStateChanged(event)))
        self._connect(self.device_url)

    def _remember_theme(self, name: str) -> None:
        remember_theme(self.settings, name)
        for problem in self.settings.problems:
            self.notify(problem, severity="warning")
        self.settings.problems.clear()

    def on_resize(self, event: Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        self.default_screen.set_class(width < NARROW_WIDTH, "-narrow")
        self.default_screen.set_class(width >= WIDE_WIDTH, "-wide")
        self._keep_focus_visible()

    def _keep_focus_visible(self) -> None:
        """After panes were shown or hidden: a keyboard left in a hidden pane goes to a shown
        one (the editor first), or the keys a person types would go nowhere."""

        def move() -> None:
            focused = self.default_screen.focused
            if focused is not None and _displayed(focused):
                return
            for pane in ("editor", "trace", "devices"):
                widget = self.query_one(f"#{pane}")
                if _displayed(widget):
                    self.action_focus(pane)
                    return

        self.call_after_refresh(move)

    # ------------------------------------------------------------------ recovery
    def _offer_recovery(self) -> None:
        saved = self.recovery.load()
        if saved is None:
            return
        text, path = saved
        editor = self.query_one("#editor", EditorPane)
        # Nothing typed is ever lost: the recovered text comes back as unsaved changes.
        editor.set_text(text, Path(path) if path else None, modified=True)
        where = f" of {path}" if path else ""
        self.notify(f"Recovered unsaved text{where} from the last session.", timeout=8)

    # ------------------------------------------------------------------ connection
    def _connect(self, url: str) -> None:
        """Select ``url`` and connect to it unless it is open; other boards stay connected."""
        if self._lesson is not None:
            self._leave_lesson_run()
            self.query_one("#explain", Static).update("Back to the device.")
        self.select_board(url)
        managed = self.manager.get(url)
        if managed is not None and managed.state in (SessionState.READY, SessionState.RUNNING):
            return
        bridge = self._bridge_for(url)
        self.query_one("#devices", DevicesPane).set_state(url, "connecting")
        self._connect_worker(url, bridge)

    @work(thread=True, group="connect", exit_on_error=False)
    def _connect_worker(self, url: str, bridge: SessionBridge) -> None:
        self._open_session(url, bridge)

    def _close_board(self, url: str) -> None:
        """(worker thread) Close ``url``'s session, if open, and say so."""
        if self.manager.get(url) is not None:
            self.manager.close(url)
            self.post_message(DeviceStatus(url, "disconnected"))

    def _new_trace(self) -> TraceRecorder:
        """A board's trace recorder (kept across reconnects and probes)."""
        return TraceRecorder(TRACE_BUDGET_BYTES, clock=self._trace_clock)

    def _open_session(self, url: str, bridge: SessionBridge, trace: TraceRecorder | None = None) -> None:
        """(worker thread) Open ``url`` with its profile, enter the raw REPL, report to the UI.
        ``trace``: the recorder to go on with (a probe's), else the board's own or a new one."""
        port = find_port(url)
        profile, why, known = self._profile_for(url, port)
        managed = self.manager.get(url)
        if trace is None:
            trace = managed.trace if managed is not None else self._new_trace()
        if bridge.add_trace not in trace.listeners:
            trace.listeners.append(bridge.add_trace)
        key = device_key(url, port.serial_number if port is not None else None)
        try:
            managed = self.manager.open(
                url, profile.to_engine_profile(), trace=trace, auto_reconnect=key in self._auto_reconnect, port=port
            )
            session = managed.session
            if session is None:
                raise WorkbenchError(f"{url} was lost while connecting")
            if not known:
                profile, why = self._preset_from_fingerprint(managed, session, url, port, profile, why)
        except WorkbenchError as exc:
            self.post_message(DeviceStatus(url, str(exc), error=True))
            return
        self.post_message(DeviceConnected(url, session, profile, why))

    def _profile_for(self, url: str, port: PortInfo | None) -> tuple[DeviceProfile, str, bool]:
        """The profile to open ``url`` with, why, and whether it is the user's own choice.

        An unsaved edit applied in this run of the app wins, then a saved profile; otherwise
        the generic preset for now, and the firmware's platform decides once connected.
        """
        applied = self._applied.get(url)
        if applied is not None:
            return applied[0], applied[1], True
        saved = saved_profile(self.profiles, url=url, port=port)
        if saved is not None:
            return saved[0], saved[1], True
        profile, why = choose_profile(self.profiles, url=url, port=port)
        return profile, why, False

    def _preset_from_fingerprint(
        self,
        managed: ManagedSession,
        session: Session,
        url: str,
        port: PortInfo | None,
        profile: DeviceProfile,
        why: str,
    ) -> tuple[DeviceProfile, str]:
        """(worker thread) Ask the firmware what it is; switch to its platform's preset."""
        found = fingerprint(session)
        if not (found.platform or found.implementation):
            return profile, why
        better, better_why = choose_profile(
            self.profiles, url=url, port=port, platform=found.platform, implementation=found.implementation
        )
        if better != profile:
            managed.set_profile(better.to_engine_profile())
        return better, better_why

    def on_device_connected(self, message: DeviceConnected) -> None:
        self._board_profiles[message.url] = (message.profile, message.why)
        devices = self.query_one("#devices", DevicesPane)
        devices.set_state(message.url, message.session.state)
        if message.url != self.device_url or self._lesson is not None or self._lesson_busy:
            return  # another board (or a lesson is on screen): its row shows the state
        devices.highlight(message.url)
        self.select_board(message.url)
        status = self.query_one("#status", StatusBar)
        status.set_device(message.url)
        status.set_state(message.session.state)
        status.set_profile(message.profile.name)
        if isinstance(self.screen, SettingsScreen):
            self.screen.show_active(message.profile, message.why)
        if self._step_mode:
            message.session.set_step_mode(self._announce_step)

    def on_device_status(self, message: DeviceStatus) -> None:
        devices = self.query_one("#devices", DevicesPane)
        if message.text == "disconnected" and not message.error:
            devices.forget_state(message.url)
        else:
            devices.set_state(message.url, "error" if message.error else message.text)
        if message.url == self.device_url:
            status = self.query_one("#status", StatusBar)
            if not message.error:
                status.set_state(message.text)
            elif self.manager.get(message.url) is None:
                status.set_state("not connected")  # the why goes to the output and a toast
        if message.error:
            self.notify(message.text, severity="error", timeout=10)
            self.query_one("#output", OutputPane).error(message.text, document=message.url)

    def on_board_state_changed(self, message: BoardStateChanged) -> None:
        """The session manager moved a board to another state (lost, reconnected, closed)."""
        event: SessionEvent = message.event
        devices = self.query_one("#devices", DevicesPane)
        output = self.query_one("#output", OutputPane)
        if event.new is SessionState.LOST:
            devices.set_state(event.url, "lost")
            self._busy_boards.discard(event.url)
            if event.url == self.device_url:
                self.query_one("#status", StatusBar).set_state("lost")
            if event.old not in (SessionState.READY, SessionState.RUNNING):
                return  # a reconnect attempt failed: it was lost already, and said so
            detail = event.detail.removeprefix(f"{event.url}: ")
            text = f"{event.url} was lost: {detail}" if detail else f"{event.url} was lost"
            managed = self.manager.get(event.url)
            if managed is not None and managed.auto_reconnect:
                text += " (it reconnects by itself when it comes back)"
            output.error(text, document=event.url)
            self.notify(text, severity="warning", timeout=8)
        elif event.new is SessionState.READY and event.detail == "reconnected":
            managed = self.manager.get(event.url)
            if managed is not None and managed.session is not None:
                devices.set_state(event.url, managed.session.state)
                if self._step_mode and event.url == self.device_url:
                    managed.session.set_step_mode(self._announce_step)
            output.write("stdout", f"[{event.url} is back: reconnected]\n", document=event.url)
            self.notify(f"{event.url} is back: reconnected.", timeout=6)
        elif event.new is SessionState.CONNECTING and event.old is SessionState.LOST:
            devices.set_state(event.url, "connecting")

    @on(DevicesPane.ConnectRequested)
    def _connect_requested(self, message: DevicesPane.ConnectRequested) -> None:
        self.query_one("#status", StatusBar).set_device(message.url)
        self._connect(message.url)

    def action_toggle_connection(self) -> None:
        """F2: disconnect the selected board (the others stay), or connect it (a lost board
        reconnects at once)."""
        managed = self.manager.get(self.device_url)
        if self._lesson is None and managed is not None and managed.state is not SessionState.LOST:
            self._busy_boards.discard(self.device_url)
            self._disconnect(self.device_url)
        else:
            self._connect(self.device_url)

    @work(thread=True, group="connect", exit_on_error=False)
    def _disconnect(self, url: str) -> None:
        self._close_board(url)

    # ------------------------------------------------------------------ running code
    def _session_or_notify(self) -> Session | None:
        if self.session is None:
            managed = self.manager.get(self.device_url)
            state = managed.state if managed is not None else None
            if state is SessionState.LOST:
                text = f"{self.device_url} was lost: F2 reconnects it (when it is back)."
            elif state is SessionState.CONNECTING:
                text = f"{self.device_url} is still connecting: try again in a moment."
            else:
                text = f"{self.device_url} is not connected: F2 connects it, or pick a board in the devices pane (F9)."
            self.notify(text, severity="error")
        return self.session

    def action_run(self) -> None:
        if self._lesson is not None:
            self.notify(
                "The lesson's step is still running." if self._lesson_busy else
                "The lesson is over: F3 runs it again, F2 goes back to the device.",
                timeout=5,
            )
            return
        editor = self.query_one("#editor", EditorPane)
        code = editor.selected_or_all()
        selection = editor.text_area.selection
        first_row = min(selection.start, selection.end)[0] if editor.text_area.selected_text else 0
        # A traceback names the editor's file when the whole file ran (a selection's line
        # numbers are its own, so it stays <stdin>; the jump below adds the offset).
        source_name = editor.path.name if editor.path is not None and first_row == 0 else None
        # Frames in the editor's code are links in the output: by its name, or <stdin> untitled.
        self.query_one("#output", OutputPane).editor_source = "<stdin>" if editor.path is None else editor.path.name
        if self._start_run(code, None, source_name):
            # Line N of what ran is line first_row + N of the editor: where an error jumps.
            self._editor_runs[self.device_url] = first_row

    @on(ReplLine.Submitted)
    def _repl_submitted(self, message: ReplLine.Submitted) -> None:
        self._start_run(message.code, message.source)

    def _start_run(self, code: str, echo: str | None, source_name: str | None = None) -> bool:
        """Run ``code`` on the selected board (``echo``: the REPL line's text; ``source_name``:
        the file tracebacks name); False when it could not start (the user was told why)."""
        if self._session_or_notify() is None:
            return False
        if self._code_running:
            if self._step_mode:  # between two steps: the engine is busy with the last one
                self.notify("The board is still on the last step: F5 again when the next step waits.", timeout=4)
            else:
                self.notify("Code is still running: stop it first (F6).", severity="warning")
            return False
        url = self.device_url
        managed = self.manager.get(url)
        if managed is None:
            return False
        self._editor_runs.pop(url, None)
        self._busy_boards.add(url)
        self._run_count += 1
        output = self.query_one("#output", OutputPane)
        output.run_started(f"run {self._run_count}" if echo is None else f">>> {echo}")
        self._run(managed, code, self._bridge_for(url), source_name)
        return True

    @work(thread=True, group="run", exit_on_error=False)
    def _run(self, managed: ManagedSession, code: str, bridge: SessionBridge, source_name: str | None) -> None:
        url = managed.url
        try:
            result = managed.exec(code, on_output=bridge.add_output, source_name=source_name)
        except WorkbenchError as exc:
            self.post_message(RunFinished(url, None, str(exc), lost=isinstance(exc, DeviceDisconnected)))
            return
        self.post_message(RunFinished(url, result))

    def on_run_finished(self, message: RunFinished) -> None:
        self._busy_boards.discard(message.url)
        first_row = self._editor_runs.pop(message.url, None)
        if self._pending_step is not None and message.url == self.device_url:
            # Stale unless the engine still waits at it (a reset queued behind the run may
            # already be waiting at its own step).
            session = self.session
            waiting = session.waiting_step if session is not None else None
            if waiting is None or waiting.number != self._pending_step.number:
                self._pending_step = None
                self.refresh_bindings()
        if message.url == self.device_url and self._pending_step is None:
            self._step_run_ended()
        self._flush_bridge(message.url)  # output still in the bridge belongs before the summary
        output = self.query_one("#output", OutputPane)
        if message.result is None:
            if message.lost:  # the board's loss has its own message: no second toast
                output.error("[the run stopped: the board went away]", document=message.url)
                return
            output.error(message.error or "the run failed", document=message.url)
            self.notify(message.error or "the run failed", severity="error", timeout=8)
            return
        output.run_finished(message.result, document=message.url)
        exception = message.result.exception
        if (
            message.url == self.device_url
            and first_row is not None  # the editor's text ran (not the REPL line's)
            and exception is not None
            and exception.stdin_line is not None
        ):
            # The cursor goes to the error; the keyboard stays where the user has it.
            self.query_one("#editor", EditorPane).goto_line(first_row + exception.stdin_line, focus=False)

    @on(OutputPane.JumpToLine)
    def _jump(self, message: OutputPane.JumpToLine) -> None:
        self.query_one("#editor", EditorPane).goto_line(message.line)

    def action_stop(self) -> None:
        if self._session_or_notify() is not None:
            self._background(lambda session: session.interrupt(), "stop")

    def action_soft_reset(self) -> None:
        session = self._session_or_notify()
        if session is None:
            return
        if self._pending_step is not None and self._code_running:
            session.interrupt()  # the run waits at a step: stop it, then reset
        self._background(lambda session: session.soft_reset(), "soft reset", lambda _none: (SOFT_RESET_DONE, "information"))

    def action_hard_reset(self) -> None:
        if self._session_or_notify() is not None:
            self._background(
                lambda session: session.hard_reset(),
                "hard reset",
                lambda answered: (HARD_RESET_DONE, "information") if answered else (HARD_RESET_SILENT, "warning"),
            )

    @work(thread=True, group="control", exit_on_error=False)
    def _background(
        self,
        call: Callable[[Session], object],
        what: str,
        done: Callable[[object], tuple[str, SeverityLevel]] | None = None,
    ) -> None:
        """(worker) ``call`` on the selected board; ``done`` words its result for the user."""
        session = self.session
        if session is None:
            return
        try:
            result = call(session)
        except WorkbenchError as exc:
            self.post_message(DeviceStatus(session.url, f"{what} failed: {exc}", error=True))
            return
        if done is not None:
            self.post_message(BoardNotice(session.url, *done(result)))

    def on_board_notice(self, message: BoardNotice) -> None:
        """Something the user asked of a board is done: a line in its output, and a toast."""
        self._flush_bridge(message.url)  # the bytes the board printed come first
        self.query_one("#output", OutputPane).write("stdout", f"[{message.text}]\n", document=message.url)
        self.notify(message.text, severity=message.severity, timeout=8)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Toasts carry device text, URLs and file names ("/dev/tty[/]x" crashed the app as
        markup): never markup, from the app or any of its screens and widgets."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # ------------------------------------------------------------------ output and trace
    def check_message_enabled(self, message: Message) -> bool:
        """Once the app shuts down, what the workers still report has no pane to go to."""
        if not self.is_running and isinstance(message, WorkerMessage):
            return False
        return super().check_message_enabled(message)

    def on_bridge_flush(self, message: BridgeFlush) -> None:
        if self.is_running:  # a flush queued before the app began to shut down finds no panes
            self._flush_bridge(message.tag)

    @property
    def _shown_document(self) -> str:
        """Whose output and trace are on screen: the lesson's, or the selected board's."""
        return LESSON_DOCUMENT if self._lesson is not None else self.device_url

    def _flush_bridge(self, tag: str | None = None) -> None:
        """Take what ``tag``'s bridge holds (default: the one shown) to the output and trace."""
        tag = self._shown_document if tag is None else tag
        bridge = self.bridge if tag == LESSON_DOCUMENT else self._bridges.get(tag)
        if bridge is None:
            return
        drained = bridge.drain()
        output = self.query_one("#output", OutputPane)
        for stream, text in drained.output:
            output.write(stream, text, document=tag)
        if drained.dropped_output_chars:
            output.error(
                f"[{drained.dropped_output_chars} characters of output dropped: the screen fell behind]",
                document=tag,
            )
        if not drained.records or tag != self._shown_document:
            return  # another board's records stay in its recorder: shown when it is selected
        trace = self.query_one("#trace", TraceView)
        if self._viewing_file is None:
            trace.add_records(drained.records)
        if self.session is not None:
            trace.dropped_upstream = self.session.trace.dropped_records + drained.dropped_records
        tx = sum(len(r.data) for r in drained.records if r.dir == "tx")
        rx = sum(len(r.data) for r in drained.records if r.dir == "rx")
        self.query_one("#status", StatusBar).add_traffic(tx, rx, self._status_clock())

    @on(TraceView.RecordSelected)
    def _explain(self, message: TraceView.RecordSelected) -> None:
        self.query_one("#explain", Static).update(message.explanation)

    def action_search_trace(self) -> None:
        self._show_trace()
        self.query_one("#trace-search", Input).focus()

    @on(Input.Submitted, "#trace-search")
    def _search(self, message: Input.Submitted) -> None:
        if message.value and not self.query_one("#trace", TraceView).search(message.value):
            self.notify(f"{message.value!r} is not in the trace", severity="warning")

    def action_save_trace(self) -> None:
        self.push_screen(PathDialog("Save the trace as JSON Lines", "workbench-trace.jsonl"), self._save_trace_to)

    def _save_trace_to(self, path: str | None) -> None:
        if not path:
            return
        records = self.query_one("#trace", TraceView).records()
        meta: dict[str, object] = {"device": self._viewing_file or self._shown_document}
        managed = self.manager.get(self.device_url)
        if managed is not None and self._lesson is None:
            meta["dropped_records"] = managed.trace.dropped_records
        try:
            save_jsonl(Path(path).expanduser(), records, meta)
        except OSError as exc:
            self.notify(f"Cannot save the trace to {path}: {exc}", severity="error")
            return
        self.notify(f"Saved {len(records)} trace records to {path}")

    def action_open_trace(self) -> None:
        self.push_screen(
            PathDialog("Open a trace or transcript (.jsonl)", "", placeholder="path/to/trace.jsonl"),
            self._open_trace_from,
        )

    def _open_trace_from(self, path: str | None) -> None:
        if not path:
            return
        try:
            records, _meta = load_jsonl(Path(path).expanduser())
        except TraceFileError as exc:
            self.notify(str(exc), severity="error")
            return
        self._viewing_file = path
        trace = self.query_one("#trace", TraceView)
        trace.set_records(annotate(records))
        trace.border_title = f"trace: {escape(Path(path).name)} (offline; F10 twice or 'Live trace' to return)"
        self._show_trace()

    def action_live_trace(self) -> None:
        """Back from a saved trace to the live session's trace."""
        self._viewing_file = None
        trace = self.query_one("#trace", TraceView)
        trace.border_title = "trace"
        managed = self.manager.get(self.device_url)
        if self._lesson is not None and self._lesson.trace is not None:
            trace.set_records(self._lesson.trace.records())
        else:
            trace.set_records(managed.trace.records() if managed is not None else [])

    # ------------------------------------------------------------------ files
    def action_open_file(self) -> None:
        editor = self.query_one("#editor", EditorPane)
        if editor.modified:
            self.notify("The editor has unsaved changes: save them first (Ctrl+S).", severity="warning")
            return
        self.push_screen(PathDialog("Open a Python file", str(editor.path or "")), self._open_file_from)

    def _open_file_from(self, path: str | None) -> None:
        if path:
            self.query_one("#editor", EditorPane).load_file(Path(path).expanduser())

    def action_save_file(self) -> None:
        if not self.query_one("#editor", EditorPane).save():
            self.action_save_file_as()

    def action_save_file_as(self) -> None:
        editor = self.query_one("#editor", EditorPane)
        self.push_screen(PathDialog("Save as", str(editor.path or "main.py")), self._save_file_to)

    def _save_file_to(self, path: str | None) -> None:
        if path:
            self.query_one("#editor", EditorPane).save_as(Path(path).expanduser())

    # ------------------------------------------------------------------ panes
    def action_toggle_devices(self) -> None:
        self.default_screen.toggle_class("-show-devices" if self.default_screen.has_class("-narrow") else "-hide-devices")
        self._keep_focus_visible()

    def action_toggle_trace(self) -> None:
        self.default_screen.toggle_class("-show-trace" if self.default_screen.has_class("-narrow") else "-hide-trace")
        self._keep_focus_visible()

    def _show_trace(self) -> None:
        self._show_pane("trace")

    def _show_pane(self, pane: str) -> None:
        """Bring the devices or trace pane on screen. ``-show-*`` is for narrow terminals only:
        set on a wide one, it would carry over and cover the editor after a resize."""
        screen = self.default_screen
        screen.remove_class(f"-hide-{pane}")
        if screen.has_class("-narrow"):
            screen.add_class(f"-show-{pane}")

    def action_focus(self, pane: str) -> None:
        if pane in ("devices", "trace"):
            self._show_pane(pane)
        widget = self.query_one(f"#{pane}")
        if not widget.focusable:  # a container (the editor, the devices pane): its first focusable child
            widget = next((child for child in widget.query("*") if child.focusable), widget)
        # At once, not with Widget.focus() (which waits for the next turn of the loop): keys a
        # person types right after Ctrl+L must reach the REPL line, not the editor.
        self.default_screen.set_focus(widget)

    def action_change_theme(self) -> None:
        """The palette's "Change theme": the workbench's themes and the user's, by clear names
        (Textual's own list has some twenty that were never checked against our colours)."""
        current = self.theme
        commands = [
            SimpleCommand(
                theme_label(name) + ("  (in use)" if name == current else ""),
                lambda name=name: setattr(self, "theme", name),
                f"theme {name}",
            )
            for name in workbench_theme_names(self.available_themes)
        ]
        self.search_commands(commands, placeholder="Search for a theme…")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        # Textual's "Theme" command becomes ours (below).
        yield from (command for command in super().get_system_commands(screen) if command.title != "Theme")
        yield SystemCommand("Change theme", "Dark, light or high contrast; the choice is remembered",
                            self.action_change_theme)
        commands = [
            ("Run", "Run the editor's code (or the selection) on the device  [F5]", self.action_run),
            ("Stop", "Send CTRL-C to the device  [F6]", self.action_stop),
            ("Soft reset", "CTRL-D at the raw prompt  [F8]", self.action_soft_reset),
            ("Step mode", "Stop before each protocol step; F5 goes on  [F7]", self.action_toggle_step_mode),
            ("Run on marked boards", "The editor's code on every board marked with m, at once  [Shift+F5]",
             self.action_run_marked),
            ("Reconnect automatically", "The selected board reopens by itself after it was lost (on/off)",
             self.action_toggle_auto_reconnect),
            ("Diagnostics", "Threads, ports, processes and ptys of every open board", self.action_diagnostics),
            ("Hard reset", "Pulse DTR/RTS (ESP boards reset)  [Shift+F8]", self.action_hard_reset),
            ("Connect / disconnect", "Toggle the connection to the device  [F2]", self.action_toggle_connection),
            ("Device settings", "The device's protocol profile, detection, Apply / Save  [F4]", self.action_settings),
            ("Save trace", "Save every byte of this session as JSON Lines  [Ctrl+T]", self.action_save_trace),
            ("Open trace", "Study a saved trace or a reference transcript  [Ctrl+R]", self.action_open_trace),
            ("Live trace", "Back to the live session's trace", self.action_live_trace),
            ("Search trace", "Find bytes or words in the trace  [Ctrl+F]", self.action_search_trace),
            ("Open file", "Open a Python file in the editor  [Ctrl+O]", self.action_open_file),
            ("Save file", "Save the editor  [Ctrl+S]", self.action_save_file),
            ("Save file as", "Save the editor under a new name  [F12]", self.action_save_file_as),
            ("Toggle devices pane", "Show or hide the devices  [F9]", self.action_toggle_devices),
            ("Toggle trace pane", "Show or hide the trace  [F10]", self.action_toggle_trace),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
        for lesson in LESSONS:
            yield SystemCommand(
                f"Lesson: {lesson.title}",
                f"{lesson.name} on {lesson.url}: F5 runs each step",
                lambda lesson=lesson: self.start_lesson(lesson),
            )
        if self._lesson is not None:
            yield SystemCommand("Lesson: restart", "Start the lesson again from step 1  [F3]", self.action_restart_lesson)
        for pane, key in (("editor", "Ctrl+E"), ("output", "Ctrl+N"), ("repl", "Ctrl+L"),
                          ("devices", "Ctrl+G"), ("trace", "Ctrl+B")):
            yield SystemCommand(f"Focus {pane}", f"Move the keyboard focus  [{key}]",
                                lambda pane=pane: self.action_focus(pane))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error handler for background work: a bug of ours becomes a message,
        never a traceback on the user's screen (device errors are handled where they occur).
        """
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        message = f"Internal error in {event.worker.name}: {type(error).__name__}: {error}"
        if event.worker.group == "run":
            self._busy_boards.discard(self.device_url)
        self.notify(message, severity="error", timeout=15)
        self.query_one("#output", OutputPane).error(message)

    # ------------------------------------------------------------------ quitting
    async def action_quit(self) -> None:
        self.query_one("#editor", EditorPane).flush_recovery()
        self.exit()

    def on_unmount(self) -> None:
        # (the editor saves its own recovery copy when it unmounts)
        self.manager.close_all()
        if self._lesson is not None:
            self._lesson.close()


def _displayed(widget: Widget) -> bool:
    """Whether ``widget`` and every container around it are shown (no ``display: none``)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))
