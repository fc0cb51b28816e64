"""Find the earliest of several byte patterns in a growing buffer, split-safely.

The state machine must give the same events however the device's bytes are split into
reads. A naive search breaks that: with ``>`` and ``>>> `` both wanted, a read ending in
``>>`` would match ``>`` too early. So a match is only taken once no longer or earlier
pattern could still be completed by bytes that have not arrived yet.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Match:
    """A complete pattern at ``start``; ``key`` says which one."""

    start: int
    end: int
    key: str


def _earliest_partial(buf: bytes | bytearray, patterns: tuple[tuple[bytes, str], ...]) -> int:
    """Smallest index from which the rest of ``buf`` is a proper prefix of a pattern.

    Only positions holding a pattern's first byte can start one, so those are found with
    ``find`` (C speed) instead of trying every position of the tail: this runs on every
    chunk of program output.
    """
    size = len(buf)
    best = size
    for pattern, _ in patterns:
        if len(pattern) < 2:
            continue  # a one-byte pattern is either complete or absent
        first = pattern[0]
        start = buf.find(first, max(0, size - len(pattern) + 1))
        while 0 <= start < best:
            if pattern.startswith(bytes(buf[start:])):
                best = start
                break
            start = buf.find(first, start + 1)
    return best


def scan(buf: bytes | bytearray, patterns: tuple[tuple[bytes, str], ...]) -> tuple[Match | None, int]:
    """Look for the earliest, then longest, complete pattern in ``buf``.

    Returns ``(match, safe)``. ``match`` is None when nothing can be decided yet; ``safe`` is
    then the number of leading bytes that can never be part of a match (they may be reported
    as stray bytes), the rest must be kept until more data arrives. With a match, ``safe``
    equals ``match.start``.
    """
    best: Match | None = None
    for pattern, key in patterns:
        index = buf.find(pattern)
        if index < 0:
            continue
        if best is None or index < best.start or (
            index == best.start and len(pattern) > best.end - best.start
        ):
            best = Match(index, index + len(pattern), key)
    partial = _earliest_partial(buf, patterns)
    if best is not None and partial > best.start:
        return best, best.start
    # Either nothing matched, or a pattern that starts earlier (or at the same place and is
    # longer) may still complete: decide nothing past ``partial`` yet.
    return None, partial if best is None else min(partial, best.start)
