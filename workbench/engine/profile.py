"""The protocol settings of one board: the one declaration of every profile field.

The engine reads these settings on every exchange (how long to wait for a reply, how code is
paced, which lines to set on open), so they are declared here, beside the code that uses them,
with their defaults and units. The profiles layer (:class:`workbench.profiles.schema.DeviceProfile`)
builds on this very class: it adds a name and a description for people and checks every value
that comes from a file or a form. Adding a setting therefore means a field here and its
validation rule (and help line) in ``workbench/profiles/schema.py``; tests fail until both exist.

Defaults suit a board on native USB and the local interpreter; slower boards get presets.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from workbench.limits import DEFAULT_TRACE_BUDGET_BYTES  # a leaf: the trace package costs ~10 ms to import
from workbench.protocol.records import Record, record

RawPasteMode = Literal["auto", "always", "never"]
VerifyMode = Literal["auto", "always", "never"]


@record
class Profile(Record):
    """Protocol settings for one device. Units are in the names."""

    response_timeout_s: float = 2.0
    """Longest wait for any protocol reply (banner, OK, window credit, prompt)."""
    reset_timeout_s: float = 10.0
    """Longest wait for a soft or hard reset to reach the raw prompt again (boot time)."""
    exec_timeout_s: float | None = None
    """Longest a run may take; None lets code run until it ends or is interrupted."""
    interrupt_delay_s: float = 0.05
    """After CTRL-C, how long output must be quiet before CTRL-A is sent."""
    startup_delay_s: float = 0.0
    """Wait after opening the port before the first byte (boards that reset on open)."""
    raw_paste: RawPasteMode = "auto"
    """auto: ask once per connection and remember; always: fail if refused; never."""
    chunk_size: int = 256
    """Plain raw mode writes code in pieces of this many bytes..."""
    chunk_delay_s: float = 0.01
    """...this far apart, so a small UART buffer is not overrun."""
    retries: int = 2
    """Extra attempts at entering the raw REPL before giving up."""
    baudrate: int = 115200
    """Line rate of a serial port (ignored by USB CDC boards and sockets)."""
    dtr: bool | None = None
    """DTR level set on open (None: leave as the driver sets it)."""
    rts: bool | None = None
    """RTS level set on open (None: leave as the driver sets it)."""
    encoding: str = "utf-8"
    """How program text is encoded to bytes and output decoded."""
    window_size_override: int | None = None
    """Raw-paste: write at most this many bytes at a time, ``chunk_delay_s`` apart, always
    within the board's credit. None writes a whole window at once; a cap works around USB
    bridges that lose bytes in bursts."""
    file_block_size: int | None = None
    """File transfers (``workbench fs``, the Files pane) stream a file in blocks of this many
    bytes, two ahead of the board's answers. None: chosen from the board (32 KB for the unix
    port, which reads a pty; the raw-paste window on a board, whose receive buffer holds two).
    Smaller for a bridge that loses bytes in bursts."""
    soft_reset_before_run: bool = False
    """Soft-reset (CTRL-D at the raw prompt) before each run, for a fresh interpreter."""
    verify_code: VerifyMode | bool = "never"
    """The board checks the length and byte sum of the code it received before running it
    (one more round trip; :mod:`workbench.engine.verify`), so damaged code never runs.
    auto: only code sent in plain raw mode, which has no flow control (raw-paste's window
    credits show most losses by themselves); always: every run (bridges that lose bytes in
    raw-paste too); never. The presets turn it on; the engine's default keeps the protocol
    bare (lessons show it as it is). True and False mean always and never."""
    verbose_trace: bool = False
    """Add the engine's reasoning to the trace: what each write expects back and by when, and
    the protocol state after each read (for debugging a board)."""
    trace_budget_bytes: int = DEFAULT_TRACE_BUDGET_BYTES
    """Most bytes of trace kept per session before the oldest are dropped."""

    @property
    def verify_mode(self) -> VerifyMode:
        """``verify_code`` as one of its three words (True and False are always and never)."""
        value = self.verify_code
        if value is True:
            return "always"
        if value is False:
            return "never"
        return value

    def with_changes(self, **changes: object) -> Profile:
        """A copy with some fields changed (profiles are immutable so sessions can share)."""
        return replace(self, **changes)  # type: ignore[arg-type]


DEFAULT_PROFILE = Profile()
