"""Is this text a device URL? A light check before connecting, with a message that says what to type.

Why a check before connecting at all: a missing port number, an unknown scheme or a space
would otherwise surface as a puzzling connection error (or a long timeout). It is
deliberately light: it catches typos, not every URL that might fail to open. Paths and port
names without a scheme are serial ports.
"""

from __future__ import annotations

import re

from workbench.sim.boards import BOARDS

__all__ = ["URL_EXAMPLES", "URL_SCHEMES", "check_device_url"]

#: The schemes the transports open (pyserial's own, plus ``sim://`` and ``spawn://``).
URL_SCHEMES: tuple[str, ...] = ("socket", "rfc2217", "sim", "spawn", "loop", "alt", "hwgrep", "spy", "cp2110")
#: What a person may type, for messages and placeholders.
URL_EXAMPLES = "sim://esp32, socket://HOST:PORT, rfc2217://HOST:PORT, spawn://micropython, /dev/ttyUSB0, COM3"

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://(.*)", re.DOTALL)
_SCHEME_WITHOUT_SLASHES = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(?!//)(.*)", re.DOTALL)
_HOST_PORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d+)")


def check_device_url(url: str) -> str | None:
    """Why ``url`` cannot be a device URL, or None when it looks fine."""
    text = url.strip()
    if not text:
        return f"Type a device URL first, e.g. {URL_EXAMPLES}."
    if any(char.isspace() for char in text):
        return f"A device URL has no spaces: {text!r}."
    match = _SCHEME.fullmatch(text)
    if match is None:
        loose = _SCHEME_WITHOUT_SLASHES.fullmatch(text)
        if loose is not None and loose.group(1).lower() in URL_SCHEMES:
            return f"Missing '//' after '{loose.group(1)}:'; did you mean {loose.group(1)}://{loose.group(2)}?"
        if _HOST_PORT.fullmatch(text):
            return f"{text!r} looks like HOST:PORT; did you mean socket://{text} or rfc2217://{text}?"
        return None  # a serial port: /dev/ttyACM0, COM3, /dev/cu.usbmodem1101
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in URL_SCHEMES:
        known = ", ".join(f"{name}://" for name in URL_SCHEMES)
        return f"Unknown URL scheme {scheme + '://'!r} in {text!r}; use one of {known} or a serial port path."
    target = rest.split("?", 1)[0]
    if scheme in ("socket", "rfc2217"):
        host_port = _HOST_PORT.fullmatch(target)
        if host_port is None or not 1 <= int(host_port.group(1)) <= 65535:
            return f"{scheme}:// needs HOST:PORT with a port from 1 to 65535, e.g. {scheme}://192.168.4.1:2000."
    elif scheme == "sim":
        if target not in BOARDS:
            boards = ", ".join(sorted(BOARDS))
            return f"Unknown simulated board {target!r}; sim:// boards are: {boards}."
    elif scheme == "spawn" and not target:
        return "spawn:// needs a command, e.g. spawn://micropython or spawn:///path/to/micropython."
    return None
