"""The one-word badge a board shows (devices pane, status bar), from whatever state it is in.

Why here, beside the states: a board's state comes from two places, the session
(:class:`~workbench.engine.state.DeviceState`: which prompt, running, closed) and the manager
(:class:`~workbench.manager.lifecycle.SessionState`: connecting, lost), and the app also shows
error texts in the same place. A person with eight boards wants one of a few words and a
symbol for each; which word a state earns is a rule of the library, not of a widget. How a
badge looks (its theme colour) is the app's business (``workbench/app/badges.py``).
"""

from __future__ import annotations

from workbench.engine.state import DeviceState
from workbench.manager.lifecycle import SessionState

__all__ = ["BADGES", "BADGE_SYMBOLS", "BUSY_PREFIX", "badge_for_state", "busy_state"]

#: The badges a device can show, from "nothing open" to "something went wrong".
BADGES: tuple[str, ...] = ("disconnected", "connecting", "friendly", "raw", "running", "lost", "error")

#: One symbol per badge, so the state reads without colour too.
BADGE_SYMBOLS: dict[str, str] = {
    "disconnected": "○",
    "connecting": "◌",
    "friendly": "◇",
    "raw": "●",
    "running": "▶",
    "lost": "⚠",
    "error": "✖",
}

#: How a board held busy by a file action (or another multi-step job) states what it does:
#: the "running" badge, and the label after it ("running: uploading main.py").
BUSY_PREFIX = "running: "


def busy_state(label: str) -> str:
    """The state text of a board busy with ``label`` ("uploading main.py"): it earns the
    "running" badge, and the label says what it runs, since it is not the person's code."""
    return f"{BUSY_PREFIX}{label}"


_DISCONNECTED_STATES = frozenset({DeviceState.DISCONNECTED, DeviceState.CLOSED, SessionState.CLOSED.value, ""})
_MANAGER_STATES = frozenset({SessionState.LOST.value, SessionState.CONNECTING.value})
_FRIENDLY_STATES = frozenset({DeviceState.FRIENDLY})
_RAW_STATES = frozenset({
    DeviceState.RAW_READY,
    DeviceState.ENTERING_RAW,
    DeviceState.AWAIT_PROMPT,
    DeviceState.LEAVING_RAW,
    DeviceState.SOFT_RESETTING,
})
_RUNNING_STATES = frozenset({
    DeviceState.RAW_SENDING,
    DeviceState.AWAIT_OK,
    DeviceState.PASTE_NEGOTIATING,
    DeviceState.PASTE_WINDOW,
    DeviceState.PASTE_SENDING,
    DeviceState.PASTE_ENDING,
    DeviceState.STDOUT,
    DeviceState.STDERR,
})


def badge_for_state(state: str | None) -> str:
    """Map a state (a :class:`DeviceState`, the manager's 'lost' or 'connecting') or an error
    text to one of :data:`BADGES`.

    ``"state unknown"`` counts as an error: the session only gets there after something
    unexpected (a timeout, garbled output) and the board needs the user's attention.
    Anything not recognised is taken to be an error message.
    """
    text = (state or "").strip()
    if text.lower() in _DISCONNECTED_STATES:
        return "disconnected"
    if text in _MANAGER_STATES:
        return text
    if text in _FRIENDLY_STATES:
        return "friendly"
    if text in _RAW_STATES:
        return "raw"
    if text in _RUNNING_STATES or text.startswith("running"):
        return "running"
    return "error"
