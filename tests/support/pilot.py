"""Helpers for Pilot tests of single widgets in a small host app."""

from __future__ import annotations

from collections.abc import Callable


async def wait_until(pilot, condition: Callable[[], bool], limit: int = 300) -> None:
    """Let the app run until ``condition()`` holds (bounded, no sleeping as synchronisation)."""
    for _ in range(limit):
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("condition not met in time")
