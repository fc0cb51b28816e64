"""``sim://BOARD?option=value&...``: which board, and which faults to inject.

Every option is documented here and in docs/simulated-boards.md with an example; an unknown
option or a bad value is refused with a message that lists what is accepted.
"""

from __future__ import annotations

import math
import urllib.parse
from collections.abc import Callable
from dataclasses import fields

from workbench.protocol.records import Record, record
from workbench.sim.boards import BoardSpec, board


@record
class SimOptions(Record):
    """Fault injection and overrides; None means "as the board has it"."""

    latency_ms: float | None = None
    """One-way delay per chunk, e.g. ``sim://esp32?latency_ms=30`` (a slow USB bridge)."""
    baud: int | None = None
    """Line rate; bytes/s = baud/10. ``sim://generic?baud=9600``; ``baud=0``: unlimited."""
    drop: float = 0.0
    """Probability that each byte on its way to the board is lost: ``sim://esp32?drop=0.001``."""
    corrupt: float = 0.0
    """Probability that each byte on its way to the board arrives altered: ``corrupt=0.0005``."""
    noise: int = 0
    """Garbage bytes printed at every boot, before the banner: ``sim://esp32?noise=200``."""
    disconnect_after: int | None = None
    """Bytes (both ways) after which the cable is pulled: ``sim://rp2040?disconnect_after=5000``."""
    hang_after: int | None = None
    """Bytes after which the board stops answering: ``sim://stm32?hang_after=3000``."""
    no_flow_control: bool = False
    """Advertises raw-paste but never grants credit: ``sim://generic?no_flow_control=1``."""
    paste_hangs: bool = False
    """Answers the raw-paste request (``R\\x01``, the window, ``\\x01``), ends the paste with
    ``\\x04`` at once, before any code, and from then on answers nothing at all (no output,
    no prompt; CTRL-C, CTRL-A and CTRL-D are ignored) until it is reset (DTR/RTS on boards
    wired for it, :meth:`~workbench.sim.device.SimDevice.press_reset`, or a new connection,
    which is a fresh board). Mimics a real build whose raw-paste is broken:
    ``sim://generic?paste_hangs=1``. No effect on a board without raw-paste (``legacy``)."""
    window: int | None = None
    """Raw-paste window override (half the input buffer): ``sim://generic?window=32`` (nRF)."""
    rx_fifo: int | None = None
    """The board's UART receive FIFO holds this many bytes and the firmware empties it every
    10 ms (``RX_FIFO_SERVICE_S``); bytes arriving while it is full are lost, as in a real
    overrun. Bursts bigger than the FIFO lose their tail; paced small writes get through:
    ``sim://generic?rx_fifo=64``."""
    boot_ms: float | None = None
    """Boot time override, e.g. ``sim://esp32?boot_ms=0`` for fast tests."""
    seed: int | None = None
    """Random seed for drop/corrupt/noise, so a failing case can be replayed: ``seed=7``."""
    fs: str | None = None
    """The folder that holds the board's files: ``sim://generic?fs=/tmp/board``. Created if
    missing and never removed, so files outlive the connection (a test reconnects after a
    pulled cable and finds the old file). Without it every board gets a temporary folder of
    its own, created when it opens, kept across soft and hard resets, removed when it closes."""
    usb_drive: bool | None = None
    """CircuitPython only: the board's drive is mounted on the host as CIRCUITPY (the default),
    so code on the board may read files but not write them (``OSError: [Errno 30] Read-only
    filesystem``). ``sim://circuitpython?usb_drive=0`` is a board whose boot.py ran
    ``storage.remount("/", readonly=False)``: code on the board may write."""

    def __post_init__(self) -> None:
        """Checked however the options were made (URL or code): a bad value would otherwise
        surface later as a crash on the board's thread."""
        _check(self)


#: Longest boot time or latency accepted, in ms: longer means nothing for a board, and the
#: board thread's waits must stay within what the clock and the OS can represent.
MAX_DELAY_MS = 600_000.0

_TRUE = ("1", "true", "yes", "on", "")  # "" : the option given without a value
_FALSE = ("0", "false", "no", "off")


