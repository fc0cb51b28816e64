"""Several boards at once: the session manager, session states, and resource accounting."""

from workbench.manager.lifecycle import SessionEvent, SessionState
from workbench.manager.manager import ManagedSession, ManagerError, RunOutcome, SessionManager
from workbench.manager.resources import ProcessResources, snapshot

__all__ = [
    "ManagedSession",
    "ManagerError",
    "ProcessResources",
    "RunOutcome",
    "SessionEvent",
    "SessionManager",
    "SessionState",
    "snapshot",
]
