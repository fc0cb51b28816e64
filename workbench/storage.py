"""Writing files so that nothing is lost: one atomic write, used by every file we save.

Settings, profiles, the editor's files, its recovery copy and saved traces all go through
:func:`atomic_write_bytes`, so a crash, a full disk or a pulled plug in the middle of a save
leaves the old file whole rather than half a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text"]


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, make_parents: bool = True) -> None:
    """Replace ``path`` with ``data`` so readers see the old file or the new one, never half.

    Writes a temporary file in the same directory (``os.replace`` is only atomic within one
    file system), fsyncs it so the data is on disk before the rename, then fsyncs the directory
    (where supported) so the rename itself survives a power cut. The file keeps what the user
    gave it: its permission bits (a new file gets the usual ones, as the umask says; the
    temporary file is created 0600) and, when ``path`` is a symbolic link, the link: the file
    it points to is the one replaced. Missing parent folders are created unless
    ``make_parents`` is false (a file the user saves into a folder that is gone is an error
    to report, not a folder to make).
    """
    target = Path(os.path.realpath(path))
    if make_parents:
        target.parent.mkdir(parents=True, exist_ok=True)
    mode = _mode_to_keep(target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        if not hasattr(os, "fchmod"):
            os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, make_parents: bool = True) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8, its line endings exactly as given."""
    atomic_write_bytes(path, text.encode("utf-8"), make_parents=make_parents)


def _mode_to_keep(path: Path) -> int:
    """The permission bits of the file being replaced, else those a new file would get."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it (``os.umask`` sets it, racing threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _fsync_dir(directory: Path) -> None:
    """Flush a directory entry (POSIX); Windows cannot open directories, which is fine."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
