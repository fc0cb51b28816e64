"""The byte trace: every byte on the wire, when, which way, and what it meant.

A record keeps the protocol events its bytes carried (typed, :mod:`workbench.protocol`);
the words people read are made from them in one table, :mod:`.wording`.
"""

from workbench.trace.annotate import annotate
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
