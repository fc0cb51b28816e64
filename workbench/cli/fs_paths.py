"""mpremote's path rule for ``workbench fs``: a leading ``:`` marks a path on the board.

``:main.py`` is the board's ``main.py`` (relative to the board's current folder), ``:`` that
folder itself, ``:/flash/lib`` an absolute board path; anything else is a path on this
computer. Every action knows which side each of its operands is on, and a path on the wrong
side is a usage error that shows the right form with the user's own path, so a forgotten
``:`` never reads or writes a file the user did not mean.

Pure functions, no device: the CLI's tests check the rules without a board.
"""

from __future__ import annotations

import os

BOARD_MARK = ":"


class FsUsageError(Exception):
    """A ``workbench fs`` command that cannot work as written (exit status 2). The message is
    one line and, where it can, shows the right form."""


def is_board(arg: str) -> bool:
    """Whether ``arg`` names a path on the board (``:x``)."""
    return arg.startswith(BOARD_MARK)


def board_path(arg: str) -> str:
    """The board's path for ``:x``: ``x`` (``""`` for ``:``, the board's current folder)."""
    return arg[len(BOARD_MARK):] if is_board(arg) else arg


def shown(path: str) -> str:
    """A board path as the user writes it: ``:lib/x.py``, ``:`` for the current folder."""
    return BOARD_MARK + path


def need_board(arg: str, action: str, example: str) -> str:
    """The board path of an operand that must be on the board, else a usage error whose fix
    is ``workbench fs ACTION <example with the user's path>`` (``{}`` in ``example``)."""
    if not is_board(arg):
        fixed = example.format(shown(arg))
        raise FsUsageError(
            f"fs {action}: {arg!r} is a path on this computer; a path on the board starts with ':' "
            f"(workbench fs {action} {fixed})"
        )
    return board_path(arg)


def need_local(arg: str, action: str, example: str) -> str:
    """The host path of an operand that must be on this computer, else a usage error."""
    if is_board(arg):
        fixed = example.format(board_path(arg) or ".")
        raise FsUsageError(
            f"fs {action}: {arg!r} is a path on the board; this one is on this computer, without ':' "
            f"(workbench fs {action} {fixed})"
        )
    return arg


def names_a_folder(path: str) -> bool:
    """A board path that can only be a folder: ``""`` (the current folder) or ``x/``."""
    return path == "" or path.endswith("/")


def board_join(folder: str, name: str) -> str:
    """``name`` inside the board folder ``folder`` (``""`` being the current folder)."""
    if folder in ("", "."):
        return name
    return folder + name if folder.endswith("/") else f"{folder}/{name}"


def board_name(path: str) -> str:
    """The last part of a board path (``lib/x.py`` -> ``x.py``); ``""`` for ``:`` and ``:/``."""
    return path.rstrip("/").rsplit("/", 1)[-1]


def board_relative(path: str, top: str) -> str:
    """``path`` (an entry under the board folder ``top``) relative to ``top``."""
    if top in ("", "."):
        return path
    prefix = top if top.endswith("/") else top + "/"
    return path[len(prefix):] if path.startswith(prefix) else board_name(path)


def local_names_a_folder(arg: str) -> bool:
    """A host path written as a folder: ``.``, ``..`` or ending in a separator."""
    return arg in (".", "..") or arg.endswith(("/", os.sep))
