"""The workbench app: devices, the board's files, editor, output, REPL line, live trace,
status bar.

Several boards may be open at once (a :class:`~workbench.manager.SessionManager` owns them);
one is selected: the editor's target, whose output document and trace are on screen, unless a
lesson's board is shown instead. What the app knows of each board (its profile and why, the
run going on, the step waiting in step mode) is on its :class:`~workbench.app.board.Board`;
the app's handlers change the boards and show the one on screen. All device I/O happens on
each session's worker thread: Textual thread workers (their work is in
:mod:`workbench.app.board_work`) only wait for session calls, and what a device prints and
every trace record come back through that board's :class:`~workbench.app.bridge.SessionBridge`
in batches, so a device printing as fast as it can never floods the UI. Widgets are touched
on the UI thread only.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath
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

from workbench.app.board import Board, Boards, DeviceBoard, LessonBoard
from workbench.app.board_work import BoardWork
from workbench.app.bridge import BridgeFlush
from workbench.app.browser_downloads import board_file_name, editor_download
from workbench.app.file_work import FileWork
from workbench.app.messages import (
    BoardFileFetched,
    BoardFileRead,
    BoardFileSaved,
    BoardNotice,
    BoardStateChanged,
    DeviceConnected,
    DeviceStatus,
    FileJobDone,
    FileProgress,
    FilesCounted,
    FilesListed,
    LearnedAboutBoard,
    LessonOpened,
    LessonStepDone,
    ProbeFinished,
    ProbeProgress,
    ProfileApplied,
    RunFinished,
    SeveralRunFinished,
    StepPending,
    WorkerMessage,
)
from workbench.app.recovery import RecoveryStore
from workbench.app.texts import (
    FILES_CODE_RUNNING,
    FILES_IN_LESSON,
    FILES_NO_FOLDER_DOWNLOAD,
    FILES_NO_SELECTION,
    FILES_NOT_CONNECTED,
    FILES_STEP_MODE,
    STEP_MODE_OFF,
    STEP_MODE_ON,
    STEP_RUN_OVER,
    board_path,
    delete_folder_question,
    file_busy,
    files_refused,
    format_step,
    lesson_panel,
    not_saved,
    several_summary,
    transfer_status,
)
from workbench.app.themes import (
    DEFAULT_THEME,
    apply_saved_theme,
    register_themes,
    remember_theme,
    theme_label,
    workbench_theme_names,
)
from workbench.app.widgets.confirm_dialog import ConfirmDialog
from workbench.app.widgets.devices_pane import DevicesPane
from workbench.app.widgets.diagnostics_screen import DiagnosticsScreen
from workbench.app.widgets.editor_pane import UNTITLED, EditorPane
from workbench.app.widgets.files_pane import FilesPane, join_path
from workbench.app.widgets.output_pane import OutputPane
from workbench.app.widgets.path_dialog import PathDialog
from workbench.app.widgets.plot_pane import PlotPane
from workbench.app.widgets.repl_line import ReplLine
from workbench.app.widgets.settings_screen import SettingsScreen
from workbench.app.widgets.status_bar import StatusBar
from workbench.app.widgets.timeline_view import TimelineView
from workbench.app.widgets.trace_view import TraceView
from workbench.config import Settings
from workbench.discovery.devices import DeviceEntry, available_devices
from workbench.discovery.ports import list_ports
from workbench.engine.session import Session
from workbench.errors import WorkbenchError
from workbench.files.model import FileEntry
from workbench.host_root import OutsideRoot, host_path
from workbench.lessons import LESSONS, Lesson
from workbench.manager import SessionEvent, SessionManager, SessionState
from workbench.manager.lifecycle import OPEN_STATES
from workbench.manager.manager import ManagedSession, StepCallback
from workbench.profiles import DeviceProfile, ProfileStore, device_key, find_port
from workbench.profiles.learned import LearnedStore
from workbench.trace import TraceFileError, annotate, load_jsonl, save_jsonl
from workbench.trace.jsonl import jsonl_text
from workbench.trace.record import TraceRecord

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


class WorkbenchApp(App[None]):
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
        Binding("f11", "toggle_files", "Files", show=False, priority=True),
        Binding("shift+f11", "toggle_plot", "Plotter", show=False, priority=True),
        Binding("shift+f10", "toggle_timeline", "Timeline", show=False, priority=True),
        # Only while a file action runs on the selected board and no dialog is open (see
        # check_action): otherwise Esc is the editor's, a dialog's or the palette's.
        Binding("escape", "cancel_file_job", "Cancel transfer", show=False, priority=True),
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
        learned: LearnedStore | None = None,
        start_fallbacks: Sequence[str] = (),
    ) -> None:
        super().__init__()
        #: Where to start instead, in order, while the first connection finds its board in use
        #: (``workbench -d A -d B``: a lab's tabs each take the next free board).
        self._start_fallbacks = list(start_fallbacks)
        #: Every board the app may start on, while it is still starting (empty: one was given).
        self._start_candidates = [device_url, *start_fallbacks] if start_fallbacks else []
        self.manager = SessionManager(find_port=find_port, list_ports=list_ports)
        self.boards = Boards(self.manager, device_url, self.post_message)
        """Every board the app knows; the selected one; the lesson shown instead, if any."""
        self.recovery = recovery if recovery is not None else RecoveryStore.claim()
        self.settings = settings if settings is not None else Settings.load()
        #: Device keys (USB serial number, else URL) that reconnect by themselves when lost.
        self._auto_reconnect: set[str] = set(self.settings.auto_reconnect)
        self.profiles = profiles if profiles is not None else ProfileStore.load()
        #: What the workbench learned about each board (raw-paste broken, its firmware...).
        self.learned = learned if learned is not None else LearnedStore()
        self.board_work = BoardWork(
            self.manager,
            self.profiles,
            self.learned,
            post=self.post_message,
            auto_reconnect=lambda key: key in self._auto_reconnect,
            trace_clock=trace_clock,
        )
        self.file_work = FileWork(post=self.post_message, manager=self.manager)
        self._file_jobs: dict[str, _FileJob] = {}
        """Per board URL: the file action going on (one at a time per board)."""
        self._transfers: dict[str, str] = {}
        """Per board URL: the status bar's progress item of the transfer going on."""
        self._step_mode = False
        self._discover = discover
        self._status_clock = status_clock
        self._initial_code = initial_code
        self._run_count = 0
        self._viewing_file: str | None = None
        self._startup_problems = register_themes(self)
        self.theme = DEFAULT_THEME

    # ------------------------------------------------------------------ the selected board
    @property
    def device_url(self) -> str:
        """The selected board: the editor's target, the output and trace shown."""
        return self.boards.selected.url

    @property
    def session(self) -> Session | None:
        """The shown board's session while it is usable (None in a lesson, or not connected)."""
        return self.boards.shown.session

    @property
    def active_profile(self) -> DeviceProfile:
        """The selected board's profile."""
        return self.boards.selected.profile

    @property
    def profile_reason(self) -> str:
        """Why the selected board has its profile."""
        return self.boards.selected.reason

    def _refresh_status(self) -> None:
        """(timer) The boards' states in the devices pane and the status bar."""
        if not self.is_running:  # shutting down: the panes are going (or gone)
            return
        try:
            self._show_board_states()
        except NoMatches:  # a pane removed between two checks of a teardown
            return

    def _show_board_states(self) -> None:
        """What each session's worker published last (no other thread touches the protocol)."""
        devices = self.query_one("#devices", DevicesPane)
        shown_state: str | None = None  # the shown board's, when the manager has it
        for managed in self.manager.sessions():
            session = managed.session
            if session is not None and managed.state in OPEN_STATES:
                state = managed.state_text  # during a file action: "running: uploading main.py"
                devices.set_state(managed.url, state)
                if session is self.session:
                    shown_state = state
        session = self.session
        if session is None:
            return
        snapshot = session.snapshot
        status = self.query_one("#status", StatusBar)
        status.set_state(shown_state or snapshot.state)
        status.set_credit(snapshot.paste_credit)
        status.set_trace_drops(snapshot.trace_drops)
        # The profile asked for raw-paste and the board said no, or the workbench turned it off
        # for this board (old firmware, a broken raw-paste learned): no flow control from here on.
        choice = self.boards.selected.choice
        downgraded = (snapshot.raw_paste_supported is False and self.active_profile.raw_paste != "never") or bool(
            choice is not None and choice.no_raw_paste and self.active_profile.raw_paste == "never"
        )
        status.set_downgrade("plain raw: no raw-paste" if downgraded else None)

    def select_board(self, url: str) -> None:
        """Make ``url`` the editor's target; show its output, trace and state (others stay open)."""
        self.boards.selected.set_step_mode(None)
        board = self.boards.select(url)
        self._viewing_file = None
        self._show_board(board)
        board.set_step_mode(self._step_announcer(board) if self._step_mode else None)

    def _show_board(self, board: DeviceBoard) -> None:
        """Every pane shows ``board``: its output document, its trace, its state and profile."""
        several = len(self.manager) > 1
        output = self.query_one("#output", OutputPane)
        output.show_document(board.document)
        self.query_one("#plot", PlotPane).show_board(board.document)
        trace = self.query_one("#trace", TraceView)
        trace.border_title = f"trace: {escape(board.url)}" if several else "trace"
        self._show_trace_records(board.trace_records())
        status = self.query_one("#status", StatusBar)
        status.set_device(board.url)
        status.set_state(board.state_text)
        status.set_profile(board.choice.profile.name if board.choice is not None else None)
        self.query_one("#devices", DevicesPane).highlight(board.url)
        output.border_title = f"output: {escape(board.url)}" if several else "output"
        status.set_transfer(self._transfers.get(board.url))
        self._follow_board_in_files()

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="left-column"):
                yield DevicesPane(id="devices", discover=self._discover)
                yield FilesPane(id="files")  # hidden until F11
            with Vertical(id="center"):
                yield EditorPane(self._initial_code, id="editor", recovery=self.recovery)
                yield OutputPane(id="output")
                yield PlotPane(id="plot")  # hidden until Shift+F11
                yield ReplLine(id="repl")
            with Vertical(id="trace-column"):
                yield Input(placeholder="search the trace (Enter; n / N repeat)", id="trace-search")
                yield TraceView(id="trace")
                yield TimelineView(id="timeline")  # hidden until Shift+F10
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
            *self.board_work.store_problems(),
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
        self.query_one("#plot", PlotPane).show_board(self.device_url)
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
        # Nothing typed is ever lost: every document's recovered text comes back as unsaved
        # changes, each in its tab (the first document's copy in the first document).
        restored = self.query_one("#editor", EditorPane).restore_recovered()
        if not restored:
            return
        named = [name for name in restored if name != UNTITLED]
        where = f" of {', '.join(named)}" if named else ""
        self.notify(f"Recovered unsaved text{where} from the last session.", timeout=8)

    # ------------------------------------------------------------------ connection
    def _connect(self, url: str) -> None:
        """Select ``url`` and connect to it unless it is open; other boards stay connected."""
        if self._leave_lesson():
            self.query_one("#explain", Static).update("Back to the device.")
        self.select_board(url)
        board = self.boards.selected
        managed = board.managed
        if managed is not None and managed.state in OPEN_STATES:
            return
        self.query_one("#devices", DevicesPane).set_state(url, "connecting")
        self._connect_worker(board)

    @work(thread=True, group="connect", exit_on_error=False)
    def _connect_worker(self, board: DeviceBoard) -> None:
        self.board_work.open(board)

    def on_device_connected(self, message: DeviceConnected) -> None:
        with contextlib.suppress(NoMatches):  # the app quit while the board was opening
            self._device_connected(message)

    def _device_connected(self, message: DeviceConnected) -> None:
        self._start_fallbacks.clear()  # started: the other boards are for whoever needs them
        self._start_candidates.clear()
        board = self.boards.device(message.url)
        board.choice = message.choice
        self.query_one("#devices", DevicesPane).set_state(message.url, message.session.snapshot.state)
        if board is not self.boards.shown:
            return  # another board (or a lesson is on screen): its row shows the state
        self.select_board(message.url)
        if isinstance(self.screen, SettingsScreen):
            self.screen.show_active(message.choice.profile, message.choice.reason)
            self.screen.show_learned(self.board_work.learned_about(message.url))

    def on_device_status(self, message: DeviceStatus) -> None:
        with contextlib.suppress(NoMatches):  # the app quit while the board was opening
            self._device_status(message)

    def _device_status(self, message: DeviceStatus) -> None:
        if message.in_use and message.url == self.device_url and self._start_candidates:
            if self._start_fallbacks:
                self._start_on_next(message)
            else:
                self._start_found_all_in_use(message)
            return
        devices = self.query_one("#devices", DevicesPane)
        if message.text == "disconnected" and not message.error:
            devices.forget_state(message.url)
            self._files_note(message.url, FILES_NOT_CONNECTED)
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

    def _start_on_next(self, refused: DeviceStatus) -> None:
        """The start's board is in use: say so in its output, then start on the next one."""
        following = self._start_fallbacks.pop(0)
        self.query_one("#devices", DevicesPane).set_state(refused.url, "error")
        self.query_one("#output", OutputPane).error(refused.text, document=refused.url)
        self.notify(f"{refused.url} is in use: starting on {following}", timeout=6)
        self._connect(following)  # selects it: every pane follows

    def _start_found_all_in_use(self, refused: DeviceStatus) -> None:
        """Every board the app may start on is taken: back to the first, saying so."""
        candidates, self._start_candidates = self._start_candidates, []
        devices = self.query_one("#devices", DevicesPane)
        output = self.query_one("#output", OutputPane)
        devices.set_state(refused.url, "error")
        output.error(refused.text, document=refused.url)
        self.select_board(candidates[0])
        text = (f"every board this app may start on is in use ({', '.join(candidates)}); when one is free, "
                "select it and press F2 (Connect)")
        output.error(text, document=candidates[0])
        self.notify(text, severity="error", timeout=10)

    def on_board_state_changed(self, message: BoardStateChanged) -> None:
        """The session manager moved a board to another state (lost, reconnected, closed)."""
        event: SessionEvent = message.event
        board = self.boards.get(event.url)
        devices = self.query_one("#devices", DevicesPane)
        output = self.query_one("#output", OutputPane)
        if event.new is SessionState.LOST:
            devices.set_state(event.url, "lost")
            self._files_note(event.url, FILES_NOT_CONNECTED)
            if board is not None:
                board.busy_with = None
            if board is not None and board is self.boards.shown:
                self.query_one("#status", StatusBar).set_state("lost")
            if event.old not in OPEN_STATES:
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
                devices.set_state(event.url, managed.session.snapshot.state)
                if self._step_mode and board is not None and board is self.boards.selected:
                    board.set_step_mode(self._step_announcer(board))  # the new session starts without
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
        reconnects at once); from a lesson, back to the selected board."""
        board = self.boards.selected
        managed = board.managed
        if board is self.boards.shown and managed is not None and managed.state is not SessionState.LOST:
            board.busy_with = None
            self._disconnect(board.url)
        else:
            self._connect(board.url)

    @work(thread=True, group="connect", exit_on_error=False)
    def _disconnect(self, url: str) -> None:
        self.board_work.close(url)

    # ------------------------------------------------------------------ running code
    def _session_or_notify(self) -> Session | None:
        if self.session is None:
            managed = self.boards.selected.managed
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
        refusal = self.boards.shown.refuses_runs()
        if refusal is not None:
            self.notify(refusal, timeout=5)
            return
        editor = self.query_one("#editor", EditorPane)
        code = editor.selected_or_all()
        selection = editor.text_area.selection
        first_row = min(selection.start, selection.end)[0] if editor.text_area.selected_text else 0
        # A traceback names the editor's file when the whole file ran (a selection's line
        # numbers are its own, so it stays <stdin>; the jump below adds the offset).
        board_file = editor.board_file
        file_name = editor.path.name if editor.path is not None else (
            PurePosixPath(board_file.path).name if board_file is not None else None
        )
        source_name = file_name if first_row == 0 else None
        # Frames in the editor's code are links in the output: by its name, or <stdin> untitled.
        self.query_one("#output", OutputPane).editor_source = file_name or "<stdin>"
        board = self._start_run(code, None, source_name)
        if board is not None:
            # Line N of what ran is line first_row + N of the editor: where an error jumps.
            board.editor_row = first_row

    @on(ReplLine.Submitted)
    def _repl_submitted(self, message: ReplLine.Submitted) -> None:
        self._start_run(message.code, message.source)

    def _start_run(self, code: str, echo: str | None, source_name: str | None = None) -> DeviceBoard | None:
        """Run ``code`` on the selected board (``echo``: the REPL line's text; ``source_name``:
        the file tracebacks name); the board, or None when it could not start (the user was
        told why)."""
        if self._session_or_notify() is None:
            return None
        board = self.boards.selected
        job = self._file_jobs.get(board.url)
        if job is not None:
            self.notify(files_refused(board.url, file_busy(job.what)), severity="warning")
            return None
        if board.busy:
            if self._step_mode:  # between two steps: the engine is busy with the last one
                self.notify("The board is still on the last step: F5 again when the next step waits.", timeout=4)
            else:
                self.notify("Code is still running: stop it first (F6).", severity="warning")
            return None
        managed = board.managed
        if managed is None:
            return None
        board.editor_row = None
        self._run_count += 1
        output = self.query_one("#output", OutputPane)
        output.run_started(f"run {self._run_count}" if echo is None else f">>> {echo}")
        board.busy_with = self._run(board, managed, code, source_name)
        return board

    @work(thread=True, group="run", exit_on_error=False)
    def _run(self, board: DeviceBoard, managed: ManagedSession, code: str, source_name: str | None) -> None:
        self.board_work.run(board, managed, code, source_name)

    def on_run_finished(self, message: RunFinished) -> None:
        board = self.boards.device(message.url)
        board.busy_with = None
        if board is self.boards.selected:
            self._follow_board_in_files()  # a listing that waited for the run
        first_row, board.editor_row = board.editor_row, None
        step = board.pending_step
        if step is not None:
            # Stale unless the engine still waits at it (a reset queued behind the run may
            # already be waiting at its own step).
            managed = board.managed
            waiting = managed.waiting_step if managed is not None and board.session is not None else None
            if waiting is None or waiting.number != step.number:
                board.pending_step = None
                self.refresh_bindings()
        if board is self.boards.shown and board.pending_step is None and self._step_mode:
            # The stepped run is over: the panel stops offering a step.
            self.query_one("#explain", Static).update(STEP_RUN_OVER)
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
            board is self.boards.selected
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
        if self.boards.selected.url in self._file_jobs:
            self.action_cancel_file_job()
            return
        if self._session_or_notify() is not None:
            self._control(self.boards.selected, ManagedSession.interrupt, "stop")

    def action_soft_reset(self) -> None:
        if self._session_or_notify() is None:
            return
        board = self.boards.selected
        managed = board.managed
        if managed is not None and board.pending_step is not None and board.busy:
            managed.interrupt()  # the run waits at a step: stop it, then reset
        self._control(board, ManagedSession.soft_reset, "soft reset", lambda _none: (SOFT_RESET_DONE, "information"))

    def action_hard_reset(self) -> None:
        if self._session_or_notify() is not None:
            self._control(
                self.boards.selected,
                ManagedSession.hard_reset,
                "hard reset",
                lambda answered: (HARD_RESET_DONE, "information") if answered else (HARD_RESET_SILENT, "warning"),
            )

    @work(thread=True, group="control", exit_on_error=False)
    def _control(
        self,
        board: DeviceBoard,
        call: Callable[[ManagedSession], object],
        what: str,
        done: Callable[[object], tuple[str, SeverityLevel]] | None = None,
    ) -> None:
        """(worker) ``call`` on ``board`` through the session manager; ``done`` words its result."""
        self.board_work.control(board, call, what, done)

    def on_board_notice(self, message: BoardNotice) -> None:
        """Something the user asked of a board is done: a line in its output, and a toast."""
        self._flush_bridge(message.url)  # the bytes the board printed come first
        self.query_one("#output", OutputPane).write("stdout", f"[{message.text}]\n", document=message.url)
        self.notify(message.text, severity=message.severity, timeout=8)

    # ------------------------------------------------------------------ several boards
    def action_run_marked(self) -> None:
        """Shift+F5: the editor's code on every marked board at once, each output apart."""
        urls = self.query_one("#devices", DevicesPane).marked_urls
        if not urls:
            self.notify("Mark boards with m in the devices pane first; Shift+F5 then runs on all of them.",
                        severity="warning")
            return
        boards = [self.boards.device(url) for url in urls]
        busy = [board.url for board in boards if board.busy or board.url in self._file_jobs]
        if busy:
            self.notify(f"Still running on {', '.join(busy)}: stop it first (F6).", severity="warning")
            return
        code = self.query_one("#editor", EditorPane).selected_or_all()
        self._run_count += 1
        label = f"run {self._run_count} on {len(urls)} board{'s' if len(urls) != 1 else ''}"
        output = self.query_one("#output", OutputPane)
        for url in urls:
            output.run_started(label, document=url)
        worker = self._run_several(boards, code, label)
        for board in boards:
            board.busy_with = worker

    @work(thread=True, group="run", exit_on_error=False)
    def _run_several(self, boards: list[DeviceBoard], code: str, label: str) -> None:
        self.board_work.run_several(boards, code, label)

    def on_several_run_finished(self, message: SeveralRunFinished) -> None:
        output = self.query_one("#output", OutputPane)
        for outcome in message.outcomes:
            self.boards.device(outcome.url).busy_with = None
            self._flush_bridge(outcome.url)
            if outcome.result is not None:
                output.run_finished(outcome.result, document=outcome.url)
            else:
                output.error(outcome.error or "no result", document=outcome.url)
        summary = several_summary(message.label, message.outcomes, message.wall_s)
        output.write("stdout", summary + "\n", document=self.boards.shown.document)
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

    # ------------------------------------------------------------------ step mode
    def action_toggle_step_mode(self) -> None:
        """F7: stop before every protocol step (F5 goes on), or run freely again."""
        self._step_mode = not self._step_mode
        board = self.boards.shown  # a lesson's board has its own steps: it ignores this
        board.set_step_mode(self._step_announcer(board) if self._step_mode else None)
        self.default_screen.set_class(self._step_mode, "-stepping")
        explain = self.query_one("#explain", Static)
        if self._step_mode:
            self._show_trace()
            explain.update(STEP_MODE_ON)
        else:
            self.boards.selected.pending_step = None
            explain.update(STEP_MODE_OFF)
        self.refresh_bindings()
        self.query_one("#status", StatusBar).set_mode("step mode" if self._step_mode else None)

    def _step_announcer(self, board: Board) -> StepCallback:
        """What ``board``'s engine calls (on its worker thread) when it waits before a step."""
        document = board.document
        return lambda step: self.post_message(StepPending(document, step))

    def on_step_pending(self, message: StepPending) -> None:
        board = self.boards.get(message.url)
        if not self._step_mode or board is None or board is not self.boards.shown:
            return  # step mode was left (or the board deselected) since the engine said so
        board.pending_step = message.step
        self._flush_bridge(board.document)  # the bytes so far are in the trace before the step is shown
        self.query_one("#explain", Static).update(format_step(message.step))
        self.refresh_bindings()

    def action_step(self) -> None:
        """F5 / Space while a step waits: a protocol step goes ahead, or a lesson's runs."""
        board = self.boards.shown
        if isinstance(board, LessonBoard):
            self._next_lesson_step(board)
        elif isinstance(board, DeviceBoard):
            self._release_step(board)

    def _release_step(self, board: DeviceBoard) -> None:
        managed = board.managed
        if board.pending_step is None or managed is None or board.session is None:
            return
        board.pending_step = None
        self.refresh_bindings()
        managed.step()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """F5 and Space go on only while a protocol or lesson step waits (F5 runs otherwise;
        Space is the editor's then); F3 only in a lesson."""
        if action == "step":
            return self.boards.shown.can_go_on
        if action == "restart_lesson":
            return self.boards.lesson is not None
        if action == "cancel_file_job":
            return self.boards.selected.url in self._file_jobs and self.screen is self.default_screen
        return True

    # ------------------------------------------------------------------ lessons
    def start_lesson(self, lesson: Lesson) -> None:
        """Leave the device and walk through ``lesson`` on its own simulated board."""
        self._leave_lesson()
        board = self.boards.start_lesson(lesson)
        self._show_trace_records([])
        self._viewing_file = None
        self._show_trace()
        self.query_one("#explain", Static).update(f"Opening {lesson.url} for the lesson '{lesson.title}'...")
        self.boards.selected.set_step_mode(None)
        output = self.query_one("#output", OutputPane)
        output.show_document(board.document)
        self.query_one("#plot", PlotPane).show_board(board.document)
        output.border_title = f"output: lesson {lesson.name}"
        output.run_started(f"lesson: {lesson.title}")
        output.write("stdout", lesson.summary + "\n")
        board.busy_with = self._open_lesson(board)
        self.refresh_bindings()

    @work(thread=True, group="lesson", exit_on_error=False)
    def _open_lesson(self, board: LessonBoard) -> None:
        """(worker) Open the lesson's own board; the devices stay connected meanwhile."""
        run = board.run
        try:
            run.open()
        except WorkbenchError as exc:
            run.close()
            self.post_message(LessonStepDone(board, None, f"the lesson's board did not open: {exc}"))
            return
        if run.trace is not None:
            run.trace.listeners.append(board.bridge.add_trace)
        self.post_message(LessonOpened(board, run.opening_records))

    def on_lesson_opened(self, message: LessonOpened) -> None:
        board = message.board
        if board is not self.boards.lesson:
            return  # left (or restarted) while it opened; its run is being closed
        board.opened = True
        board.busy_with = None
        self._add_trace_records(message.records)
        status = self.query_one("#status", StatusBar)
        status.set_device(board.lesson.url)
        status.set_mode(f"lesson {board.lesson.name}")
        self.default_screen.add_class("-stepping")  # room for the step's explanation
        status.set_profile(None)
        self.query_one("#explain", Static).update(lesson_panel(board.run))
        self.refresh_bindings()

    def _next_lesson_step(self, board: LessonBoard) -> None:
        if not board.can_go_on:
            return
        board.busy_with = self._run_lesson_step(board)
        self.refresh_bindings()

    @work(thread=True, group="lesson", exit_on_error=False)
    def _run_lesson_step(self, board: LessonBoard) -> None:
        try:
            outcome = board.run.run_next()
        except WorkbenchError as exc:
            self.post_message(LessonStepDone(board, None, str(exc)))
            return
        self.post_message(LessonStepDone(board, outcome))

    def on_lesson_step_done(self, message: LessonStepDone) -> None:
        board = message.board
        self._flush_bridge(board.document)
        output = self.query_one("#output", OutputPane)
        if board is not self.boards.lesson and message.outcome is not None:
            return  # a step of a lesson the user has left since
        board.busy_with = None
        self.refresh_bindings()
        if message.outcome is None:
            output.error(message.error or "the lesson step failed", document=board.document)
            self.notify(message.error or "the lesson step failed", severity="error", timeout=8)
            return
        outcome = message.outcome
        output.write("stdout", f"step {outcome.index + 1}: {outcome.step.title}\n", document=board.document)
        if outcome.ok:
            output.write("stdout", f"  {outcome.outcome}\n", document=board.document)
        else:
            output.error(f"  this step failed: {outcome.error} (F3 restarts the lesson)", document=board.document)
        self.query_one("#explain", Static).update(lesson_panel(board.run))

    def action_restart_lesson(self) -> None:
        board = self.boards.lesson
        if board is not None:
            self.start_lesson(board.lesson)

    def _leave_lesson(self) -> bool:
        """Close the lesson's board, if one is shown (whether it was); the device connection is
        the caller's business."""
        board = self.boards.leave_lesson()
        if board is not None:
            self._close_lesson(board)
            self.query_one("#status", StatusBar).set_mode("step mode" if self._step_mode else None)
            self.default_screen.set_class(self._step_mode, "-stepping")
        self.refresh_bindings()
        return board is not None

    @work(thread=True, group="lesson-close", exit_on_error=False)
    def _close_lesson(self, board: LessonBoard) -> None:
        board.run.close()

    # ------------------------------------------------------------------ profiles and detection
    def action_settings(self) -> None:
        """Show the selected board's profile as a form (F4)."""
        if isinstance(self.screen, SettingsScreen):
            return
        board = self.boards.selected
        self.push_screen(
            SettingsScreen(
                board.url,
                board.profile,
                board.reason,
                report=board.probe_report,
                learned=self.board_work.learned_about(board.url),
            )
        )

    def on_settings_screen_apply_requested(self, message: SettingsScreen.ApplyRequested) -> None:
        board = self.boards.selected
        if board.busy:
            self.notify("The new settings apply from the next run.", timeout=5)
        self._apply_profile(board, message.profile, message.save)

    @work(thread=True, group="control", exit_on_error=False)
    def _apply_profile(self, board: DeviceBoard, profile: DeviceProfile, save: bool) -> None:
        self.board_work.apply_profile(board, profile, save)

    def on_profile_applied(self, message: ProfileApplied) -> None:
        board = self.boards.device(message.url)
        board.applied = None if message.saved else message.choice  # what the next connection uses
        if message.error is not None:
            self.post_message(DeviceStatus(message.url, f"could not apply the profile: {message.error}", error=True))
            return
        board.choice = message.choice
        if board is not self.boards.selected:
            return
        self.query_one("#status", StatusBar).set_profile(message.choice.profile.name)
        if isinstance(self.screen, SettingsScreen):
            self.screen.show_active(message.choice.profile, message.choice.reason)
        self.notify(f"Profile {message.choice.profile.name!r} in use: {message.choice.reason}.", timeout=6)

    def on_settings_screen_probe_requested(self, _message: SettingsScreen.ProbeRequested) -> None:
        board = self.boards.selected
        if board.busy:
            self.notify("Stop the running code first (F6): the probe needs the device.", severity="warning")
            if isinstance(self.screen, SettingsScreen):
                self.screen.probe_running(False)
            return
        self._probe(board, board.profile)

    @work(thread=True, group="connect", exit_on_error=False)
    def _probe(self, board: DeviceBoard, current: DeviceProfile) -> None:
        self.board_work.probe(board, current)

    def on_probe_progress(self, message: ProbeProgress) -> None:
        if isinstance(self.screen, SettingsScreen):
            self.screen.show_probe_progress(message.text)

    def on_probe_finished(self, message: ProbeFinished) -> None:
        screen = self.screen if isinstance(self.screen, SettingsScreen) else None
        if message.report is None:
            self.notify(f"Detection failed: {message.error}", severity="error", timeout=10)
            if screen is not None:
                screen.show_probe_progress(f"Detection failed: {message.error}")
                screen.probe_running(False)
            return
        self.boards.device(message.url).probe_report = message.report
        if screen is not None and screen.url == message.url:
            screen.show_probe(message.report)
        self.notify("Detection finished: the proposal is beside each setting.", timeout=6)

    def on_learned_about_board(self, message: LearnedAboutBoard) -> None:
        """A run, connection or probe found something out about a board: a changed profile is
        the board's now (the worker applied it to the session already); the settings screen
        shows what is known."""
        board = self.boards.device(message.url)
        if message.choice is not None:
            board.choice = message.choice
            if board is self.boards.selected:
                self.query_one("#status", StatusBar).set_profile(message.choice.profile.name)
        screen = self.screen if isinstance(self.screen, SettingsScreen) else None
        if screen is not None and screen.url == message.url:
            if message.choice is not None:
                screen.show_active(message.choice.profile, message.choice.reason)
            screen.show_learned(message.learned)

    def on_settings_screen_forget_requested(self, message: SettingsScreen.ForgetRequested) -> None:
        """Forget what was learned about the board (a reflashed board): the next connection
        finds it out again, which costs a fingerprint at most."""
        forgotten = self.board_work.forget_learned(message.url)
        for problem in self.board_work.store_problems():
            self.notify(problem, severity="warning", timeout=10)
        if isinstance(self.screen, SettingsScreen) and self.screen.url == message.url:
            self.screen.show_learned(self.board_work.learned_about(message.url))
        if forgotten is None:
            self.notify(f"Nothing was learned about {message.url} yet.", timeout=5)
            return
        facts = "; ".join(forgotten.describe()) or "what was known"
        self.notify(
            f"Forgot what was learned about {message.url} ({facts}). The next connection finds it out again.",
            timeout=8,
        )

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

    def _flush_bridge(self, document: str | None = None) -> None:
        """Take what ``document``'s bridge holds (default: the shown board's) to the output and trace."""
        shown = self.boards.shown.document
        document = shown if document is None else document
        bridge = self.boards.bridge(document)
        if bridge is None:
            return
        drained = bridge.drain()
        output = self.query_one("#output", OutputPane)
        plot = self.query_one("#plot", PlotPane)
        for stream, text in drained.output:
            output.write(stream, text, document=document)
            if stream == "stdout":
                plot.add_output(document, text)  # each board plots its own numbers
        if drained.dropped_output_chars:
            output.error(
                f"[{drained.dropped_output_chars} characters of output dropped: the screen fell behind]",
                document=document,
            )
        if not drained.records or document != shown:
            return  # another board's records stay in its recorder: shown when it is selected
        trace = self.query_one("#trace", TraceView)
        if self._viewing_file is None:
            self._add_trace_records(drained.records)
        session = self.session
        if session is not None:
            trace.dropped_upstream = session.snapshot.trace_drops + drained.dropped_records
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

    def _trace_to_save(self) -> tuple[list[TraceRecord], dict[str, object]]:
        """The trace shown (records and the file's meta), as a saved trace holds it."""
        records = self.query_one("#trace", TraceView).records()
        shown = self.boards.shown
        meta: dict[str, object] = {"device": self._viewing_file or shown.document}
        if shown.trace_dropped is not None:
            meta["dropped_records"] = shown.trace_dropped
        return records, meta

    def _save_trace_to(self, path: str | None) -> None:
        if not path:
            return
        records, meta = self._trace_to_save()
        try:
            save_jsonl(host_path(path), records, meta)
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
            records, _meta = load_jsonl(host_path(path))
        except (TraceFileError, OutsideRoot) as exc:
            self.notify(str(exc), severity="error")
            return
        self._viewing_file = path
        trace = self.query_one("#trace", TraceView)
        self._show_trace_records(annotate(records))
        trace.border_title = f"trace: {escape(Path(path).name)} (offline; F10 twice or 'Live trace' to return)"
        self._show_trace()

    def action_live_trace(self) -> None:
        """Back from a saved trace to the live session's trace."""
        self._viewing_file = None
        trace = self.query_one("#trace", TraceView)
        trace.border_title = "trace"
        self._show_trace_records(self.boards.shown.trace_records())

    # ------------------------------------------------------------------ files
    def action_open_file(self) -> None:
        # A file opens in a tab of its own: the text being edited stays as it is.
        editor = self.query_one("#editor", EditorPane)
        self.push_screen(PathDialog("Open a Python file", str(editor.path or "")), self._open_file_from)

    def _open_file_from(self, path: str | None) -> None:
        host = self._host_path(path)
        if host is not None:
            self.query_one("#editor", EditorPane).open_host_file(host)

    def _editor_next_tab(self) -> None:
        self.query_one("#editor", EditorPane).action_next_document()

    def _editor_previous_tab(self) -> None:
        self.query_one("#editor", EditorPane).action_previous_document()

    def _editor_close_tab(self) -> None:
        self.query_one("#editor", EditorPane).close_document()

    def action_save_file(self) -> None:
        if not self.query_one("#editor", EditorPane).save():
            self.action_save_file_as()

    def action_save_file_as(self) -> None:
        editor = self.query_one("#editor", EditorPane)
        board_file = editor.board_file
        suggestion = editor.path or (PurePosixPath(board_file.path).name if board_file is not None else "main.py")
        self.push_screen(PathDialog("Save as", str(suggestion)), self._save_file_to)

    def _save_file_to(self, path: str | None) -> None:
        host = self._host_path(path)
        if host is not None:
            self.query_one("#editor", EditorPane).save_as(host)

    def _host_path(self, typed: str | None) -> Path | None:
        """A path typed into a dialog, or None (nothing typed, or outside the served folder:
        said in a notification)."""
        if not typed:
            return None
        try:
            return host_path(typed)
        except OutsideRoot as exc:
            self.notify(str(exc), severity="error")
            return None

    # ------------------------------------------------------------------ files on the board
    # The Files pane shows the selected board's files; every action runs on a thread worker
    # (workbench.app.file_work), one at a time per board, so a transfer on one board never
    # waits for another. A board running code, in step mode or not connected says so.
    def _files_pane(self) -> FilesPane:
        return self.query_one("#files", FilesPane)

    def _files_shown(self) -> bool:
        return _displayed(self._files_pane())

    def _files_refusal(self, url: str, *, job: bool = True) -> str | None:
        """Why the board at ``url`` cannot list (``job`` False) or change its files now
        (None: it can)."""
        board = self.boards.device(url)
        if self.boards.lesson is not None and board is self.boards.selected:
            return FILES_IN_LESSON
        if board.session is None:
            return FILES_NOT_CONNECTED
        if self._step_mode and board is self.boards.selected:
            return FILES_STEP_MODE  # every exec of a listing or transfer would wait for F5
        if board.busy:
            return FILES_CODE_RUNNING
        running = self._file_jobs.get(url)
        if job and running is not None:
            return file_busy(running.what)
        return None

    def _follow_board_in_files(self) -> None:
        """The Files pane shows the selected board; listed when shown and not listed yet."""
        pane = self._files_pane()
        pane.show_board(self.boards.selected.url)
        if pane.stale and self._files_shown():
            self._reload_files()

    def _reload_files(self, reveal: str | None = None) -> None:
        pane = self._files_pane()
        url = self.boards.selected.url
        pane.show_board(url)
        refusal = self._files_refusal(url, job=False)
        if refusal is not None:
            pane.show_note(refusal)
        else:
            pane.reload(reveal)

    def _files_note(self, url: str, text: str) -> None:
        """The board the pane shows can no longer be listed: the pane says why."""
        pane = self._files_pane()
        if pane.url == url:
            pane.show_note(text)

    @on(FilesPane.ListRequested)
    def _list_files(self, message: FilesPane.ListRequested) -> None:
        refusal = self._files_refusal(message.url, job=False)
        if refusal is not None:
            self._files_pane().listing_failed(message.url, message.path, refusal)
            return
        session = self.boards.device(message.url).session
        assert session is not None  # (no refusal)
        self.run_worker(
            partial(self.file_work.list, message.url, session, message.path),
            name=f"list {message.url}:{message.path}",
            group=f"files {message.url}",
            thread=True,
            exit_on_error=False,
        )

    def on_files_listed(self, message: FilesListed) -> None:
        pane = self._files_pane()
        if message.entries is not None:
            pane.show_listing(message.url, message.path, message.entries)
            return
        pane.listing_failed(message.url, message.path, "could not list")
        self.notify(message.error or "could not list the folder", severity="error", timeout=8)

    def _start_file_job(self, url: str, what: str, call: Callable[[Session], None]) -> bool:
        """Run ``call(session)`` on a thread worker for the board at ``url``, unless it cannot
        take a file action now (the person is told why). ``what`` names it while it runs."""
        refusal = self._files_refusal(url)
        if refusal is not None:
            self.notify(files_refused(url, refusal), severity="warning", timeout=6)
            return False
        session = self.boards.device(url).session
        assert session is not None  # (no refusal)
        worker = self.run_worker(
            partial(call, session), name=f"files {url}: {what}", group=f"files {url}", thread=True, exit_on_error=False
        )
        self._file_jobs[url] = _FileJob(what, worker)
        self.refresh_bindings()
        return True

    def _end_file_job(self, url: str, *, changed: bool = False, reveal: str | None = None) -> None:
        """The board's file action is over: free it, clear its progress, list what changed."""
        self._file_jobs.pop(url, None)
        self._transfers.pop(url, None)
        self.refresh_bindings()
        if url == self.boards.selected.url:
            self.query_one("#status", StatusBar).set_transfer(None)
        pane = self._files_pane()
        if changed and pane.url == url:
            pane.stale = True
            if self._files_shown():
                self._reload_files(reveal)

    def _end_job_and_tell(self, message: FileJobDone) -> None:
        self._end_file_job(message.url, changed=message.changed, reveal=message.reveal)
        if message.text:
            self.notify(message.text, severity=message.severity, timeout=8 if message.severity != "information" else 4)

    def on_file_job_done(self, message: FileJobDone) -> None:
        self._end_job_and_tell(message)

    def on_file_progress(self, message: FileProgress) -> None:
        if message.url not in self._file_jobs:
            return  # the job ended meanwhile
        progress = message.progress
        text = transfer_status(progress.path, progress.direction, progress.fraction, progress.bytes_per_s)
        self._transfers[message.url] = text
        if message.url == self.boards.selected.url:
            self.query_one("#status", StatusBar).set_transfer(text)

    def action_cancel_file_job(self) -> None:
        """Esc or F6 while a file action runs on the selected board: CTRL-C stops it; the
        board stays usable and the file it was writing keeps its old content."""
        board = self.boards.selected
        job = self._file_jobs.get(board.url)
        if job is None:
            return
        self.notify(f"Cancelling the {job.what}...", timeout=3)
        self._control(board, ManagedSession.interrupt, "cancel")

    # -- opening and saving board files in the editor
    @on(FilesPane.OpenRequested)
    def _open_board_file(self, message: FilesPane.OpenRequested) -> None:
        entry = message.entry
        self._start_file_job(
            message.url,
            f"read of {board_path(entry.path)}",
            lambda session: self.file_work.read_for_editor(message.url, session, entry),
        )

    # ------------------------------------------------------------------ a browser's downloads
    def _browser_commands(self) -> Iterable[SystemCommand]:
        """In a browser tab of ``workbench serve``: files for the student's own computer (the
        dialogs save on the serving machine)."""
        for title, help_text, callback in (
            ("Download the editor's text", "Save the editor's document on this computer, through the browser",
             self.action_download_editor),
            ("Download the trace", "Every byte of this session as JSON Lines, on this computer",
             self.action_download_trace),
            ("Download the plot as CSV", "The plotter's readings, on this computer", self.action_download_plot_csv),
            ("Download the plot as SVG", "The plotter as it is on screen, on this computer",
             self.action_download_plot_svg),
            ("Files: download to this computer", "The selected board file, through the browser",
             self.action_files_download_to_browser),
        ):
            yield SystemCommand(title, help_text, callback)

    def _to_browser(self, filename: str, text: str, mime_type: str = "text/plain") -> None:
        self.deliver_text(io.StringIO(text), save_filename=filename, mime_type=mime_type)
        self.notify(f"{filename} is on its way to this browser.", timeout=4)

    def action_download_editor(self) -> None:
        editor = self.query_one("#editor", EditorPane)
        download = editor_download(editor.document, editor.text)
        self._to_browser(download.filename, download.text, "text/x-python")

    def action_download_trace(self) -> None:
        records, meta = self._trace_to_save()
        self._to_browser("workbench-trace.jsonl", jsonl_text(records, meta), "application/x-ndjson")

    def action_download_plot_csv(self) -> None:
        text, _rows = self.query_one("#plot", PlotPane).csv_text()
        self._to_browser("plot.csv", text, "text/csv")

    def action_download_plot_svg(self) -> None:
        self._to_browser("plot.svg", self.query_one("#plot", PlotPane).svg_text(), "image/svg+xml")

    def action_files_download_to_browser(self) -> None:
        entry = self._selected_file(folders=False)
        if entry is None:
            return
        url = self.boards.selected.url
        self._start_file_job(url, f"download of {board_path(entry.path)}",
                             lambda session: self.file_work.read_for_browser(url, session, entry))

    def on_board_file_fetched(self, message: BoardFileFetched) -> None:
        self._end_job_and_tell(message)
        if message.data is not None:
            self.deliver_binary(io.BytesIO(message.data), save_filename=board_file_name(message.path))

    def on_board_file_read(self, message: BoardFileRead) -> None:
        self._end_file_job(message.url)
        if message.content is None:
            self.notify(message.text, severity=message.severity, timeout=8)
            return
        editor = self.query_one("#editor", EditorPane)
        editor.open_board_file(message.url, message.path, message.content)
        self.action_focus("editor")

    def on_editor_pane_save_to_board(self, message: EditorPane.SaveToBoard) -> None:
        """Ctrl+S on a board file: written back (verified, atomic) on a thread worker; the
        document is marked saved only once the board has it."""
        url, path, text, document_id = message.url, message.board_path, message.text, message.document_id
        refusal = self._files_refusal(url)
        if refusal is not None:
            self.notify(not_saved(board_path(path), url, refusal), severity="warning", timeout=8)
            return
        self._start_file_job(
            url,
            f"save of {board_path(path)}",
            lambda session: self.file_work.save(url, session, path, text, document_id),
        )

    def on_board_file_saved(self, message: BoardFileSaved) -> None:
        self._end_job_and_tell(message)
        if message.ok and message.document_id is not None:
            self.query_one("#editor", EditorPane).mark_saved(message.document_id, message.content)

    def action_save_main(self) -> None:
        """Write the editor's text to :main.py on the selected board, after saying what that does."""
        url = self.boards.selected.url
        refusal = self._files_refusal(url)
        if refusal is not None:
            self.notify(files_refused(url, refusal), severity="warning", timeout=6)
            return
        text = self.query_one("#editor", EditorPane).text

        def answered(go: bool | None) -> None:
            if go:
                self._start_file_job(
                    url, "save of :main.py", lambda session: self.file_work.save(url, session, "main.py", text, None)
                )

        self.push_screen(
            ConfirmDialog(
                "Save as main.py",
                f"Write the editor's text to :main.py on {url}? It replaces the board's main.py, "
                "which runs each time the board starts.",
                go_label="Save",
            ),
            answered,
        )

    # -- actions on the selected entry
    def _selected_file(self, *, folders: bool = True) -> FileEntry | None:
        """The entry under the Files pane's cursor (a file, or a folder too), else None and
        the person is told to select one."""
        entry = self._files_pane().selected_entry
        if entry is None or (entry.is_dir and not folders):
            self.notify(FILES_NO_SELECTION, severity="warning")
            return None
        return entry

    def _ask_path(self, title: str, initial: str, ok_label: str, then: Callable[[str], None], placeholder: str) -> None:
        """A path dialog for a file action on the selected board, unless it cannot take one now."""
        url = self.boards.selected.url
        refusal = self._files_refusal(url)
        if refusal is not None:
            self.notify(files_refused(url, refusal), severity="warning", timeout=6)
            return
        self.push_screen(
            PathDialog(title, initial, ok_label=ok_label, placeholder=placeholder),
            lambda path: then(path) if path else None,
        )

    def action_files_upload(self) -> None:
        url = self.boards.selected.url
        folder = self._files_pane().target_folder if self._files_pane().url == url else ""
        editor_path = self.query_one("#editor", EditorPane).path
        where = board_path(folder) if folder else "the board's current folder"

        def upload(typed: str) -> None:
            host = self._host_path(typed)
            if host is None:
                return
            target = join_path(folder, host.name)
            self._start_file_job(
                url,
                f"upload of {host.name} to {board_path(target)}",
                lambda session: self.file_work.upload(url, session, host, target),
            )

        self._ask_path(f"Upload a host file to {where} on {url}", str(editor_path or ""), "Upload", upload,
                       "path/to/file.py")

    def action_files_download(self) -> None:
        entry = self._selected_file()
        if entry is None:
            return
        if entry.is_dir:
            self.notify(FILES_NO_FOLDER_DOWNLOAD, severity="warning", timeout=8)
            return
        url = self.boards.selected.url

        def download(typed: str) -> None:
            host = self._host_path(typed)
            if host is None:
                return
            self._start_file_job(
                url,
                f"download of {board_path(entry.path)}",
                lambda session: self.file_work.download(url, session, entry.path, host),
            )

        self._ask_path(f"Download {board_path(entry.path)} from {url} to", entry.name, "Download", download,
                       "path/on/this/computer")

    def action_files_delete(self) -> None:
        entry = self._selected_file()
        if entry is None:
            return
        url = self.boards.selected.url
        if entry.is_dir:  # how much goes with it is counted first, and said
            self._start_file_job(
                url,
                f"count of {board_path(entry.path)}",
                lambda session: self.file_work.count(url, session, entry),
            )
            return
        refusal = self._files_refusal(url)
        if refusal is not None:
            self.notify(files_refused(url, refusal), severity="warning", timeout=6)
            return
        self._confirm_delete(url, entry, f"Delete {board_path(entry.path)} from {url}? This cannot be undone.")

    def on_files_counted(self, message: FilesCounted) -> None:
        self._end_file_job(message.url)
        if message.count is None:
            self.notify(message.text, severity="error", timeout=8)
            return
        text = delete_folder_question(board_path(message.entry.path), message.url, message.count)
        self._confirm_delete(message.url, message.entry, text)

    def _confirm_delete(self, url: str, entry: FileEntry, text: str) -> None:
        def answered(go: bool | None) -> None:
            if go:
                self._start_file_job(
                    url,
                    f"deletion of {board_path(entry.path)}",
                    lambda session: self.file_work.delete(url, session, entry),
                )

        self.push_screen(ConfirmDialog("Delete on the board", text, go_label="Delete"), answered)

    def action_files_new_folder(self) -> None:
        url = self.boards.selected.url
        folder = self._files_pane().target_folder if self._files_pane().url == url else ""
        where = board_path(folder) if folder else "the board's current folder"

        def make(typed: str) -> None:
            path = join_path(folder, typed.strip("/"))
            self._start_file_job(
                url, f"making of {board_path(path)}", lambda session: self.file_work.mkdir(url, session, path)
            )

        self._ask_path(f"New folder in {where} on {url}", "", "Make", make, "folder name")

    def action_files_rename(self) -> None:
        entry = self._selected_file()
        if entry is None:
            return
        url = self.boards.selected.url

        def rename(typed: str) -> None:
            target = typed.removeprefix(":")  # the command line's habit
            if target and target != entry.path:
                self._start_file_job(
                    url,
                    f"renaming of {board_path(entry.path)}",
                    lambda session: self.file_work.rename(url, session, entry.path, target),
                )

        self._ask_path(f"Rename or move {board_path(entry.path)} on {url} to", entry.path, "Rename", rename,
                       "new/path.py")

    def action_files_run(self) -> None:
        """Run the selected board file as a normal run (its output in the output pane)."""
        entry = self._selected_file(folders=False)
        if entry is None:
            return
        code = f"exec(open({entry.path!r}).read())"
        self._start_run(code, code)

    # ------------------------------------------------------------------ panes
    def action_toggle_devices(self) -> None:
        self.default_screen.toggle_class("-show-devices" if self.default_screen.has_class("-narrow") else "-hide-devices")
        self._keep_focus_visible()

    def action_toggle_files(self) -> None:
        """F11: show the selected board's files with the keyboard in them, or hide them."""
        screen = self.default_screen
        showing = not screen.has_class("-show-files")
        screen.set_class(showing, "-show-files")
        if showing:
            self._follow_board_in_files()
            screen.set_focus(self._files_pane().tree)
        else:
            self._keep_focus_visible()

    def action_refresh_files(self) -> None:
        """List the selected board's files again (shows the pane if it is hidden)."""
        if not self.default_screen.has_class("-show-files"):
            stale = self._files_pane().stale
            self.action_toggle_files()
            if stale:
                return  # showing it listed it
        self._reload_files()

    def _show_trace_records(self, records: list[TraceRecord]) -> None:
        """The trace pane and the timeline show the same records, so their indices agree."""
        self.query_one("#trace", TraceView).set_records(records)
        self.query_one("#timeline", TimelineView).set_records(records)

    def _add_trace_records(self, records: list[TraceRecord]) -> None:
        self.query_one("#trace", TraceView).add_records(records)
        self.query_one("#timeline", TimelineView).add_records(records)

    def action_toggle_plot(self) -> None:
        """Shift+F11: the plotter for the selected board (its printed numbers), with the keyboard."""
        screen = self.default_screen
        showing = not screen.has_class("-show-plot")
        screen.set_class(showing, "-show-plot")
        if showing:
            self.query_one("#plot", PlotPane).focus()
        else:
            self._keep_focus_visible()

    def action_toggle_timeline(self) -> None:
        """Shift+F10: traffic over time and every exec as a span, beside the trace."""
        screen = self.default_screen
        showing = not screen.has_class("-show-timeline")
        screen.set_class(showing, "-show-timeline")
        if showing:
            self._show_trace()
            self.query_one("#timeline", TimelineView).focus()
        else:
            self._keep_focus_visible()

    @on(TimelineView.SpanSelected)
    def _select_span(self, message: TimelineView.SpanSelected) -> None:
        trace = self.query_one("#trace", TraceView)
        if trace.select_range(message.first_index, message.last_index):
            trace.focus()
        else:
            self.notify("That exec's rows are no longer in the trace (dropped, or hidden by a filter).", severity="warning")

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
            ("Next tab", "The next document in the editor  [Ctrl+PageDown]", self._editor_next_tab),
            ("Previous tab", "The previous document in the editor  [Ctrl+PageUp]", self._editor_previous_tab),
            ("Close tab", "Close the editor's document (asks when it is unsaved)  [Ctrl+W]", self._editor_close_tab),
            ("Toggle devices pane", "Show or hide the devices  [F9]", self.action_toggle_devices),
            ("Toggle trace pane", "Show or hide the trace  [F10]", self.action_toggle_trace),
            ("Files", "Show or hide the selected board's files  [F11]", self.action_toggle_files),
            ("Plotter", "Draw the numbers the board prints, live (p pause, c clear, e CSV, s SVG)  [Shift+F11]",
             self.action_toggle_plot),
            ("Timeline", "Traffic over time and every exec as a span; Enter selects its rows in the trace, + / - zoom  [Shift+F10]",
             self.action_toggle_timeline),
            ("Refresh files", "List the board's files again  [r in the Files pane]", self.action_refresh_files),
            ("Files: upload", "Copy a host file into the selected folder on the board  [u]", self.action_files_upload),
            ("Files: download", "Copy the selected board file to the host  [d]", self.action_files_download),
            ("Files: delete", "Delete the selected file or folder on the board  [Del]", self.action_files_delete),
            ("Files: new folder", "Make a folder in the selected folder on the board  [n]",
             self.action_files_new_folder),
            ("Files: rename", "Rename or move the selected board file or folder  [m]", self.action_files_rename),
            ("Files: run", "Run the selected board file; its output shows as a run's  [x]", self.action_files_run),
            ("Save as main.py", "Write the editor's text to :main.py on the board (it runs at every start)",
             self.action_save_main),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)
        if self.is_web:
            yield from self._browser_commands()
        for lesson in LESSONS:
            yield SystemCommand(
                f"Lesson: {lesson.title}",
                f"{lesson.name} on {lesson.url}: F5 runs each step",
                lambda lesson=lesson: self.start_lesson(lesson),
            )
        if self.boards.lesson is not None:
            yield SystemCommand("Lesson: restart", "Start the lesson again from step 1  [F3]", self.action_restart_lesson)
        for pane, key in (("editor", "Ctrl+E"), ("output", "Ctrl+N"), ("repl", "Ctrl+L"),
                          ("devices", "Ctrl+G"), ("trace", "Ctrl+B")):
            yield SystemCommand(f"Focus {pane}", f"Move the keyboard focus  [{key}]",
                                lambda pane=pane: self.action_focus(pane))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one error handler for background work: a bug of ours becomes a message,
        never a traceback on the user's screen (device errors are handled where they occur).
        The boards the failed worker ran on are free again (not whichever is selected now).
        """
        if event.state is not WorkerState.ERROR:
            return
        error = event.worker.error
        message = f"Internal error in {event.worker.name}: {type(error).__name__}: {error}"
        freed = self.boards.busy_with(event.worker)
        for board in freed:
            board.busy_with = None
        for url in [url for url, job in self._file_jobs.items() if job.worker is event.worker]:
            self._end_file_job(url)
        if freed:
            self.refresh_bindings()
        self.notify(message, severity="error", timeout=15)
        self.query_one("#output", OutputPane).error(message)

    # ------------------------------------------------------------------ quitting
    async def action_quit(self) -> None:
        self.query_one("#editor", EditorPane).flush_recovery()
        self.exit()

    def on_unmount(self) -> None:
        # (the editor saves its own recovery copy when it unmounts)
        self.manager.close_all()
        lesson = self.boards.leave_lesson()
        if lesson is not None:
            lesson.run.close()


@dataclass(frozen=True, slots=True)
class _FileJob:
    """The file action running on a board: what it is (for "busy with ...") and its worker."""

    what: str
    worker: Worker[None]


def _displayed(widget: Widget) -> bool:
    """Whether ``widget`` and every container around it are shown (no ``display: none``)."""
    return all(node.display for node in widget.ancestors_with_self if isinstance(node, Widget))
