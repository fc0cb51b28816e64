"""The raw REPL engine and the sessions that run it on a worker thread."""

from workbench.engine.profile import DEFAULT_PROFILE, Profile
from workbench.engine.result import ExecResult
from workbench.engine.session import Session, connect

__all__ = ["DEFAULT_PROFILE", "ExecResult", "Profile", "Session", "connect"]
