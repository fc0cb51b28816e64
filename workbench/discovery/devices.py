"""Every device the workbench can open right now: named devices, serial ports, simulated
boards, the local interpreter. The ``ports`` command and the app's device list both read it,
and :func:`pick_default_device` is the one rule for "no device given" (the app and the CLI).
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workbench.discovery.ports import PortInfo, list_ports
from workbench.host_code import host_code_refused
from workbench.sim.boards import BOARDS
from workbench.transports.exclusive import other_holder

Kind = Literal["named", "serial", "simulated", "local"]

#: The device the app starts on when no board is plugged in: it works on every platform.
EMBEDDED_DEFAULT = "sim://generic"


@dataclass(frozen=True)
class DeviceEntry:
    """One openable device: its URL, what kind it is, and what to call it."""

    url: str
    kind: Kind
    description: str
    board: str | None = None
    port: PortInfo | None = None
    name: str | None = None
    """The name from the settings file's ``[devices]`` table (kind "named")."""
    in_use: str | None = None
    """Who else has this serial port open (``"process 4711 (python3 -m workbench)"``), if known:
    in a lab, which boards the other tabs have."""

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form; serial ports carry their USB details too."""
        data: dict[str, Any] = {
            "url": self.url,
            "kind": self.kind,
            "description": self.description,
            "board": self.board,
            "name": self.name,
        }
        if self.port is not None:
            data["usb"] = self.port.to_json()
            data["in_use"] = self.in_use
        return data


def local_interpreter() -> str | None:
    """Path of the MicroPython unix port, if installed (PATH or next to our Python)."""
    return shutil.which("micropython") or shutil.which("micropython", path=str(Path(sys.executable).parent))


def available_devices(*, include_serial: bool = True, include_named: bool = True) -> list[DeviceEntry]:
    """Named devices first (the user set them up on purpose), then serial ports (a plugged-in
    board is what people want), then the rest. A named serial port carries its port's details.
    """
    entries: list[DeviceEntry] = []
    ports = list_ports() if include_serial else []
    if include_named:
        entries += named_device_entries(ports)
    for port in ports:
        entries.append(DeviceEntry(port.device, "serial", port.description or "serial port", port.board_guess, port,
                                   in_use=other_holder(port.device)))
    if host_code_refused("sim://"):
        return entries  # workbench serve without --allow-host-code: no code runs on the server
    for spec in BOARDS.values():
        entries.append(DeviceEntry(f"sim://{spec.name}", "simulated", spec.description, spec.machine))
    if local_interpreter() is not None:
        entries.append(DeviceEntry("spawn://micropython", "local", "the MicroPython unix port on a pty", "unix port"))
    return entries


def named_device_entries(ports: list[PortInfo] | None = None) -> list[DeviceEntry]:
    """The settings file's ``[devices]``, one entry each (its problems are reported where the
    file is read for a command: the CLI, the app's start)."""
    from workbench.discovery.names import load_named_devices

    by_device = {port.device: port for port in ports or ()}
    entries = []
    for name, url in load_named_devices().names.items():
        port = by_device.get(url)
        board = port.board_guess if port is not None else None
        entries.append(DeviceEntry(url, "named", f"named {name!r} in the settings file", board, port, name,
                                   in_use=other_holder(url) if port is not None else None))
    return entries


@dataclass(frozen=True)
class DefaultDevice:
    """The device used when none is named, and why (the CLI says it; the app just opens it)."""

    url: str
    reason: str
    simulated: bool


def pick_default_device(entries: list[DeviceEntry] | None = None) -> DefaultDevice:
    """The one board plugged in, else the embedded default (a simulated board, so nothing
    ever opens a port the user did not mean: with two boards, which one would it be?).

    ``entries``: a listing already made (default: list the serial ports now).
    """
    if entries is None:
        entries = available_devices(include_named=False)
    boards = [entry for entry in entries if entry.kind == "serial" and entry.board]
    if len(boards) == 1:
        return DefaultDevice(boards[0].url, f"the one board plugged in: {boards[0].board}", simulated=False)
    if not boards:
        return DefaultDevice(EMBEDDED_DEFAULT, "simulated board: no board is plugged in", simulated=True)
    ports = ", ".join(entry.url for entry in boards)
    return DefaultDevice(
        EMBEDDED_DEFAULT,
        f"simulated board: {len(boards)} boards are plugged in ({ports}); name one with -d",
        simulated=True,
    )


def format_devices_table(entries: list[DeviceEntry]) -> str:
    """An aligned table: URL, KIND, BOARD, DESCRIPTION (VID:PID and serial for ports)."""
    header = ("URL", "KIND", "VID:PID", "SERIAL", "BOARD", "DESCRIPTION")
    rows = [header]
    for entry in entries:
        port = entry.port
        rows.append((
            entry.url,
            entry.kind,
            (port.vid_pid() if port else "") or "-",
            (port.serial_number if port else None) or "-",
            entry.board or "-",
            (entry.description or "-") + (f" (in use by {entry.in_use})" if entry.in_use else ""),
        ))
    widths = [max(len(row[col]) for row in rows) for col in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    if not any(entry.kind == "serial" for entry in entries):
        lines.append("(no serial ports found: plug a board in, or use a sim:// or spawn:// URL)")
    return "\n".join(lines)
