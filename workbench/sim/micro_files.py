"""The simulated board's files, as the code on the board sees them (loaded into the code process).

A board keeps its files in flash; a simulated board keeps them in a folder on the host (made
and removed by :class:`~workbench.sim.device.SimDevice`, or the one ``?fs=DIR`` names). This
module gives the code on the board MicroPython's view of that folder:

* **Paths are the board's.** The folder is the board's "/" (the Pyboard's "/flash", under a
  virtual "/" that lists its mounts), the current folder starts there, and ``..`` stops at
  "/", as on a board, which has nothing above it: no path the code writes leads outside the
  folder.
* **``os`` is MicroPython's** for the board's filesystem: ``ilistdir`` yields
  ``(name, type, 0, size)``, ``stat`` a 10-tuple ``(mode, 0, 0, 0, 0, 0, size, mtime, mtime,
  mtime)``, errors carry the numbers littlefs or FAT give (printed ``[Errno 2] ENOENT``), and
  the micro:bit has only its flat ``listdir``/``remove``/``size``. ``open`` and ``import``
  find the board's files (``sys.path`` is the board's).
* **CircuitPython's drive**, while the host has it mounted as CIRCUITPY, is read-only for the
  code on the board: ``OSError: [Errno 30] Read-only filesystem``.

The errors follow what MicroPython's ``extmod/vfs.c``, ``vfs_lfs.c`` and ``vfs_fat.c`` raise,
checked on the unix port with a littlefs volume on a RAM block device: littlefs removes an
empty folder with ``os.remove`` and a file with ``os.rmdir`` and says 39 for a folder that is
not empty; FAT refuses both (``EISDIR``, ``ENOTDIR``) and says ``EACCES`` for a folder that is
not empty. Renaming over an existing file replaces it on both.

Loaded by path (``child.load_sibling``); only builtin modules at import time.
"""

from __future__ import annotations

import builtins
import io
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from types import CodeType, ModuleType
    from typing import Any

S_IFDIR = 0x4000
S_IFREG = 0x8000
EPERM, ENOENT, EACCES, EEXIST, ENODEV, ENOTDIR, EISDIR, EINVAL, EROFS, ENOTEMPTY = 1, 2, 13, 17, 19, 20, 21, 22, 30, 39

#: CPython's ``open``, for the host's own files (the board's ``open`` replaces the builtin).
HOST_OPEN = io.open
#: CPython's ``exec`` (the code process puts the board's in the builtins after this loads).
_HOST_EXEC = builtins.exec

#: The micro:bit's limit on a file name (``MAX_FILENAME_LENGTH``).
MICROBIT_NAME_MAX = 120
#: What the micro:bit says for a file it cannot find (an OSError without a number).
MICROBIT_NOT_FOUND = "file not found"

#: The flash's size as ``statvfs`` reports it: (block size, blocks) per filesystem.
_GEOMETRY = {"littlefs": (4096, 512), "fat": (512, 2048)}
_NAME_MAX = 255

#: Host ``os`` functions that take paths: the board's ``os`` leaves them out, so code on the
#: board cannot reach the host's files through them. The rest of CPython's ``os`` stays.
_HOST_PATH_FUNCTIONS = frozenset({
    "access", "chdir", "chflags", "chmod", "chown", "chroot", "fchdir", "fspath", "fwalk", "getcwd", "getcwdb",
    "getxattr", "lchflags", "lchmod", "lchown", "link", "listdir", "listxattr", "lstat", "makedirs", "mkdir",
    "mkfifo", "mknod", "open", "path", "pathconf", "readlink", "remove", "removedirs", "removexattr", "rename",
    "renames", "replace", "rmdir", "scandir", "setxattr", "stat", "statvfs", "symlink", "sync", "truncate",
    "unlink", "utime", "walk", "DirEntry", "PathLike", "stat_result", "statvfs_result", "terminal_size",
    "get_exec_path", "startfile",
})


def error(number: int) -> OSError:
    """``OSError(number)`` as a board raises it (CPython picks its subclass, e.g. FileNotFoundError;
    the code process prints and catches it as MicroPython's OSError with the number alone)."""
    return OSError(number, os.strerror(number))


