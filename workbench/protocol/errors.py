"""Errors raised by the protocol core itself (never by the device)."""

from __future__ import annotations


class LocalProtocolError(Exception):
    """The host asked for something that makes no sense in the current protocol state.

    Like h11's error of the same name: it is raised *before* any byte is produced, so the
    connection is unchanged and the caller can correct itself (for example, interrupt first).
    """
