"""Messages from thread workers to the app (widgets are only touched on the UI thread)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from workbench.engine.result import ExecResult

if TYPE_CHECKING:
    from workbench.engine.session import Session


class DeviceConnected(Message):
    """A session is open and in the raw REPL."""

    def __init__(self, url: str, session: Session) -> None:
        super().__init__()
        self.url = url
        self.session = session


class DeviceStatus(Message):
    """The connection changed (disconnected, failed, reset); ``error`` for failures."""

    def __init__(self, url: str, text: str, *, error: bool = False) -> None:
        super().__init__()
        self.url = url
        self.text = text
        self.error = error


class RunFinished(Message):
    """A run ended; ``result`` is None when it failed with ``error``."""

    def __init__(self, result: ExecResult | None, error: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.error = error
