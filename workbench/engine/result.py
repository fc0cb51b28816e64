"""What one run of code on the device produced."""

from __future__ import annotations

from workbench.protocol.records import Record, record
from workbench.protocol.tracebacks import RemoteException


@record
class ExecResult(Record):
    """Output, exception and timings of one :meth:`Session.exec`.

    ``send_s`` covers writing the code (including raw-paste flow control), ``run_s`` from
    the device accepting it to the end of output, ``total_s`` the whole call including
    entering the raw REPL if that was needed.
    """

    stdout: str
    stderr: str
    exception: RemoteException | None
    raw_paste: bool
    bytes_sent: int
    send_s: float
    run_s: float
    total_s: float
    rebooted: bool = False
    """The board rebooted at the end of the run (SystemExit) or during it (a reset)."""

    @property
    def ok(self) -> bool:
        """True when the code finished without an exception."""
        return self.exception is None

    @property
    def throughput_bps(self) -> float:
        """Code bytes per second while sending."""
        return self.bytes_sent / self.send_s if self.send_s > 0 else 0.0
