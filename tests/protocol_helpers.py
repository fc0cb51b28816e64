"""Shared helpers for the protocol tests: the reference transcripts and event comparison.

The transcripts are read here with a few lines of ``json`` rather than through
``workbench.trace`` so that a bug in the trace loader cannot hide a bug in the protocol.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workbench.protocol import Event, Output, RawReplConnection, UnexpectedBytes

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
