"""The board's exceptions from a file operation, as one-line errors that name the path.

MicroPython prints ``OSError: [Errno 2] ENOENT`` (older firmware ``OSError: 2``, CircuitPython
``[Errno 30] Read-only filesystem``); the errno decides the words. A missing ``os`` function
(``AttributeError``) is a filesystem that cannot do the thing (the micro:bit's has no folders).
"""

from __future__ import annotations

import re

from workbench.errors import BoardFileError, BoardFileNotFound, BoardReadOnly, NoFolders
from workbench.protocol import RemoteException

_ERRNO = re.compile(r"\[Errno (\d+)\]|^(\d+)\b")

#: What a flat filesystem's ``os`` lacks (the micro:bit's has listdir, remove and size).
_FOLDER_FUNCTIONS = frozenset({"mkdir", "rmdir", "stat", "ilistdir", "chdir", "getcwd", "rename"})

ENOENT, EEXIST, ENOTDIR, EISDIR, ENOSPC, EROFS = 2, 17, 20, 21, 28, 30
ENOTEMPTY = (39, 66, 90)  # Linux, BSD / macOS, and MicroPython's own numbering on some ports

READ_ONLY_HINT = (
    "code on the board cannot write it now. On CircuitPython this is the case while the board is "
    "mounted as a USB drive (CIRCUITPY): copy files onto that drive from the computer instead, or "
    "make the filesystem writable for code with storage.remount('/', readonly=False) in boot.py"
)


def errno_of(exception: RemoteException) -> int | None:
    match = _ERRNO.search(exception.message)
    if match is None:
        return None
    return int(match.group(1) or match.group(2))


def board_error(exception: RemoteException, action: str, path: str) -> BoardFileError:
    """The error to raise for ``exception``, raised on the board while doing ``action`` on the
    board path ``path`` (``"write"``, ``"list"``...)."""
    shown = ":" + path if path else ": (the board's current folder)"
    if exception.type_name in ("AttributeError", "ImportError"):
        missing = exception.message.rsplit(" ", 1)[-1].strip("'\"")
        return NoFolders(
            f"cannot {action} {shown}: this board's filesystem is flat, with files but no folders "
            f"(its os module has no {missing})" if missing in _FOLDER_FUNCTIONS else
            f"cannot {action} {shown}: this board's firmware cannot do that (it said {exception.summary()})",
            path,
        )
    number = errno_of(exception) if exception.type_name == "OSError" else None
    if number is None and exception.type_name == "OSError" and "not found" in exception.message:
        number = ENOENT  # the micro:bit's firmware: "OSError: file not found"
    if number == ENOENT:
        return BoardFileNotFound(f"no such file or folder on the board: {shown}", path, number)
    if number == EROFS:
        return BoardReadOnly(f"cannot {action} {shown}: the board's filesystem is read-only; {READ_ONLY_HINT}", path, number)
    if number == EEXIST:
        return BoardFileError(f"cannot {action} {shown}: it already exists on the board", path, number)
    if number == EISDIR:
        hint = " (rm -r removes a folder and what it holds)" if action == "remove" else ""
        return BoardFileError(f"cannot {action} {shown}: it is a folder{hint}", path, number)
    if number == ENOTDIR:
        return BoardFileError(f"cannot {action} {shown}: a part of that path is a file, not a folder", path, number)
    if number in ENOTEMPTY:
        return BoardFileError(f"cannot {action} {shown}: the folder is not empty (rm -r removes it with what it holds)", path, number)
    if number == ENOSPC:
        return BoardFileError(f"cannot {action} {shown}: the board's filesystem is full", path, number)
    return BoardFileError(f"cannot {action} {shown}: the board said {exception.summary()}", path, number)
