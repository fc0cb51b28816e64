"""The byte trace: every byte on the wire, when, which way, and what it meant.

A record keeps the protocol events its bytes carried (typed, :mod:`workbench.protocol`);
the words people read are made from them in one table, :mod:`.wording`.

The engine records through :mod:`.record` on every exec; the file and text tools (``jsonl``,
``render``) load on first use (:mod:`workbench._lazy`), so a ``workbench exec`` without
``--trace`` does not import them. ``annotate`` is imported at once: it is also the name of
its module, which would otherwise replace the function here once imported.
"""

from typing import TYPE_CHECKING

from workbench._lazy import lazy_exports
from workbench.trace.annotate import annotate

if TYPE_CHECKING:
    from workbench.trace.jsonl import TraceFileError, load_jsonl, save_jsonl
    from workbench.trace.record import TraceRecord, TraceRecorder
    from workbench.trace.render import render_hex, render_text

__all__ = [
    "TraceFileError",
    "TraceRecord",
    "TraceRecorder",
    "annotate",
    "load_jsonl",
    "render_hex",
    "render_text",
    "save_jsonl",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "TraceFileError": "workbench.trace.jsonl",
        "load_jsonl": "workbench.trace.jsonl",
        "save_jsonl": "workbench.trace.jsonl",
        "TraceRecord": "workbench.trace.record",
        "TraceRecorder": "workbench.trace.record",
        "render_hex": "workbench.trace.render",
        "render_text": "workbench.trace.render",
    },
    globals(),
)
