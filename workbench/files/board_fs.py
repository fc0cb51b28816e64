"""File operations on the board of an open session (see :mod:`workbench.files`).

Each operation is one or a few small execs of the programs in :mod:`.programs`; a transfer is
one exec that runs a receiver (or sender) on the board and streams the file through it in
blocks, with flow control and a hash at the end (:mod:`.transfer`); several files (a sync's
uploads, ``fs cp a b c :``) go through one run of that program (:meth:`BoardFS.write_many`),
so its code and start are paid once, not once a file. Errors are
:class:`~workbench.errors.BoardFileError` subclasses naming the path; a transfer stopped by
:meth:`Session.interrupt` raises :class:`~workbench.errors.TransferCancelled`.

Thread use: like the session, a ``BoardFS`` may be called from any thread but not from an
``on_output`` or ``progress`` callback (those run on the session's worker).
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.engine.conversation import ProgramEnded
from workbench.errors import (
    BoardFileError,
    BoardFileNotFound,
    DeviceDisconnected,
    DeviceTimeout,
    ExecTimeout,
    NoFolders,
    TransferCancelled,
    TransferError,
    WorkbenchError,
)
from workbench.files import programs, transfer
from workbench.files.board_errors import board_error
from workbench.files.codec import hash_kind, host_hash
from workbench.files.model import FileEntry, SyncAction, SyncReport, TransferProgress
from workbench.files.paths import basename, join, normal, temporary_name
from workbench.protocol import RemoteException

if TYPE_CHECKING:
    from workbench.engine.session import Session

ProgressCallback = Callable[[TransferProgress], None]

#: Local names a sync leaves out: caches and hidden files are not the program.
SYNC_SKIPPED = ("__pycache__",)
#: Bytes per exec in the slow path (firmware without ``sys.stdin.buffer``).
SLOW_CHUNK = 192


class BoardFS:
    """The files of the board behind ``session``.

    ``block_size``: payload bytes per transfer block (default: the profile's
    ``file_block_size``, else chosen from the board, see
    :func:`workbench.files.transfer.block_size`).
    """

    def __init__(self, session: Session, *, block_size: int | None = None) -> None:
        self.session = session
        self.block_size = block_size
        #: ``sys.platform`` of the board, once an operation told it.
        self.platform: str | None = None
        #: The firmware has no ``sys.stdin.buffer`` (found by a batch): no batch is tried again.
        self._no_streams = False

    # ------------------------------------------------------------------ looking
    def ls(self, path: str = "") -> list[FileEntry]:
        """The entries of the folder ``path`` ("" = the board's current folder), folders first,
        then files, each sorted by name. A file's path lists that one file."""
        path = normal(path)
        rows = self._ask(programs.call(programs.LS, "_wbl", path), "list", path)
        if len(rows) == 1 and not rows[0][1] and path and basename(path) == rows[0][0] and self._is_file(path):
            return [FileEntry(path, rows[0][0], False, rows[0][2])]
        entries = [FileEntry(join(path, name), name, bool(is_dir), None if size < 0 else size) for name, is_dir, size in rows]
        return sorted(entries, key=lambda e: (not e.is_dir, e.name))

    def _is_file(self, path: str) -> bool:
        try:
            return not self.stat(path).is_dir
        except BoardFileNotFound:
            return False

    def stat(self, path: str) -> FileEntry:
        """The entry of ``path``; :class:`BoardFileNotFound` when there is none."""
        path = normal(path)
        if path in ("", "/"):
            return FileEntry(path, path, True, None)
        is_dir, size, platform = self._ask(programs.call(programs.STAT, "_wbs", path), "look at", path)
        self.platform = platform
        return FileEntry(path, basename(path), bool(is_dir), None if is_dir else size)

    def exists(self, path: str) -> bool:
        try:
            self.stat(path)
        except BoardFileNotFound:
            return False
        return True

    def tree(self, path: str = "") -> list[FileEntry]:
        """Every entry under ``path``, depth first (a folder before its contents)."""
        path = normal(path)
        try:
            rows = self._ask(programs.call(programs.TREE, "_wbt", path), "list", path)
        except NoFolders:
            return self.ls(path)  # no os.stat (a flat filesystem): its one level is the whole tree
        entries = [FileEntry(full, basename(full), bool(is_dir), None if is_dir else size) for full, is_dir, size in rows]
        return _depth_first(entries, path)

    def hash(self, path: str) -> str:
        """The board's hash of the file: ``sha256:<hex>``, or ``sum:<len>:<sum32>`` on firmware
        without sha256 (see :func:`workbench.files.codec.host_hash` for the host's side)."""
        path = normal(path)
        (value,) = self._ask(programs.with_hash(programs.call(programs.HASHES, "_wbx", [path])), "hash", path)
        if value is None:
            self.stat(path)  # names the problem: missing, or a folder
            raise BoardFileError(f"cannot hash :{path}: it is a folder", path)
        return str(value)

    def hashes(self, paths: list[str]) -> list[str | None]:
        """The board's hashes of several files in one exec (None: missing or a folder)."""
        if not paths:
            return []
        return list(self._ask(programs.with_hash(programs.call(programs.HASHES, "_wbx", paths)), "hash", paths[0]))

    # ------------------------------------------------------------------ transfers
    def read(self, path: str, *, progress: ProgressCallback | None = None) -> bytes:
        """The file's bytes, verified against the board's hash of what it read."""
        path = normal(path)
        name = basename(path)
        override = self._block_override()
        block = override or transfer.BOARD_DOWNLOAD_BLOCK
        # The board takes the large block itself when it turns out to be a unix-like port.
        host_block = (override or transfer.HOST_BLOCK, *sorted(transfer.HOST_PLATFORMS))

        def talk(conversation: Any) -> tuple[bytes, str | None]:
            return transfer.download(
                conversation, name, 0, progress=progress, wait_s=self._wait_s(), link_bps=self._link_bps(),
                block=max(block, host_block[0]),
            )

        try:
            data, problem = self.session.converse(programs.call(programs.DOWNLOAD, "_wbg", path, block, host_block), talk)
        except ProgramEnded as exc:
            if _lacks_streams(exc):
                return self._slow_read(path)
            raise self._ended(exc, "read", path) from None
        except TransferCancelled:
            raise TransferCancelled(f"reading :{path} cancelled; nothing was saved") from None
        if problem is not None:
            raise TransferError(problem)
        return data

    def write(self, path: str, data: bytes, *, progress: ProgressCallback | None = None) -> None:
        """Write ``data`` to ``path``: to a temporary name first, renamed over the old file only
        when the board's hash of what it wrote matches; else the old file stays and
        :class:`TransferError` says what happened."""
        path = normal(path)
        if not path or path.endswith("/"):
            raise BoardFileError(f"cannot write :{path}: a file name is needed", path)
        name = basename(path)
        tmp = temporary_name(path)

        def talk(conversation: Any) -> str | None:
            return transfer.upload(
                conversation, data, name, progress=progress, wait_s=self._wait_s(), link_bps=self._link_bps(),
                block=self._block_override(), window=self.session.raw_paste_window,
            )

        code = programs.with_hash(programs.call(programs.UPLOAD, "_wbu", tmp, path))
        try:
            problem = self.session.converse(code, talk)
        except ProgramEnded as exc:
            if _lacks_streams(exc):
                self._slow_write(path, data, progress)
                return
            raise self._ended(exc, "write", path) from None
        except WorkbenchError as exc:
            raise self._write_failed(exc, path) from None
        if problem is not None:
            raise TransferError(problem)

    def write_many(
        self,
        items: list[tuple[str, bytes]],
        *,
        progress: ProgressCallback | None = None,
        on_written: Callable[[int], None] | None = None,
    ) -> None:
        """Write several files (board path, bytes), each as :meth:`write` does (temporary
        copy, hash checked, renamed over the old file), in ONE run of the board's transfer
        program: its code, entering it and its start cost once, not once a file, which for a
        project of small files is most of the time (a sync's uploads, ``fs cp a b c :``).

        ``on_written(index)`` is called once the file ``items[index]`` is in place (on the
        session's worker, like ``progress``). The first error stops the batch, as a loop of
        :meth:`write` calls would: it names that file, the files before it are in place and
        the ones after it untouched. One file, or firmware without ``sys.stdin.buffer``: the
        files go one by one through :meth:`write`."""
        items = [(normal(path), data) for path, data in items]
        for path, _ in items:
            if not path or path.endswith("/"):
                raise BoardFileError(f"cannot write :{path}: a file name is needed", path)
            if len(path.encode("utf-8")) >= 10**transfer.PATH_HEADER_SIZE:
                raise BoardFileError(f"cannot write :{path[:40]}...: the path is too long for the board", path)
        if len(items) < 2 or self._no_streams:
            self._write_each(items, progress, on_written)
            return
        position = transfer.BatchPosition()

        def talk(conversation: Any) -> str | None:
            return transfer.upload_many(
                conversation, items, position=position, progress=progress, on_written=on_written,
                wait_s=self._wait_s(), link_bps=self._link_bps(), block=self._block_override(),
                window=self.session.raw_paste_window,
            )

        code = programs.with_hash(programs.call(programs.UPLOAD_MANY, "_wbv"))
        try:
            problem = self.session.converse(code, talk)
        except ProgramEnded as exc:
            if _lacks_streams(exc) and not position.started:
                self._no_streams = True  # the next batch goes one by one straight away
                self._write_each(items, progress, on_written)
                return
            raise self._write_failed(exc, _current(items, position)) from None
        except WorkbenchError as exc:
            raise self._write_failed(exc, _current(items, position)) from None
        if problem is not None:
            raise TransferError(problem)

    def _write_each(
        self,
        items: list[tuple[str, bytes]],
        progress: ProgressCallback | None,
        on_written: Callable[[int], None] | None,
    ) -> None:
        for index in range(len(items)):
            path, data = items[index]
            self.write(path, data, progress=progress)
            if on_written is not None:
                on_written(index)

    def _write_failed(self, exc: WorkbenchError, path: str) -> WorkbenchError:
        """The error :meth:`write` gives for ``exc`` while writing ``path`` (the same words)."""
        if isinstance(exc, ProgramEnded):
            return self._ended(exc, "write", path)
        if isinstance(exc, TransferCancelled):
            return TransferCancelled(f"writing :{path} cancelled; the file on the board is unchanged")
        if isinstance(exc, DeviceDisconnected):
            return DeviceDisconnected(
                f"{exc}; while writing :{path}: the file on the board is unchanged (the new copy was never put in place)"
            )
        if isinstance(exc, TransferError | BoardFileError):
            return exc
        why = ""
        if isinstance(exc, DeviceTimeout) and not isinstance(exc, ExecTimeout):
            why = " (bytes were probably lost on the way, and the board waited for them)"
        return TransferError(f"writing :{path} failed: {exc}{why}; the file on the board is unchanged")

    # ------------------------------------------------------------------ changing
    def rm(self, path: str, *, recursive: bool = False) -> None:
        path = normal(path)
        if path in ("", "/"):
            raise BoardFileError("refusing to remove the board's whole filesystem (name what to remove)", path)
        self._ask(programs.call(programs.RM, "_wbr", path, recursive), "remove", path)

    def mkdir(self, path: str) -> None:
        """Make the folder ``path`` (its parent must exist); :class:`NoFolders` on a flat
        filesystem."""
        path = normal(path)
        self._ask(programs.call(programs.MKDIR, "_wbm", path), "make the folder", path)

    def rmdir(self, path: str) -> None:
        path = normal(path)
        self._ask(programs.call(programs.RMDIR, "_wbd", path), "remove the folder", path)

    def rename(self, source: str, target: str) -> None:
        source, target = normal(source), normal(target)
        self._ask(programs.call(programs.RENAME, "_wbn", source, target), "rename", source)

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
        make missing folders, and with ``delete`` remove what the host folder lacks.
        Hidden files and ``__pycache__`` on the host are left out."""
        local_dir = Path(local_dir)
        if not local_dir.is_dir():
            raise BoardFileError(f"cannot sync {local_dir}: not a folder on this computer")
        remote_dir = normal(remote_dir)
        remote: dict[str, FileEntry] = {}
        base_exists = remote_dir in ("", "/") or self.exists(remote_dir)
        if base_exists:
            for entry in self.tree(remote_dir):
                remote[_relative(entry.path, remote_dir)] = entry
        actions: list[SyncAction] = []
        if not base_exists:
            actions.append(SyncAction("mkdir", remote_dir))
        local_files: dict[str, Path] = {}
        local_dirs: set[str] = set()
        for relative, item in _walk(local_dir):
            if item.is_dir():
                local_dirs.add(relative)
                if relative not in remote or not remote[relative].is_dir:
                    actions.append(SyncAction("mkdir", join(remote_dir, relative)))
            else:
                local_files[relative] = item
        candidates = [rel for rel, item in local_files.items() if rel in remote and not remote[rel].is_dir and remote[rel].size == item.stat().st_size]
        board_hashes = dict(zip(candidates, self.hashes([join(remote_dir, rel) for rel in candidates]), strict=True))
        for relative, item in local_files.items():
            data = item.read_bytes()
            board_hash = board_hashes.get(relative)
            same = board_hash is not None and host_hash(data, hash_kind(board_hash)) == board_hash
            kind = "unchanged" if same else "upload"
            actions.append(SyncAction(kind, join(remote_dir, relative), str(item), len(data)))
        if delete:
            extra = [rel for rel in remote if rel not in local_files and rel not in local_dirs]
            # Deepest first, and nothing inside a folder that goes as a whole.
            for relative in sorted(extra, key=lambda r: (-r.count("/"), r)):
                if not any(relative.startswith(other + "/") for other in extra if remote[other].is_dir):
                    actions.append(SyncAction("delete", join(remote_dir, relative)))
        report = SyncReport(tuple(actions), dry_run)
        if dry_run:
            return report
        # Folders first (the uploads go into them), then every upload in one batch, then the
        # removals: the order the actions are listed in.
        for action in actions:
            if action.kind == "mkdir":
                self.mkdir(action.remote)
        uploads = [(action.remote, Path(action.local).read_bytes()) for action in actions if action.kind == "upload"]
        self.write_many(uploads, progress=progress)
        for action in actions:
            if action.kind == "delete":
                self.rm(action.remote, recursive=True)
        return report

    # ------------------------------------------------------------------ internals
    def _block_override(self) -> int | None:
        return self.block_size or self.session.profile.file_block_size

    def _wait_s(self) -> float:
        return self.session.profile.response_timeout_s + 1.0

    def _link_bps(self) -> float:
        """Bytes per second the link carries at least (a deadline allows for bytes on their
        way): the profile's baud rate, 10 bits a byte; ports without one are faster."""
        return max(960.0, self.session.profile.baudrate / 10)

    def _ask(self, code: str, action: str, path: str) -> Any:
        """Run one of the programs and read its ``WBR`` answer."""
        result = self.session.exec(code)
        if result.exception is not None:
            raise board_error(result.exception, action, path)
        for line in result.stdout.splitlines():
            if line.startswith("WBR "):
                try:
                    return ast.literal_eval(line[4:].strip())
                except (ValueError, SyntaxError) as exc:
                    raise BoardFileError(f"cannot {action} :{path}: the board's answer was unreadable ({line[:60]!r})", path) from exc
        raise BoardFileError(f"cannot {action} :{path}: the board gave no answer (it printed {result.stdout[:60]!r})", path)

    def _ended(self, exc: ProgramEnded, action: str, path: str) -> WorkbenchError:
        if exc.exception is None:
            return TransferError(f"cannot {action} :{path}: the board's transfer program ended early")
        if exc.exception.type_name == "KeyboardInterrupt":
            return TransferCancelled(f"{action} :{path} stopped on the board")
        if exc.exception.type_name == "SyntaxError":
            # The workbench's own program arrived damaged: bytes were lost on the way.
            return TransferError(
                f"cannot {action} :{path}: the board could not compile the transfer program, so bytes were "
                "probably lost on the way; nothing was changed on the board. Try again, or slow the link down"
            )
        if exc.exception.type_name == "ValueError" and action == "write":
            # A block's length was not digits: bytes were lost, and the next block's header
            # arrived where the board expected data (the board read its six digits late).
            return TransferError(
                f"writing :{path} failed: bytes were lost or altered on the way to the board (it read "
                f"{exc.exception.message.rsplit(':', 1)[-1].strip()[:40]} where a block's length belongs); "
                "the file on the board is unchanged. Try again, or slow the link down (file_block_size in "
                "the device's profile)"
            )
        return board_error(exc.exception, action, path)

    def _slow_write(self, path: str, data: bytes, progress: ProgressCallback | None) -> None:
        """Firmware without ``sys.stdin.buffer``: one exec per chunk (bytes literals), the hash
        checked before the copy replaces the old file, as in the streamed path."""
        tmp = temporary_name(path)
        started = time.monotonic()
        name = basename(path)
        self._ask(programs.SLOW_OPEN.format(tmp=tmp) + "print('WBR',1)\n", "write", path)
        try:
            for start in range(0, len(data), SLOW_CHUNK):
                chunk = data[start : start + SLOW_CHUNK]
                result = self.session.exec(programs.SLOW_WRITE.format(chunk=chunk))
                if result.exception is not None:
                    raise board_error(result.exception, "write", path)
                if progress is not None:
                    progress(TransferProgress(name, "upload", start + len(chunk), len(data), time.monotonic() - started))
            board_hash = self._ask(programs.HASH_FN + programs.SLOW_CLOSE.format(tmp=tmp) + "del _wbh\n", "write", path)
        except BaseException:
            self._discard(tmp)
            raise
        if host_hash(data, hash_kind(board_hash)) != board_hash:
            self._discard(tmp)
            raise TransferError(
                f"{name} arrived damaged (its hash does not match): bytes were lost or altered on the way; "
                "the file on the board is unchanged. Try again, or slow the link down"
            )
        self._ask(programs.call(programs.SLOW_COMMIT, "_wbc", tmp, path), "write", path)

    def _discard(self, tmp: str) -> None:
        try:
            self.session.exec("try:\n _wbf.close()\nexcept Exception:pass\n" + programs.call(programs.SLOW_DISCARD, "_wbq", tmp))
        except WorkbenchError:
            pass

    def _slow_read(self, path: str) -> bytes:
        result = self.session.exec(programs.call(programs.SLOW_READ, "_wbk", path))
        if result.exception is not None:
            raise board_error(result.exception, "read", path)
        out = bytearray()
        for line in result.stdout.splitlines():
            if line.startswith("WBC "):
                out += ast.literal_eval(line[4:].strip())
        return bytes(out)


def _current(items: list[tuple[str, bytes]], position: transfer.BatchPosition) -> str:
    """The path of the file a batch was on (the last one once all were sent)."""
    return items[min(position.index, len(items) - 1)][0]


def _lacks_streams(exc: ProgramEnded) -> bool:
    """The board's firmware has no ``sys.stdin.buffer`` (AttributeError naming it), or its
    stdout takes no bytes (TypeError): the slow path works there."""
    exception: RemoteException | None = exc.exception
    if exception is None:
        return False
    if exception.type_name == "TypeError":
        return True
    return exception.type_name == "AttributeError" and "buffer" in exception.message + exception.text


def _depth_first(entries: list[FileEntry], root: str) -> list[FileEntry]:
    """``entries`` as ``ls`` orders each folder (folders first, then by name), each folder
    followed by its contents."""
    children: dict[str, list[FileEntry]] = {}
    for entry in entries:
        children.setdefault(_parent(entry.path, root), []).append(entry)
    ordered: list[FileEntry] = []

    def visit(folder: str) -> None:
        for entry in sorted(children.get(folder, []), key=lambda e: (not e.is_dir, e.name)):
            ordered.append(entry)
            if entry.is_dir:
                visit(entry.path)

    visit(root)
    return ordered if len(ordered) == len(entries) else entries


def _parent(path: str, root: str) -> str:
    head = path.rstrip("/").rsplit("/", 1)[0] if "/" in path.rstrip("/") else ""
    if not head and path.startswith("/"):
        head = "/"
    return root if head in (root.rstrip("/"), root) else head


def _relative(path: str, base: str) -> str:
    if not base or base == ".":
        return path
    prefix = base if base.endswith("/") else base + "/"
    return path.removeprefix(prefix)


def _walk(root: Path) -> Iterator[tuple[str, Path]]:
    """Host folders and files under ``root`` (relative names with "/"), parents first."""
    for item in sorted(root.iterdir(), key=lambda p: p.name):
        if item.name.startswith(".") or item.name in SYNC_SKIPPED:
            continue
        relative = item.name
        yield relative, item
        if item.is_dir():
            for sub, sub_item in _walk(item):
                yield f"{relative}/{sub}", sub_item
