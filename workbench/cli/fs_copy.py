"""``workbench fs cp``: copies to, from and on the board, files and (``-r``) folders.

mpremote's rules: all sources on one side; a destination that is a folder (``:``, ``x/``,
``.``, an existing folder, or any with several sources) gets each source under its own name;
``cp -r DIR :X`` with ``X`` missing makes ``X`` a copy of ``DIR``, as ``cp -r`` does.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.cli.fs_board import Board, HostFileError, make_local_folder, read_local, write_local
from workbench.cli.fs_paths import (
    FsUsageError,
    board_join,
    board_name,
    board_relative,
    is_board,
    local_names_a_folder,
    names_a_folder,
    shown,
)
from workbench.cli.main import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Callable

    Job = Callable[[Board], int]


def prepare_cp(ns: argparse.Namespace) -> Job:
    """``cp SRC... DEST``: all sources on one side; the destination on the board, on this
    computer, or both on the board (downloaded, then uploaded). A destination that is a
    folder (``:``, ``x/``, ``.``, an existing folder, or any with several sources) gets each
    source under its own name."""
    if len(ns.paths) < 2:
        raise FsUsageError(
            "fs cp: a source and a destination (workbench fs cp main.py : or workbench fs cp :main.py .)"
        )
    *sources, dest = ns.paths
    from_board = [is_board(source) for source in sources]
    if any(from_board) and not all(from_board):
        raise FsUsageError("fs cp: the sources are all on the board (':x') or all on this computer, not both")
    if not from_board[0] and not is_board(dest):
        fixed = " ".join([*sources, ":"])
        raise FsUsageError(f"fs cp: neither side is on the board; a path on the board starts with ':' "
                           f"(workbench fs cp {fixed})")
    several = len(sources) > 1
    if from_board[0]:
        if not is_board(dest):
            if several and not Path(dest).is_dir():
                raise FsUsageError(
                    f"fs cp: several sources go into a folder; {dest!r} is not a folder on this computer"
                )
            return lambda board: _download_all(board, [source[1:] for source in sources], dest, several)
        if ns.recursive:
            raise FsUsageError("fs cp: -r from the board to the board is not supported; use mv, or copy "
                               "the folder here and back (workbench fs cp -r :lib ./lib)")
        return lambda board: _board_to_board(board, [source[1:] for source in sources], dest[1:], several)
    for source in sources:
        _check_local_source(Path(source), ns.recursive)
    return lambda board: _upload_all(board, [Path(source) for source in sources], dest[1:], several)


def _check_local_source(source: Path, recursive: bool) -> None:
    if not source.exists():
        raise HostFileError(f"cannot read {source}: no such file on this computer", EXIT_USAGE)
    if source.is_dir() and not recursive:
        raise FsUsageError(
            f"fs cp: {str(source)!r} is a folder; copy it with -r (workbench fs cp -r {source} :)"
        )


def _local_name(source: Path) -> str:
    return source.name or source.resolve().name


def _upload_all(board: Board, sources: list[Path], dest: str, several: bool) -> int:
    """Files go in batches, one run of the board's transfer program each (a folder between
    them keeps its place in the order)."""
    into_folder = several or names_a_folder(dest) or board.is_dir(dest)
    batch: list[tuple[bytes, str, str]] = []
    for source in sources:
        target = board_join(dest, _local_name(source)) if into_folder else dest
        if source.is_dir():
            board.upload_many(batch)
            batch = []
            _upload_tree(board, source, target)
        else:
            batch.append((read_local(source), target, f"{source} -> {shown(target)}"))
    board.upload_many(batch)
    return EXIT_OK


def _upload_tree(board: Board, source: Path, target: str) -> None:
    """``cp -r DIR :X``: the folder ``X`` (made if missing) gets what ``DIR`` holds: the
    folders first, then the files in one batch."""
    made: set[str] = set()

    def ensure_folder(path: str, parent_made: bool) -> None:
        if parent_made or not board.is_dir(path):
            board.check_cancel()
            board.fs.mkdir(path)
            made.add(path)

    # The whole listing first: should the board's folder be this one (spawn:// runs in the
    # current folder), the copies made on the way must not be walked and copied again.
    walked = [(root, sorted(folders), sorted(files)) for root, folders, files in os.walk(source)]
    ensure_folder(target, False)
    batch: list[tuple[bytes, str, str]] = []
    for root, folders, files in walked:
        relative = Path(root).relative_to(source).as_posix()
        here = target if relative == "." else board_join(target, relative)
        for folder in folders:
            ensure_folder(board_join(here, folder), here in made)
        for name in files:
            path = Path(root) / name
            remote = board_join(here, name)
            batch.append((read_local(path), remote, f"{path} -> {shown(remote)}"))
    board.upload_many(batch)


def _download_all(board: Board, sources: list[str], dest: str, several: bool) -> int:
    into_folder = several or local_names_a_folder(dest) or Path(dest).is_dir()
    for source in sources:
        entry = board.fs.stat(source) if source not in ("", "/") else None  # BoardFileNotFound names it
        target = Path(dest) / board_name(source) if into_folder else Path(dest)
        if entry is None or entry.is_dir:
            if not board.ns.recursive:
                raise FsUsageError(f"fs cp: {shown(source)} is a folder; copy it with -r "
                                   f"(workbench fs cp -r {shown(source)} {dest})")
            _download_tree(board, source, target)
        else:
            label = f"{shown(source)} -> {target}"
            write_local(target, board.download(source, label, f"nothing written to {target}"))
    return EXIT_OK


def _download_tree(board: Board, source: str, target: Path) -> None:
    """``cp -r :X DIR``: the local folder ``DIR`` (made if missing) gets what ``X`` holds."""
    make_local_folder(target)
    for entry in board.fs.tree(source):
        if entry.path.rstrip("/") == source.rstrip("/"):
            continue  # the folder itself, should the listing hold it
        local = target / board_relative(entry.path, source)
        if entry.is_dir:
            make_local_folder(local)
        else:
            label = f"{shown(entry.path)} -> {local}"
            write_local(local, board.download(entry.path, label, f"nothing written to {local}"))


def _board_to_board(board: Board, sources: list[str], dest: str, several: bool) -> int:
    into_folder = several or names_a_folder(dest) or board.is_dir(dest)
    for source in sources:
        if board.is_dir(source):
            raise FsUsageError(
                f"fs cp: {shown(source)} is a folder; -r from the board to the board is not supported"
            )
        target = board_join(dest, board_name(source)) if into_folder else dest
        data = board.download(source, f"{shown(source)} -> here", f"{shown(target)} unchanged on the board")
        board.upload(data, target, f"here -> {shown(target)}")
    return EXIT_OK
