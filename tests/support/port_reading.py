"""Reading a device's raw bytes in tests, past the engine, always with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

import serial


def read_while_not(port: serial.SerialBase, done: Callable[[bytes], bool], deadline: float) -> bytes:
    """What the device sends until ``done(data)`` or ``time.monotonic()`` reaches ``deadline``."""
    data = b""
    while not done(data) and time.monotonic() < deadline:
        data += port.read(max(1, port.in_waiting))
    return data


def read_until_marker(port: serial.SerialBase, marker: bytes, limit_s: float) -> bytes:
    """What the device sends up to ``marker``; fails the test, naming what came, after ``limit_s``."""
    data = read_while_not(port, lambda d: marker in d, time.monotonic() + limit_s)
    assert marker in data, f"the device did not send {marker!r} in {limit_s} s; got {data[-120:]!r}"
    return data
