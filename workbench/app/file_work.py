"""What thread workers do for the Files pane: list, open, save, upload, download, count,
delete, make folders and rename on a board.

Why apart from the app: this is the blocking half of every file action, as
:mod:`workbench.app.board_work` is for runs. Each method runs on a Textual thread worker, is
handed the board's URL and open session, calls :class:`~workbench.files.BoardFS`, and reports
with messages the app applies on the UI thread. It touches no widget.

Every method but :meth:`FileWork.list` is a *job*: it posts exactly one
:class:`~workbench.app.messages.FileJobDone` (or a subclass) when it ends, however it ends,
so the app can free the board for the next file action. Errors become one line for the
person: a board file error (missing, read-only, no folders), a lost board, a host file that
cannot be read or written; a transfer stopped with Esc or F6 (``session.interrupt()``) says
what was left unchanged. Transfers that take over a second report their progress
(:class:`~workbench.app.messages.FileProgress`), at most ten times a second.

While an action runs, the session manager holds the board busy with a label
(:meth:`ManagedSession.busy <workbench.manager.manager.ManagedSession.busy>`): the devices pane
and the status bar say "running: uploading main.py" for the whole action, not "ready" between
its execs, and the board is READY again when it ends, however it ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from textual.message import Message

from workbench.app.messages import (
    BoardFileFetched,
    BoardFileRead,
    BoardFileSaved,
    FileJobDone,
    FileProgress,
    FilesCounted,
    FilesListed,
)
from workbench.app.texts import board_path, format_size, transfer_cancelled
from workbench.engine.session import Session
from workbench.errors import TransferCancelled, WorkbenchError
from workbench.files.board_fs import BoardFS, ProgressCallback
from workbench.files.model import FileEntry, TransferProgress
from workbench.manager.manager import ManagerError, SessionManager
from workbench.storage import atomic_write_bytes

#: Larger board files are not opened in the editor (they are not scripts, and reading one
#: over a serial link takes minutes); download them instead.
MAX_OPEN_BYTES = 1_000_000
#: A transfer shows its progress once it has taken this long (shorter ones just finish).
PROGRESS_AFTER_S = 1.0
#: At most this often (seconds) a transfer's progress is posted to the UI.
PROGRESS_EVERY_S = 0.1


class _Failed(Exception):
    """A job's one-line reason to stop, for the person (raised and caught inside this module)."""


