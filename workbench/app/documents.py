"""The editor's open documents: where each one comes from and whether it is saved.

Widget-free, so what a document *is* (a host file, a file on a board, or untitled; its saved
text; its recovery copy's key) can be read and tested without a screen. The editor pane keeps
one :class:`Document` per tab and one text area per document.
"""

from __future__ import annotations

import posixpath
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from workbench.app.recovery import board_key, host_key, untitled_key
from workbench.protocol.records import Record, record

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Larger files are refused: they are not MicroPython scripts and would make typing sluggish."""

MODIFIED_MARK = "●"
"""Shown after a document's name while it has unsaved changes."""

UNTITLED = "untitled"
"""The name of a document that belongs to no file yet."""

BOARD_MARK = ":"
"""Marks a path on a board, as ``mpremote`` and ``workbench fs`` do (``:main.py``)."""


@record
class BoardFile(Record):
    """A file on a board: the board's URL and the path on it (``str()`` is ``:path``)."""

    url: str
    path: str

    def __str__(self) -> str:
        return BOARD_MARK + self.path

    @property
    def name(self) -> str:
        """The file's name without its folders (what a tab shows)."""
        return posixpath.basename(self.path.rstrip("/")) or self.path


@dataclass(eq=False)
class Document:
    """One open document of the editor.

    ``path`` is its host file (None for a board file or untitled text); ``board_file`` its
    file on a board (None otherwise). ``saved_text`` is the text as last loaded or saved
    there, None when the text has never matched a file; ``text`` is the buffer as of its last
    change (the text area holds the live one). Compared by identity: two documents with the
    same text are still two tabs.
    """

    id: int
    text: str = ""
    path: Path | None = None
    board_file: BoardFile | None = None
    saved_text: str | None = None
    modified: bool = False
    main_copy: bool = False
    """Its recovery copy is the store's main one (``recovery.json``), the copy the app offers
    back at start as it always did; every other document's copy is keyed by its origin."""
    recovery_written: bool = False
    """We put a copy of this document in the store this session, so it is ours to clear."""
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Tells two untitled documents' recovery copies apart (across sessions too)."""

    @property
    def title(self) -> str:
        """What its tab and the pane's border show: ``main.py``, ``:main.py`` or ``untitled``."""
        if self.board_file is not None:
            return BOARD_MARK + self.board_file.name
        if self.path is not None:
            return self.path.name
        return UNTITLED

    @property
    def label(self) -> str:
        """The title with the unsaved mark while there are unsaved changes."""
        return f"{self.title} {MODIFIED_MARK}" if self.modified else self.title

    @property
    def recovery_key(self) -> str | None:
        """Which recovery copy is this document's: None for the main one, else its origin."""
        if self.main_copy:
            return None
        if self.board_file is not None:
            return board_key(self.board_file.url, self.board_file.path)
        if self.path is not None:
            return host_key(self.path)
        return untitled_key(self.token)

    def is_host_file(self, path: Path) -> bool:
        """Whether this document is the host file ``path`` (the same file by another name too)."""
        return self.path is not None and self.board_file is None and same_file(self.path, path)

    @property
    def pristine(self) -> bool:
        """Untitled, empty and unchanged: opening a file may take its place instead of a new tab."""
        return self.path is None and self.board_file is None and not self.modified and not self.text


def same_file(a: Path, b: Path) -> bool:
    """Whether two host paths name the same file (``./x.py`` and ``/abs/x.py``, symlinks)."""
    try:
        return a.resolve() == b.resolve()
    except (OSError, RuntimeError, ValueError):  # a loop of links, a NUL byte: compare as typed
        return a.absolute() == b.absolute()


class UnreadableFile(Exception):
    """A host file the editor cannot open; the message is one line for the person."""


def read_host_text(path: Path) -> str:
    """The text of the host file ``path``; :class:`UnreadableFile` says why not (not a
    regular file, over :data:`MAX_FILE_BYTES`, not UTF-8, or the system's reason)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"Cannot open {path}: not a regular file")
        size = info.st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableFile(
                f"Cannot open {path}: {size / 1024 / 1024:.1f} MB is over the "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB limit for the editor"
            )
        data = path.read_bytes()
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the typed path
        raise UnreadableFile(f"Cannot open {path}: {os_reason(exc)}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"Cannot open {path}: not UTF-8 text (bad byte at offset {exc.start})") from None


def os_reason(exc: OSError | ValueError) -> str:
    """A short human reason ("Permission denied") rather than the exception's repr."""
    strerror = exc.strerror if isinstance(exc, OSError) else None
    return strerror or str(exc) or type(exc).__name__
