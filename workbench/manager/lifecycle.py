"""The states of a managed session, in words a person reads in the devices pane.

Why a state of its own rather than :attr:`Session.state` (the protocol state): a person with
eight boards wants to know whether each is connecting, ready, busy, gone or closed, not
which raw REPL prompt it is at. The transitions are few and checked, so a bug shows as an
error instead of a board that says "ready" while its cable lies on the desk.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class SessionState(enum.Enum):
    """Where a managed session is in its life."""

    CONNECTING = "connecting"
    READY = "ready"
    RUNNING = "running"
    """Running code, or busy with a file action (its label is the session's ``detail``)."""
    LOST = "lost"
    CLOSED = "closed"


#: The states in which a board has a session that takes commands.
OPEN_STATES: frozenset[SessionState] = frozenset({SessionState.READY, SessionState.RUNNING})

#: Which state may follow which. LOST -> CONNECTING is the automatic reconnect.
TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    SessionState.CONNECTING: frozenset({SessionState.READY, SessionState.LOST, SessionState.CLOSED}),
    SessionState.READY: frozenset({SessionState.RUNNING, SessionState.LOST, SessionState.CLOSED, SessionState.CONNECTING}),
    SessionState.RUNNING: frozenset({SessionState.READY, SessionState.LOST, SessionState.CLOSED}),
    SessionState.LOST: frozenset({SessionState.CONNECTING, SessionState.CLOSED}),
    SessionState.CLOSED: frozenset(),
}


def allowed(old: SessionState, new: SessionState) -> bool:
    """Whether ``old`` may become ``new`` (staying in the same state is always allowed)."""
    return old is new or new in TRANSITIONS[old]


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """A managed session changed state; ``detail`` says why (an error, "reconnected")."""

    url: str
    old: SessionState
    new: SessionState
    detail: str = ""
