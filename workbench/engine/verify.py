"""Verified runs (profile ``verify_code``): the board checks the code it received before it runs.

Why: neither plain raw mode nor raw-paste carries a checksum. A byte lost on a slow UART
bridge can leave code that still compiles and runs wrong, reported as a success. With
``verify_code`` a run takes two execs:

1. **Stage**: the code goes over as a bytes literal (printable ASCII only, every other byte
   escaped), held in ``_wb_c``; the board prints its length and byte sum. Damage anywhere in
   this small, known-good program shows: a length or sum that differs, or an error of the
   stage itself. Nothing of the user's has run yet.
2. **Run**: ``exec(compile(...))`` of the held bytes, named ``<stdin>`` so line numbers and
   tracebacks stay the user's; the one frame the wrapper adds (``File "<stdin>", line 1, in
   <module>``, right after the traceback header) is taken out of stderr and the exception.

The cost: one more round trip, and the code held once more in the board's RAM while it runs.
Works on any MicroPython with ``compile`` (and on the simulated boards).
"""

from __future__ import annotations

import dataclasses
import re

from workbench.engine.result import ExecResult
from workbench.protocol import Frame, RemoteException, StreamReplacer

#: The held copy's name on the board (popped from the globals when the run starts).
HELD = "_wb_c"
_MARK = "WBV"
#: The second exec: run the held code as if it had been sent itself.
RUN_HELD = f"exec(compile(globals().pop('{HELD}'),'<stdin>','exec'))\n".encode("ascii")
#: Dropping the held copy after a failed check (best effort).
DROP_HELD = f"globals().pop('{HELD}',None)\n".encode("ascii")
#: What the wrapper adds to every traceback of the run, in both line endings boards use.
WRAPPER_FRAMES = tuple(
    f"Traceback (most recent call last):{nl}  File \"<stdin>\", line 1, in <module>{nl}" for nl in ("\r\n", "\n")
)
_REPORT = re.compile(rf"^{_MARK} (\d+) (\d+)\s*$", re.MULTILINE)


def stage_code(payload: bytes) -> bytes:
    """The first exec: hold ``payload`` on the board and report its length and byte sum."""
    return f"{HELD}={payload!r}\nprint('{_MARK}',len({HELD}),sum({HELD}))\n".encode("ascii")


def check_problem(stage: ExecResult, payload: bytes) -> str | None:
    """What went wrong on the way, judged from the stage's result; None when the board holds
    exactly ``payload``."""
    if stage.exception is not None:
        return (
            "the code was damaged on the way to the board (the workbench's check of it failed "
            f"on the board: {stage.exception.summary()})"
        )
    found = _REPORT.search(stage.stdout)
    if found is None:
        return f"the code was damaged on the way to the board (its check printed {stage.stdout[-60:]!r})"
    length, total = int(found[1]), int(found[2])
    if length < len(payload):
        return f"{len(payload) - length} bytes lost on the way to the board (it received {length} of {len(payload)})"
    if length > len(payload):
        return f"{length - len(payload)} bytes more than were sent arrived (noise on the line)"
    if total != sum(payload):
        return "the code arrived damaged (as many bytes as were sent, but not the same bytes)"
    return None


def without_wrapper(text: str) -> str:
    """``text`` with the wrapper's frame taken out of every traceback header."""
    for frames in WRAPPER_FRAMES:
        text = text.replace(frames, frames.split("  File", 1)[0])
    return text


def wrapper_filters() -> list[StreamReplacer]:
    """Streaming filters that take the wrapper's frame out of stderr as it arrives."""
    return [StreamReplacer(frames, frames.split("  File", 1)[0]) for frames in WRAPPER_FRAMES]


def unwrapped(exception: RemoteException | None) -> RemoteException | None:
    """The exception as if the code had been sent itself: the wrapper's outer frame dropped."""
    if exception is None or not exception.frames or exception.frames[0] != _WRAPPER_FRAME:
        return exception
    return dataclasses.replace(exception, frames=exception.frames[1:], text=without_wrapper(exception.text))


_WRAPPER_FRAME = Frame("<stdin>", 1, "<module>")
