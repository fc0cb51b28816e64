"""Starting the app: which device to open first, and running it."""

from __future__ import annotations

from collections.abc import Sequence

from workbench.app.app import WorkbenchApp

__all__ = ["WorkbenchApp", "default_device", "run_app"]


def default_device() -> str:
    """One board plugged in: use it; otherwise the embedded default (a simulated board).

    The rule is :func:`workbench.discovery.devices.pick_default_device`, shared with the CLI.
    """
    from workbench.discovery.devices import pick_default_device

    return pick_default_device().url


def run_app(devices: Sequence[str] | str | None = None) -> int:
    """Start the app on a device (a URL, a shortcut such as ``a0`` or a name from the
    settings file's ``[devices]``; default: see :func:`default_device`); the exit status.

    Several devices: the first that no other program has open (so each tab of a lab's
    ``workbench serve -d A -d B ...`` takes a board of its own); the others are tried in turn
    if the chosen one turns out to be taken when the app opens it."""
    given = [devices] if isinstance(devices, str) else list(devices or ())
    if given:
        from workbench.discovery.names import load_named_devices, resolve_device

        names = load_named_devices().names
        urls = start_order([resolve_device(device, names).url for device in given])
    else:
        urls = [default_device()]
    WorkbenchApp(urls[0], start_fallbacks=urls[1:]).run()
    return 0


def start_order(urls: Sequence[str]) -> list[str]:
    """``urls`` with the ones another program is known to hold moved last (order kept
    otherwise). Only local ports can be asked without opening them (who holds the lock);
    opening a port to find out would reset many boards."""
    from workbench.transports.exclusive import holder

    taken = [url for url in urls if holder(url) is not None]
    return [url for url in urls if url not in taken] + taken
