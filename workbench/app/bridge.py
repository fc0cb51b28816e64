"""From the session's worker thread to the UI: output and trace records in batches.

The worker calls :meth:`SessionBridge.add_output` and :meth:`add_trace` for every chunk and
record, possibly tens of thousands a second. Posting a Textual message for each would flood
the UI's queue and freeze the app, so the bridge buffers them and keeps *at most one* flush
message in flight: the UI drains everything that piled up when it gets to it. Both buffers
are bounded; what had to be dropped is counted and shown, never silently lost from view.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from textual.message import Message

from workbench.app.messages import WorkerMessage
from workbench.trace.record import TraceRecord

#: Output characters kept waiting for the UI; beyond this the oldest are dropped (counted).
MAX_PENDING_OUTPUT_CHARS = 4 * 1024 * 1024
#: Trace records kept waiting for the UI (the recorder keeps its own bounded copy).
MAX_PENDING_RECORDS = 50_000


class BridgeFlush(WorkerMessage):
    """Something is waiting in the bridge; the UI should call ``drain()``.

    ``tag`` names the bridge (the board's URL) when the app has one bridge per board.
    """

    def __init__(self, tag: str = "") -> None:
        super().__init__()
        self.tag = tag


@dataclass
class Drained:
    """What the UI takes from the bridge in one go."""

    output: list[tuple[str, str]] = field(default_factory=list)
    records: list[TraceRecord] = field(default_factory=list)
    dropped_output_chars: int = 0
    dropped_records: int = 0


class SessionBridge:
    """Thread-safe buffers between one session and the app; see the module docstring."""

    def __init__(self, post: Callable[[Message], object], tag: str = "") -> None:
        self._post = post
        self.tag = tag
        self._lock = threading.Lock()
        # (stream, pieces): pieces of one stream in a row are joined at drain time, not on
        # arrival (joining on arrival would copy a growing string for every piece).
        self._output: deque[tuple[str, list[str], int]] = deque()
        self._output_chars = 0
        self._records: deque[TraceRecord] = deque()
        self._dropped_output = 0
        self._dropped_records = 0
        self._flush_pending = False

    def add_output(self, stream: str, text: str) -> None:
        """Worker thread: a piece of program output."""
        with self._lock:
            if self._output and self._output[-1][0] == stream:
                _, pieces, size = self._output.pop()
                pieces.append(text)
                self._output.append((stream, pieces, size + len(text)))
            else:
                self._output.append((stream, [text], len(text)))
            self._output_chars += len(text)
            while self._output_chars > MAX_PENDING_OUTPUT_CHARS and self._output:
                stream_, pieces, size = self._output[0]
                if len(pieces) == 1 and len(self._output) == 1:
                    break  # never drop the only, newest piece
                dropped = pieces.pop(0)
                self._output_chars -= len(dropped)
                self._dropped_output += len(dropped)
                if pieces:
                    self._output[0] = (stream_, pieces, size - len(dropped))
                else:
                    self._output.popleft()
            self._schedule()

    def add_trace(self, record: TraceRecord) -> None:
        """Worker thread: a trace record (a TraceRecorder listener)."""
        with self._lock:
            self._records.append(record)
            if len(self._records) > MAX_PENDING_RECORDS:
                self._records.popleft()
                self._dropped_records += 1
            self._schedule()

    def _schedule(self) -> None:
        if not self._flush_pending:
            self._flush_pending = True
            self._post(BridgeFlush(self.tag))

    def drain(self) -> Drained:
        """UI thread: take everything; the next item posts a new flush message."""
        with self._lock:
            drained = Drained(
                [(stream, "".join(pieces)) for stream, pieces, _ in self._output],
                list(self._records),
                self._dropped_output,
                self._dropped_records,
            )
            self._output.clear()
            self._records.clear()
            self._output_chars = 0
            self._dropped_output = 0
            self._dropped_records = 0
            self._flush_pending = False
        return drained
