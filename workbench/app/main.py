"""Starting the app: which device to open first, and running it."""

from __future__ import annotations

from workbench.app.app import WorkbenchApp

__all__ = ["WorkbenchApp", "default_device", "run_app"]


def default_device() -> str:
    """One board plugged in: use it; otherwise the embedded default (a simulated board).

    The rule is :func:`workbench.discovery.devices.pick_default_device`, shared with the CLI.
    """
    from workbench.discovery.devices import pick_default_device

    return pick_default_device().url


def run_app(device: str | None = None) -> int:
    """Start the app on ``device`` (a URL, a shortcut such as ``a0`` or a name from the
    settings file's ``[devices]``; default: see :func:`default_device`); the exit status."""
    if device:
        from workbench.discovery.names import load_named_devices, resolve_device

        url = resolve_device(device, load_named_devices().names).url
    else:
        url = default_device()
    WorkbenchApp(url).run()
    return 0
