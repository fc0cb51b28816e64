"""The folder the app may read and write on this computer, when ``workbench serve`` limits it.

``workbench serve --root DIR`` (by default the current folder on a non-local host) starts each
tab's app with ``WORKBENCH_ROOT=DIR``: every path typed into a dialog (open, save, save as, the
trace, upload, download, the plot's exports) is then taken relative to DIR and refused when it
leads outside it, by ``..`` or through a symbolic link. Without the variable, paths are used as
typed (``~`` expanded), as in a terminal of one's own.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_ENV = "WORKBENCH_ROOT"


class OutsideRoot(PermissionError):
    """A typed path leads outside the served folder (a PermissionError: the callers' OSError
    handlers show its message as for any file that cannot be used)."""


def served_root() -> Path | None:
    value = os.environ.get(ROOT_ENV)
    return Path(value).resolve() if value else None


def host_path(typed: str | Path) -> Path:
    """``typed`` as a path on this computer; :class:`OutsideRoot` when the served folder does not
    hold it (after resolving ``..`` and symbolic links, so a link out of the folder is refused)."""
    root = served_root()
    path = Path(typed).expanduser()
    if root is None:
        return path
    full = (path if path.is_absolute() else root / path).resolve()
    if full != root and root not in full.parents:
        raise OutsideRoot(
            f"{typed}: outside the folder this server shares ({root}); paths must stay inside it"
        )
    return full
