"""Serial port discovery with a best-effort guess at which board is attached.

Why this module exists: the first thing a user does with the workbench is
find out which of the serial ports on their machine is the board. Operating
systems name ports unhelpfully (``/dev/ttyACM0``, ``COM7``,
``/dev/cu.usbmodem1101``), and several USB-serial devices are often plugged
in at once. The USB vendor/product ID pair is the most reliable hint we
have, so we map well-known IDs used by MicroPython/CircuitPython boards and
by the USB-serial bridge chips found on cheap dev boards to a short,
human-readable guess.

The guess is only a hint, never a decision: a CP210x bridge might front an
ESP32 or something else entirely, and vendors reuse IDs. Nothing in here
opens a port, so listing is always safe to do, even while another program
holds a port open.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from workbench.protocol.records import Record, record

if TYPE_CHECKING:
    from serial.tools.list_ports_common import ListPortInfo

__all__ = [
    "PortInfo",
    "guess_board",
    "list_ports",
]

# Exact (vendor ID, product ID) matches. These are checked first because a
# full ID pair is the strongest evidence we can get without opening the port.
# Only IDs whose meaning is well established are listed; an unknown pair
# falls through to the vendor-wide table below.
KNOWN_USB_IDS: dict[tuple[int, int], str] = {
    # Raspberry Pi: MicroPython's default ID on the rp2 port (RP2040 and RP2350).
    (0x2E8A, 0x0005): "Raspberry Pi Pico / RP2040 / RP2350 (MicroPython)",
    # Raspberry Pi: pico-sdk's default ID for stdio over USB (C/C++ firmware).
    (0x2E8A, 0x000A): "Raspberry Pi Pico / RP2040 (pico-sdk USB serial)",
    # Raspberry Pi Debug Probe: CMSIS-DAP probe with a UART bridge port.
    (0x2E8A, 0x000C): "Raspberry Pi Debug Probe (UART bridge)",
    # MicroPython's own VID: pyboard / STM32 port in CDC+MSC mode (the default).
    (0xF055, 0x9800): "Pyboard / STM32 (MicroPython, CDC+MSC)",
    # MicroPython's own VID: pyboard / STM32 port in CDC+HID mode.
    (0xF055, 0x9801): "Pyboard / STM32 (MicroPython, CDC+HID)",
    # MicroPython's own VID: CDC-only mode (STM32, also TinyUSB-based ports).
    (0xF055, 0x9802): "Pyboard / STM32 (MicroPython, CDC only)",
    # Espressif USB-Serial-JTAG peripheral built into newer chips.
    (0x303A, 0x1001): "ESP32-S3/C3/C6 (native USB-Serial-JTAG)",
    # Espressif: ESP-IDF TinyUSB default CDC ID (e.g. MicroPython on S2/S3).
    (0x303A, 0x4001): "ESP32-S2/S3 (native USB, TinyUSB CDC)",
    # Espressif: ESP32-S2 ROM bootloader's own USB CDC (download mode).
    (0x303A, 0x0002): "ESP32-S2 (native USB, ROM download mode)",
    # Silicon Labs CP2102/CP2104: the classic ESP32/ESP8266 devkit bridge.
    (0x10C4, 0xEA60): "ESP32/ESP8266 board (CP210x bridge)",
    # WCH CH340: very common on low-cost ESP32/ESP8266 and Arduino clones.
    (0x1A86, 0x7523): "ESP32/ESP8266 board (CH340 bridge)",
    # WCH CH341 in serial (UART) mode.
    (0x1A86, 0x5523): "USB-serial bridge (CH341)",
    # WCH CH343: newer high-speed bridge used on some ESP32 boards.
    (0x1A86, 0x55D3): "ESP32 board (CH343 bridge)",
    # WCH CH9102: CP210x replacement seen on many recent ESP32 devkits.
    (0x1A86, 0x55D4): "ESP32 board (CH9102 bridge)",
    # FTDI FT232R: classic single-port USB-UART bridge.
    (0x0403, 0x6001): "USB-serial bridge (FTDI FT232R)",
    # FTDI FT2232 dual-port bridge (often JTAG + UART).
    (0x0403, 0x6010): "USB-serial bridge (FTDI FT2232)",
    # FTDI FT4232H quad-port bridge.
    (0x0403, 0x6011): "USB-serial bridge (FTDI FT4232H)",
    # FTDI FT232H single-port high-speed bridge.
    (0x0403, 0x6014): "USB-serial bridge (FTDI FT232H)",
    # FTDI FT-X series (FT231X/FT230X).
    (0x0403, 0x6015): "USB-serial bridge (FTDI FT231X)",
    # Prolific PL2303 USB-serial cable.
    (0x067B, 0x2303): "USB-serial bridge (Prolific PL2303)",
    # STMicroelectronics: ST-LINK/V2-1 virtual COM port on Nucleo/Discovery boards.
    (0x0483, 0x374B): "STM32 Nucleo/Discovery (ST-LINK/V2-1 VCP)",
    # STMicroelectronics: STM32 USB CDC virtual COM port (ST's default ID).
    (0x0483, 0x5740): "STM32 board (USB virtual COM port)",
    # ARM DAPLink interface firmware, as used by the BBC micro:bit.
    (0x0D28, 0x0204): "BBC micro:bit (DAPLink)",
}

# Vendor-wide fallbacks, used when the exact pair is unknown. Boards from
# these vendors ship many product IDs (one per board), so naming the vendor
# is still useful even without knowing the exact model.
KNOWN_USB_VENDORS: dict[int, str] = {
    # Adafruit: nearly every board with this VID runs CircuitPython by default.
    0x239A: "Adafruit board (CircuitPython likely)",
    # Raspberry Pi: RP2040/RP2350 boards running other firmware.
    0x2E8A: "Raspberry Pi RP2040/RP2350 device",
    # MicroPython's VID (0xf055), used by several ports beyond STM32.
    0xF055: "MicroPython board",
    # Espressif native USB with a non-default product ID.
    0x303A: "Espressif ESP32 board (native USB)",
    # Arduino, e.g. Nano RP2040 Connect, Nano ESP32, Uno, Nano 33 BLE.
    0x2341: "Arduino board",
    # Seeed Studio, e.g. XIAO series and Wio Terminal.
    0x2886: "Seeed Studio board",
    # Silicon Labs bridges other than the CP2102/CP2104.
    0x10C4: "USB-serial bridge (Silicon Labs)",
    # WCH bridges other than the ones listed exactly.
    0x1A86: "USB-serial bridge (WCH)",
    # FTDI bridges other than the ones listed exactly.
    0x0403: "USB-serial bridge (FTDI)",
}

# Last resort: firmware that advertises itself in its USB strings. Checked
# after the ID tables because strings are set freely by firmware authors.
_TEXT_HINTS: tuple[tuple[str, str], ...] = (
    ("circuitpython", "CircuitPython board"),
    ("micropython", "MicroPython board"),
)

@record
class PortInfo(Record):
    """One serial port as the workbench shows it.

    A frozen copy decoupled from pyserial's ``ListPortInfo`` so that the rest
    of the workbench (CLI, TUI, JSON output) never depends on pyserial's
    mutable, platform-specific object.
    """

    device: str
    vid: int | None
    pid: int | None
    serial_number: str | None
    description: str
    manufacturer: str | None
    product: str | None
    location: str | None
    board_guess: str | None

    def vid_pid(self) -> str:
        """Return ``"2e8a:0005"`` style IDs, or ``""`` when either is unknown.

        This is the form users type into udev rules and search engines.
        """
        if self.vid is None or self.pid is None:
            return ""
        return f"{self.vid:04x}:{self.pid:04x}"

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-safe dict for ``--json`` output and scripting.

        IDs are rendered as ``"0x2e8a"`` strings because that is how they are
        written everywhere else; a bare integer like 11914 is unrecognisable.
        """
        return {
            "device": self.device,
            "vid": _hex_id(self.vid),
            "pid": _hex_id(self.pid),
            "vid_pid": self.vid_pid(),
            "serial_number": self.serial_number,
            "description": self.description,
            "manufacturer": self.manufacturer,
            "product": self.product,
            "location": self.location,
            "board_guess": self.board_guess,
        }


