"""File operations on the board of an open session (see :mod:`workbench.files`).

Each operation is one or a few small execs; a transfer is one exec that runs a little
receiver (or sender) program on the board and streams the file through it in blocks, with
flow control and a hash at the end (:mod:`workbench.files.transfer`). Errors are
:class:`~workbench.errors.BoardFileError` subclasses naming the path; a transfer stopped by
:meth:`Session.interrupt` raises :class:`~workbench.errors.TransferCancelled`.

Thread use: like the session, a ``BoardFS`` may be called from any thread but not from an
``on_output`` or ``progress`` callback (those run on the session's worker).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.files.model import FileEntry, SyncReport, TransferProgress

if TYPE_CHECKING:
    from workbench.engine.session import Session

ProgressCallback = Callable[[TransferProgress], None]


class BoardFS:
    """The files of the board behind ``session``."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # -- looking
    def ls(self, path: str = "") -> list[FileEntry]:
        """The entries of the folder ``path`` ("" = the board's current folder), folders first,
        then files, each sorted by name. A file's path lists that one file."""
        raise NotImplementedError

    def stat(self, path: str) -> FileEntry:
        """The entry of ``path``; :class:`BoardFileNotFound` when there is none."""
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def tree(self, path: str = "") -> list[FileEntry]:
        """Every entry under ``path``, depth first (a folder before its contents)."""
        raise NotImplementedError

    def hash(self, path: str) -> str:
        """The board's hash of the file: ``sha256:<hex>``, or ``sum:<len>:<sum32>`` on firmware
        without sha256 (see :func:`workbench.files.hashing.host_hash` for the host's side)."""
        raise NotImplementedError

    # -- transfers
    def read(self, path: str, *, progress: ProgressCallback | None = None) -> bytes:
        """The file's bytes, verified against the board's hash of what it read."""
        raise NotImplementedError

    def write(self, path: str, data: bytes, *, progress: ProgressCallback | None = None) -> None:
        """Write ``data`` to ``path``: to a temporary name first, renamed over the old file only
        when the board's hash of what it wrote matches; else the old file stays and
        :class:`TransferError` says what happened."""
        raise NotImplementedError

    # -- changing
    def rm(self, path: str, *, recursive: bool = False) -> None:
        raise NotImplementedError

    def mkdir(self, path: str) -> None:
        """Make the folder ``path`` (its parent must exist); :class:`NoFolders` on a flat
        filesystem."""
        raise NotImplementedError

    def rmdir(self, path: str) -> None:
        raise NotImplementedError

    def rename(self, source: str, target: str) -> None:
        raise NotImplementedError

    def sync(
        self,
        local_dir: Path,
        remote_dir: str,
        *,
        delete: bool = False,
        dry_run: bool = False,
        progress: ProgressCallback | None = None,
    ) -> SyncReport:
        """Make ``remote_dir`` hold what ``local_dir`` holds: upload files whose hash differs,
        make missing folders, and with ``delete`` remove what the host folder lacks."""
        raise NotImplementedError
