"""``workbench fs``: the board's files from the command line, with mpremote's conventions.

``workbench fs [DEVICE] ACTION ...``: ``ls``, ``cat``, ``cp``, ``rm``, ``mkdir``, ``rmdir``,
``mv``, ``tree``, ``hash``, ``sync``; a leading ``:`` marks a path on the board
(:mod:`workbench.cli.fs_paths`). The device is taken as ``exec`` takes it: before the action,
with ``-d`` anywhere, or ``-d`` before ``fs``; without one, the default device, named on
stderr. The work itself is :class:`workbench.files.BoardFS`'s. This module reads the command
line, has the action check which side each path is on *before* connecting (a forgotten ``:``
costs no connection and touches nothing; :mod:`~workbench.cli.fs_actions`,
:mod:`~workbench.cli.fs_copy`), runs it on the board (:class:`~workbench.cli.fs_board.Board`),
and maps problems to exit codes as ``exec`` does:
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple

from workbench.cli.fs_actions import (
    prepare_cat,
    prepare_hash,
    prepare_ls,
    prepare_mkdir,
    prepare_mv,
    prepare_rm,
    prepare_rmdir,
    prepare_sync,
    prepare_tree,
)
from workbench.cli.fs_board import Board
from workbench.cli.fs_copy import prepare_cp
from workbench.cli.fs_paths import FsUsageError
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
    _use_platform_preset,
)
from workbench.cli.progress import ProgressBar
from workbench.errors import WorkbenchError


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

FS_USAGE = "usage: workbench fs [DEVICE] ACTION [ARGS...] [options]"
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
        print(FS_USAGE + "\n\n" + FS_DESCRIPTION + URL_HELP, end="")
        return None
    if action is None and not before:
        raise FsUsageError(f"fs: which action? one of {', '.join(ACTIONS)} (workbench fs --help)")
    if action is None:
        unknown = ns.url if ns.url is not None else before[0]
        raise FsUsageError(
            f"fs: unknown action {unknown!r}: one of {', '.join(ACTIONS)} (workbench fs --help)"
        )
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
                except BrokenPipeError:  # `workbench fs ls : | head`: the reader left, nothing to say
                    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                    code = EXIT_OK
                except WorkbenchError as exc:
                    stopped = pressed() and exc.exit_code != EXIT_DEVICE  # what the Ctrl-C cut short
                    if not (isinstance(exc, TransferCancelled) or stopped):
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


PREPARE: dict[str, Callable[[argparse.Namespace], Job]] = {
    "ls": prepare_ls,
    "cat": prepare_cat,
    "cp": prepare_cp,
    "rm": prepare_rm,
    "mkdir": prepare_mkdir,
    "rmdir": prepare_rmdir,
    "mv": prepare_mv,
    "tree": prepare_tree,
    "hash": prepare_hash,
    "sync": prepare_sync,
}