def one_line(error: BaseException) -> str:
    """The first line of an error's text (the library's messages are one line; a device's
    text may not be)."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


class FileWork:
    """The worker side of the Files pane's actions, for one app."""

    def __init__(
        self,
        *,
        post: Callable[[Message], object],
        manager: SessionManager | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._post = post
        self._manager = manager
        """Holds each board busy during its file actions (None: boards are not marked busy)."""
        self._clock = clock

    # ------------------------------------------------------------------ looking
    def list(self, url: str, session: Session, path: str) -> None:
        """The entries of the folder ``path`` on the board."""
        try:
            with self._busy(url, session, "listing files"):
                entries = BoardFS(session).ls(path)
        except WorkbenchError as exc:
            self._post(FilesListed(url, path, None, one_line(exc)))
            return
        self._post(FilesListed(url, path, entries))

    def count(self, url: str, session: Session, entry: FileEntry) -> None:
        """How many files and folders are under the folder ``entry`` (asked before deleting it)."""
        try:
            with self._busy(url, session, f"counting the files in {board_path(entry.path)}"):
                count = len(BoardFS(session).tree(entry.path))
        except WorkbenchError as exc:
            self._post(FilesCounted(url, entry, None, one_line(exc)))
            return
        self._post(FilesCounted(url, entry, count))

    # ------------------------------------------------------------------ the editor's files
    def read_for_editor(self, url: str, session: Session, entry: FileEntry) -> None:
        """The board file ``entry`` as text for the editor; a binary or huge file is refused."""
        where = board_path(entry.path)
        if entry.size is not None and entry.size > MAX_OPEN_BYTES:
            self._post(BoardFileRead(url, entry.path, None, _too_big(where, entry.size)))
            return
        try:
            with self._busy(url, session, f"opening {where}"):
                data = BoardFS(session).read(entry.path, progress=self._progress(url))
        except TransferCancelled:
            self._post(BoardFileRead(url, entry.path, None, transfer_cancelled(f"opening {where}", where), "warning"))
            return
        except WorkbenchError as exc:
            self._post(BoardFileRead(url, entry.path, None, one_line(exc)))
            return
        if len(data) > MAX_OPEN_BYTES:
            self._post(BoardFileRead(url, entry.path, None, _too_big(where, len(data))))
            return
        try:
            if b"\x00" in data:
                raise UnicodeDecodeError("utf-8", data, data.index(b"\x00"), data.index(b"\x00") + 1, "NUL byte")
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            reason = f"Cannot open {where} in the editor: not UTF-8 text (byte {exc.start}); download it instead (d)."
            self._post(BoardFileRead(url, entry.path, None, reason))
            return
        self._post(BoardFileRead(url, entry.path, text, f"Opened {where} from {url}.", "information"))

    def read_for_browser(self, url: str, session: Session, entry: FileEntry) -> None:
        """The board file ``entry``'s bytes, for the browser of a ``workbench serve`` tab to
        download (any file: the browser saves bytes, the editor is not involved)."""
        where = board_path(entry.path)
        try:
            with self._busy(url, session, f"downloading {where}"):
                data = BoardFS(session).read(entry.path, progress=self._progress(url))
        except TransferCancelled:
            self._post(BoardFileFetched(url, entry.path, None, transfer_cancelled(f"download of {where}", where),
                                        "warning"))
            return
        except WorkbenchError as exc:
            self._post(BoardFileFetched(url, entry.path, None, one_line(exc)))
            return
        self._post(BoardFileFetched(url, entry.path, data, f"{where} is on its way to this browser.", "information"))

    def save(self, url: str, session: Session, path: str, text: str, document_id: object) -> None:
        """Write the editor's ``text`` to ``path`` on the board (verified, atomic)."""
        where = board_path(path)
        try:
            with self._busy(url, session, f"saving {where}"):
                BoardFS(session).write(path, text.encode("utf-8"), progress=self._progress(url))
        except TransferCancelled:
            message = transfer_cancelled(f"saving {where}", f"the board's {where}")
            self._post(BoardFileSaved(url, path, document_id, text, message, ok=False, severity="warning"))
            return
        except WorkbenchError as exc:
            message = f"Not saved to {url}: {one_line(exc)}"
            self._post(BoardFileSaved(url, path, document_id, text, message, ok=False, severity="error"))
            return
        size = format_size(len(text.encode("utf-8")))
        self._post(BoardFileSaved(url, path, document_id, text, f"Saved {where} on {url} ({size}, verified).", ok=True))

    # ------------------------------------------------------------------ transfers
    def upload(self, url: str, session: Session, host: Path, target: str) -> None:
        """Copy the host file ``host`` to ``target`` on the board (verified, atomic)."""
        where = board_path(target)
        with self._job(url, f"upload of {host.name} to {where}", f"the board's {where}") as done:
            try:
                data = host.read_bytes()
            except IsADirectoryError:
                raise _Failed(f"Cannot upload {host}: it is a folder (upload files one at a time)") from None
            except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the typed path
                reason = _os_reason(exc) if isinstance(exc, OSError) else str(exc)
                raise _Failed(f"Cannot read {host}: {reason}") from None
            with self._busy(url, session, f"uploading {host.name}"):
                BoardFS(session).write(target, data, progress=self._progress(url))
            done(
                f"Uploaded {host.name} to {where} on {url} ({format_size(len(data))}, verified).",
                changed=True,
                reveal=target,
            )

    def download(self, url: str, session: Session, source: str, host: Path) -> None:
        """Copy ``source`` from the board to the host file ``host`` (written only when whole)."""
        where = board_path(source)
        if host.is_dir():
            host = host / source.rstrip("/").rsplit("/", 1)[-1]
        with self._job(url, f"download of {where} to {host}", str(host)) as done:
            with self._busy(url, session, f"downloading {where}"):
                data = BoardFS(session).read(source, progress=self._progress(url))
            try:
                atomic_write_bytes(host, data, make_parents=False)
            except (OSError, ValueError) as exc:
                reason = _os_reason(exc) if isinstance(exc, OSError) else str(exc)
                raise _Failed(f"Cannot write {host}: {reason}") from None
            done(f"Downloaded {where} from {url} to {host} ({format_size(len(data))}).")

    # ------------------------------------------------------------------ changes
    def delete(self, url: str, session: Session, entry: FileEntry) -> None:
        """Remove the file or folder ``entry`` (a folder with everything in it)."""
        where = board_path(entry.path)
        with self._job(url, f"deleting {where}", where) as done:
            with self._busy(url, session, f"deleting {where}"):
                BoardFS(session).rm(entry.path, recursive=entry.is_dir)
            done(f"Deleted {where} from {url}.", changed=True)

    def mkdir(self, url: str, session: Session, path: str) -> None:
        where = board_path(path)
        with self._job(url, f"making {where}", where) as done:
            with self._busy(url, session, f"making {where}"):
                BoardFS(session).mkdir(path)
            done(f"Made the folder {where} on {url}.", changed=True, reveal=path)

    def rename(self, url: str, session: Session, source: str, target: str) -> None:
        with self._job(url, f"renaming {board_path(source)}", board_path(source)) as done:
            with self._busy(url, session, f"renaming {board_path(source)}"):
                BoardFS(session).rename(source, target)
            done(f"Renamed {board_path(source)} to {board_path(target)} on {url}.", changed=True, reveal=target)

    # ------------------------------------------------------------------ internals
    @contextmanager
    def _busy(self, url: str, session: Session, label: str) -> Iterator[None]:
        """The board held busy with ``label`` for the block.

        The manager's session for ``url`` must still be the one the app handed over: a board
        lost, closed or reconnected since the person asked gets a one-line refusal rather than
        an action on a session that is gone.
        """
        if self._manager is None:
            yield
            return
        managed = self._manager.get(url)
        if managed is None:
            raise ManagerError(f"{url} is not connected")
        with managed.busy(label) as held:
            if held is not session:
                raise ManagerError(f"{url} was reconnected meanwhile: try again")
            yield

    @contextmanager
    def _job(self, url: str, what: str, unchanged: str) -> Iterator[Callable[..., None]]:
        """Run one job's body; post exactly one :class:`FileJobDone` whatever happens.

        The body calls the yielded ``done(text, changed=..., reveal=...)`` when it succeeded; errors of the
        workbench and of the host become one line, a cancel says what stayed unchanged.
        """
        outcome: list[FileJobDone] = []

        def done(text: str, *, changed: bool = False, reveal: str | None = None) -> None:
            outcome.append(FileJobDone(url, text, changed=changed, reveal=reveal))

        try:
            yield done
        except TransferCancelled:
            outcome[:] = [FileJobDone(url, transfer_cancelled(what, unchanged), "warning", changed=True)]
        except _Failed as exc:
            outcome[:] = [FileJobDone(url, str(exc), "error")]
        except WorkbenchError as exc:
            # A failed change may have changed something (half a recursive delete): list again.
            outcome[:] = [FileJobDone(url, one_line(exc), "error", changed=True)]
        finally:
            if not outcome:  # a bug of ours: the worker's error handler says so; the board is freed
                outcome.append(FileJobDone(url, f"{what} did not finish", "error", changed=True))
            self._post(outcome[-1])

    def _progress(self, url: str) -> ProgressCallback:
        """A progress callback (called on the session's worker) that only hands progress on,
        once the transfer has taken a second, at most every :data:`PROGRESS_EVERY_S`."""
        last = [float("-inf")]

        def report(progress: TransferProgress) -> None:
            if progress.elapsed_s < PROGRESS_AFTER_S:
                return
            now = self._clock()
            if progress.done < progress.total and now - last[0] < PROGRESS_EVERY_S:
                return
            last[0] = now
            self._post(FileProgress(url, progress))

        return report


def _too_big(where: str, size: int) -> str:
    limit = format_size(MAX_OPEN_BYTES)
    return f"Cannot open {where} in the editor: {format_size(size)} is over the {limit} limit; download it instead (d)."
