"""The raw REPL engine and the sessions that run it on a worker thread.

The names below load on first use (:mod:`workbench._lazy`): a profile (``engine.profile``)
is read by commands that never open a session, and must not pull the whole engine in.
"""

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports

if TYPE_CHECKING:
    from workbench.engine.profile import DEFAULT_PROFILE, Profile
    from workbench.engine.result import ExecResult
    from workbench.engine.session import Session, connect

__all__ = ["DEFAULT_PROFILE", "ExecResult", "Profile", "Session", "connect"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "DEFAULT_PROFILE": "workbench.engine.profile",
        "Profile": "workbench.engine.profile",
        "ExecResult": "workbench.engine.result",
        "Session": "workbench.engine.session",
        "connect": "workbench.engine.session",
    },
    globals(),
)