def _hex_id(value: int | None) -> str | None:
    """Render a USB ID as ``"0x2e8a"``, keeping ``None`` for unknown."""
    return None if value is None else f"0x{value:04x}"


def guess_board(
    vid: int | None,
    pid: int | None,
    description: str | None = "",
    manufacturer: str | None = "",
    product: str | None = "",
) -> str | None:
    """Guess what is behind a port from its USB IDs and strings.

    Order matters: an exact ID pair beats a vendor-wide match, which beats
    text found in the USB strings. Returns ``None`` when nothing is known,
    so callers can show "-" rather than a misleading guess.
    """
    exact = _guess_from_ids(vid, pid)
    if exact is not None:
        return exact
    by_vendor = KNOWN_USB_VENDORS.get(vid) if vid is not None else None
    if by_vendor is not None:
        return by_vendor
    return _guess_from_text(description, manufacturer, product)


def _guess_from_ids(vid: int | None, pid: int | None) -> str | None:
    """Look up the exact (vid, pid) pair, if both are known."""
    if vid is None or pid is None:
        return None
    return KNOWN_USB_IDS.get((vid, pid))


def _guess_from_text(*texts: str | None) -> str | None:
    """Spot firmware names in free-form USB strings (case-insensitive)."""
    haystack = " ".join(text for text in texts if text).lower()
    for needle, label in _TEXT_HINTS:
        if needle in haystack:
            return label
    return None


