"""Messages from thread workers to the app (widgets are only touched on the UI thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from workbench.engine.result import ExecResult

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel

    from workbench.app.board import LessonBoard
    from workbench.engine.session import Session
    from workbench.engine.stepping import PendingStep
    from workbench.files.model import FileEntry, TransferProgress
    from workbench.lessons import StepOutcome
    from workbench.manager import SessionEvent
    from workbench.manager.manager import RunOutcome
    from workbench.profiles.choice import ProfileChoice
    from workbench.profiles.learned import Learned
    from workbench.profiles.probe import ProbeReport
    from workbench.trace.record import TraceRecord


class WorkerMessage(Message):
    """A message from a worker thread or a bridge: dropped once the app shuts down (its
    panes are going; see ``WorkbenchApp.check_message_enabled``)."""


class DeviceConnected(WorkerMessage):
    """A session is open and in the raw REPL, with the profile ``choice`` (and why) in force."""

    def __init__(self, url: str, session: Session, choice: ProfileChoice) -> None:
        super().__init__()
        self.url = url
        self.session = session
        self.choice = choice


class ProfileApplied(WorkerMessage):
    """A profile from the settings screen is ``url``'s from now on: applied for this run of the
    app, or ``saved`` for the device. ``error``: the open session could not take it now (the
    board keeps it for its next connection all the same)."""

    def __init__(self, url: str, choice: ProfileChoice, *, saved: bool, error: str | None = None) -> None:
        super().__init__()
        self.url = url
        self.choice = choice
        self.saved = saved
        self.error = error


class ProbeProgress(WorkerMessage):
    """A detection step started (text for the settings screen)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ProbeFinished(WorkerMessage):
    """Detection ended: ``report``, or None with ``error`` saying why not."""

    def __init__(self, url: str, report: ProbeReport | None, error: str | None = None) -> None:
        super().__init__()
        self.url = url
        self.report = report
        self.error = error


class DeviceStatus(WorkerMessage):
    """The connection changed (disconnected, failed, reset); ``error`` for failures;
    ``in_use``: it failed because another program has the device."""

    def __init__(self, url: str, text: str, *, error: bool = False, in_use: bool = False) -> None:
        super().__init__()
        self.url = url
        self.text = text
        self.error = error
        self.in_use = in_use


class RunFinished(WorkerMessage):
    """A run on ``url`` ended; ``result`` is None when it failed with ``error``; ``lost``: it
    failed because the board went away (the loss is reported once, by the manager's event)."""

    def __init__(self, url: str, result: ExecResult | None, error: str | None = None, *, lost: bool = False) -> None:
        super().__init__()
        self.url = url
        self.result = result
        self.error = error
        self.lost = lost


class LearnedAboutBoard(WorkerMessage):
    """What is known about the board at ``url`` changed (kept under ``key`` in the learned
    store): a run, connection or probe found something out. ``choice``: the profile it changed,
    already in force on the open session (None: the profile stays as it was)."""

    def __init__(self, url: str, key: str, learned: Learned, choice: ProfileChoice | None = None) -> None:
        super().__init__()
        self.url = url
        self.key = key
        self.learned = learned
        self.choice = choice


class StepPending(WorkerMessage):
    """Step mode: the engine of the board at ``url`` waits before ``step`` until the person says go."""

    def __init__(self, url: str, step: PendingStep) -> None:
        super().__init__()
        self.url = url
        self.step = step


class LessonOpened(WorkerMessage):
    """A lesson's board is open (``records``: what it printed while booting)."""

    def __init__(self, board: LessonBoard, records: list[TraceRecord]) -> None:
        super().__init__()
        self.board = board
        self.records = records


class LessonStepDone(WorkerMessage):
    """A lesson step ran; ``outcome`` says what came back (or ``error`` why it could not run)."""

    def __init__(self, board: LessonBoard, outcome: StepOutcome | None, error: str | None = None) -> None:
        super().__init__()
        self.board = board
        self.outcome = outcome
        self.error = error


class BoardStateChanged(WorkerMessage):
    """The session manager moved a board to another state (lost, reconnected, closed)."""

    def __init__(self, event: SessionEvent) -> None:
        super().__init__()
        self.event = event


class SeveralRunFinished(WorkerMessage):
    """A run on several boards ended: one outcome per board."""

    def __init__(self, outcomes: list[RunOutcome], label: str, wall_s: float) -> None:
        super().__init__()
        self.outcomes = outcomes
        self.label = label
        self.wall_s = wall_s


class BoardNotice(WorkerMessage):
    """Something the user asked of the board at ``url`` is done (a reset): tell them how it went."""

    def __init__(self, url: str, text: str, severity: SeverityLevel = "information") -> None:
        super().__init__()
        self.url = url
        self.text = text
        self.severity = severity


# ---------------------------------------------------------------------- files on the board
class FilesListed(WorkerMessage):
    """The entries of the folder ``path`` on ``url`` (None with ``error`` when listing failed)."""

    def __init__(self, url: str, path: str, entries: list[FileEntry] | None, error: str | None = None) -> None:
        super().__init__()
        self.url = url
        self.path = path
        self.entries = entries
        self.error = error


class FileProgress(WorkerMessage):
    """How far the file transfer on ``url`` is (sent only for transfers over a second)."""

    def __init__(self, url: str, progress: TransferProgress) -> None:
        super().__init__()
        self.url = url
        self.progress = progress


class FileJobDone(WorkerMessage):
    """A file action on ``url`` ended (the board is free for the next one): ``text`` says how
    it went; ``changed``: the board's files changed, so the Files pane lists them again;
    ``reveal``: the path it made (an upload, a new folder), shown with the cursor on it."""

    def __init__(
        self,
        url: str,
        text: str,
        severity: SeverityLevel = "information",
        *,
        changed: bool = False,
        reveal: str | None = None,
    ) -> None:
        super().__init__()
        self.url = url
        self.text = text
        self.severity = severity
        self.changed = changed
        self.reveal = reveal


class BoardFileRead(FileJobDone):
    """A board file was read for the editor: its ``text`` (None when it could not be opened;
    ``text`` of the base then says why)."""

    def __init__(self, url: str, path: str, content: str | None, text: str = "", severity: SeverityLevel = "error") -> None:
        super().__init__(url, text, severity)
        self.path = path
        self.content = content


class BoardFileFetched(FileJobDone):
    """A board file was read to hand to the browser of a ``workbench serve`` tab: its ``data``
    (None when it could not be read; ``text`` of the base then says why)."""

    def __init__(self, url: str, path: str, data: bytes | None, text: str = "", severity: SeverityLevel = "error") -> None:
        super().__init__(url, text, severity)
        self.path = path
        self.data = data


class BoardFileSaved(FileJobDone):
    """The editor's document ``document_id`` was written to ``path`` on ``url`` as ``content``
    (``ok`` False: it was not, and ``text`` says why; the document stays modified)."""

    def __init__(
        self,
        url: str,
        path: str,
        document_id: object,
        content: str,
        text: str,
        *,
        ok: bool,
        severity: SeverityLevel = "information",
    ) -> None:
        super().__init__(url, text, severity, changed=ok)
        self.path = path
        self.document_id = document_id
        self.content = content
        self.ok = ok


class FilesCounted(FileJobDone):
    """Before a folder is deleted: how many files and folders are in it (``count`` None when
    it could not be listed; ``text`` says why)."""

    def __init__(self, url: str, entry: FileEntry, count: int | None, text: str = "") -> None:
        super().__init__(url, text, "error")
        self.entry = entry
        self.count = count
