"""Sizes and rates in words a person reads: ``1.2 KB``, ``640 B/s`` (decimal units, as serial
baud rates are). A leaf module: the trace model, the CLI and the app all say sizes this way."""

from __future__ import annotations


def format_size(size: int) -> str:
    """``999 B``, ``1.2 KB``, ``3.4 MB``."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{size / 1000:.1f} KB"
    return f"{size / 1_000_000:.1f} MB"


def format_rate(bytes_per_s: float) -> str:
    """``640 B/s``, ``1.2 KB/s``, ``3.4 MB/s``: :func:`format_size` per second."""
    return format_size(round(bytes_per_s)) + "/s"
