"""How fast plain raw mode may write to a board: the probe's pacing search, without the I/O.

Why: plain raw mode (firmware before 1.14, or a raw-paste whose flow control fails) has no
flow control at all. A board with a small UART receive buffer that reads slowly loses the
bytes the host writes faster than it reads, and the damage may still compile. Only the
board can say what it received, so the probe sends known payloads at a given pacing
(``chunk_size`` bytes, ``chunk_delay_s`` apart) and has the board report their length and
checksum (:mod:`workbench.engine.verify`, which needs nothing old firmware lacks).

The search (:func:`find_pacing`) starts cautious and climbs :data:`LADDER`, first growing
the chunk at 10 ms, then shrinking the delay, until a payload is lost or the ladder ends.
The proposal keeps a margin below the fastest lossless rung when a loss was found above it
(that rung is the edge: a busier board or host would cross it), and one more payload at the
proposed pacing confirms it and gives the throughput. Here the attempts are a callable, so
the search is tested without a board; :mod:`workbench.profiles.probe` runs them on one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "LADDER",
    "Attempt",
    "Pacing",
    "PacingResult",
    "find_pacing",
    "known_payload",
    "payload_size",
    "slower",
    "with_margin",
]


@dataclass(frozen=True, slots=True)
class Pacing:
    """Plain raw mode writes ``chunk_size`` bytes at a time, ``chunk_delay_s`` apart."""

    chunk_size: int
    chunk_delay_s: float

    def describe(self) -> str:
        """``48 B every 10 ms``."""
        return f"{self.chunk_size} B every {self.chunk_delay_s * 1000:g} ms"


#: From cautious to fast. The search starts at :data:`START` (small chunks 10 ms apart) and
#: climbs; the rung below it is tried only when the start already loses bytes. The top is
#: the engine's default chunk with a 1 ms pause: a board that takes it needs no pacing.
LADDER: tuple[Pacing, ...] = (
    Pacing(16, 0.02),
    Pacing(32, 0.01),
    Pacing(48, 0.01),
    Pacing(64, 0.01),
    Pacing(96, 0.01),
    Pacing(128, 0.01),
    Pacing(192, 0.01),
    Pacing(256, 0.01),
    Pacing(256, 0.005),
    Pacing(256, 0.002),
    Pacing(256, 0.001),
)
START = 1
#: Smallest chunk ever proposed (a margin never shrinks a chunk below it).
MIN_CHUNK = 8
#: Each payload covers at least this many chunks, so a loss that needs a few writes in a row
#: (a receive buffer filling up) shows...
CHUNKS_PER_PAYLOAD = 6
#: ...and is at least this long, at most that long (bytes of code, CTRL-D not counted).
MIN_PAYLOAD = 512
MAX_PAYLOAD = 2048
#: The confirming payload: about the size of a small program.
CONFIRM_PAYLOAD = 1024
#: Proposals tried before giving up when the confirming payload is lost.
CONFIRM_TRIES = 2


def with_margin(pacing: Pacing) -> Pacing:
    """Three quarters of the chunk at the same delay: below the edge both in burst size (a
    receive buffer's room) and in rate (how fast the board empties it)."""
    return Pacing(max(MIN_CHUNK, pacing.chunk_size * 3 // 4), pacing.chunk_delay_s)


def slower(pacing: Pacing) -> Pacing:
    """A step back after a confirming payload was lost: a smaller chunk, a longer delay."""
    return Pacing(max(MIN_CHUNK, pacing.chunk_size * 3 // 4), round(pacing.chunk_delay_s * 1.5, 4))


def payload_size(pacing: Pacing) -> int:
    """Bytes of code sent to test ``pacing``."""
    return max(MIN_PAYLOAD, min(MAX_PAYLOAD, CHUNKS_PER_PAYLOAD * pacing.chunk_size))


def known_payload(size: int, salt: int = 0) -> bytes:
    """``size`` known bytes: letters and digits only, so the bytes literal that carries them
    is as long as they are and a lost byte changes the length the board reports."""
    alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return bytes(alphabet[(i * 7 + salt * 13 + i // len(alphabet)) % len(alphabet)] for i in range(size))


@dataclass(frozen=True, slots=True)
class Attempt:
    """One payload sent at one pacing, and what the board reported."""

    pacing: Pacing
    ok: bool
    detail: str
    """Why not ok, in words ("12 bytes lost ...", "no OK within 0.50 s ..."); "" when ok."""
    bytes_per_s: float | None = None
    """Code bytes per second from the first write to the board's OK (when ok)."""


@dataclass(frozen=True, slots=True)
class PacingResult:
    """What :func:`find_pacing` found."""

    proposed: Pacing | None
    """The pacing to use: confirmed lossless, with a margin below a loss seen; None when
    every pacing tried lost bytes."""
    bytes_per_s: float | None
    """Throughput measured at ``proposed`` by the confirming payload."""
    edge: Pacing | None
    """The fastest pacing that was lossless below one that lost bytes (None: no loss seen)."""
    attempts: list[Attempt] = field(default_factory=list)
    out_of_time: bool = False
    """The search stopped at its time budget before the top of the ladder or a loss."""

    def summary(self) -> str:
        """One line for the probe's log."""
        tried = ", ".join(
            f"{a.pacing.describe()} {'ok' if a.ok else f'LOST ({a.detail})'}" for a in self.attempts
        )
        if self.proposed is None:
            return f"every pacing tried lost bytes ({tried})"
        rate = f", {self.bytes_per_s / 1024:.1f} KB/s measured" if self.bytes_per_s else ""
        if self.edge is not None:
            why = f"a margin below {self.edge.describe()}, the fastest lossless"
        elif self.out_of_time:
            why = "the fastest tried within the time budget"
        else:
            why = "no loss at any pacing tried"
        return f"{self.proposed.describe()}{rate} ({why}); tried: {tried}"


def find_pacing(
    attempt: Callable[[Pacing, int], Attempt],
    *,
    budget_s: float,
    clock: Callable[[], float] = time.monotonic,
) -> PacingResult:
    """Climb :data:`LADDER` until a loss, then propose and confirm; see the module docstring.

    ``attempt(pacing, size)`` sends a ``size``-byte payload at ``pacing`` and says whether it
    arrived intact (a timeout waiting for OK is a loss too: the CTRL-D may be what was lost).
    No rung is started once ``budget_s`` has passed; the confirmation always runs.
    """
    started = clock()
    attempts: list[Attempt] = []

    def run(pacing: Pacing, size: int) -> Attempt:
        result = attempt(pacing, size)
        attempts.append(result)
        return result

    best: int | None = None
    lost_above = False
    out_of_time = False
    for index in range(START, len(LADDER)):
        if clock() - started > budget_s:
            out_of_time = True
            break
        if not run(LADDER[index], payload_size(LADDER[index])).ok:
            lost_above = True
            break
        best = index
    if best is None and lost_above:
        for index in range(START - 1, -1, -1):  # the start lost bytes: more cautious still
            if run(LADDER[index], payload_size(LADDER[index])).ok:
                best = index
                break
    if best is None:
        return PacingResult(None, None, None, attempts, out_of_time)
    edge = LADDER[best] if lost_above else None
    proposal = with_margin(LADDER[best]) if lost_above else LADDER[best]
    for _ in range(CONFIRM_TRIES):
        confirmed = run(proposal, CONFIRM_PAYLOAD)
        if confirmed.ok:
            return PacingResult(proposal, confirmed.bytes_per_s, edge, attempts, out_of_time)
        proposal = slower(proposal)
    return PacingResult(None, None, edge, attempts, out_of_time)
