"""Starting the app: which device to open first, and running it."""

from __future__ import annotations

from workbench.app.app import WorkbenchApp

__all__ = ["WorkbenchApp", "default_device", "run_app"]


def default_device() -> str:
    """One board plugged in: use it; otherwise the embedded default (a simulated board)."""
    from workbench.devices import EMBEDDED_DEFAULT, available_devices

    boards = [entry for entry in available_devices() if entry.kind == "serial" and entry.board]
    if len(boards) == 1:
        return boards[0].url
    return EMBEDDED_DEFAULT


def run_app(device: str | None = None) -> int:
    """Start the app on ``device`` (or the default) and return the exit status."""
    WorkbenchApp(device or default_device()).run()
    return 0
