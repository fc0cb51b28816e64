"""``workbench fs``: the board's files from the command line, with mpremote's conventions.

``workbench fs [DEVICE] ACTION ...``: ``ls``, ``cat``, ``cp``, ``rm``, ``mkdir``, ``rmdir``,
``mv``, ``tree``, ``hash``, ``sync``; a leading ``:`` marks a path on the board
(:mod:`workbench.cli.fs_paths`). The device is taken as ``exec`` takes it: before the action,
with ``-d`` anywhere, or ``-d`` before ``fs``; without one, the default device, named on
stderr. The work itself is :class:`workbench.files.BoardFS`'s; this module only reads the
command line, checks which side each path is on *before* connecting (a forgotten ``:`` costs
no connection and touches nothing), prints, and maps problems to exit codes as ``exec`` does:
0 ok, 1 a file problem on the board or a cancelled transfer, 2 usage or an unreadable local
file, 3 the device (could not connect, timeout, lost). Each problem is one ``workbench:`` line.

Ctrl-C during a transfer stops it on the board (:meth:`Session.interrupt`; the library then
raises :class:`~workbench.errors.TransferCancelled` with the old file intact) and says so in
one line; a second Ctrl-C gives up waiting, as with ``exec``. The board is left in the
friendly REPL at the end, as ``exec`` leaves it.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from workbench.cli.fs_paths import (
    FsUsageError,
    board_join,
    board_name,
    board_path,
    board_relative,
    is_board,
    local_names_a_folder,
    names_a_folder,
    need_board,
    need_local,
    shown,
)
from workbench.cli.main import (
    EXIT_DEVICE,
    EXIT_OK,
    EXIT_RAISED,
    EXIT_USAGE,
    URL_HELP,
    _command_devices,
    _command_profile,
    _device_tokens,
    _error,
    _leave_raw,
    _positive_float,
    _remember_findings,
    _save_trace,
    _show,
    _use_platform_preset,
)
from workbench.cli.progress import ProgressBar, human_rate
from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.files import BoardFS, FileEntry, SyncReport, TransferProgress


class Action(NamedTuple):
    """One ``fs`` action: its operands as the usage line shows them, and what it does."""

    operands: str
    help: str


ACTIONS: dict[str, Action] = {
    "ls": Action("[:PATH]", "list a folder of the board (default: its current folder)"),
    "cat": Action(":FILE...", "write the bytes of board files to stdout"),
    "cp": Action("[-r] SRC... DEST", "copy files to or from the board (-r: folders)"),
    "rm": Action("[-r] :PATH...", "remove files (-r: folders and all they hold)"),
    "mkdir": Action(":DIR...", "make folders"),
    "rmdir": Action(":DIR...", "remove empty folders"),
    "mv": Action(":FROM :TO", "rename or move on the board"),
    "tree": Action("[:DIR]", "every file and folder under DIR, with sizes"),
    "hash": Action(":FILE...", "the board's hash of files (sha256, or a checksum on old firmware)"),
    "sync": Action("LOCAL_DIR :DIR", "upload what differs (by hash); --delete, --dry-run"),
}

FS_DESCRIPTION = """Files on the board. As with mpremote, a leading ':' marks a path on the board
(:main.py, :lib/x.py, ':' for the board's current folder, :/flash for an absolute one);
anything else is a path on this computer.

actions:
""" + "".join(f"  {name} {action.operands:<22} {action.help}\n" for name, action in ACTIONS.items()) + """
examples:
  workbench fs ls :                   workbench fs cp main.py :
  workbench fs cp :main.py .          workbench fs cp a.py b.py :lib/
  workbench fs cp -r src :            workbench fs cp -r :lib ./backup
  workbench fs sync src : --dry-run   workbench fs a0 cat :boot.py

Options for every action: -d DEVICE, -v (the profile, and bytes and rate of each transfer),
--trace FILE.jsonl, --raw-paste, --response-timeout S; --json for ls, tree, hash and sync.
`workbench fs ACTION --help` describes one action. Exit status: 0 ok; 1 a file problem on
the board (a missing file names it) or a cancelled transfer; 2 wrong usage (a path on the
wrong side of ':') or an unreadable local file; 3 the device could not be reached.

"""

#: Options that take a value: the word after them is never the action.
_VALUE_OPTIONS = frozenset({"-d", "--device", "--trace", "--raw-paste", "--response-timeout"})


class HostFileError(WorkbenchError):
    """A file on this computer could not be read (exit 2, like ``run``'s unreadable file) or
    written (exit 1, like a file problem on the board)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# ---------------------------------------------------------------------------------- parsing
def _common_options() -> argparse.ArgumentParser:
    """The options every action takes (the device, -v, the trace, protocol overrides)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-d", "--device", dest="devices", action="append", metavar="DEVICE",
                        help="the device (a URL, a shortcut such as a0, or a name); default: the one board "
                        "plugged in, else sim://generic")
    common.add_argument("-v", "--verbose", action="store_true",
                        help="say which profile was chosen, and the bytes and rate of each transfer")
    common.add_argument("--trace", metavar="FILE.jsonl", help="save every byte of the exchange")
    common.add_argument("--raw-paste", choices=("auto", "always", "never"),
                        help="raw-paste use (default: the device's profile)")
    common.add_argument("--response-timeout", type=_positive_float, metavar="S",
                        help="longest wait for any protocol reply (default: the device's profile)")
    return common


def _action_parser(name: str, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    action = ACTIONS[name]
    parser = argparse.ArgumentParser(
        prog=f"workbench fs {name}", usage=f"workbench fs [DEVICE] {name} {action.operands} [options]",
        description=action.help + ". A leading ':' marks a path on the board.", parents=[common],
    )
    parser.add_argument("paths", nargs="*", metavar="PATH")
    if name in ("cp", "rm"):
        parser.add_argument("-r", "--recursive", action="store_true", help="folders too, with all they hold")
    if name == "sync":
        parser.add_argument("--delete", action="store_true", help="remove board files the local folder lacks")
        parser.add_argument("--dry-run", action="store_true", help="say what would be done, change nothing")
    if name in ("ls", "tree", "hash", "sync"):
        parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def _split(words: Sequence[str]) -> tuple[list[str], str | None, list[str]]:
    """The words before the action (device, options), the action, and its own words."""
    index = 0
    while index < len(words):
        word = words[index]
        if word in _VALUE_OPTIONS:
            index += 2
            continue
        if word in ACTIONS:
            return list(words[:index]), word, list(words[index + 1:])
        index += 1
    return list(words), None, []


def parse_fs(words: Sequence[str], top_devices: Sequence[str] | None = None) -> argparse.Namespace | None:
    """The parsed command (``ns.action``, ``ns.paths``, ``ns.urls`` and the options), or None
    when help was printed. Raises :class:`FsUsageError` for a missing or unknown action and
    for more than one device; argparse reports a bad option itself (exit 2)."""
    before, action, after = _split(words)
    common = _common_options()
    front = argparse.ArgumentParser(prog="workbench fs", add_help=False, parents=[common])
    front.add_argument("-h", "--help", action="store_true")
    front.add_argument("url", metavar="DEVICE", nargs="?")
    ns, extras = front.parse_known_args(before)
    if ns.help:
        print("usage: workbench fs [DEVICE] ACTION [ARGS...] [options]\n\n" + FS_DESCRIPTION + URL_HELP, end="")
        return None
    if action is None and not before:
        raise FsUsageError(f"fs: which action? one of {', '.join(ACTIONS)} (workbench fs --help)")
    if action is None:
        unknown = ns.url if ns.url is not None else before[0]
        raise FsUsageError(f"fs: unknown action {unknown!r}: one of {', '.join(ACTIONS)} (workbench fs --help)")
    if extras:
        raise FsUsageError(f"fs: {' '.join(extras)!r} before {action!r}: options go after the device")
    ns = _action_parser(action, common).parse_intermixed_args(after, namespace=ns)
    ns.action = action
    tokens = _device_tokens(front, [ns.url] if ns.url is not None else [], top_devices, ns.devices)
    if len(tokens) > 1:
        raise FsUsageError(f"fs works on one device at a time, not {len(tokens)}: {', '.join(tokens)}")
    ns.urls = tokens
    for flag in ("recursive", "delete", "dry_run", "json"):
        if not hasattr(ns, flag):
            setattr(ns, flag, False)
    return ns


# ------------------------------------------------------------------------------ the command
def cmd_fs(args: argparse.Namespace) -> int:
    """Run ``workbench fs``: check the command line, then do the action on the device."""
    try:
        ns = parse_fs(args.words, getattr(args, "top_devices", None))
        if ns is None:
            return EXIT_OK
        job = PREPARE[ns.action](ns)  # the ':' rules and local files, before connecting
    except FsUsageError as exc:
        _error(str(exc))
        return EXIT_USAGE
    url = _command_devices(ns.urls)[0].url
    try:
        return _on_board(ns, url, job)
    except FsUsageError as exc:
        _error(str(exc))
        return EXIT_USAGE


Job = Callable[["Board"], int]


def _on_board(ns: argparse.Namespace, url: str, job: Job) -> int:
    """Connect as ``exec`` does (the device's profile, the platform preset), do the job, and
    leave the board in the friendly REPL unless the device itself failed."""
    from workbench.engine import connect
    from workbench.errors import TransferCancelled
    from workbench.files import BoardFS

    profile, choice = _command_profile(ns, url)
    bar = ProgressBar(sys.stderr)
    with connect(url, profile) as session:
        try:
            _use_platform_preset(ns, url, choice, session.set_profile, session)
            board = Board(BoardFS(session), ns, bar)
            with _ctrl_c_cancels(session.interrupt, bar) as pressed:
                board.pressed = pressed
                try:
                    code = job(board)
                except WorkbenchError as exc:
                    cancelled = isinstance(exc, TransferCancelled) or (pressed() and exc.exit_code != EXIT_DEVICE)
                    if not cancelled:
                        raise
                    bar.stop()
                    _error(board.cancel_message())
                    code = EXIT_RAISED
            bar.stop()
        except (WorkbenchError, FsUsageError) as exc:
            bar.stop()
            if getattr(exc, "exit_code", EXIT_USAGE) != EXIT_DEVICE:
                _leave_raw(session)
            raise
        finally:
            bar.stop()
            _remember_findings(url, session.findings())
            if ns.trace:
                _save_trace(session, ns.trace)
        _leave_raw(session)
    return code


@contextmanager
def _ctrl_c_cancels(interrupt: Callable[[], None], bar: ProgressBar) -> Iterator[Callable[[], bool]]:
    """The first Ctrl-C wipes the bar and stops what runs on the board (the command then says
    what was cancelled, in one line); a second one gives up waiting (KeyboardInterrupt, as
    with ``exec``). Yields "was Ctrl-C pressed", which loops over several files check.

    Not ``main._ctrl_c_interrupts``: its "interrupting ..." line would land in the middle of
    the bar, and the cancel line says it all."""
    presses = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal presses
        presses += 1
        bar.stop()
        if presses > 1:
            raise KeyboardInterrupt
        try:
            interrupt()
        except WorkbenchError:
            pass  # the device is gone: the transfer will say so

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield lambda: False
        return
    try:
        yield lambda: presses > 0
    finally:
        signal.signal(signal.SIGINT, previous)


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


# ------------------------------------------------------------------------------- the actions
def _entry_json(entry: FileEntry) -> dict[str, Any]:
    return {"path": entry.path, "name": entry.name, "is_dir": entry.is_dir, "size": entry.size}


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2))


def _optional_board_path(ns: argparse.Namespace, example: str) -> str:
    if len(ns.paths) > 1:
        raise FsUsageError(f"fs {ns.action}: one path at most, not {len(ns.paths)} (workbench fs {ns.action} {example})")
    return need_board(ns.paths[0], ns.action, "{}") if ns.paths else ""


def _board_paths(ns: argparse.Namespace, example: str) -> list[str]:
    """Every operand, each on the board; at least one."""
    if not ns.paths:
        raise FsUsageError(f"fs {ns.action}: which? (workbench fs {ns.action} {example})")
    return [need_board(arg, ns.action, "{}") for arg in ns.paths]


def _prepare_ls(ns: argparse.Namespace) -> Job:
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


def _prepare_tree(ns: argparse.Namespace) -> Job:
    path = _optional_board_path(ns, ":lib")

    def run(board: Board) -> int:
        entries = board.fs.tree(path)
        if ns.json:
            _print_json([_entry_json(entry) for entry in entries])
            return EXIT_OK
        board.print(shown(path))
        for entry in entries:
            depth = board_relative(entry.path, path).count("/")
            size = "" if entry.is_dir else "?" if entry.size is None else f"{entry.size:,}"
            board.print(f"{size:>12}  {'  ' * depth}{entry.name}{'/' if entry.is_dir else ''}")
        return EXIT_OK

    return run


def _prepare_cat(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":main.py")

    def run(board: Board) -> int:
        for path in paths:
            data = board.download(path, shown(path), "nothing written to stdout")
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except BrokenPipeError:  # `workbench fs cat :log.txt | head`: the reader left
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return EXIT_OK
        return EXIT_OK

    return run


def _prepare_hash(ns: argparse.Namespace) -> Job:
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


def _prepare_rm(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":old.py")

    def run(board: Board) -> int:
        for path in paths:
            board.check_cancel()
            board.fs.rm(path, recursive=ns.recursive)
        return EXIT_OK

    return run


def _prepare_mkdir(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":lib")

    def run(board: Board) -> int:
        for path in paths:
            board.check_cancel()
            board.fs.mkdir(path)
        return EXIT_OK

    return run


def _prepare_rmdir(ns: argparse.Namespace) -> Job:
    paths = _board_paths(ns, ":lib")

    def run(board: Board) -> int:
        for path in paths:
            board.check_cancel()
            board.fs.rmdir(path)
        return EXIT_OK

    return run


def _prepare_mv(ns: argparse.Namespace) -> Job:
    if len(ns.paths) != 2:
        raise FsUsageError(f"fs mv: a source and a target, not {len(ns.paths)} paths (workbench fs mv :old.py :new.py)")
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


def _prepare_sync(ns: argparse.Namespace) -> Job:
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
            for line in sync_lines(report):
                board.print(line)
        return EXIT_OK

    return run


def sync_lines(report: SyncReport) -> list[str]:
    """One line per change (``upload main.py -> :main.py (1,234 B)``, ``delete :old.py``,
    ``mkdir :lib``; ``would ...`` in a dry run), then the report's summary."""
    prefix = "would " if report.dry_run else ""
    lines = []
    for action in report.actions:
        if action.kind == "upload":
            lines.append(f"{prefix}upload {action.local} -> {shown(action.remote)} ({action.size:,} B)")
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


# ------------------------------------------------------------------------------------- cp
def _prepare_cp(ns: argparse.Namespace) -> Job:
    """``cp SRC... DEST``: all sources on one side; the destination on the board, on this
    computer, or both on the board (downloaded, then uploaded). A destination that is a
    folder (``:``, ``x/``, ``.``, an existing folder, or any with several sources) gets each
    source under its own name."""
    if len(ns.paths) < 2:
        raise FsUsageError("fs cp: a source and a destination (workbench fs cp main.py : or workbench fs cp :main.py .)")
    *sources, dest = ns.paths
    from_board = [is_board(source) for source in sources]
    if any(from_board) and not all(from_board):
        raise FsUsageError("fs cp: the sources are all on the board (':x') or all on this computer, not both")
    if not from_board[0] and not is_board(dest):
        fixed = " ".join([*sources, ":"])
        raise FsUsageError(f"fs cp: neither side is on the board; a path on the board starts with ':' (workbench fs cp {fixed})")
    several = len(sources) > 1
    if from_board[0]:
        if not is_board(dest):
            if several and not Path(dest).is_dir():
                raise FsUsageError(f"fs cp: several sources go into a folder; {dest!r} is not a folder on this computer")
            return lambda board: _download_all(board, [source[1:] for source in sources], dest, several)
        if ns.recursive:
            raise FsUsageError("fs cp: -r from the board to the board is not supported; use mv, or copy the folder "
                               "here and back (workbench fs cp -r :lib ./lib)")
        return lambda board: _board_to_board(board, [source[1:] for source in sources], dest[1:], several)
    for source in sources:
        _check_local_source(Path(source), ns.recursive)
    return lambda board: _upload_all(board, [Path(source) for source in sources], dest[1:], several)


def _check_local_source(source: Path, recursive: bool) -> None:
    if not source.exists():
        raise HostFileError(f"cannot read {source}: no such file on this computer", EXIT_USAGE)
    if source.is_dir() and not recursive:
        raise FsUsageError(f"fs cp: {str(source)!r} is a folder; copy it with -r (workbench fs cp -r {source} :)")


def _local_name(source: Path) -> str:
    return source.name or source.resolve().name


def _upload_all(board: Board, sources: list[Path], dest: str, several: bool) -> int:
    into_folder = several or names_a_folder(dest) or board.is_dir(dest)
    for source in sources:
        target = board_join(dest, _local_name(source)) if into_folder else dest
        if source.is_dir():
            _upload_tree(board, source, target)
        else:
            board.upload(_read_local(source), target, f"{source} -> {shown(target)}")
    return EXIT_OK


def _upload_tree(board: Board, source: Path, target: str) -> None:
    """``cp -r DIR :X``: the folder ``X`` (made if missing) gets what ``DIR`` holds."""
    made: set[str] = set()

    def ensure_folder(path: str, parent_made: bool) -> None:
        if parent_made or not board.is_dir(path):
            board.check_cancel()
            board.fs.mkdir(path)
            made.add(path)

    ensure_folder(target, False)
    for root, folders, files in os.walk(source):
        folders.sort()
        relative = Path(root).relative_to(source).as_posix()
        here = target if relative == "." else board_join(target, relative)
        for folder in folders:
            ensure_folder(board_join(here, folder), here in made)
        for name in sorted(files):
            path = Path(root) / name
            remote = board_join(here, name)
            board.upload(_read_local(path), remote, f"{path} -> {shown(remote)}")


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
            _write_local(target, board.download(source, label, f"nothing written to {target}"))
    return EXIT_OK


def _download_tree(board: Board, source: str, target: Path) -> None:
    """``cp -r :X DIR``: the local folder ``DIR`` (made if missing) gets what ``X`` holds."""
    _make_local_folder(target)
    for entry in board.fs.tree(source):
        if entry.path.rstrip("/") == source.rstrip("/"):
            continue  # the folder itself, should the listing hold it
        local = target / board_relative(entry.path, source)
        if entry.is_dir:
            _make_local_folder(local)
        else:
            label = f"{shown(entry.path)} -> {local}"
            _write_local(local, board.download(entry.path, label, f"nothing written to {local}"))


def _board_to_board(board: Board, sources: list[str], dest: str, several: bool) -> int:
    into_folder = several or names_a_folder(dest) or board.is_dir(dest)
    for source in sources:
        if board.is_dir(source):
            raise FsUsageError(f"fs cp: {shown(source)} is a folder; -r from the board to the board is not supported")
        target = board_join(dest, board_name(source)) if into_folder else dest
        data = board.download(source, f"{shown(source)} -> here", f"{shown(target)} unchanged on the board")
        board.upload(data, target, f"here -> {shown(target)}")
    return EXIT_OK


def _read_local(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise HostFileError(f"cannot read {path}: {exc.strerror or exc}", EXIT_USAGE) from None


def _write_local(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise HostFileError(f"cannot write {path}: {exc.strerror or exc}", EXIT_RAISED) from None


def _make_local_folder(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HostFileError(f"cannot make the folder {path}: {exc.strerror or exc}", EXIT_RAISED) from None


PREPARE: dict[str, Callable[[argparse.Namespace], Job]] = {
    "ls": _prepare_ls,
    "cat": _prepare_cat,
    "cp": _prepare_cp,
    "rm": _prepare_rm,
    "mkdir": _prepare_mkdir,
    "rmdir": _prepare_rmdir,
    "mv": _prepare_mv,
    "tree": _prepare_tree,
    "hash": _prepare_hash,
    "sync": _prepare_sync,
}
