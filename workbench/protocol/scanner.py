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
    """Smallest index from which the rest of ``buf`` is a proper prefix of a pattern."""
    longest = max(len(p) for p, _ in patterns)
    size = len(buf)
    for start in range(max(0, size - longest + 1), size):
        tail = bytes(buf[start:])
        for pattern, _ in patterns:
            if len(tail) < len(pattern) and pattern.startswith(tail):
                return start
    return size


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
