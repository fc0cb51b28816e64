"""The byte trace: every byte on the wire, when, which way, and what it meant."""

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
