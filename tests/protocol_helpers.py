"""Shared helpers for the protocol tests: the reference transcripts and event comparison.

The transcripts are read here with a few lines of ``json`` rather than through
``workbench.trace`` so that a bug in the trace loader cannot hide a bug in the protocol.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.protocol import Event, Output, RawReplConnection, UnexpectedBytes, host_events
from workbench.protocol import events as device_events
from workbench.protocol.tracebacks import Frame, RemoteException

TRANSCRIPT_DIR = Path(__file__).resolve().parent / "data" / "transcripts" / "unix-port"
TRANSCRIPT_FILES = sorted(TRANSCRIPT_DIR.glob("*.jsonl"))
TRANSCRIPT_NAMES = [path.stem for path in TRANSCRIPT_FILES]


@dataclass(frozen=True)
class Rec:
    """One line of a transcript."""

    t: float
    dir: str
    data: bytes
    note: str


def load_transcript(name_or_path: str | Path) -> list[Rec]:
    """The records of one transcript, by stem (``02-exec-ok``) or path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = TRANSCRIPT_DIR / f"{name_or_path}.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Rec(float(row["t"]), row["dir"], bytes.fromhex(row["hex"]), row.get("note", "")))
    return out


def all_transcripts() -> list[tuple[str, list[Rec]]]:
    """Every transcript, in the order they ran on the one connection."""
    assert len(TRANSCRIPT_FILES) == 10, TRANSCRIPT_FILES
    return [(path.stem, load_transcript(path)) for path in TRANSCRIPT_FILES]


def merge_events(items: Iterable[object]) -> list[object]:
    """Merge adjacent ``Output`` of the same stream and adjacent ``UnexpectedBytes``.

    How many events a chunk of output becomes depends on how the bytes were read; what they
    say does not. Merged ``UnexpectedBytes`` keep the state of the first one. Anything that
    is not one of these two (other events, host-side markers) is kept as is.
    """
    out: list[object] = []
    for item in items:
        last = out[-1] if out else None
        if isinstance(item, Output) and isinstance(last, Output) and last.stream == item.stream:
            out[-1] = Output(last.stream, last.data + item.data)
        elif isinstance(item, UnexpectedBytes) and isinstance(last, UnexpectedBytes):
            out[-1] = UnexpectedBytes(last.data + item.data, last.state)
        else:
            out.append(item)
    return out


def events_of(items: Iterable[object], kind: type) -> list:
    """The items of one event type."""
    return [item for item in items if isinstance(item, kind)]


def output_bytes(items: Iterable[object], stream: str) -> bytes:
    """Everything one stream printed."""
    return b"".join(item.data for item in items if isinstance(item, Output) and item.stream == stream)


def pump(conn: RawReplConnection, now: float, limit: int = 100_000) -> bytes:
    """Everything :meth:`data_to_send` hands out now, concatenated."""
    out = bytearray()
    for _ in range(limit):
        chunk = conn.data_to_send(now)
        if not chunk:
            return bytes(out)
        out += chunk
    raise AssertionError("data_to_send never stopped handing out bytes")


def chunks_whole(data: bytes) -> Iterator[bytes]:
    """The bytes as one read."""
    if data:
        yield data


def chunks_bytewise(data: bytes) -> Iterator[bytes]:
    """The bytes one read per byte."""
    for i in range(len(data)):
        yield data[i : i + 1]


def chunks_at(data: bytes, cuts: Iterable[int]) -> Iterator[bytes]:
    """The bytes cut at the given offsets (out-of-range and repeated offsets ignored)."""
    start = 0
    for cut in sorted({cut for cut in cuts if 0 < cut < len(data)}):
        yield data[start:cut]
        start = cut
    if start < len(data):
        yield data[start:]


def drain(conn: RawReplConnection) -> list[Event]:
    """Every event available now."""
    return conn.events()


# ---------------------------------------------------------------------------- every event type
def _declared_in(module: object, base: type) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, base) and value is not base and value.__module__ == module.__name__
    ]


#: Every event type the protocol core can report: the device's and the host's.
ALL_EVENT_TYPES: list[type] = [
    *_declared_in(device_events, device_events.Event),
    *_declared_in(host_events, host_events.HostEvent),
]


def event_samples() -> list[object]:
    """At least one event of every type, with every field set to something telling (bytes
    that are not text, a traceback with frames, an enum), for the tests that must cover them
    all: the wording table, the trace file's round trip."""
    h = host_events
    d = device_events
    traceback = RemoteException(
        "ZeroDivisionError",
        "divide by zero",
        (Frame("<stdin>", 3, "<module>"), Frame("lib.py", 12, None)),
        'Traceback (most recent call last):\r\n  File "<stdin>", line 3\r\nZeroDivisionError: divide by zero\r\n',
        "blink.py",
    )
    return [
        d.FriendlyPrompt(),
        d.RawReady(),
        d.ExecAccepted(),
        d.Output("stdout", b"hi\r\n\xff\x00"),
        d.Output("stderr", b"Traceback"),
        d.StdoutEnded(),
        d.ExecFinished(None),
        d.ExecFinished(traceback),
        d.RawPasteAccepted(128),
        d.RawPasteRefused(old_firmware=True),
        d.RawPasteRefused(old_firmware=False),
        d.WindowCredit(128, 256),
        d.PasteAcknowledged(),
        d.PasteEndedEarly(),
        d.SoftReboot("MPY: soft reboot"),
        d.DeviceRebooted("MicroPython v1.22; ESP32 module"),
        d.UnexpectedBytes(b"\x1b[2J", "state unknown"),
        d.UnexpectedBytes(b"1+1\r\n", "friendly REPL"),
        h.Interrupt(2, True, False),
        h.Interrupt(1, False, True, h.InterruptReason.EXEC_TIMEOUT),
        *(h.Interrupt(1, False, False, reason) for reason in h.InterruptReason),
        h.EnterRaw(cr=True),
        h.RawPasteRequest(),
        h.RawPasteRequest(attempt=2),
        h.RawPasteRequest(code_follows=True),
        h.CodeSent(10, "raw"),
        h.CodeSent(14, "raw-paste"),
        h.CodeSent(300, "raw-paste", credit_left=0, beyond=44, ahead=True),
        h.EndOfCode("raw"),
        h.EndOfCode("raw-paste", ahead=True),
        h.OwedEndOfPaste(),
        h.SoftReset(),
        h.LeaveRaw(),
        h.FriendlyPasteMode(),
        h.FriendlyPasteEnd(),
        h.Typed(4),
        h.UnplacedWrite(1, "running (stdout)"),
    ]