def list_ports(include_links: bool = False) -> list[PortInfo]:
    """Return the serial ports on this machine, naturally sorted by device.

    Never raises for platform trouble: on systems where pyserial cannot
    enumerate ports (containers without /sys, sandboxes), ``comports()``
    raises ``OSError`` and we report "no ports" instead of crashing the CLI.
    """
    try:
        import serial.tools.list_ports  # only when ports are listed: a few ms of every command

        raw = serial.tools.list_ports.comports(include_links=include_links)
    except OSError:
        return []
    ports = [_from_pyserial(info) for info in raw]
    return sorted(ports, key=lambda port: _natural_key(port.device))


def _from_pyserial(info: ListPortInfo) -> PortInfo:
    """Convert pyserial's port record into our frozen :class:`PortInfo`.

    pyserial uses the placeholder ``"n/a"`` for a missing description; we
    turn it into an empty string so the table shows "-" consistently.
    """
    description = _clean_text(getattr(info, "description", None)) or ""
    manufacturer = _clean_text(getattr(info, "manufacturer", None))
    product = _clean_text(getattr(info, "product", None))
    vid = getattr(info, "vid", None)
    pid = getattr(info, "pid", None)
    return PortInfo(
        device=str(info.device),
        vid=vid,
        pid=pid,
        serial_number=_clean_text(getattr(info, "serial_number", None)),
        description=description,
        manufacturer=manufacturer,
        product=product,
        location=_clean_text(getattr(info, "location", None)),
        board_guess=guess_board(vid, pid, description, manufacturer, product),
    )


def _clean_text(value: object) -> str | None:
    """Normalise a pyserial text field: strip it, map blanks and "n/a" to None."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() == "n/a":
        return None
    return text


def _natural_key(device: str) -> list[tuple[int, int | str]]:
    """Natural sort key: ``ttyUSB2`` before ``ttyUSB10``, ``COM3`` before ``COM12``."""
    key: list[tuple[int, int | str]] = []
    for part in re.split(r"(\d+)", device):
        if part.isdigit():
            key.append((0, int(part)))
        elif part:
            key.append((1, part))
    return key
