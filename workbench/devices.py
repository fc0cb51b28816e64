"""Every device the workbench can open right now: serial ports, simulated boards, the local
interpreter. The ``ports`` command and the app's device list both read it.
"""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from workbench.ports import PortInfo, list_ports
from workbench.sim.boards import BOARDS

Kind = Literal["serial", "simulated", "local"]

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

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form; serial ports carry their USB details too."""
        data: dict[str, Any] = {
            "url": self.url,
            "kind": self.kind,
            "description": self.description,
            "board": self.board,
        }
        if self.port is not None:
            data["usb"] = self.port.to_json()
        return data


def local_interpreter() -> str | None:
    """Path of the MicroPython unix port, if installed (PATH or next to our Python)."""
    return shutil.which("micropython") or shutil.which("micropython", path=str(Path(sys.executable).parent))


def available_devices(*, include_serial: bool = True) -> list[DeviceEntry]:
    """Serial ports first (a plugged-in board is what people want), then the rest."""
    entries: list[DeviceEntry] = []
    if include_serial:
        for port in list_ports():
            entries.append(DeviceEntry(port.device, "serial", port.description or "serial port", port.board_guess, port))
    for spec in BOARDS.values():
        entries.append(DeviceEntry(f"sim://{spec.name}", "simulated", spec.description, spec.machine))
    if local_interpreter() is not None:
        entries.append(DeviceEntry("spawn://micropython", "local", "the MicroPython unix port on a pty", "unix port"))
    return entries


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
            entry.description or "-",
        ))
    widths = [max(len(row[col]) for row in rows) for col in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    if not any(entry.kind == "serial" for entry in entries):
        lines.append("(no serial ports found: plug a board in, or use a sim:// or spawn:// URL)")
    return "\n".join(lines)