def _text(path: object) -> str:
    if isinstance(path, str):
        return path
    if isinstance(path, (bytes, bytearray)):
        return bytes(path).decode("utf-8", "surrogateescape")
    raise TypeError(f"can't convert '{type(path).__name__}' object to str implicitly")


class Volume:
    """The board's filesystem: board paths, the host folder behind them, and its rules."""

    def __init__(self, root: str, flavour: str, mount: str = "/", read_only: bool = False) -> None:
        self.root = os.path.realpath(root)
        self.flavour = flavour  # "littlefs", "fat" or "flat"
        self.mount = mount if mount == "/" else mount.rstrip("/")
        self.read_only = read_only
        self.cwd = self.mount

    # ------------------------------------------------------------------ paths
    def board_path(self, path: object) -> str:
        """The absolute board path: from the current folder, ``.`` and ``..`` resolved, never above "/"."""
        text = _text(path)
        if not text.startswith("/"):
            text = self.cwd.rstrip("/") + "/" + text
        parts: list[str] = []
        for part in text.split("/"):
            if part == "..":
                if parts:
                    parts.pop()
            elif part and part != ".":
                parts.append(part)
        return "/" + "/".join(parts)

    def host(self, board: str) -> str | None:
        """The host path of a board path inside the mount; None for the virtual "/" and beyond."""
        mount = self.mount
        if mount == "/":
            return self.root + board
        if board == mount:
            return self.root
        if board.startswith(mount + "/"):
            return self.root + board[len(mount):]
        return None

    def locate(self, path: object) -> tuple[str, str | None]:
        board = self.board_path(path)
        return board, self.host(board)

    def is_vfs_root(self, board: str) -> bool:
        """"/" itself: MicroPython's virtual root (it refuses to remove or open it)."""
        return board == "/"

    def is_mount_root(self, board: str) -> bool:
        return board == self.mount

    def _inside(self, board: str, host: str | None) -> str:
        """The host path, or the error a board gives for a path outside its mounts."""
        if host is None:
            raise error(EPERM if self.is_vfs_root(board) else ENODEV)
        return host

    def _writable(self) -> None:
        if self.read_only:
            raise error(EROFS)

    # ------------------------------------------------------------------ os functions
    def stat(self, path: object) -> tuple[int, ...]:
        board, host = self.locate(path)
        if self.is_vfs_root(board) or self.is_mount_root(board):
            return (S_IFDIR, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        host = self._inside(board, host)
        try:
            st = os.stat(host)
        except OSError as exc:
            raise self._fat_not_found(exc) from None
        is_dir = os.path.isdir(host)
        if not is_dir and _text(path).endswith("/") and self.flavour == "littlefs":
            raise error(ENOTDIR)
        mtime = int(st.st_mtime)
        if is_dir:
            when = 0 if self.flavour == "littlefs" else mtime
            return (S_IFDIR, 0, 0, 0, 0, 0, 0, when, when, when)
        return (S_IFREG, 0, 0, 0, 0, 0, st.st_size, mtime, mtime, mtime)

    def ilistdir(self, path: object = "") -> Iterator[tuple[Any, ...]]:
        as_bytes = isinstance(path, (bytes, bytearray))
        board, host = self.locate(path)
        if host is None:
            if not self.is_vfs_root(board):
                raise error(ENODEV)
            name = self.mount.lstrip("/")  # the virtual "/" lists its mount points: 3-tuples
            entries: list[tuple[Any, ...]] = [(name.encode() if as_bytes else name, S_IFDIR, 0)]
            return iter(entries)
        try:
            names = sorted(os.listdir(host))
        except OSError as exc:
            raise self._fat_not_found(exc) from None
        entries = []
        for name in names:
            full = os.path.join(host, name)
            try:
                st = os.stat(full)
            except OSError:
                continue
            is_dir = os.path.isdir(full)
            shown = name.encode("utf-8", "surrogateescape") if as_bytes else name
            entries.append((shown, S_IFDIR if is_dir else S_IFREG, 0, 0 if is_dir else st.st_size))
        return iter(entries)

    def listdir(self, path: object = "") -> list[Any]:
        return [entry[0] for entry in self.ilistdir(path)]

    def mkdir(self, path: object) -> None:
        self._writable()
        board, host = self.locate(path)
        if self.is_vfs_root(board) or self.is_mount_root(board):
            raise error(EEXIST)
        host = self._inside(board, host)
        try:
            os.mkdir(host)
        except OSError as exc:
            raise self._fat_not_found(exc) from None

    def rmdir(self, path: object) -> None:
        self._writable()
        board, host = self.locate(path)
        if self.is_mount_root(board) and not self.is_vfs_root(board):
            raise error(EINVAL)
        host = self._inside(board, host)
        if self.is_vfs_root(board):
            raise error(EPERM)
        self._must_exist(host)
        if not os.path.isdir(host):
            if self.flavour == "fat":
                raise error(ENOTDIR)
            os.remove(host)  # littlefs removes files and folders alike
            return
        try:
            os.rmdir(host)
        except OSError as exc:
            if exc.errno == ENOTEMPTY and self.flavour == "fat":
                raise error(EACCES) from None
            raise self._fat_not_found(exc) from None

    def remove(self, path: object) -> None:
        self._writable()
        board, host = self.locate(path)
        if self.is_vfs_root(board):
            raise error(EPERM)
        if self.is_mount_root(board):
            raise error(EINVAL)
        host = self._inside(board, host)
        if os.path.isdir(host):
            if self.flavour == "fat":
                raise error(EISDIR)
            self.rmdir(path)  # littlefs: an empty folder goes, a full one says 39
            return
        try:
            os.remove(host)
        except OSError as exc:
            raise self._fat_not_found(exc) from None

    def rename(self, old: object, new: object) -> None:
        self._writable()
        old_board, old_host = self.locate(old)
        new_board, new_host = self.locate(new)
        if self.is_vfs_root(old_board) or self.is_vfs_root(new_board):
            raise error(EPERM)
        if (old_host is None) != (new_host is None):
            raise error(EPERM)  # "can't rename across filesystems"
        if old_host is None or new_host is None:
            raise error(ENODEV)
        if self.is_mount_root(old_board) or self.is_mount_root(new_board):
            raise error(EINVAL)
        self._must_exist(old_host)
        if self.flavour == "fat" and os.path.lexists(new_host) and new_host != old_host:
            # vfs_fat: an existing target is removed first, but only when it is a file.
            if os.path.isdir(new_host):
                raise error(EISDIR)
            if os.path.isdir(old_host):
                os.remove(new_host)
        try:
            os.rename(old_host, new_host)
        except OSError as exc:
            raise self._fat_not_found(exc) from None

    def chdir(self, path: object) -> None:
        board, host = self.locate(path)
        if host is None:
            if not self.is_vfs_root(board):
                raise error(ENODEV)
        elif not os.path.isdir(host):
            raise error(ENOENT)
        self.cwd = board
        os.chdir(host if host is not None else self.root)

    def getcwd(self) -> str:
        return self.cwd

    def statvfs(self, path: object = "/") -> tuple[int, ...]:
        block, blocks = _GEOMETRY.get(self.flavour, _GEOMETRY["littlefs"])
        used = 0
        for folder, dirs, files in os.walk(self.root):
            used += 1 + len(dirs)
            for name in files:
                try:
                    used += -(-os.path.getsize(os.path.join(folder, name)) // block) or 1
                except OSError:
                    pass
        free = max(0, blocks - used)
        return (block, block, blocks, free, free, 0, 0, 0, 0, _NAME_MAX)

    def sync(self) -> None:
        """Files are written through to the host folder as they are closed: nothing to do."""

    def open(self, file: object, mode: str = "r", buffering: int = -1, encoding: str | None = None,
             *args: Any, **kwargs: Any) -> Any:
        """``open()`` of a board path; text as MicroPython reads it (UTF-8, no newline translation)."""
        if not isinstance(mode, str):
            raise TypeError(f"can't convert '{type(mode).__name__}' object to str implicitly")
        writing = any(flag in mode for flag in "wax+")
        if writing:
            self._writable()
        board, host = self.locate(file)
        host = self._inside(board, host)
        if os.path.isdir(host):
            if self.flavour == "fat":
                raise error(EACCES if writing else ENOENT)
            raise error(EISDIR)
        try:
            if "b" in mode:
                return HOST_OPEN(host, mode)
            return HOST_OPEN(host, mode, encoding=encoding or "utf-8", newline="\n")
        except OSError as exc:
            raise self._fat_not_found(exc) from None

    def _must_exist(self, host: str) -> None:
        """ENOENT for a missing path; littlefs says ENOTDIR for one that runs through a file."""
        try:
            os.lstat(host)
        except OSError as exc:
            raise self._fat_not_found(exc) from None

    def _fat_not_found(self, exc: OSError) -> OSError:
        """A host error as the board's filesystem words it: FAT says ENOENT where a path runs
        through a file (FatFs' ``FR_NO_PATH``), littlefs ``ENOTDIR`` as the host does."""
        number = exc.errno if isinstance(exc.errno, int) else EINVAL
        if self.flavour == "fat" and number == ENOTDIR:
            number = ENOENT
        return error(number)

    # ------------------------------------------------------------------ imports
    def module_file(self, board: str) -> str | None:
        """The host path of a board file that exists, for ``import``."""
        host = self.host(self.board_path(board))
        return host if host is not None and os.path.isfile(host) else None

    def module_dir(self, board: str) -> str | None:
        host = self.host(self.board_path(board))
        return host if host is not None and os.path.isdir(host) else None


class FlatVolume(Volume):
    """The BBC micro:bit's filesystem: one folder, names without "/", its own messages."""

    def listdir(self) -> list[str]:  # type: ignore[override]  # the micro:bit's takes no argument
        return sorted(name for name in os.listdir(self.root) if os.path.isfile(os.path.join(self.root, name)))

    def _file(self, name: object) -> str:
        text = _text(name)
        host = os.path.join(self.root, text)
        if "/" in text or not text or len(text.encode()) > MICROBIT_NAME_MAX or not os.path.isfile(host):
            raise OSError(MICROBIT_NOT_FOUND)
        return host

    def remove(self, name: object) -> None:
        os.remove(self._file(name))

    def size(self, name: object) -> int:
        return os.path.getsize(self._file(name))

    def open(self, file: object, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        """The micro:bit's ``open(name, mode)``: 'r' or 'w', 'b' or 't', nothing else."""
        if args or kwargs or not _microbit_mode(mode):
            raise ValueError("illegal mode")
        text = _text(file)
        if "w" in mode:
            if "/" in text or not text or len(text.encode()) > MICROBIT_NAME_MAX:
                raise OSError(MICROBIT_NOT_FOUND)
            host = os.path.join(self.root, text)
        else:
            host = self._file(file)
        if "b" in mode:
            return HOST_OPEN(host, mode)
        return HOST_OPEN(host, mode, encoding="utf-8", newline="\n")


def _microbit_mode(mode: object) -> bool:
    if not isinstance(mode, str):
        return False
    kinds = [c for c in mode if c in "rw"]
    forms = [c for c in mode if c in "bt"]
    return len(kinds) <= 1 and len(forms) <= 1 and len(kinds) + len(forms) == len(mode)


# ---------------------------------------------------------------------------- os module
def os_module(volume: Volume, uname: Callable[[], Any], base: ModuleType, circuitpython: bool = False) -> ModuleType:
    """The ``os`` (and ``uos``) the code on the board imports.

    MicroPython's functions over ``volume``; CPython's other ``os`` names stay (``os.environ``,
    ``os._exit``: the simulated board's CPython extras) except those that take host paths.
    The micro:bit's has only ``listdir``, ``remove``, ``size`` and ``uname``; CircuitPython's
    has no ``ilistdir`` (nor ``dupterm``).
    """
    module = type(sys)("os", "Basic operating system services of the simulated board.")
    if isinstance(volume, FlatVolume):
        def listdir() -> list[str]:  # a function of no arguments, as the micro:bit's
            return volume.listdir()

        listdir.__qualname__ = "listdir"
        module.__dict__.update(listdir=listdir, remove=volume.remove, size=volume.size, uname=uname)
        return module
    module.__dict__.update((k, v) for k, v in vars(base).items()
                           if not k.startswith("__") and k not in _HOST_PATH_FUNCTIONS)
    module.__dict__.update(
        uname=uname, sep="/", chdir=volume.chdir, getcwd=volume.getcwd, listdir=volume.listdir,
        mkdir=volume.mkdir, remove=volume.remove, unlink=volume.remove, rename=volume.rename,
        rmdir=volume.rmdir, stat=volume.stat, statvfs=volume.statvfs, sync=volume.sync,
        ilistdir=volume.ilistdir, dupterm=lambda *args: None,
    )
    if circuitpython:
        del module.ilistdir, module.dupterm
    return module


# ---------------------------------------------------------------------------- import
class BoardPackagePath(list):  # type: ignore[type-arg]
    """A board package's ``__path__``: board folders, searched by :class:`BoardFinder` only."""


class BoardFinder:
    """Finds modules among the board's files, along the board's ``sys.path``.

    It answers only while ``active`` (imports made by the code on the board: see
    ``child.Board.import_module``) and for submodules of board packages, so that a board file
    never stands in for a module CPython's library or the simulation imports for itself.
    A folder is a package, with or without ``__init__.py``, as on MicroPython.
    """

    def __init__(self, volume: Volume, compile_file: Callable[[bytes, str], CodeType],
                 on_file: Callable[[str], None]) -> None:
        self.volume = volume
        self.compile_file = compile_file
        self.on_file = on_file
        self.active = True

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if path is None:
            if not self.active:
                return None
            entries = [entry for entry in sys.path if isinstance(entry, str)]
        elif isinstance(path, BoardPackagePath):
            entries = list(path)
        else:
            return None
        tail = name.rpartition(".")[2]
        for entry in entries:
            if entry == ".frozen":
                continue
            base = entry if not entry or entry.endswith("/") else entry + "/"
            folder = base + tail
            if self.volume.module_dir(folder) is not None:
                init = folder + "/__init__.py"
                loader = BoardLoader(self, init if self.volume.module_file(init) else None)
                return _spec(name, loader, init, package=BoardPackagePath([folder]))
            if self.volume.module_file(folder + ".py") is not None:
                return _spec(name, BoardLoader(self, folder + ".py"), folder + ".py")
        return None

    def invalidate_caches(self) -> None:
        """Nothing is cached: every import looks at the files as they are."""


class BoardLoader:
    """Runs a board file as a module, compiled as the board compiles code (its errors, its
    tracebacks: ``File "/lib/x.py", line 3, in f``)."""

    def __init__(self, finder: BoardFinder, board_file: str | None) -> None:
        self.finder = finder
        self.board_file = board_file

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        if self.board_file is None:  # a folder without __init__.py
            return
        host = self.finder.volume.module_file(self.board_file)
        if host is None:
            raise ImportError(f"no module named '{module.__name__}'")
        module.__file__ = self.board_file
        with HOST_OPEN(host, "rb") as source_file:
            source = source_file.read()
        self.finder.on_file(self.board_file)
        code = self.finder.compile_file(source, self.board_file)
        _HOST_EXEC(code, module.__dict__)


def _spec(name: str, loader: BoardLoader, origin: str, package: BoardPackagePath | None = None) -> Any:
    from importlib.machinery import ModuleSpec  # already loaded by the code process

    spec = ModuleSpec(name, loader, origin=origin, is_package=package is not None)
    if package is not None:
        spec.submodule_search_locations = package
    spec.has_location = loader.board_file is not None
    return spec


class HostLibrary:
    """CPython's own modules, found where CPython keeps them whatever the board's ``sys.path``
    says (it stands in for ``importlib.machinery.PathFinder`` on ``sys.meta_path``)."""

    def __init__(self, finder: Any, paths: list[str]) -> None:
        self.finder = finder
        self.paths = paths

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if isinstance(path, BoardPackagePath):
            return None
        return self.finder.find_spec(name, self.paths if path is None else path, target)

    def invalidate_caches(self) -> None:
        self.finder.invalidate_caches()


def install_imports(finder: BoardFinder, sys_path: list[str]) -> None:
    """``sys.path`` becomes the board's; board files are found before CPython's library."""
    host_paths = [entry for entry in sys.path if isinstance(entry, str)]
    meta = sys.meta_path
    for index, item in enumerate(meta):
        if getattr(item, "__name__", "") == "PathFinder":
            meta[index:index + 1] = [finder, HostLibrary(item, host_paths)]
            break
    else:
        meta.append(finder)
    sys.path[:] = sys_path
    sys.path_importer_cache.clear()
