"""Byte-level vocabulary of the MicroPython REPL protocols.

Everything here is taken from ``shared/runtime/pyexec.c`` (the device side) so that the
state machine, the trace annotator and the simulated boards all name bytes the same way.
"""

from __future__ import annotations

CTRL_A = 0x01  # raw REPL: enter / re-print banner; raw-paste: window credit from device
CTRL_B = 0x02  # leave the raw REPL
CTRL_C = 0x03  # interrupt running code / clear the line
CTRL_D = 0x04  # end of input: execute, end a section, or soft reset on an empty line
CTRL_E = 0x05  # friendly REPL: paste mode; raw REPL: start of the raw-paste request

RAW_BANNER = b"raw REPL; CTRL-B to exit\r\n"
RAW_BANNER_LF = b"raw REPL; CTRL-B to exit\n"
RAW_PROMPT = b">"
FRIENDLY_PROMPT = b">>> "
OK = b"OK"
RAW_PASTE_REQUEST = b"\x05A\x01"
RAW_PASTE_ACCEPTED = b"R\x01"
RAW_PASTE_REFUSED = b"R\x00"
SOFT_REBOOT_LINES = (
    b"MPY: soft reboot\r\n",
    b"MPY: soft reboot\n",
    b"soft reboot\r\n",  # CircuitPython
    b"soft reboot\n",
)

# Host-side byte sequences.
INTERRUPT_IDLE = b"\r\x03\x03"  # empty the line, then interrupt twice (code may catch one)
INTERRUPT_RUNNING = b"\x03"
ENTER_RAW = b"\r\x01"
LEAVE_RAW = b"\x02"
END_OF_INPUT = b"\x04"

CONTROL_NAMES: dict[int, str] = {
    0x00: "NUL",
    0x01: "CTRL-A",
    0x02: "CTRL-B",
    0x03: "CTRL-C",
    0x04: "CTRL-D",
    0x05: "CTRL-E",
    0x07: "BEL",
    0x08: "BS",
    0x09: "TAB",
    0x0A: "LF",
    0x0D: "CR",
    0x1B: "ESC",
    0x7F: "DEL",
}


def control_name(byte: int) -> str:
    """Return the conventional name of a control byte (``CTRL-A``), or ``0xNN``."""
    name = CONTROL_NAMES.get(byte)
    if name is not None:
        return name
    if byte < 0x20:
        return f"CTRL-{chr(byte + 0x40)}"
    return f"0x{byte:02x}"
