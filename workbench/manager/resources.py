"""What the process holds: threads, child processes, open file descriptors.

Why: a session owns a worker thread, a port, and sometimes a child process and a pty (the
local interpreter) or a board thread and a code process (a simulated board). A tool that
opens and closes boards all day must give every one of them back; this module counts them
so the diagnostics view can show them and a test can prove none is left behind.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ProcessResources:
    """A snapshot of what this process holds. ``fds`` and ``children`` are None where the
    system does not tell (outside Linux)."""

    threads: int
    children: tuple[int, ...] | None
    fds: int | None

    def describe(self) -> str:
        """One line for the diagnostics view."""
        children = "?" if self.children is None else str(len(self.children))
        fds = "?" if self.fds is None else str(self.fds)
        return f"{self.threads} threads, {children} child processes, {fds} open file descriptors"


def child_processes() -> tuple[int, ...] | None:
    """Live (not yet reaped counts too) children of this process, from /proc (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended while we looked
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(entry.name))
    return tuple(sorted(found))


def open_fds() -> int | None:
    """How many file descriptors this process has open (Linux), else None."""
    try:
        return len(os.listdir("/proc/self/fd")) - 1  # minus the one listdir itself used
    except OSError:
        return None


def snapshot() -> ProcessResources:
    """What the process holds right now."""
    return ProcessResources(threading.active_count(), child_processes(), open_fds())
