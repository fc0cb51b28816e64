"""Messages the session worker posts to the app (widgets are only touched by the UI)."""

from __future__ import annotations

from textual.message import Message

from workbench.engine.result import ExecResult


class DeviceOutput(Message):
    """Text the running code printed; ``stream`` is stdout or stderr."""

    def __init__(self, stream: str, text: str) -> None:
        super().__init__()
        self.stream = stream
        self.text = text


class RunFinished(Message):
    """A run ended; ``result`` is None when it failed with ``error``."""

    def __init__(self, result: ExecResult | None, error: str | None = None) -> None:
        super().__init__()
        self.result = result
        self.error = error


class DeviceStatus(Message):
    """The connection changed: connected, failed, state text."""

    def __init__(self, text: str, *, error: bool = False) -> None:
        super().__init__()
        self.text = text
        self.error = error
