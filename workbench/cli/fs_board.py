"""What a ``workbench fs`` action works with: the board's files, the progress bar, the
transfer under way (for the line that says what a Ctrl-C spared), and the host's files.

Transfers go through :class:`Board` so that each gets the bar, the ``-v`` rate line and a
cancel check; host files through :func:`read_local` and friends so that a problem with one
is a single ``workbench:`` line with the exit status ``exec`` would give, never a traceback.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli.fs_paths import shown
from workbench.cli.main import EXIT_RAISED, EXIT_USAGE, _error, _show
from workbench.cli.progress import ProgressBar, human_rate
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.files import BoardFS, TransferProgress


class HostFileError(WorkbenchError):
    """A file on this computer could not be read (exit 2, like ``run``'s unreadable file) or
    written (exit 1, like a file problem on the board)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class Board:
    """What an action works with: the board's files, the bar, and the transfer under way
    (for the line that says what a Ctrl-C left unchanged)."""

    def __init__(self, fs: BoardFS, ns: argparse.Namespace, bar: ProgressBar) -> None:
        self.fs = fs
        self.ns = ns
        self.bar = bar
        self.pressed: Callable[[], bool] = lambda: False
        self._unchanged: str | None = None  # what a Ctrl-C now leaves as it was

    def on_progress(self, progress: TransferProgress) -> None:
        """The library's progress callback (the session's worker thread): the bar, and which
        file is under way (a sync's transfers are only known from here)."""
        if progress.direction == "upload" and self.ns.action == "sync":
            self._unchanged = f"{shown(progress.path)} unchanged on the board"
        self.bar.update(progress)

    def check_cancel(self) -> None:
        """Between two files: a Ctrl-C that came while nothing was transferring stops here."""
        if self.pressed():
            from workbench.errors import TransferCancelled

            raise TransferCancelled("cancelled")

    def cancel_message(self) -> str:
        """``cancelled: :main.py unchanged on the board`` (what the stopped transfer spared)."""
        return "cancelled" if self._unchanged is None else f"cancelled: {self._unchanged}"

    def upload(self, data: bytes, path: str, label: str) -> None:
        """Write ``data`` to the board's ``path`` (verified, atomic), with the bar."""
        self.check_cancel()
        self._unchanged = f"{shown(path)} unchanged on the board"
        started = time.monotonic()
        self.fs.write(path, data, progress=self.on_progress)
        self._unchanged = None
        self._say_rate(label, len(data), started)

    def upload_many(self, items: list[tuple[bytes, str, str]]) -> None:
        """Write several files (bytes, board path, ``-v`` label) in one run of the board's
        transfer program (:meth:`BoardFS.write_many`), with the bar; each file's ``-v`` line
        as it is put in place, and a Ctrl-C names the file it spared."""
        if len(items) < 2:
            for data, path, label in items:
                self.upload(data, path, label)
            return
        self.check_cancel()
        self._unchanged = f"{shown(items[0][1])} unchanged on the board"
        started = time.monotonic()

        def written(index: int) -> None:  # the session's worker, between two files
            nonlocal started
            following = items[index + 1][1] if index + 1 < len(items) else None
            self._unchanged = None if following is None else f"{shown(following)} unchanged on the board"
            data, _, label = items[index]
            self._say_rate(label, len(data), started)
            started = time.monotonic()

        self.fs.write_many([(path, data) for data, path, _ in items], progress=self.on_progress, on_written=written)
        self._unchanged = None

    def download(self, path: str, label: str, unchanged: str) -> bytes:
        """The bytes of the board's ``path`` (verified), with the bar; ``unchanged`` says
        what a Ctrl-C during it leaves as it was (``nothing written to x.py``)."""
        self.check_cancel()
        self._unchanged = unchanged
        started = time.monotonic()
        data = self.fs.read(path, progress=self.on_progress)
        self._unchanged = None
        self._say_rate(label, len(data), started)
        return data

    def is_dir(self, path: str) -> bool:
        """Whether the board has a folder at ``path`` (False when there is nothing there)."""
        from workbench.errors import BoardFileNotFound

        if path in ("", "/"):
            return True
        try:
            return self.fs.stat(path).is_dir
        except BoardFileNotFound:
            return False

    def print(self, text: str) -> None:
        """A line of the command's report (names from the board shown inert), bar wiped."""
        self.bar.clear()
        _show(text)

    def _say_rate(self, label: str, size: int, started: float) -> None:
        self.bar.clear()
        if self.ns.verbose:
            elapsed = max(time.monotonic() - started, 1e-6)
            _error(f"{label}: {size:,} B in {elapsed:.2f} s ({human_rate(size / elapsed)})")


def read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HostFileError(f"cannot read {path}: {exc.strerror or exc}", EXIT_USAGE) from None


def write_local(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise HostFileError(f"cannot write {path}: {exc.strerror or exc}", EXIT_RAISED) from None


def make_local_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HostFileError(f"cannot make the folder {path}: {exc.strerror or exc}", EXIT_RAISED) from None
