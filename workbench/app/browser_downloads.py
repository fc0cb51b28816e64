"""What a browser tab of ``workbench serve`` can download to the student's own computer.

In a browser the app's dialogs save on the serving machine (the teacher's, or a Raspberry Pi),
which is not where a student wants their program, trace or plot. Textual hands a file to the
browser (``App.deliver_text`` / ``deliver_binary``: textual-serve turns it into a download
through the same token-checked server); this module says what each download is called and
holds, so the app's palette commands stay one line each.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from workbench.app.documents import Document

#: The name an untitled editor document downloads under.
UNTITLED_FILE = "main.py"


@dataclass(frozen=True)
class Download:
    """A file for the browser: the name it suggests, and its text."""

    filename: str
    text: str


def editor_download(document: Document, text: str) -> Download:
    """The editor's document as the file it is (its host or board file's name), else main.py."""
    if document.board_file is not None:
        name = document.board_file.name
    elif document.path is not None:
        name = document.path.name
    else:
        name = UNTITLED_FILE
    return Download(name, text)


def board_file_name(path: str) -> str:
    """The name a board file downloads under: its own, without the board's folders."""
    return posixpath.basename(path.rstrip("/")) or "board-file"