def _number(text: str) -> float:
    """A finite number (``inf`` and ``nan`` parse as floats but mean nothing as an option)."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _flag(text: str) -> bool:
    """A boolean spelled as people do; anything else is refused rather than read as false."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(text)


#: How each option's text becomes its value, and what to say when it does not.
_CONVERTERS: dict[str, tuple[Callable[[str], object], str]] = {
    "latency_ms": (_number, "a finite number of milliseconds"),
    "baud": (int, "a whole number"),
    "drop": (_number, "a probability between 0 and 1"),
    "corrupt": (_number, "a probability between 0 and 1"),
    "noise": (int, "a whole number of bytes"),
    "disconnect_after": (int, "a whole number of bytes"),
    "hang_after": (int, "a whole number of bytes"),
    "no_flow_control": (_flag, "a boolean: 1/0, true/false, yes/no or on/off"),
    "paste_hangs": (_flag, "a boolean: 1/0, true/false, yes/no or on/off"),
    "window": (int, "a whole number of bytes"),
    "rx_fifo": (int, "a whole number of bytes"),
    "boot_ms": (_number, "a finite number of milliseconds"),
    "seed": (int, "a whole number"),
    "fs": (str, "a folder"),
    "usb_drive": (_flag, "a boolean: 1/0, true/false, yes/no or on/off"),
}


def parse_sim_url(url: str) -> tuple[BoardSpec, SimOptions]:
    """Split ``sim://esp32?drop=0.01`` into the board and its options (ValueError if bad)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "sim":
        raise ValueError(f"expected a sim:// URL, got {url!r}")
    name = (parts.netloc or parts.path.lstrip("/")).lower()
    spec = board(name)
    values: dict[str, object] = {}
    known = {f.name for f in fields(SimOptions)}
    for key, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=True):
        if key not in known:
            raise ValueError(f"unknown sim:// option {key!r}; known options: {', '.join(sorted(known))}")
        convert, expected = _CONVERTERS[key]
        try:
            values[key] = convert(value)
        except ValueError:
            raise ValueError(f"sim:// option {key}={value!r} is not valid: expected {expected}") from None
    options = SimOptions(**values)  # type: ignore[arg-type]  # checked by __post_init__
    check_for_board(spec, options)
    return spec, options


def check_for_board(spec: BoardSpec, options: SimOptions) -> None:
    """Refuse options that mean nothing on this board (rather than ignoring them silently)."""
    if options.usb_drive is not None and spec.implementation != "circuitpython":
        raise ValueError(f"sim:// option usb_drive is for CircuitPython boards (sim://circuitpython), not sim://{spec.name}")


def _check(options: SimOptions) -> None:
    """Refuse values a board thread cannot live with (NaN, infinity, negative, too long)."""
    for name in ("latency_ms", "boot_ms", "drop", "corrupt"):
        value = getattr(options, name)
        if value is not None and not math.isfinite(value):
            raise ValueError(f"sim:// option {name} must be a finite number, got {value}")
    for name in ("latency_ms", "boot_ms"):
        value = getattr(options, name)
        if value is not None and value > MAX_DELAY_MS:
            raise ValueError(f"sim:// option {name} is at most {MAX_DELAY_MS:.0f} ms, got {value:g}")
    for name in ("drop", "corrupt"):
        value = getattr(options, name)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"sim:// option {name} is a probability between 0 and 1, got {value}")
    for name in ("latency_ms", "baud", "noise", "disconnect_after", "hang_after", "boot_ms"):
        value = getattr(options, name)
        if value is not None and value < 0:
            raise ValueError(f"sim:// option {name} cannot be negative, got {value}")
    if options.rx_fifo is not None and not 1 <= options.rx_fifo <= 65536:
        raise ValueError(f"sim:// option rx_fifo must be between 1 and 65536 bytes, got {options.rx_fifo}")
    if options.fs is not None and not options.fs.strip():
        raise ValueError("sim:// option fs needs a folder, e.g. fs=/tmp/board")
    if options.window is not None and not 8 <= options.window <= 32768:
        raise ValueError(f"sim:// option window must be between 8 and 32768, got {options.window}")
