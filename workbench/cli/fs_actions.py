"""The ``workbench fs`` actions other than ``cp``: ls, tree, cat, hash, rm, mkdir, rmdir, mv, sync.

Each ``prepare_*`` checks its operands (which side of the ``:`` each is on) without the
device and returns the job to run on it, so a wrong command costs no connection.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.cli.fs_board import Board, HostFileError
from workbench.cli.fs_paths import (
    FsUsageError,
    board_join,
    board_name,
    board_path,
    board_relative,
    names_a_folder,
    need_board,
    need_local,
    shown,
)
from workbench.cli.main import EXIT_OK, EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Callable

    from workbench.files import FileEntry, SyncReport

    Job = Callable[[Board], int]


def _entry_json(entry: FileEntry) -> dict[str, Any]:
    return {"path": entry.path, "name": entry.name, "is_dir": entry.is_dir, "size": entry.size}


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))


def _optional_board_path(ns: argparse.Namespace, example: str) -> str:
    if len(ns.paths) > 1:
        raise FsUsageError(
            f"fs {ns.action}: one path at most, not {len(ns.paths)} (workbench fs {ns.action} {example})"
        )
    return need_board(ns.paths[0], ns.action, "{}") if ns.paths else ""


def _board_paths(ns: argparse.Namespace, example: str) -> list[str]:
    """Every operand, each on the board; at least one."""
    if not ns.paths:
        raise FsUsageError(f"fs {ns.action}: which? (workbench fs {ns.action} {example})")
    return [need_board(arg, ns.action, "{}") for arg in ns.paths]


def prepare_ls(ns: argparse.Namespace) -> Job:
    path = _optional_board_path(ns, ":lib")

    def run(board: Board) -> int:
        entries = board.fs.ls(path)
        if ns.json:
            _print_json([_entry_json(entry) for entry in entries])
        else:
            for entry in entries:  # mpremote's form: the size in 12 columns, folders as 0 and "name/"
                size = 0 if entry.is_dir else entry.size
                board.print(f"{'?' if size is None else size:>12} {entry.name}{'/' if entry.is_dir else ''}")
        return EXIT_OK

    return run


def prepare_tree(ns: argparse.Namespace) -> Job:
    path = _optional_board_path(ns, ":lib")

    def run(board: Board) -> int:
        placed = tree_order(board.fs.tree(path), path)
        if ns.json:
            _print_json([_entry_json(entry) for _depth, entry in placed])
            return EXIT_OK
        board.print(shown(path))
        for depth, entry in placed:
            size = "" if entry.is_dir else "?" if entry.size is None else f"{entry.size:,}"
            board.print(f"{size:>12}  {'  ' * depth}{entry.name}{'/' if entry.is_dir else ''}")
        return EXIT_OK

    return run


def tree_order(entries: list[FileEntry], top: str) -> list[tuple[int, FileEntry]]:
    """Each entry with its depth under ``top``, every folder's entries as ``ls`` orders them
    (folders first, then files, by name) whatever order the board listed them in."""
    children: dict[str, list[FileEntry]] = {}
    for entry in entries:
        parent = board_relative(entry.path, top).rpartition("/")[0]
        children.setdefault(parent, []).append(entry)
    placed: list[tuple[int, FileEntry]] = []

    def walk(folder: str, depth: int) -> None:
        for entry in sorted(children.get(folder, ()), key=lambda e: (not e.is_dir, e.name)):
            placed.append((depth, entry))
            if entry.is_dir:
                walk(f"{folder}/{entry.name}" if folder else entry.name, depth + 1)

    walk("", 0)
    if len(placed) != len(entries):  # paths this grouping does not understand: the board's order
        return [(board_relative(entry.path, top).count("/"), entry) for entry in entries]
    return placed


def prepare_cat(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":main.py")

    def run(board: Board) -> int:
        for path in paths:
            data = board.download(path, shown(path), "nothing written to stdout")
            sys.stdout.buffer.write(data)  # the file's bytes, untouched (a closed pipe: see fs._on_board)
            sys.stdout.buffer.flush()
        return EXIT_OK

    return run


def prepare_hash(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":main.py")

    def run(board: Board) -> int:
        found = []
        for path in paths:
            board.check_cancel()
            found.append((path, board.fs.hash(path)))
        if ns.json:
            _print_json([{"path": path, "hash": digest} for path, digest in found])
        else:
            for path, digest in found:
                board.print(f"{digest}  {shown(path)}")
        return EXIT_OK

    return run


def prepare_rm(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":old.py")

    def run(board: Board) -> int:
        for path in paths:
            board.check_cancel()
            board.fs.rm(path, recursive=ns.recursive)
        return EXIT_OK

    return run


def prepare_mkdir(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":lib")

    def run(board: Board) -> int:
        for path in paths:
            board.check_cancel()
            board.fs.mkdir(path)
        return EXIT_OK

    return run


def prepare_rmdir(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":lib")

    def run(board: Board) -> int:
        for path in paths:
            board.check_cancel()
            board.fs.rmdir(path)
        return EXIT_OK

    return run


def prepare_mv(ns: argparse.Namespace) -> Job:
    if len(ns.paths) != 2:
        raise FsUsageError(
            f"fs mv: a source and a target, not {len(ns.paths)} paths (workbench fs mv :old.py :new.py)"
        )
    first, second = ns.paths
    source = need_board(first, "mv", "{} " + shown(board_path(second)))
    target = need_board(second, "mv", shown(board_path(first)) + " {}")

    def run(board: Board) -> int:
        into = target
        if names_a_folder(target) or board.is_dir(target):  # a folder: the source keeps its name
            into = board_join(target, board_name(source))
        board.fs.rename(source, into)
        return EXIT_OK

    return run


def prepare_sync(ns: argparse.Namespace) -> Job:
    if len(ns.paths) != 2:
        raise FsUsageError(f"fs sync: a local folder and a board folder, not {len(ns.paths)} paths "
                           "(workbench fs sync src :)")
    first, second = ns.paths
    local = need_local(first, "sync", "{} " + shown(board_path(second)))
    remote = need_board(second, "sync", (board_path(first) or ".") + " {}")
    if not Path(local).is_dir():
        raise HostFileError(f"cannot sync {local}: not a folder on this computer", EXIT_USAGE)

    def run(board: Board) -> int:
        report = board.fs.sync(Path(local), remote, delete=ns.delete, dry_run=ns.dry_run,
                               progress=board.on_progress)
        board.bar.clear()
        if ns.json:
            _print_json(_sync_json(report))
        else:
            for line in sync_lines(report, Path(local)):
                board.print(line)
        return EXIT_OK

    return run


def sync_lines(report: SyncReport, local_dir: Path) -> list[str]:
    """One line per change (``upload main.py -> :main.py (1,234 B)``, ``delete :old.py``,
    ``mkdir :lib``; ``would ...`` in a dry run), then the report's summary. Local files are
    named from ``local_dir``, as the board's side is from its folder."""
    prefix = "would " if report.dry_run else ""
    lines = []
    for action in report.actions:
        if action.kind == "upload":
            try:
                local = Path(action.local).relative_to(local_dir).as_posix()
            except ValueError:
                local = action.local
            lines.append(f"{prefix}upload {local} -> {shown(action.remote)} ({action.size:,} B)")
        elif action.kind in ("delete", "mkdir"):
            lines.append(f"{prefix}{action.kind} {shown(action.remote)}")
    lines.append(report.summary() or "nothing to do")
    return lines


def _sync_json(report: SyncReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "actions": [
            {"kind": action.kind, "remote": action.remote, "local": action.local, "size": action.size}
            for action in report.actions
        ],
        "bytes_sent": report.bytes_sent,
        "summary": report.summary(),
    }
