"""Temporary folders for the boards' files (simulated boards, spawn://), and the sweep of abandoned ones.

A board's temporary folder is removed when the board closes, or when the interpreter ends
(``weakref.finalize``). A process that is killed outright (SIGKILL, a test run's timeout)
removes nothing, so each folder's name carries the id of the process that made it
(``workbench-sim-4242-x1y2z3``), and every new folder first removes those of its kind whose
process has ended.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def make_folder(kind: str = "sim") -> Path:
    """A new, empty folder named ``workbench-KIND-PID-...`` (after removing abandoned ones)."""
    prefix = f"workbench-{kind}-"
    sweep_abandoned(prefix)
    return Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))


def sweep_abandoned(prefix: str, parent: str | None = None) -> None:
    """Remove folders ``PREFIX<pid>-...`` whose process is gone; any trouble leaves one as it is."""
    root = Path(parent or tempfile.gettempdir())
    try:
        names = [name for name in os.listdir(root) if name.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid_text, dash, _ = name[len(prefix):].partition("-")
        if dash and pid_text.isdigit() and not _alive(int(pid_text)):
            shutil.rmtree(root / name, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process: alive
        return True
    return True
