"""Byte-level vocabulary of the MicroPython REPL protocols.

The device's side lives in three places in MicroPython: ``shared/runtime/pyexec.c`` (the
raw REPL, raw-paste and the friendly REPL's commands), ``shared/readline/readline.c`` (what
a key does on the friendly REPL's input line) and each port's ``main.c`` (the soft reboot
text, ``boot.py`` and ``main.py``). Everything here is named after them so that the state
machine, the trace annotator and the simulated boards all name bytes the same way.
"""

from __future__ import annotations

CTRL_A = 0x01  # raw REPL: enter / re-print banner; raw-paste: window credit from device
CTRL_B = 0x02  # leave the raw REPL
CTRL_C = 0x03  # interrupt running code / cancel the line being typed
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
#: What a board prints when its interpreter restarts (ports/*/main.c, at soft_reset_exit).
#: MicroPython 1.11 and later print ``MPY: soft reboot``, 1.10 and older ``PYB: soft
#: reboot``; CircuitPython prints ``soft reboot`` alone. Each ends in CR LF or LF by port.
SOFT_REBOOT_LINES = (
    b"MPY: soft reboot\r\n",
    b"MPY: soft reboot\n",
    b"PYB: soft reboot\r\n",  # MicroPython 1.10 and older
    b"PYB: soft reboot\n",
    b"soft reboot\r\n",  # CircuitPython
    b"soft reboot\n",
)

# Host-side byte sequences.
#: CTRL-C alone when the host does not know what the board is doing. At the friendly prompt
#: readline cancels a half-typed line on CTRL-C (a CR in front would *run* that line), and
#: running code gets a KeyboardInterrupt. CTRL-Cs sent together count as one interrupt
#: (they set the same pending exception), so a second one, if needed, is its own write
#: after the first was handled (Engine.enter_raw).
INTERRUPT_IDLE = b"\x03"
INTERRUPT_RUNNING = b"\x03"
#: CR CTRL-A, sent after the CTRL-C has emptied the line: CTRL-A is a command only on an
#: empty line (on a half-typed one it moves the cursor), and on that empty line the CR only
#: makes the friendly REPL print one more prompt. In the raw REPL the CR is a byte of the
#: line that CTRL-A throws away when it prints the banner again.
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
